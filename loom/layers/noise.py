"""Noise layers: spatial dropout, Gaussian noise and dropout, alpha dropout (identity at inference)."""

import math

import jax.numpy as jnp
import numpy as np

from loom import random
from loom.layers.convolutional import arguments
from loom.layers.input_spec import InputSpec
from loom.layers.layer import Layer
from loom.layers.regularization import Dropout
from loom.state.seed_generator import SeedGenerator

# SELU's constants; AlphaDropout sets dropped units to SELU's negative saturation value.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _check_rate(layer, rate, below_one: bool) -> float:
    """``rate`` as a float in [0, 1] (or [0, 1) when 1 would divide by zero)."""
    interval = "[0, 1)" if below_one else "[0, 1]"
    if not _is_number(rate) or not 0 <= rate <= 1 or (below_one and rate == 1):
        error = TypeError if not _is_number(rate) else ValueError
        raise error(f"{layer.describe()}: `rate` must be a float in {interval}; received rate={rate!r}.")
    return float(rate)


def _check_seed(layer, seed):
    if seed is not None and not (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        raise TypeError(f"{layer.describe()}: `seed` must be an int or None; received seed={seed!r}.")
    return seed


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one keep/drop draw per sample and channel."""

    _rank = 3

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = arguments.data_format(self, data_format)
        self.input_spec = InputSpec(ndim=self._rank)

    def build(self, input_shape):
        self.built = True

    def _mask_shape(self, shape) -> tuple:
        spatial = (1,) * (len(shape) - 2)
        if self.data_format == "channels_first":
            return (shape[0], shape[1]) + spatial
        return (shape[0],) + spatial + (shape[-1],)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return jnp.zeros_like(inputs)
        return random.dropout(inputs, self.rate, noise_shape=self._mask_shape(inputs.shape), seed=self.seed_generator)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("noise_shape", None)  # fixed by the data format
        return {**config, "data_format": self.data_format}


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of a ``(batch, steps, channels)`` input during training.

    Adjacent timesteps are strongly correlated, so ordinary dropout barely
    regularizes them; this drops a channel at every step at once. Kept values
    are scaled by ``1 / (1 - rate)``.

    Args:
        rate: fraction of the channels to drop, in [0, 1].
        seed: an int for a reproducible stream of masks.

    Call arguments:
        inputs: a rank-3 tensor.
        training: drop only when True.
    """

    _rank = 3

    def __init__(self, rate, seed=None, **kwargs):
        # Always channels last, whatever image_data_format() says, as in Keras.
        super().__init__(rate, data_format="channels_last", seed=seed, **kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("data_format")
        return config


class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of a rank-4 input during training (one draw per sample and channel).

    Args:
        rate: fraction of the channels to drop, in [0, 1].
        data_format: "channels_last" (``(batch, rows, cols, channels)``) or
            "channels_first"; None (default) uses ``loom.config.image_data_format()``.
        seed: an int for a reproducible stream of masks.
    """

    _rank = 4


class SpatialDropout3D(_SpatialDropout):
    """Drops whole feature volumes of a rank-5 input during training (one draw per sample and channel).

    Args:
        rate: fraction of the channels to drop, in [0, 1].
        data_format: "channels_last" (``(batch, d1, d2, d3, channels)``) or
            "channels_first"; None (default) uses ``loom.config.image_data_format()``.
        seed: an int for a reproducible stream of masks.
    """

    _rank = 5


class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` during training.

    Args:
        stddev: standard deviation of the noise, >= 0.
        seed: an int for a reproducible stream of noise.

    Call arguments:
        inputs: a tensor of any shape.
        training: add noise only when True.
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        # Keras 3 also rejects stddev > 1; any non-negative spread is meaningful, so loom allows it.
        if not _is_number(stddev) or not stddev >= 0:
            raise ValueError(f"{self.describe()}: `stddev` must be a non-negative float; received stddev={stddev!r}.")
        self.stddev = float(stddev)
        self.seed = _check_seed(self, seed)
        if self.stddev > 0:
            self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        noise = random.normal(inputs.shape, stddev=self.stddev, dtype=inputs.dtype, seed=self.seed_generator)
        return inputs + noise

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Multiplies its inputs by noise drawn from ``N(1, rate / (1 - rate))`` during training.

    Args:
        rate: the equivalent dropout rate, in [0, 1).
        seed: an int for a reproducible stream of noise.

    Call arguments:
        inputs: a tensor of any shape.
        training: apply the noise only when True.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _check_rate(self, rate, below_one=True)
        self.seed = _check_seed(self, seed)
        if self.rate > 0:
            self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = random.normal(inputs.shape, mean=1.0, stddev=stddev, dtype=inputs.dtype, seed=self.seed_generator)
        return inputs * noise

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class AlphaDropout(Layer):
    """Dropout for SELU networks: keeps the inputs' mean and variance while dropping.

    Dropped units are set to SELU's negative saturation value ``-alpha * scale``
    and the result is affinely rescaled so that self-normalizing inputs stay
    normalized.

    Args:
        rate: fraction of the inputs to drop, in [0, 1).
        noise_shape: shape of the keep/drop mask, broadcast over the input;
            None entries take the input's size.
        seed: an int for a reproducible stream of masks.

    Call arguments:
        inputs: a tensor of any shape.
        training: drop only when True.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _check_rate(self, rate, below_one=True)
        self.noise_shape = self._check_noise_shape(noise_shape)
        self.seed = _check_seed(self, seed)
        if self.rate > 0:
            self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True

    def _check_noise_shape(self, noise_shape):
        if noise_shape is None:
            return None
        valid = isinstance(noise_shape, (list, tuple)) and all(
            d is None or (isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0) for d in noise_shape
        )
        if not valid:
            raise ValueError(
                f"{self.describe()}: `noise_shape` must be a tuple of positive ints or None, e.g. (None, 1, 64); "
                f"received noise_shape={noise_shape!r}."
            )
        return tuple(None if d is None else int(d) for d in noise_shape)

    def build(self, input_shape):
        if self.noise_shape is not None and len(self.noise_shape) != len(input_shape):
            raise ValueError(
                f"{self.describe()}: noise_shape={self.noise_shape} must have the rank of its inputs; "
                f"received input shape {tuple(input_shape)}."
            )

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(d if n is None else n for n, d in zip(self.noise_shape, inputs.shape))
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        kept = (random.uniform(shape, seed=self.seed_generator) >= self.rate).astype(inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (inputs * kept + alpha_p * (1 - kept)) + b

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}
