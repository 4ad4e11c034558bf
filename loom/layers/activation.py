"""Activation layers: element-wise nonlinearities as layers (ReLU, PReLU, Softmax, ...)."""

import jax
import jax.numpy as jnp
import numpy as np

from loom import activations, constraints, initializers, regularizers
from loom.layers.input_spec import InputSpec
from loom.layers.layer import Layer
from loom.ops import convert_to_tensor


def _check_number(layer, name: str, value, minimum=None, allow_none: bool = False):
    """Return ``value`` as a float, or raise naming the layer and the argument."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{layer.describe()}: `{name}` must be a number; received {name}={value!r}.")
    if minimum is not None and value < minimum:
        raise ValueError(f"{layer.describe()}: `{name}` must be >= {minimum}; received {name}={value!r}.")
    return float(value)


class Activation(Layer):
    """Applies an activation function to its input.

    Args:
        activation: a name from ``loom.activations`` ("relu", "softmax", ...) or
            a callable written with ``loom.ops`` / ``jax.numpy``.

    Example:
        >>> probabilities = Activation("softmax")(logits)
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class ReLU(Layer):
    """Rectified linear unit with optional cap, leak and threshold.

    ``f(x) = max_value`` if ``x >= max_value``; ``x`` if ``threshold <= x <
    max_value``; ``negative_slope * (x - threshold)`` otherwise.

    Args:
        max_value: the largest output (None: unbounded); >= 0.
        negative_slope: slope below the threshold; >= 0.
        threshold: where the unit switches on; >= 0.
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _check_number(self, "max_value", max_value, minimum=0.0, allow_none=True)
        self.negative_slope = _check_number(self, "negative_slope", negative_slope, minimum=0.0)
        self.threshold = _check_number(self, "threshold", threshold, minimum=0.0)
        self.supports_masking = True

    def call(self, inputs):
        return activations.relu(
            inputs, negative_slope=self.negative_slope, max_value=self.max_value, threshold=self.threshold
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class LeakyReLU(Layer):
    """``x`` if ``x >= 0``, else ``negative_slope * x``.

    Args:
        negative_slope: slope for negative inputs (Keras 3's default, 0.3).
            tf.keras 2's name ``alpha`` is accepted too.
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        # tf.keras 2 called it `alpha` (Keras 3 warns and renames; loom just accepts it).
        alpha = kwargs.pop("alpha", None)
        super().__init__(**kwargs)
        if alpha is not None:
            negative_slope = alpha
        self.negative_slope = _check_number(self, "negative_slope", negative_slope, minimum=0.0)
        self.supports_masking = True

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self) -> dict:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(Layer):
    """Exponential linear unit: ``x`` if ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Args:
        alpha: scale of the negative part.
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _check_number(self, "alpha", alpha)
        self.supports_masking = True

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self) -> dict:
        # Keras 3's ELU leaves alpha out of its config; loom keeps it so the layer round-trips.
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(Layer):
    """Parametric ReLU: ``x`` if ``x >= 0``, else ``alpha * x`` with a learned ``alpha``.

    Args:
        alpha_initializer, alpha_regularizer, alpha_constraint: for the weight
            ``alpha``, of shape ``input_shape[1:]``.
        shared_axes: axes (1-based, batch excluded) sharing one alpha, e.g.
            ``[1, 2]`` for one alpha per channel of an image.
    """

    def __init__(
        self,
        alpha_initializer="Zeros",
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is not None:
            shared_axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) and a >= 1 for a in shared_axes):
                raise ValueError(
                    f"{self.describe()}: `shared_axes` must be axes >= 1 (the batch axis 0 is always "
                    f"separate); received shared_axes={shared_axes!r}."
                )
            shared_axes = [int(a) for a in shared_axes]
        self.shared_axes = shared_axes
        self.supports_masking = True

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if axis > len(shape):
                raise ValueError(
                    f"{self.describe()}: shared_axes={self.shared_axes} names axis {axis}, but its inputs "
                    f"have shape {tuple(input_shape)} (axes 1..{len(shape)}). Pick axes of the input."
                )
            shape[axis - 1] = 1
        if None in shape:
            raise ValueError(
                f"{self.describe()} needs every non-batch dim to be known to create `alpha` (or the unknown "
                f"ones listed in shared_axes); received input shape {tuple(input_shape)}."
            )
        self.alpha = self.add_weight(
            name="alpha",
            shape=tuple(shape),
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )
        shared = set(self.shared_axes or ())
        axes = {i: input_shape[i] for i in range(1, len(input_shape)) if i not in shared}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)

    def call(self, inputs):
        alpha = convert_to_tensor(self.alpha)
        return activations.relu(inputs) - alpha * activations.relu(-inputs)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }


class Softmax(Layer):
    """Softmax along ``axis``; masked positions get probability 0.

    Args:
        axis: the axis (or tuple of axes) that sums to 1.

    Call arguments:
        inputs: the logits.
        mask: optional boolean mask broadcastable to ``inputs`` (True keeps a
            position); masked logits are replaced by a large negative number.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, list):
            axis = tuple(axis)
        self.axis = axis
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = jnp.asarray(mask)
            if mask.ndim > inputs.ndim or any(
                m != 1 and m != i for m, i in zip(mask.shape[::-1], inputs.shape[::-1])
            ):
                raise ValueError(
                    f"{self.describe()} needs a mask broadcastable to its input; received mask shape "
                    f"{tuple(mask.shape)} for inputs of shape {tuple(inputs.shape)}."
                )
            if mask.dtype != jnp.bool_:
                mask = mask > 0.5
            # As Keras: -1e9 (or -3e4 in float16) rather than -inf, so a fully masked row gives no NaN.
            large_negative = -3e4 if inputs.dtype == jnp.float16 else -1e9
            inputs = jnp.where(mask, inputs, jnp.asarray(large_negative, inputs.dtype))
        if isinstance(self.axis, tuple):
            outputs = jnp.exp(inputs - jax.nn.logsumexp(inputs, axis=self.axis, keepdims=True))
        else:
            outputs = activations.softmax(inputs, axis=self.axis)
        if mask is not None:
            outputs = jnp.where(mask, outputs, jnp.zeros((), outputs.dtype))
        return outputs

    def get_config(self) -> dict:
        axis = list(self.axis) if isinstance(self.axis, tuple) else self.axis
        return {**super().get_config(), "axis": axis}


class ThresholdedReLU(Layer):
    """``x`` if ``x > theta``, else 0 (from tf.keras 2; Keras 3 dropped it).

    Args:
        theta: the threshold; >= 0.
    """

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.theta = _check_number(self, "theta", theta, minimum=0.0)
        self.supports_masking = True

    def call(self, inputs):
        return inputs * (inputs > self.theta).astype(inputs.dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "theta": self.theta}
