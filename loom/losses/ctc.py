"""CTC: Connectionist Temporal Classification loss, for unaligned label sequences (speech, handwriting)."""

import jax.numpy as jnp
import optax

from loom.losses.loss import BuiltinLoss
from loom.ops.operation import symbolic_op

# The class index CTC reserves for "no label here"; Keras fixes it at 0.
_BLANK = 0


def _check_ranks(y_true, y_pred) -> None:
    if y_true.ndim != 2:
        raise ValueError(
            "ctc expects targets of shape (batch_size, max_length): integer labels, 0 marking the "
            f"padding after each sequence; received targets of shape {tuple(y_true.shape)}."
        )
    if y_pred.ndim != 3:
        raise ValueError(
            "ctc expects logits of shape (batch_size, max_length, num_classes), one row of class "
            f"scores per time step; received predictions of shape {tuple(y_pred.shape)}."
        )


@symbolic_op
def ctc(y_true, y_pred):
    """CTC loss: minus the log-probability of ``y_true`` summed over every alignment to ``y_pred``'s steps.

    Args:
        y_true: integer labels, shape ``(batch_size, max_length)``. Class 0 is
            the blank: it pads a sequence after its last label and must not be
            used for a class. A sequence's length is its number of non-zero labels.
        y_pred: logits (not softmax outputs), shape ``(batch_size, max_length,
            num_classes)``; every time step counts.

    Returns:
        Per-sequence losses, shape ``(batch_size,)``.

    Example:

    >>> logits = jnp.log(jnp.array([[[0.1, 0.9], [0.1, 0.9]]]))
    >>> round(float(ctc(jnp.array([[1, 0]]), logits)[0]), 4)  # paths "11", "1-", "-1"
    0.0101
    """
    y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
    _check_ranks(y_true, y_pred)
    # Half precision accumulates the forward sums badly; Keras computes in at least float32.
    logits = y_pred.astype(jnp.result_type(y_pred.dtype, jnp.float32))
    labels = y_true.astype(jnp.int32)
    label_length = jnp.sum(labels != _BLANK, axis=-1)
    label_paddings = (jnp.arange(labels.shape[1])[None, :] >= label_length[:, None]).astype(logits.dtype)
    logit_paddings = jnp.zeros(logits.shape[:2], logits.dtype)
    return optax.ctc_loss(logits, logit_paddings, labels, label_paddings, blank_id=_BLANK)


class CTC(BuiltinLoss):
    """CTC (Connectionist Temporal Classification) loss between label sequences and per-step logits.

    Args:
        reduction: how per-sequence losses become the loss (see ``Loss``).
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> logits = jnp.log(jnp.array([[[0.1, 0.9], [0.1, 0.9]]]))
    >>> round(float(CTC()(jnp.array([[1, 0]]), logits)), 4)
    0.0101
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, reduction=reduction, name=name, dtype=dtype)
