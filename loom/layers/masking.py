"""Masking: mark timesteps whose features all equal a padding value as missing."""

import jax.numpy as jnp
import numpy as np

from loom.layers.layer import Layer


class Masking(Layer):
    """Skips timesteps equal to ``mask_value`` in masking-aware layers downstream.

    A timestep (the last axis of ``(batch, steps, features)``) is masked when
    every feature equals ``mask_value``. Its output features are set to 0, and
    the layer produces the mask ``any(inputs != mask_value, axis=-1)``.

    Args:
        mask_value: the padding value.

    Example:
        >>> padded = Masking(mask_value=0.0)(Input((None, 8)))
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{self.describe()}: `mask_value` must be a number; received mask_value={mask_value!r}.")
        self.mask_value = mask_value
        self.supports_masking = True

    def call(self, inputs):
        keep = jnp.any(jnp.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return jnp.where(keep, inputs, jnp.zeros((), inputs.dtype))

    def compute_mask(self, inputs, mask=None):
        return jnp.any(jnp.not_equal(jnp.asarray(inputs), self.mask_value), axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "mask_value": self.mask_value}
