"""Regression losses: squared, absolute, percentage, logarithmic, Huber, log-cosh and cosine errors."""

import jax
import jax.numpy as jnp

from loom.losses.loss import BuiltinLoss, squeeze_or_expand_to_same_rank
from loom.losses.shapes import as_pair, check_broadcastable
from loom.ops.operation import symbolic_op

# Keras's backend.epsilon(): the floor under divisors and logarithms.
_EPSILON = 1e-7


def _aligned(loss_name: str, y_true, y_pred):
    """Targets and predictions as arrays of one dtype, ranks lined up, shapes checked."""
    y_true, y_pred = as_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    check_broadcastable(loss_name, y_true, y_pred)
    return y_true, y_pred


@symbolic_op
def mean_squared_error(y_true, y_pred):
    """``mean(square(y_true - y_pred), axis=-1)``.

    Args:
        y_true: targets, shape ``(batch, d0, ..., dN)``.
        y_pred: predictions, same shape.

    Returns:
        Per-sample losses, shape ``(batch, d0, ..., dN-1)``.
    """
    y_true, y_pred = _aligned("mean_squared_error", y_true, y_pred)
    return jnp.mean(jnp.square(y_true - y_pred), axis=-1)


@symbolic_op
def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_true - y_pred), axis=-1)``.

    Args:
        y_true: targets, shape ``(batch, d0, ..., dN)``.
        y_pred: predictions, same shape.

    Returns:
        Per-sample losses, shape ``(batch, d0, ..., dN-1)``.
    """
    y_true, y_pred = _aligned("mean_absolute_error", y_true, y_pred)
    return jnp.mean(jnp.abs(y_true - y_pred), axis=-1)


@symbolic_op
def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), 1e-7)), axis=-1)``.

    Args:
        y_true: targets, shape ``(batch, d0, ..., dN)``.
        y_pred: predictions, same shape.

    Returns:
        Per-sample losses, shape ``(batch, d0, ..., dN-1)``.
    """
    y_true, y_pred = _aligned("mean_absolute_percentage_error", y_true, y_pred)
    difference = jnp.abs((y_true - y_pred) / jnp.maximum(jnp.abs(y_true), _EPSILON))
    return 100.0 * jnp.mean(difference, axis=-1)


@symbolic_op
def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(y_true + 1) - log(y_pred + 1)), axis=-1)``, values floored at 1e-7.

    Args:
        y_true: targets, shape ``(batch, d0, ..., dN)``.
        y_pred: predictions, same shape.

    Returns:
        Per-sample losses, shape ``(batch, d0, ..., dN-1)``.
    """
    y_true, y_pred = _aligned("mean_squared_logarithmic_error", y_true, y_pred)
    # log(x + 1) rather than log1p(x): Keras's formula, kept for equal results.
    first_log = jnp.log(jnp.maximum(y_pred, _EPSILON) + 1.0)
    second_log = jnp.log(jnp.maximum(y_true, _EPSILON) + 1.0)
    return jnp.mean(jnp.square(first_log - second_log), axis=-1)


def _l2_normalize(x, axis):
    # Keras's ops.normalize: x * min(rsqrt(sum(x**2)), 1 / epsilon), so a zero vector stays zero.
    inverse_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
    return x * jnp.minimum(inverse_norm, 1.0 / _EPSILON)


@symbolic_op
def cosine_similarity(y_true, y_pred, axis=-1):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: -1 for equal directions.

    Args:
        y_true: targets.
        y_pred: predictions, same shape.
        axis: the axis along which the similarity is computed.

    Returns:
        Per-sample losses in ``[-1, 1]``; 0 when either vector is zero.
    """
    y_true, y_pred = _aligned("cosine_similarity", y_true, y_pred)
    return -jnp.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


@symbolic_op
def huber(y_true, y_pred, delta=1.0):
    """Huber loss, averaged over the last axis: quadratic for small errors, linear for large.

    Per element, with ``e = y_pred - y_true``: ``0.5 * e**2`` where
    ``|e| <= delta``, else ``delta * |e| - 0.5 * delta**2``.

    Args:
        y_true: targets.
        y_pred: predictions, same shape.
        delta: where the loss turns from quadratic to linear.

    Returns:
        Per-sample losses, shape ``(batch, d0, ..., dN-1)``.
    """
    y_true, y_pred = _aligned("huber", y_true, y_pred)
    delta = jnp.asarray(delta, dtype=y_pred.dtype)
    error = y_pred - y_true
    abs_error = jnp.abs(error)
    half = jnp.asarray(0.5, dtype=y_pred.dtype)
    return jnp.mean(
        jnp.where(abs_error <= delta, half * jnp.square(error), delta * abs_error - half * jnp.square(delta)),
        axis=-1,
    )


@symbolic_op
def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``: like MSE for small errors, like MAE for large.

    Args:
        y_true: targets.
        y_pred: predictions, same shape.

    Returns:
        Per-sample losses, shape ``(batch, d0, ..., dN-1)``.
    """
    y_true, y_pred = _aligned("log_cosh", y_true, y_pred)
    log2 = jnp.log(jnp.asarray(2.0, dtype=y_pred.dtype))
    error = y_pred - y_true
    # log(cosh(x)) = x + softplus(-2x) - log(2): cosh itself overflows for |x| > ~89.
    return jnp.mean(error + jax.nn.softplus(error * -2.0) - log2, axis=-1)


class MeanSquaredError(BuiltinLoss):
    """Mean of squares of errors: ``mean(square(y_true - y_pred))``.

    Args:
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> float(MeanSquaredError()(jnp.array([1.0, 0.0]), jnp.array([0.5, 0.5])))
    0.25
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(BuiltinLoss):
    """Mean of absolute errors: ``mean(abs(y_true - y_pred))``.

    Args:
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> float(MeanAbsoluteError()(jnp.array([1.0, 0.0]), jnp.array([0.5, 0.5])))
    0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(BuiltinLoss):
    """Mean absolute percentage error: ``100 * mean(abs((y_true - y_pred) / y_true))``.

    Args:
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> round(float(MeanAbsolutePercentageError()(jnp.array([100.0, 200.0]), jnp.array([90.0, 220.0]))), 4)
    10.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(BuiltinLoss):
    """Mean squared logarithmic error: ``mean(square(log(y_true + 1) - log(y_pred + 1)))``.

    Args:
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> float(MeanSquaredLogarithmicError()(jnp.array([0.0]), jnp.array([0.0])))
    0.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name, dtype=dtype)


class CosineSimilarity(BuiltinLoss):
    """Negative cosine similarity: -1 when predictions point the targets' way, 0 when orthogonal.

    Args:
        axis: the axis along which the similarity is computed.
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> float(CosineSimilarity()(jnp.array([[0.0, 1.0]]), jnp.array([[0.0, 2.0]])))
    -1.0
    """

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype, axis=axis)


class Huber(BuiltinLoss):
    """Huber loss: quadratic for errors up to ``delta``, linear beyond.

    Args:
        delta: where the loss turns from quadratic to linear.
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> float(Huber(delta=1.0)(jnp.array([0.0, 0.0]), jnp.array([0.5, 3.0])))
    1.3125
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)


class LogCosh(BuiltinLoss):
    """Logarithm of the hyperbolic cosine of the error ``y_pred - y_true``.

    Args:
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> float(LogCosh()(jnp.array([0.0]), jnp.array([0.0])))
    0.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)
