"""Circle loss: metric learning that pulls same-label embeddings together and pushes the others apart."""

import jax
import jax.numpy as jnp

from loom.losses.loss import BuiltinLoss
from loom.ops.operation import symbolic_op


def _pair_masks(query_labels, key_labels, remove_diagonal: bool):
    """``(positive, negative)``: which (query, key) pairs share a label, and which do not."""
    positive = query_labels.reshape(-1, 1) == key_labels.reshape(1, -1)
    negative = ~positive
    if remove_diagonal:
        # An embedding is not its own positive example.
        positive = positive & ~jnp.eye(positive.shape[0], positive.shape[1], dtype=bool)
    return positive, negative


def _circle_values_and_mask(
    y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4
):
    """Circle loss per query, and the mask of queries whose loss is positive (the others do not count)."""
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true).astype(jnp.int32)
    ref_embeddings = y_pred if ref_embeddings is None else jnp.asarray(ref_embeddings)
    ref_labels = y_true if ref_labels is None else jnp.asarray(ref_labels).astype(jnp.int32)
    if y_pred.ndim != 2 or ref_embeddings.ndim != 2:
        raise ValueError(
            "circle expects L2-normalized embeddings of shape (batch_size, embedding_dim); received "
            f"y_pred of shape {tuple(y_pred.shape)} and ref_embeddings of shape {tuple(ref_embeddings.shape)}. "
            "End the model with a Dense layer (no activation) and UnitNormalization."
        )
    # The paper's optima and margins for cosine *distances* (1 - similarity).
    optimum_positive, optimum_negative = margin, 1 + margin
    delta_positive, delta_negative = margin, 1 - margin

    distances = jnp.maximum(1 - y_pred @ ref_embeddings.T, 0.0)  # (queries, keys)
    positive, negative = _pair_masks(y_true, ref_labels, remove_diagonal)
    positive_weights = jnp.maximum((optimum_positive + distances) * positive.astype(distances.dtype), 0.0)
    negative_weights = jnp.maximum((optimum_negative - distances) * negative.astype(distances.dtype), 0.0)
    positive_logits = -gamma * positive_weights * (delta_positive - distances)
    negative_logits = gamma * negative_weights * (delta_negative - distances)
    minus_infinity = jnp.asarray(-jnp.inf, distances.dtype)
    positive_loss = jax.nn.logsumexp(jnp.where(positive, positive_logits, minus_infinity), axis=1)
    negative_loss = jax.nn.logsumexp(jnp.where(negative, negative_logits, minus_infinity), axis=1)
    values = jax.nn.softplus(positive_loss + negative_loss)
    return values, values > 0


@symbolic_op
def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4):
    """Circle loss of each embedding against the reference embeddings (Sun et al., 2020).

    Args:
        y_true: integer labels, shape ``(batch_size,)``.
        y_pred: L2-normalized embeddings, shape ``(batch_size, embedding_dim)``.
        ref_labels: labels of the reference embeddings; None means ``y_true``.
        ref_embeddings: L2-normalized reference embeddings; None means ``y_pred``.
        remove_diagonal: whether an embedding is left out of its own positives.
        gamma: the scale of the similarity scores.
        margin: the relaxation factor: below this cosine distance negatives
            weigh more and positives less, above it the reverse.

    Returns:
        Per-embedding losses, shape ``(batch_size,)``. The ``Circle`` class
        averages only the positive ones.

    Example:

    >>> e = jnp.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> [round(float(v), 2) for v in circle(jnp.array([0, 0, 1]), e)]
    [0.0, 0.0, 0.0]
    """
    return _circle_values_and_mask(y_true, y_pred, ref_labels, ref_embeddings, remove_diagonal, gamma, margin)[0]


# LossFunctionWrapper looks for this twin: Keras averages only the queries with a positive loss.
circle.values_and_mask = _circle_values_and_mask


class Circle(BuiltinLoss):
    """Circle loss between integer labels and L2-normalized embeddings, for metric learning.

    The model should end with a ``Dense`` layer without activation followed by
    ``UnitNormalization``. Embeddings whose loss is 0 are left out of the average.

    Args:
        gamma: the scale of the similarity scores.
        margin: the relaxation factor (see ``circle``).
        remove_diagonal: whether an embedding is left out of its own positives.
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> e = jnp.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    >>> round(float(Circle()(jnp.array([0, 0, 1]), e)), 2)
    94.4
    """

    def __init__(
        self, gamma=80.0, margin=0.4, remove_diagonal=True, reduction="sum_over_batch_size", name="circle", dtype=None
    ):
        super().__init__(
            circle,
            reduction=reduction,
            name=name,
            dtype=dtype,
            gamma=gamma,
            margin=margin,
            remove_diagonal=remove_diagonal,
        )
