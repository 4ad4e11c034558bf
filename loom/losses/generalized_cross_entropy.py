"""Generalized cross entropy: a crossentropy that tolerates noisy labels (Zhang & Sabuncu, 2018)."""

import jax
import jax.numpy as jnp

from loom.losses.loss import BuiltinLoss
from loom.ops.operation import symbolic_op


def _check_q(owner: str, q) -> None:
    if not 0 < q < 1:
        raise ValueError(
            f"{owner}: `q` must be in the open interval (0, 1); received q={q!r}. Values near 0 behave "
            "like crossentropy, values near 1 like mean absolute error (more robust to noisy labels)."
        )


@symbolic_op
def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalized cross entropy ``(1 - p ** q) / q``, ``p`` the predicted probability of the true class.

    Args:
        y_true: integer class labels, shape ``(batch_size,)`` or ``(batch_size, 1)``.
        y_pred: class probabilities, shape ``(batch_size, num_classes)``.
        q: the noise parameter in (0, 1): towards 0 the loss approaches
            crossentropy, towards 1 mean absolute error.

    Returns:
        Per-sample losses, shape ``(batch_size,)``.

    Example:

    >>> categorical_generalized_cross_entropy(jnp.array([1]), jnp.array([[0.75, 0.25]]), q=0.5)
    Array([1.], dtype=float32)
    """
    _check_q("categorical_generalized_cross_entropy", q)
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true)
    if y_pred.ndim and y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        # loom: Keras documents (batch_size, 1) labels but broadcasts them to a
        # (batch_size, batch_size) loss; they are squeezed here, as in sparse crossentropy.
        y_true = jnp.squeeze(y_true, -1)
    one_hot = jax.nn.one_hot(y_true.astype(jnp.int32), y_pred.shape[-1], dtype=y_pred.dtype)
    probability = jnp.sum(y_pred * one_hot, axis=-1)
    return (1 - jnp.power(probability, q)) / q


class CategoricalGeneralizedCrossEntropy(BuiltinLoss):
    """Generalized cross entropy ``(1 - p ** q) / q`` between integer labels and class probabilities.

    Args:
        q: the noise parameter in (0, 1) (see ``categorical_generalized_cross_entropy``).
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> loss = CategoricalGeneralizedCrossEntropy()
    >>> round(float(loss(jnp.array([0, 1]), jnp.array([[0.25, 0.75], [0.25, 0.75]]))), 4)
    0.634
    """

    def __init__(
        self, q=0.5, reduction="sum_over_batch_size", name="categorical_generalized_cross_entropy", dtype=None
    ):
        _check_q(type(self).__name__, q)
        super().__init__(categorical_generalized_cross_entropy, reduction=reduction, name=name, dtype=dtype, q=q)
