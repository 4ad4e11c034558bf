"""Math ops beyond NumPy: top-k, log-sum-exp, segment reductions, FFTs, special functions."""

import math

import jax
import jax.numpy as jnp

from loom.ops.core import convert_to_tensor as _t
from loom.ops.operation import symbolic_op


@symbolic_op
def top_k(x, k, sorted=True):  # noqa: A002 - Keras's name
    """The ``k`` largest values along the last axis and their indices."""
    values, indices = jax.lax.top_k(_t(x), k)
    return values, indices


@symbolic_op
def in_top_k(targets, predictions, k):
    """Whether each target's score is among the ``k`` largest of its row."""
    predictions = _t(predictions)
    targets = _t(targets).astype(jnp.int32)
    target_scores = jnp.take_along_axis(predictions, targets[:, None], axis=-1)
    return jnp.sum(predictions > target_scores, axis=-1) < k


@symbolic_op
def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` along ``axis``, computed stably."""
    axis = tuple(axis) if isinstance(axis, list) else axis
    return jax.nn.logsumexp(_t(x), axis=axis, keepdims=keepdims)


def _segment_op(jax_function, name: str, doc: str):
    # Without num_segments the output length is read from the ids' values, which
    # works eagerly but not on symbolic tensors or under jit (Keras-JAX requires it).
    def op(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 - Keras's name
        return jax_function(_t(data), _t(segment_ids), num_segments, indices_are_sorted=sorted)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return symbolic_op(op)


segment_sum = _segment_op(jax.ops.segment_sum, "segment_sum", "Sums of ``data`` rows sharing a segment id.")
segment_max = _segment_op(jax.ops.segment_max, "segment_max", "Maxima of ``data`` rows sharing a segment id.")
segment_min = _segment_op(jax.ops.segment_min, "segment_min", "Minima of ``data`` rows sharing a segment id.")
segment_prod = _segment_op(jax.ops.segment_prod, "segment_prod", "Products of ``data`` rows sharing a segment id.")


@symbolic_op
def erf(x):
    """The error function."""
    return jax.scipy.special.erf(_t(x))


@symbolic_op
def erfc(x):
    """The complementary error function ``1 - erf(x)``."""
    return jax.scipy.special.erfc(_t(x))


@symbolic_op
def erfinv(x):
    """The inverse error function."""
    return jax.scipy.special.erfinv(_t(x))


@symbolic_op
def rsqrt(x):
    """``1 / sqrt(x)``."""
    return jax.lax.rsqrt(_t(x))


@symbolic_op
def logdet(x):
    """Log-determinant of a positive-definite matrix."""
    return jnp.linalg.slogdet(_t(x))[1]


@symbolic_op
def cdist(x, y):
    """Euclidean distances between the rows of ``x`` (..., P, M) and of ``y`` (..., R, M): (..., P, R)."""
    x, y = _t(x), _t(y)
    if x.ndim < 2 or y.ndim < 2 or x.shape[-1] != y.shape[-1]:
        raise ValueError(
            "ops.cdist needs inputs of rank >= 2 with equal last dimensions; received shapes "
            f"{tuple(x.shape)} and {tuple(y.shape)}."
        )
    diff = jnp.expand_dims(x, -2) - jnp.expand_dims(y, -3)
    return jnp.sqrt(jnp.sum(diff * diff, axis=-1))


@symbolic_op
def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of ``sequence_length`` taken every ``sequence_stride`` along the last axis: (..., frames, length)."""
    x = _t(x)
    *batch_shape, signal_length = x.shape
    frames = jnp.reshape(x, (math.prod(batch_shape), signal_length, 1))
    frames = jax.lax.conv_general_dilated_patches(
        frames, (sequence_length,), (sequence_stride,), "VALID", dimension_numbers=("NTC", "OIT", "NTC")
    )
    return jnp.reshape(frames, (*batch_shape, *frames.shape[-2:]))


# --- Fourier transforms: complex values travel as (real, imag) pairs, as in Keras ----
def _complex_from_pair(name: str, x):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"ops.{name} expects a pair (real, imag) of float tensors; received {type(x).__name__}.")
    real, imag = _t(x[0]), _t(x[1])
    if real.shape != imag.shape:
        raise ValueError(
            f"ops.{name}: the real and imaginary parts must have equal shapes; received "
            f"{tuple(real.shape)} and {tuple(imag.shape)}."
        )
    if not (jnp.issubdtype(real.dtype, jnp.floating) and jnp.issubdtype(imag.dtype, jnp.floating)):
        raise ValueError(
            f"ops.{name}: the real and imaginary parts must be float tensors; received {real.dtype} and {imag.dtype}."
        )
    return jax.lax.complex(real, imag)


def _as_pair(z):
    return jnp.real(z), jnp.imag(z)


@symbolic_op
def fft(x):
    """FFT over the last axis of the complex ``x = (real, imag)``; returns ``(real, imag)``."""
    return _as_pair(jnp.fft.fft(_complex_from_pair("fft", x)))


@symbolic_op
def fft2(x):
    """2-D FFT over the last two axes of ``x = (real, imag)``; returns ``(real, imag)``."""
    return _as_pair(jnp.fft.fft2(_complex_from_pair("fft2", x)))


@symbolic_op
def ifft2(x):
    """Inverse 2-D FFT over the last two axes of ``x = (real, imag)``; returns ``(real, imag)``."""
    return _as_pair(jnp.fft.ifft2(_complex_from_pair("ifft2", x)))


@symbolic_op
def rfft(x, fft_length=None):
    """FFT of the real ``x`` over its last axis, non-negative frequencies only; returns ``(real, imag)``."""
    return _as_pair(jnp.fft.rfft(_t(x), n=fft_length, axis=-1, norm="backward"))


@symbolic_op
def irfft(x, fft_length=None):
    """Inverse of ``rfft``: the real signal whose half-spectrum is ``x = (real, imag)``."""
    return jnp.fft.irfft(_complex_from_pair("irfft", x), n=fft_length, axis=-1, norm="backward")


@symbolic_op
def view_as_complex(x):
    """The real ``x`` of shape (..., 2) read as complex numbers of shape (...)."""
    x = _t(x)
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ValueError(f"ops.view_as_complex needs a last axis of size 2; received shape {tuple(x.shape)}.")
    return jax.lax.complex(x[..., 0], x[..., 1])


@symbolic_op
def view_as_real(x):
    """The complex ``x`` as a real tensor with a last axis (real, imag)."""
    x = _t(x)
    return jnp.stack([jnp.real(x), jnp.imag(x)], axis=-1)
