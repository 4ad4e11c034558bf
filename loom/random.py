"""Random draws with Keras's ``keras.random`` API, seeded by ints or SeedGenerators.

``seed`` may be an int (the same draw every time), a ``SeedGenerator`` (a fresh
draw each time, reproducible from its seed), or None (the global stream, for
eager code). Inside a compiled training step the stateless scope supplies keys.
"""

import jax
import jax.numpy as jnp

from loom.ops.core import convert_to_tensor
from loom.state.seed_generator import SeedGenerator as SeedGenerator
from loom.state.seed_generator import draw_key
from loom.utils.dtypes import standardize_dtype


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution."""
    dtype = standardize_dtype(dtype)
    return mean + stddev * jax.random.normal(draw_key(seed), tuple(shape), dtype=dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples from a uniform distribution on ``[minval, maxval)``."""
    dtype = standardize_dtype(dtype)
    return jax.random.uniform(draw_key(seed), tuple(shape), dtype=dtype, minval=minval, maxval=maxval)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples redrawn beyond two standard deviations."""
    dtype = standardize_dtype(dtype)
    return mean + stddev * jax.random.truncated_normal(draw_key(seed), -2.0, 2.0, tuple(shape), dtype=dtype)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from ``[minval, maxval)``."""
    return jax.random.randint(draw_key(seed), tuple(shape), minval, maxval, dtype=standardize_dtype(dtype))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Class indices drawn from ``logits`` of shape (batch, classes): (batch, num_samples)."""
    logits = convert_to_tensor(logits)
    samples = jax.random.categorical(draw_key(seed), logits[..., None, :], axis=-1, shape=logits.shape[:-1] + (num_samples,))
    return samples.astype(standardize_dtype(dtype))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """``inputs`` with a fraction ``rate`` of entries zeroed and the rest scaled by 1/(1-rate)."""
    inputs = convert_to_tensor(inputs)
    if not 0.0 <= float(rate) < 1.0:
        raise ValueError(f"dropout: `rate` must be in [0, 1); received rate={rate!r}.")
    shape = inputs.shape if noise_shape is None else tuple(
        inputs.shape[i] if d is None else d for i, d in enumerate(noise_shape)
    )
    keep = jax.random.bernoulli(draw_key(seed), 1.0 - rate, shape)
    return jnp.where(keep, inputs / (1.0 - rate), jnp.zeros_like(inputs))


def shuffle(x, axis=0, seed=None):
    """``x`` permuted along ``axis``."""
    return jax.random.permutation(draw_key(seed), convert_to_tensor(x), axis=axis, independent=False)


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples from a gamma distribution with concentration ``alpha``."""
    return jax.random.gamma(draw_key(seed), alpha, tuple(shape), dtype=standardize_dtype(dtype))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Samples from a binomial distribution."""
    samples = jax.random.binomial(draw_key(seed), counts, probabilities, tuple(shape))
    return samples.astype(standardize_dtype(dtype))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples from a beta distribution."""
    return jax.random.beta(draw_key(seed), alpha, beta, tuple(shape), dtype=standardize_dtype(dtype))
