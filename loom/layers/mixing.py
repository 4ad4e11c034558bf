"""Mixing layers: trainable element-wise weights and trainable convex combinations of branches."""

import jax
import numpy as np

from loom import constraints, initializers, regularizers
from loom.layers.input_spec import InputSpec
from loom.layers.layer import Layer
from loom.layers.merging import Merge
from loom.ops import convert_to_tensor


class ConvexCombination(Merge):
    """Mixes N tensors as ``w_1 * x_1 + ... + w_N * x_N`` with trainable weights
    that are always positive and sum to 1.

    This is the layer asked for in "Keras multiply parallel layers' outputs with
    constrained weights" (seed 002): three parallel MLPs whose outputs should be
    combined as ``Out = W1 * Out_MLP1 + W2 * Out_MLP2 + W3 * Out_MLP3`` with
    trainable ``W1 + W2 + W3 = 1``, for any number N of branches. A constraint
    applied after each update cannot keep both properties exactly during
    training; instead the layer trains unconstrained ``logits`` and uses
    ``w = softmax(logits)``, so every ``w_i`` lies in (0, 1) and they sum to 1
    by construction, and gradients flow to all branches.

    Args:
        per_feature: False (default) learns one weight per input; True learns
            one weight vector per input, i.e. a separate mixture for each
            feature of the last axis (softmax over the N inputs per feature).
        logits_initializer: initializer of the logits; "zeros" starts from the
            plain average ``w_i = 1 / N``.
        logits_regularizer: optional penalty on the logits.
        logits_constraint: optional projection of the logits after each update
            (the weights stay a convex combination whatever it does).

    Input: a list of N >= 2 tensors of one shape (or shapes that broadcast as
    for ``Add``); with ``per_feature=True`` the last axis must be known.
    Output: their shape. Weights: ``logits`` of shape ``(N,)``, or ``(N,
    features)`` with ``per_feature=True``; read the mixture itself from
    ``mixture_weights``.

    Example:
        >>> branches = [Dense(10)(Dense(32, activation="relu")(x)) for x in (inp1, inp2, inp3)]
        >>> mix = ConvexCombination()
        >>> out = mix(branches)                      # (None, 10)
        >>> model = Model([inp1, inp2, inp3], out)
        >>> mix.mixture_weights                      # array([0.333, 0.333, 0.333]) before training
        >>> mix.mixture_weights.sum()                # 1.0, always
    """

    def __init__(
        self,
        per_feature: bool = False,
        logits_initializer="zeros",
        logits_regularizer=None,
        logits_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(per_feature, (bool, np.bool_)):
            raise TypeError(f"{self.describe()}: `per_feature` must be True or False; received {per_feature!r}.")
        self.per_feature = bool(per_feature)
        self.logits_initializer = initializers.get(logits_initializer)
        self.logits_regularizer = regularizers.get(logits_regularizer)
        self.logits_constraint = constraints.get(logits_constraint)

    def _output_shape(self, shapes) -> tuple:
        if self.built and len(shapes) != self.logits.shape[0]:
            raise ValueError(
                f"{self.describe()} was built to mix {self.logits.shape[0]} inputs (it has one weight per "
                f"input); received {len(shapes)} (shapes {[tuple(s) for s in shapes]}). Use a new layer "
                "for a different number of branches."
            )
        output = super()._output_shape(shapes)
        if self.per_feature and output[-1] is None:
            raise ValueError(
                f"{self.describe()} with per_feature=True needs the size of the last axis to create one "
                f"weight per feature; received shapes {[tuple(s) for s in shapes]}. Give the inputs a "
                "known last dimension, or use per_feature=False."
            )
        if self.built and self.per_feature and output[-1] not in (self.logits.shape[1], 1):
            raise ValueError(
                f"{self.describe()} was built for {self.logits.shape[1]} features (per_feature=True); "
                f"received shapes {[tuple(s) for s in shapes]}. Use a new layer for another size."
            )
        return output

    def build(self, input_shape):
        output = self._output_shape([tuple(s) for s in input_shape])
        shape = (len(input_shape), output[-1]) if self.per_feature else (len(input_shape),)
        self.logits = self.add_weight(
            name="logits",
            shape=shape,
            initializer=self.logits_initializer,
            regularizer=self.logits_regularizer,
            constraint=self.logits_constraint,
        )
        self.built = True

    def _merge_function(self, inputs, masks):
        weights = jax.nn.softmax(convert_to_tensor(self.logits), axis=0)  # (N,) or (N, features)
        output = weights[0] * inputs[0]
        for weight, x in zip(weights[1:], inputs[1:]):
            output = output + weight * x
        return output

    @property
    def mixture_weights(self) -> np.ndarray:
        """The current mixture ``softmax(logits)`` as a NumPy array: positive, summing to 1
        over the inputs (axis 0). Shape ``(N,)``, or ``(N, features)`` with ``per_feature``."""
        if not self.built:
            raise AttributeError(
                f"{self.describe()} has no mixture weights yet: they are created when the layer is first "
                "called on its list of inputs."
            )
        return np.asarray(jax.nn.softmax(convert_to_tensor(self.logits), axis=0))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "per_feature": self.per_feature,
            "logits_initializer": initializers.serialize(self.logits_initializer),
            "logits_regularizer": regularizers.serialize(self.logits_regularizer),
            "logits_constraint": constraints.serialize(self.logits_constraint),
        }


class ElementwiseScale(Layer):
    """Multiplies its input by a trainable weight of the same shape: ``inputs * kernel``.

    Unlike ``Dense``, which mixes features through a matrix, this layer gives
    every element of a sample its own trainable factor. It is the
    ``ElementwiseWeights`` layer of the answer to "Writing this exotic NN
    architecture with keras" (seed 001), where each term ``f(x_i, x_pk)`` of an
    ``(m, n)`` grid is scaled by its own coefficient ``a_pk`` before the rows
    are summed and fed to a softmax.

    Args:
        kernel_initializer: initializer of the factors; "ones" starts as the
            identity.
        kernel_regularizer: optional penalty on the factors.
        kernel_constraint: optional projection after each update, e.g.
            "non_neg" to keep the factors >= 0.

    Input shape: ``(batch, d1, ..., dk)`` (k >= 0) with every non-batch dim known.
    Output shape: the same. Weight: ``kernel`` of shape ``(1, d1, ..., dk)``.

    Example:
        >>> terms = Lambda(calculate_f)([x, x_pk])       # (None, m, n)
        >>> scaled = ElementwiseScale()(terms)          # (None, m, n), m * n weights
        >>> scores = Lambda(lambda t: ops.sum(t, axis=-1))(scaled)
        >>> probabilities = Activation("softmax")(scores)
    """

    def __init__(self, kernel_initializer="ones", kernel_regularizer=None, kernel_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) < 1:
            raise ValueError(
                f"{self.describe()} needs inputs with a batch axis; received a scalar. Give it a batch "
                "axis, e.g. np.array([value])."
            )
        if None in tuple(input_shape[1:]):
            raise ValueError(
                f"{self.describe()} creates one weight per element of a sample, so every non-batch dim must "
                f"be known; received input shape {tuple(input_shape)}. Give the Input concrete dims."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(1,) + tuple(input_shape[1:]),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.input_spec = InputSpec(
            ndim=len(input_shape), axes={i: d for i, d in enumerate(input_shape) if i > 0}
        )
        self.built = True

    def call(self, inputs):
        return inputs * convert_to_tensor(self.kernel)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        }
