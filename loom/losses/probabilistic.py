"""Probabilistic losses beyond crossentropy: Kullback-Leibler divergence and Poisson."""

import jax.numpy as jnp

from loom.losses.loss import BuiltinLoss
from loom.losses.shapes import as_pair, check_broadcastable
from loom.ops.operation import symbolic_op

# Keras's backend.epsilon(): the floor under probabilities and rates before the log.
_EPSILON = 1e-7


@symbolic_op
def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred), axis=-1)``.

    Both arguments are clipped to ``[1e-7, 1]`` first.

    Args:
        y_true: target distributions, shape ``(batch, ..., num_classes)``.
        y_pred: predicted distributions, same shape.

    Returns:
        Per-sample divergences, shape ``(batch, ...)``.

    Example:

    >>> kl_divergence(jnp.array([[0.5, 0.5]]), jnp.array([[0.5, 0.5]]))
    Array([0.], dtype=float32)
    """
    y_true, y_pred = as_pair(y_true, y_pred)
    check_broadcastable("kl_divergence", y_true, y_pred)
    y_true = jnp.clip(y_true, _EPSILON, 1)
    y_pred = jnp.clip(y_pred, _EPSILON, 1)
    return jnp.sum(y_true * jnp.log(y_true / y_pred), axis=-1)


@symbolic_op
def poisson(y_true, y_pred):
    """Poisson loss ``mean(y_pred - y_true * log(y_pred + 1e-7), axis=-1)``.

    Args:
        y_true: observed counts, shape ``(batch, d0, ..., dN)``.
        y_pred: predicted rates, same shape.

    Returns:
        Per-sample losses, shape ``(batch, d0, ..., dN-1)``.

    Example:

    >>> poisson(jnp.array([[0.0]]), jnp.array([[2.0]]))
    Array([2.], dtype=float32)
    """
    y_true, y_pred = as_pair(y_true, y_pred)
    check_broadcastable("poisson", y_true, y_pred)
    return jnp.mean(y_pred - y_true * jnp.log(y_pred + _EPSILON), axis=-1)


class KLDivergence(BuiltinLoss):
    """Kullback-Leibler divergence ``y_true * log(y_true / y_pred)``, summed over the last axis.

    Args:
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> float(KLDivergence()(jnp.array([[1.0, 0.0]]), jnp.array([[1.0, 0.0]])))
    0.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


class Poisson(BuiltinLoss):
    """Poisson loss ``y_pred - y_true * log(y_pred)``, for count targets.

    Args:
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> float(Poisson()(jnp.array([[0.0]]), jnp.array([[2.0]])))
    2.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)
