"""Embedding: a trainable lookup table from integer ids to dense vectors."""

import jax.numpy as jnp
import numpy as np

from loom import constraints, initializers, regularizers
from loom.layers.layer import Layer
from loom.ops import convert_to_tensor


def _positive_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0


class Embedding(Layer):
    """Maps integer ids in ``[0, input_dim)`` to vectors of size ``output_dim``.

    Args:
        input_dim: size of the vocabulary (largest id + 1).
        output_dim: size of each vector.
        embeddings_initializer, embeddings_regularizer, embeddings_constraint:
            for the ``(input_dim, output_dim)`` table ``embeddings``.
        mask_zero: treat id 0 as padding: the layer then produces a mask
            (``ids != 0``) that masking-aware layers downstream receive.
        input_length: accepted for tf.keras 2 code. As there, when no input
            shape is given it makes ``(None, input_length)`` the input shape of
            a ``Sequential`` model's first layer; otherwise it is unused.

    Input shape: ``(batch, ...)`` of ids. Output shape: ``(batch, ..., output_dim)``.

    Example:
        >>> vectors = Embedding(1000, 64, mask_zero=True)(Input((20,), dtype="int32"))  # (None, 20, 64)
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        input_length=None,
        **kwargs,
    ):
        weights = kwargs.get("weights")
        if weights is not None and not isinstance(weights, (list, tuple)):
            kwargs["weights"] = [weights]  # Keras accepts the table itself
        super().__init__(**kwargs)
        for name, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not _positive_int(value):
                raise ValueError(f"{self.describe()}: `{name}` must be a positive int; received {name}={value!r}.")
        if input_length is not None and not _positive_int(input_length):
            raise ValueError(
                f"{self.describe()}: `input_length` must be a positive int or None; received "
                f"input_length={input_length!r}."
            )
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.input_length = None if input_length is None else int(input_length)
        self.supports_masking = self.mask_zero
        self.autocast = False  # ids must not be cast to floats
        if self._batch_input_shape is None and self.input_length is not None:
            self._batch_input_shape = (None, self.input_length)
        if kwargs.get("input_dtype") is None:
            self._input_dtype = "int32"

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )
        self.built = True

    def call(self, inputs):
        if inputs.dtype not in (jnp.int32, jnp.int64):
            inputs = inputs.astype("int32")
        # As Keras on JAX: an id outside [0, input_dim) gives a row of NaN, so the mistake shows in the loss.
        outputs = jnp.take(convert_to_tensor(self.embeddings), inputs, axis=0)
        return outputs.astype(self.compute_dtype)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return jnp.not_equal(jnp.asarray(inputs), 0)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "input_length": self.input_length,
        }
