"""Regularization layers: Dropout and ActivityRegularization."""

import math

import jax
import jax.numpy as jnp
import numpy as np

from loom import regularizers
from loom.layers.layer import Layer
from loom.state.seed_generator import SeedGenerator


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


class Dropout(Layer):
    """Sets a random fraction ``rate`` of its inputs to 0 during training.

    Kept values are scaled by ``1 / (1 - rate)`` so the expected sum is
    unchanged ("inverted dropout"); at inference the layer is the identity.

    Args:
        rate: fraction of the inputs to drop, in [0, 1] (1 drops everything).
        noise_shape: shape of the keep/drop mask, broadcast over the input;
            None entries take the input's size, e.g. ``(None, 1, None)`` drops
            whole timesteps of a ``(batch, steps, features)`` input.
        seed: an int for a reproducible stream of masks.

    Call arguments:
        inputs: a tensor of any shape.
        training: drop only when True (``fit`` sets it; ``predict`` does not).
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not _is_number(rate):
            raise TypeError(f"{self.describe()}: `rate` must be a float in [0, 1]; received rate={rate!r}.")
        if not 0 <= rate <= 1:
            raise ValueError(f"{self.describe()}: `rate` must be a float in [0, 1]; received rate={rate!r}.")
        if seed is not None and not (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
            raise TypeError(f"{self.describe()}: `seed` must be an int or None; received seed={seed!r}.")
        self.rate = float(rate)
        self.noise_shape = self._validate_noise_shape(noise_shape)
        self.seed = seed
        if self.rate > 0:
            self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True

    def _validate_noise_shape(self, noise_shape):
        if noise_shape is None:
            return None
        if isinstance(noise_shape, str) or not isinstance(noise_shape, (list, tuple)):
            raise TypeError(
                f"{self.describe()}: `noise_shape` must be a tuple of ints or None, e.g. (None, 1, 64); "
                f"received noise_shape={noise_shape!r}."
            )
        for dim in noise_shape:
            if dim is not None and (not isinstance(dim, (int, np.integer)) or isinstance(dim, bool) or dim <= 0):
                raise ValueError(
                    f"{self.describe()}: `noise_shape` entries must be positive ints or None; received "
                    f"noise_shape={tuple(noise_shape)}."
                )
        return tuple(None if d is None else int(d) for d in noise_shape)

    def build(self, input_shape):
        if self.noise_shape is not None and len(self.noise_shape) != len(input_shape):
            raise ValueError(
                f"{self.describe()}: noise_shape={self.noise_shape} must have the rank of its inputs; "
                f"received input shape {tuple(input_shape)}. Give one entry per axis (None for 'same size')."
            )
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return jnp.zeros_like(inputs)
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(d if n is None else n for n, d in zip(self.noise_shape, inputs.shape))
        keep_prob = 1.0 - self.rate
        keep = jax.random.bernoulli(self.seed_generator.next(), keep_prob, shape)
        keep = jnp.broadcast_to(keep, inputs.shape)
        return jnp.where(keep, inputs / jnp.asarray(keep_prob, inputs.dtype), jnp.zeros((), inputs.dtype))

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}


class ActivityRegularization(Layer):
    """Returns its input unchanged and adds ``l1 * sum(|x|) + l2 * sum(x**2)`` to the loss.

    Args:
        l1: L1 factor, >= 0.
        l2: L2 factor, >= 0.
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)  # a saved config may carry it; l1/l2 define it
        super().__init__(**kwargs)
        for name, value in (("l1", l1), ("l2", l2)):
            if not _is_number(value) or not math.isfinite(value) or value < 0:
                raise ValueError(
                    f"{self.describe()}: `{name}` must be a non-negative float; received {name}={value!r}."
                )
        self.l1 = float(l1)
        self.l2 = float(l2)
        self.activity_regularizer = regularizers.L1L2(l1=self.l1, l2=self.l2)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def get_config(self) -> dict:
        config = {**super().get_config(), "l1": self.l1, "l2": self.l2}
        config.pop("activity_regularizer", None)
        return config
