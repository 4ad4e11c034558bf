"""Neural-network ops: activations, softmax, one-hot, normalization, crossentropies, attention."""

import jax
import jax.numpy as jnp

from loom.ops.config import epsilon as _epsilon
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
def sparse_sigmoid(x):
    """0 below -1, ``(x + 1) / 2`` in [-1, 1], 1 above 1."""
    return jax.nn.sparse_sigmoid(_t(x))


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
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Several integer labels per sample as one multi-hot vector.

    Args:
        inputs: integer labels, shape (n,) or (batch, n).
        num_classes: the length of the encoding (``num_tokens`` is accepted too).
        axis: where the class axis goes.
        dtype: the output dtype (floatx by default).
        sparse: accepted for Keras compatibility; the result is dense.
    """
    if num_classes is None and "num_tokens" in kwargs:
        num_classes = kwargs.pop("num_tokens")
    if kwargs:
        raise TypeError(f"ops.multi_hot got unexpected keyword arguments {sorted(kwargs)}.")
    if num_classes is None:
        raise ValueError("ops.multi_hot needs `num_classes`, e.g. multi_hot(labels, num_classes=10).")
    inputs = _t(inputs)
    encoded = jax.nn.one_hot(inputs.astype("int32"), num_classes, axis=axis, dtype=standardize_dtype(dtype))
    # Keras reduces over axis 1 (the labels of a sample) whenever inputs are batched.
    return jnp.max(encoded, axis=1 if inputs.ndim > 1 else 0)


@symbolic_op
def moments(x, axes, keepdims=False, synchronized=False):
    """Mean and variance of ``x`` over ``axes`` (half-precision input is reduced in float32)."""
    if synchronized:
        raise NotImplementedError("ops.moments: synchronized=True (cross-device statistics) is not supported.")
    x = _t(x)
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else (axes,)
    original_dtype = x.dtype
    if original_dtype in (jnp.float16, jnp.bfloat16):
        # float16's range is too small for sums of squares.
        x = x.astype("float32")
    mean = jnp.mean(x, axis=axes, keepdims=True)
    variance = jnp.var(x, axis=axes, keepdims=True)
    if not keepdims:
        mean, variance = jnp.squeeze(mean, axes), jnp.squeeze(variance, axes)
    return mean.astype(original_dtype), variance.astype(original_dtype)


@symbolic_op
def normalize(x, axis=-1, order=2, epsilon=None):
    """``x`` divided by its ``order``-norm along ``axis`` (the norm floored at ``epsilon``)."""
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"ops.normalize: `order` must be an int >= 1; received order={order!r}.")
    x = _t(x)
    if x.ndim == 0:
        x = x[None]
    epsilon = _epsilon() if epsilon is None else epsilon
    if order == 2:
        # Keras's L2 path: x * rsqrt(sum of squares), the inverse norm capped at 1 / epsilon.
        inv_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
        return x * jnp.minimum(inv_norm, 1.0 / epsilon)
    norm = jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / jnp.maximum(norm, epsilon)


@symbolic_op
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta``, statistics over ``axis`` of each sample.

    Args:
        x: input tensor.
        gamma: optional scale, shaped like the normalized axes.
        beta: optional offset, shaped like the normalized axes.
        axis: axis or axes to normalize over.
        epsilon: added to the variance; ``epsilon()`` (1e-7) by default.
    """
    if kwargs.pop("rms_scaling", False):
        raise ValueError(
            "ops.layer_normalization: rms_scaling=True (deprecated in Keras, it scales by the "
            "variance) is not supported; use ops.rms_normalization."
        )
    if kwargs:
        raise TypeError(f"ops.layer_normalization got unexpected keyword arguments {sorted(kwargs)}.")
    x = _t(x)
    original_dtype = x.dtype
    x = x.astype(jnp.promote_types(x.dtype, jnp.float32))
    axes = sorted(a % x.ndim for a in (axis if isinstance(axis, (list, tuple)) else [axis]))
    epsilon = _epsilon() if epsilon is None else epsilon
    broadcast_shape = [x.shape[i] if i in axes else 1 for i in range(x.ndim)]

    def broadcast(v):
        return None if v is None else jnp.reshape(_t(v).astype(x.dtype), broadcast_shape)

    mean = jnp.mean(x, axis=tuple(axes), keepdims=True)
    variance = jnp.var(x, axis=tuple(axes), keepdims=True)
    inv = jax.lax.rsqrt(variance + epsilon)
    if gamma is not None:
        inv = inv * broadcast(gamma)
    outputs = (x - mean) * inv
    if beta is not None:
        outputs = outputs + broadcast(beta)
    return outputs.astype(original_dtype)


@symbolic_op
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """``x * rsqrt(mean(x**2) + epsilon) * scale`` over ``axis``.

    Args:
        x: input tensor.
        scale: optional scale, broadcastable against ``x``.
        axis: axis or axes to normalize over.
        epsilon: added to the mean square; ``epsilon()`` (1e-7) by default.
    """
    x = _t(x)
    original_dtype = x.dtype
    x = x.astype(jnp.promote_types(x.dtype, jnp.float32))
    if x.ndim == 0:
        x = x[None]
    axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    epsilon = _epsilon() if epsilon is None else epsilon
    outputs = x * jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=axis, keepdims=True) + epsilon)
    if scale is not None:
        outputs = outputs * _t(scale).astype(x.dtype)
    return outputs.astype(original_dtype)


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


