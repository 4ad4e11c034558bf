"""Neural-network ops: activations, softmax, one-hot, normalization, losses' building blocks."""

import jax
import jax.numpy as jnp

from loom.ops.core import convert_to_tensor as _t
from loom.ops.operation import symbolic_op
from loom.utils.dtypes import standardize_dtype


@symbolic_op
def relu(x):
    """``max(x, 0)``."""
    return jax.nn.relu(_t(x))


@symbolic_op
def relu6(x):
    """``min(max(x, 0), 6)``."""
    return jax.nn.relu6(_t(x))


@symbolic_op
def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return jax.nn.sigmoid(_t(x))


@symbolic_op
def log_sigmoid(x):
    """``log(sigmoid(x))``, computed stably."""
    return jax.nn.log_sigmoid(_t(x))


@symbolic_op
def hard_sigmoid(x):
    """Piecewise-linear sigmoid: ``relu6(x + 3) / 6``."""
    return jax.nn.hard_sigmoid(_t(x))


@symbolic_op
def hard_silu(x):
    """``x * hard_sigmoid(x)``."""
    return jax.nn.hard_silu(_t(x))


hard_swish = hard_silu


@symbolic_op
def softplus(x):
    """``log(1 + exp(x))``."""
    return jax.nn.softplus(_t(x))


@symbolic_op
def softsign(x):
    """``x / (1 + |x|)``."""
    return jax.nn.soft_sign(_t(x))


@symbolic_op
def silu(x):
    """``x * sigmoid(x)`` (swish)."""
    return jax.nn.silu(_t(x))


swish = silu


@symbolic_op
def gelu(x, approximate=True):
    """Gaussian error linear unit (tanh approximation by default, as Keras)."""
    return jax.nn.gelu(_t(x), approximate=approximate)


@symbolic_op
def elu(x, alpha=1.0):
    """``x`` if positive else ``alpha * (exp(x) - 1)``."""
    return jax.nn.elu(_t(x), alpha=alpha)


@symbolic_op
def selu(x):
    """Scaled ELU with the self-normalizing constants."""
    return jax.nn.selu(_t(x))


@symbolic_op
def celu(x, alpha=1.0):
    """Continuously differentiable ELU."""
    return jax.nn.celu(_t(x), alpha=alpha)


@symbolic_op
def leaky_relu(x, negative_slope=0.2):
    """``x`` if positive else ``negative_slope * x``."""
    return jax.nn.leaky_relu(_t(x), negative_slope=negative_slope)


@symbolic_op
def glu(x, axis=-1):
    """Gated linear unit: first half times sigmoid of the second half along ``axis``."""
    return jax.nn.glu(_t(x), axis=axis)


@symbolic_op
def mish(x):
    """``x * tanh(softplus(x))``."""
    x = _t(x)
    return x * jnp.tanh(jax.nn.softplus(x))


@symbolic_op
def tanh_shrink(x):
    """``x - tanh(x)``."""
    x = _t(x)
    return x - jnp.tanh(x)


@symbolic_op
def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return jax.nn.hard_tanh(_t(x))


@symbolic_op
def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above it, ``x + threshold`` below minus it, else 0."""
    x = _t(x)
    return jnp.where(x > threshold, x - threshold, jnp.where(x < -threshold, x + threshold, 0.0))


@symbolic_op
def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    x = _t(x)
    return jnp.where(jnp.abs(x) > threshold, x, 0.0)


@symbolic_op
def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    x = _t(x)
    return jnp.where(x > threshold, x, default_value)


@symbolic_op
def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``."""
    x = _t(x)
    return (x + jnp.sqrt(x * x + b)) / 2


@symbolic_op
def sparse_plus(x):
    """0 below -1, ``(x + 1)**2 / 4`` in [-1, 1], ``x`` above 1."""
    x = _t(x)
    return jnp.where(x <= -1, 0.0, jnp.where(x >= 1, x, (x + 1) ** 2 / 4))


@symbolic_op
def sparsemax(x, axis=-1):
    """Euclidean projection of ``x`` onto the probability simplex along ``axis``."""
    x = jnp.moveaxis(_t(x), axis, -1)
    sorted_x = jnp.flip(jnp.sort(x, axis=-1), axis=-1)
    k = jnp.arange(1, x.shape[-1] + 1, dtype=x.dtype)
    cumsum = jnp.cumsum(sorted_x, axis=-1)
    support = (1 + k * sorted_x) > cumsum
    k_z = jnp.sum(support, axis=-1, keepdims=True)
    tau = (jnp.take_along_axis(cumsum, k_z.astype(jnp.int32) - 1, axis=-1) - 1) / k_z
    return jnp.moveaxis(jnp.maximum(x - tau, 0.0), -1, axis)


@symbolic_op
def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``."""
    return jax.nn.softmax(_t(x), axis=axis)


@symbolic_op
def log_softmax(x, axis=-1):
    """``log(softmax(x))``, computed stably."""
    return jax.nn.log_softmax(_t(x), axis=axis)


@symbolic_op
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Integer labels ``x`` as one-hot vectors of length ``num_classes``."""
    return jax.nn.one_hot(_t(x), num_classes, axis=axis, dtype=standardize_dtype(dtype))


@symbolic_op
def multi_hot(inputs, num_classes, axis=-1, dtype=None, sparse=False):
    """Several integer labels per sample as one multi-hot vector."""
    encoded = jax.nn.one_hot(_t(inputs), num_classes, axis=axis, dtype=standardize_dtype(dtype))
    reduce_axis = -2 if axis == -1 else axis + 1
    return jnp.max(encoded, axis=reduce_axis)


@symbolic_op
def moments(x, axes, keepdims=False, synchronized=False):
    """Mean and variance of ``x`` over ``axes``."""
    x = _t(x)
    mean = jnp.mean(x, axis=tuple(axes), keepdims=True)
    variance = jnp.mean(jnp.square(x - jax.lax.stop_gradient(mean)), axis=tuple(axes), keepdims=True)
    if not keepdims:
        mean, variance = jnp.squeeze(mean, tuple(axes)), jnp.squeeze(variance, tuple(axes))
    return mean, variance


@symbolic_op
def normalize(x, axis=-1, order=2, epsilon=None):
    """``x`` divided by its ``order``-norm along ``axis``."""
    x = _t(x)
    norm = jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    epsilon = 1e-12 if epsilon is None else epsilon
    return x / jnp.maximum(norm, epsilon)


@symbolic_op
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset``, statistics along ``axis``."""
    x = _t(x)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]

    def reshaped(v):
        return None if v is None else jnp.reshape(_t(v), shape)

    inv = jax.lax.rsqrt(reshaped(variance) + epsilon)
    if scale is not None:
        inv = inv * reshaped(scale)
    out = (x - reshaped(mean)) * inv
    return out if offset is None else out + reshaped(offset)
