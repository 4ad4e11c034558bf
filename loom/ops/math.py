"""Math ops beyond NumPy: top-k, log-sum-exp, segment reductions, special functions."""

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
    return jax.nn.logsumexp(_t(x), axis=axis, keepdims=keepdims)


@symbolic_op
def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Sums of ``data`` rows sharing a segment id."""
    return jax.ops.segment_sum(_t(data), _t(segment_ids), num_segments, indices_are_sorted=sorted)


@symbolic_op
def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Maxima of ``data`` rows sharing a segment id."""
    return jax.ops.segment_max(_t(data), _t(segment_ids), num_segments, indices_are_sorted=sorted)


@symbolic_op
def erf(x):
    """The error function."""
    return jax.scipy.special.erf(_t(x))


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
