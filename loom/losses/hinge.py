"""Hinge losses for maximum-margin classifiers: hinge, squared hinge and categorical hinge."""

import jax.numpy as jnp

from loom.losses.loss import BuiltinLoss
from loom.losses.shapes import as_pair, check_broadcastable
from loom.ops.operation import symbolic_op


def _to_signed_labels(y_true):
    """Maps labels to -1/1 when every label is 0 or 1; leaves -1/1 (or other) labels alone."""
    is_binary = jnp.all((y_true == 0) | (y_true == 1))
    # A select, not a Python `if`: which case holds is only known on the device.
    return jnp.where(is_binary, 2.0 * y_true - 1.0, y_true)


@symbolic_op
def hinge(y_true, y_pred):
    """Hinge loss ``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``.

    Args:
        y_true: labels in {-1, 1}; labels in {0, 1} are mapped to -1/1 first.
        y_pred: predicted scores, same shape.

    Returns:
        Per-sample losses, shape ``(batch, d0, ..., dN-1)``.

    Example:

    >>> hinge(jnp.array([[1.0, 0.0]]), jnp.array([[0.5, -2.0]]))
    Array([0.25], dtype=float32)
    """
    y_true, y_pred = as_pair(y_true, y_pred)
    check_broadcastable("hinge", y_true, y_pred)
    y_true = _to_signed_labels(y_true)
    return jnp.mean(jnp.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


@symbolic_op
def squared_hinge(y_true, y_pred):
    """Squared hinge loss ``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``.

    Args:
        y_true: labels in {-1, 1}; labels in {0, 1} are mapped to -1/1 first.
        y_pred: predicted scores, same shape.

    Returns:
        Per-sample losses, shape ``(batch, d0, ..., dN-1)``.

    Example:

    >>> squared_hinge(jnp.array([[1.0, 0.0]]), jnp.array([[0.5, -2.0]]))
    Array([0.125], dtype=float32)
    """
    y_true, y_pred = as_pair(y_true, y_pred)
    check_broadcastable("squared_hinge", y_true, y_pred)
    y_true = _to_signed_labels(y_true)
    return jnp.mean(jnp.square(jnp.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


@symbolic_op
def categorical_hinge(y_true, y_pred):
    """Categorical hinge ``maximum(neg - pos + 1, 0)``.

    Here ``pos = sum(y_true * y_pred)`` is the score of the true class and
    ``neg = max((1 - y_true) * y_pred)`` the best score of the others.

    Args:
        y_true: one-hot targets (or -1/1 per class), shape ``(batch, ..., num_classes)``.
        y_pred: predicted scores, same shape.

    Returns:
        Per-sample losses, shape ``(batch, ...)``.

    Example:

    >>> categorical_hinge(jnp.array([[0.0, 1.0]]), jnp.array([[0.2, 0.9]]))
    Array([0.3], dtype=float32)
    """
    y_true, y_pred = as_pair(y_true, y_pred)
    check_broadcastable("categorical_hinge", y_true, y_pred)
    pos = jnp.sum(y_true * y_pred, axis=-1)
    neg = jnp.max((1.0 - y_true) * y_pred, axis=-1)
    return jnp.maximum(neg - pos + 1.0, jnp.zeros((), y_pred.dtype))


class Hinge(BuiltinLoss):
    """Hinge loss ``maximum(1 - y_true * y_pred, 0)`` for labels in {-1, 1} (or {0, 1}).

    Args:
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> float(Hinge()(jnp.array([[1.0, 0.0]]), jnp.array([[0.5, -2.0]])))
    0.25
    """

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(BuiltinLoss):
    """Squared hinge loss ``square(maximum(1 - y_true * y_pred, 0))`` for labels in {-1, 1} (or {0, 1}).

    Args:
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> float(SquaredHinge()(jnp.array([[1.0, 0.0]]), jnp.array([[0.5, -2.0]])))
    0.125
    """

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(BuiltinLoss):
    """Categorical hinge loss ``maximum(neg - pos + 1, 0)`` for one-hot targets.

    Args:
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> round(float(CategoricalHinge()(jnp.array([[0.0, 1.0]]), jnp.array([[0.2, 0.9]]))), 4)
    0.3
    """

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)