# --- losses' building blocks -------------------------------------------------------
def _check_same_shape(name: str, target, output) -> None:
    if target.shape != output.shape:
        raise ValueError(
            f"ops.{name}: `target` and `output` must have the same shape; received "
            f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}."
        )


@symbolic_op
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise ``-(t log(p) + (1 - t) log(1 - p))``; ``output`` is probabilities unless ``from_logits``."""
    target, output = _t(target), _t(output)
    _check_same_shape("binary_crossentropy", target, output)
    if from_logits:
        return -target * jax.nn.log_sigmoid(output) - (1.0 - target) * jax.nn.log_sigmoid(-output)
    output = jnp.clip(output, _epsilon(), 1.0 - _epsilon())
    return -(target * jnp.log(output) + (1.0 - target) * jnp.log(1.0 - output))


@symbolic_op
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """``-sum(target * log(p))`` along ``axis``; probabilities are renormalized and clipped as in Keras."""
    target, output = _t(target), _t(output)
    _check_same_shape("categorical_crossentropy", target, output)
    if target.ndim < 1:
        raise ValueError("ops.categorical_crossentropy: `target` and `output` must have rank >= 1; received scalars.")
    return -jnp.sum(target * _log_probabilities(output, from_logits, axis), axis=axis)


@symbolic_op
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Categorical crossentropy with integer class ids as ``target`` (shape of ``output`` minus ``axis``)."""
    target, output = _t(target).astype("int32"), _t(output)
    if output.ndim < 1:
        raise ValueError("ops.sparse_categorical_crossentropy: `output` must have rank >= 1; received a scalar.")
    if target.ndim == output.ndim and target.shape[-1] == 1:
        target = jnp.squeeze(target, axis=-1)
    if target.shape != output.shape[:-1]:
        raise ValueError(
            "ops.sparse_categorical_crossentropy: `target` must have the shape of `output` without "
            f"its last axis; received target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}."
        )
    log_prob = _log_probabilities(output, from_logits, axis)
    return -jnp.sum(jax.nn.one_hot(target, output.shape[axis], axis=axis) * log_prob, axis=axis)


def _log_probabilities(output, from_logits: bool, axis: int):
    if from_logits:
        return jax.nn.log_softmax(output, axis=axis)
    output = output / jnp.sum(output, axis, keepdims=True)
    return jnp.log(jnp.clip(output, _epsilon(), 1.0 - _epsilon()))


@symbolic_op
def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio in dB: ``20 log10(max_val) - 10 log10(mse(x1, x2))``."""
    x1, x2 = _t(x1), _t(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"ops.psnr needs inputs of equal shapes; received {tuple(x1.shape)} and {tuple(x2.shape)}.")
    max_val = _t(max_val, dtype=x2.dtype)
    mse = jnp.mean(jnp.square(x1 - x2))
    return 20 * jnp.log10(max_val) - 10 * jnp.log10(mse)


@symbolic_op
def polar(abs_, angle):
    """The complex number with modulus ``abs_`` and argument ``angle``."""
    abs_, angle = _t(abs_), _t(angle)
    return jax.lax.complex(abs_ * jnp.cos(angle), abs_ * jnp.sin(angle))


@symbolic_op
def dot_product_attention(
    query,
    key,
    value,
    bias=None,
    mask=None,
    scale=None,
    is_causal=False,
    flash_attention=None,
    attn_logits_soft_cap=None,
):
    """``softmax(query @ key^T * scale + bias) @ value`` over inputs shaped (batch, time, heads, depth).

    Args:
        query: (B, T, N, H) queries.
        key: (B, S, K, H) keys; N must be a multiple of K (grouped-query attention).
        value: (B, S, K, H) values.
        bias: optional, broadcastable to (B, N, T, S), added to the logits.
        mask: optional boolean, broadcastable to (B, N, T, S); False hides a key.
        scale: logit scale; ``1 / sqrt(H)`` by default.
        is_causal: whether query ``t`` may only see keys ``s <= t``.
        flash_attention: None or False; loom always uses JAX's XLA attention.
        attn_logits_soft_cap: must be None (Keras supports it on TPU only).

    Returns:
        (B, T, N, H) attention outputs.
    """
    if flash_attention:
        raise ValueError(
            "ops.dot_product_attention: flash_attention=True is not supported by loom; "
            "pass flash_attention=None or False."
        )
    if attn_logits_soft_cap is not None:
        raise ValueError(
            "ops.dot_product_attention: attn_logits_soft_cap is not supported (Keras offers it "
            f"only on TPU); received attn_logits_soft_cap={attn_logits_soft_cap!r}. Pass None."
        )
    query, key, value = _t(query), _t(key), _t(value)
    if query.ndim != 4 or key.ndim != 4 or value.ndim != 4:
        raise ValueError(
            "ops.dot_product_attention needs 4-D (batch, time, heads, depth) inputs; received "
            f"query {tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}."
        )
    dtype = jnp.result_type(query.dtype, key.dtype, value.dtype)
    return jax.nn.dot_product_attention(
        query.astype(dtype),
        key.astype(dtype),
        value.astype(dtype),
        bias=None if bias is None else _t(bias).astype(dtype),
        mask=None if mask is None else _t(mask).astype(bool),
        scale=scale,
        is_causal=is_causal,
        implementation="xla",
    )
