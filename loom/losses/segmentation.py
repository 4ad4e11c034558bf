"""Overlap losses for segmentation: Dice and Tversky."""

import jax.numpy as jnp

from loom.losses.loss import BuiltinLoss
from loom.losses.shapes import as_pair, check_broadcastable
from loom.ops.operation import symbolic_op

# Keras's backend.epsilon(): keeps the ratio finite when both masks are empty.
_EPSILON = 1e-7


def _as_axis(axis):
    # A tuple of axes comes back from a JSON config as a list, which jnp.sum rejects.
    return tuple(axis) if isinstance(axis, list) else axis


@symbolic_op
def dice(y_true, y_pred, axis=None):
    """Dice loss ``1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred))``.

    Args:
        y_true: target masks.
        y_pred: predicted masks, same shape.
        axis: the axes summed over; None sums over everything and returns one value.

    Returns:
        The loss per remaining index (a scalar for ``axis=None``).

    Example:

    >>> float(dice(jnp.array([[1.0, 0.0]]), jnp.array([[1.0, 0.0]])))
    0.0
    """
    y_true, y_pred = as_pair(y_true, y_pred)
    check_broadcastable("dice", y_true, y_pred)
    axis = _as_axis(axis)
    intersection = jnp.sum(y_true * y_pred, axis=axis)
    return 1 - 2.0 * intersection / (jnp.sum(y_true, axis=axis) + jnp.sum(y_pred, axis=axis) + _EPSILON)


@symbolic_op
def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss: Dice with separate weights on the two kinds of mismatch.

    ``1 - tp / (tp + alpha * sum((1 - y_pred) * y_true) + beta * sum(y_pred * (1 - y_true)))``
    with ``tp = sum(y_true * y_pred)``; ``alpha = beta = 0.5`` gives the Dice loss.

    Args:
        y_true: target masks.
        y_pred: predicted masks, same shape.
        alpha: the weight of ``sum((1 - y_pred) * y_true)``.
        beta: the weight of ``sum(y_pred * (1 - y_true))``.
        axis: the axes summed over; None sums over everything and returns one value.

    Returns:
        The loss per remaining index (a scalar for ``axis=None``).
    """
    y_true, y_pred = as_pair(y_true, y_pred)
    check_broadcastable("tversky", y_true, y_pred)
    axis = _as_axis(axis)
    intersection = jnp.sum(y_true * y_pred, axis=axis)
    # Keras's names, kept for the formula's sake: it passes y_true as "inputs", y_pred as "targets".
    fp = jnp.sum((1 - y_pred) * y_true, axis=axis)
    fn = jnp.sum(y_pred * (1 - y_true), axis=axis)
    return 1 - intersection / (intersection + fp * alpha + fn * beta + _EPSILON)


class Dice(BuiltinLoss):
    """Dice loss ``1 - 2 * |y_true ∩ y_pred| / (|y_true| + |y_pred|)``.

    Args:
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        axis: the axes summed over; None (default) gives one value per call.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> round(float(Dice()(jnp.array([[1.0, 1.0]]), jnp.array([[1.0, 0.0]]))), 4)
    0.3333
    """

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, reduction=reduction, name=name, dtype=dtype, axis=axis)


class Tversky(BuiltinLoss):
    """Tversky loss: Dice with weights ``alpha`` and ``beta`` on the two kinds of mismatch.

    Args:
        alpha: the weight of ``sum((1 - y_pred) * y_true)``.
        beta: the weight of ``sum(y_pred * (1 - y_true))``.
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        axis: the axes summed over; None (default) gives one value per call.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> round(float(Tversky()(jnp.array([[1.0, 0.0]]), jnp.array([[1.0, 0.0]]))), 4)
    0.0
    """

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky", axis=None, dtype=None):
        super().__init__(tversky, reduction=reduction, name=name, dtype=dtype, alpha=alpha, beta=beta, axis=axis)
