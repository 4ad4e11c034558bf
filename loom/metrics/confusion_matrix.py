"""Confusion-matrix counts (TP, FP, TN, FN) at a list of thresholds, accumulated into variables."""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from loom.losses.loss import squeeze_or_expand_to_same_rank

# Precision/Recall with `top_k` count every kept score as positive: all scores
# exceed this threshold, and the scores outside the top k are set to it.
NEG_INF = -1e10

# Keras's backend epsilon: AUC's end thresholds sit this far outside [0, 1] so
# that predictions of exactly 0 or 1 fall inside the curve.
EPSILON = 1e-7

TRUE_POSITIVES = "tp"
FALSE_POSITIVES = "fp"
TRUE_NEGATIVES = "tn"
FALSE_NEGATIVES = "fn"


def parse_thresholds(owner: str, thresholds, default: float) -> list:
    """``thresholds`` (a float or a sequence of floats in [0, 1]) as a list; ``[default]`` for None."""
    if thresholds is None:
        return [default]
    values = list(np.asarray(thresholds, dtype=object).reshape(-1)) if _is_sequence(thresholds) else [thresholds]
    invalid = [t for t in values if not _is_number(t) or not 0 <= t <= 1]
    if invalid or not values:
        raise ValueError(
            f"{owner}: `thresholds` must be a float or a list of floats in [0, 1]; received "
            f"thresholds={thresholds!r}. Pass e.g. thresholds=0.5 or thresholds=[0.3, 0.5, 0.7]."
        )
    return [float(t) for t in values]


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _is_sequence(value) -> bool:
    return isinstance(value, (list, tuple, np.ndarray, jax.Array))


def check_class_id(owner: str, class_id: int, shape: tuple) -> None:
    """Raises unless predictions of ``shape`` have a class axis (the last) holding ``class_id``."""
    if len(shape) < 2:
        raise ValueError(
            f"{owner} has class_id={class_id}, so `y_pred` must have shape "
            f"(batch_size, num_classes); received shape {shape}. Pass one score per class, or drop "
            "class_id for a single binary output."
        )
    # Out-of-range indices would be clamped silently inside jnp indexing.
    if not -shape[-1] <= class_id < shape[-1]:
        raise ValueError(
            f"{owner} has class_id={class_id}, but `y_pred` has {shape[-1]} classes "
            f"(shape {shape}). Pass a class index below {shape[-1]}."
        )


def is_evenly_distributed(thresholds) -> bool:
    """Whether ``thresholds`` are ``[0, 1/(n-1), ..., 1]`` for some n >= 3 (the fast bucket path applies)."""
    count = len(thresholds)
    if count < 3:
        return False
    even = np.arange(count, dtype=np.float32) / (count - 1)
    return bool(np.allclose(thresholds, even, atol=EPSILON))


def filter_top_k(x, k: int):
    """``x`` with all but the ``k`` largest values of the last axis set to ``NEG_INF``."""
    _, indices = jax.lax.top_k(x, k)
    kept = jnp.sum(jax.nn.one_hot(indices, x.shape[-1], dtype=x.dtype), axis=-2)
    return x * kept + NEG_INF * (1 - kept)


def update_confusion_matrix_variables(
    variables_to_update: dict,
    y_true,
    y_pred,
    thresholds,
    top_k: int | None = None,
    class_id: int | None = None,
    sample_weight=None,
    multi_label: bool = False,
    label_weights=None,
    thresholds_distributed_evenly: bool = False,
    owner: str = "update_confusion_matrix_variables",
) -> None:
    """Adds this batch's weighted counts at every threshold to the given variables.

    A prediction counts as positive at threshold ``t`` when ``y_pred > t``; a
    label is positive when nonzero. Each count is a sum of sample weights.

    Args:
        variables_to_update: ``{TRUE_POSITIVES: variable, ...}``, any subset of
            the four counts; each variable has shape ``(num_thresholds,)`` (or
            ``(num_thresholds, num_labels)`` with ``multi_label``).
        y_true: labels, cast to bool; the shape of ``y_pred`` (a trailing size-1
            axis on either side is tolerated).
        y_pred: scores in [0, 1].
        thresholds: Python floats, sorted.
        top_k: count only the ``top_k`` highest scores of the last axis as positive.
        class_id: count only this class (index on the last axis).
        sample_weight: weights broadcastable to ``y_true``.
        multi_label: keep one count per label (last axis) instead of flattening.
        label_weights: per-label weights applied when flattening.
        thresholds_distributed_evenly: use the O(T + N) bucket method, valid
            when ``is_evenly_distributed`` holds (with or without AUC's epsilon ends).
        owner: the metric, as named in error messages.
    """
    dtype = next(iter(variables_to_update.values())).dtype
    bucketed = bool(thresholds_distributed_evenly)
    y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
    sample_weight = None if sample_weight is None else jnp.asarray(sample_weight)
    try:
        counts = _confusion_counts(
            y_true,
            y_pred,
            np.asarray(thresholds, dtype=dtype),
            sample_weight,
            None if label_weights is None else jnp.asarray(label_weights),
            dtype=dtype,
            keys=tuple(variables_to_update),
            top_k=top_k,
            class_id=class_id,
            multi_label=bool(multi_label),
            bucketed=bucketed,
            with_epsilon=bucketed and (thresholds[0] < 0.0 or thresholds[-1] > 1.0),
        )
    except (ValueError, TypeError) as err:
        # Only shapes can fail here (the arguments were checked at construction),
        # and only on the first call for these shapes, when the function is traced.
        weight = "" if sample_weight is None else f" and sample_weight of shape {sample_weight.shape}"
        raise ValueError(
            f"{owner}: received y_true of shape {y_true.shape}, y_pred of shape {y_pred.shape}{weight}, "
            "which do not line up. Labels need the predictions' shape (a trailing axis of size 1 may "
            "differ), and sample weights one value per sample or per prediction."
        ) from err
    for key, variable in variables_to_update.items():
        variable.assign(variable.value + counts[key])


# One compiled function per configuration and input shape: eager updates (a
# Python loop over batches) then cost one dispatch instead of dozens of ops,
# and inside the engine's compiled step the call is simply inlined.
@functools.partial(
    jax.jit, static_argnames=("dtype", "keys", "top_k", "class_id", "multi_label", "bucketed", "with_epsilon")
)
def _confusion_counts(
    y_true, y_pred, thresholds, sample_weight, label_weights, *, dtype, keys, top_k, class_id, multi_label, bucketed,
    with_epsilon,
) -> dict:
    """The requested counts (``keys``) of one batch, each of the variables' shape."""
    y_true = y_true.astype(dtype)
    y_pred = y_pred.astype(dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = jnp.expand_dims(sample_weight.astype(dtype), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        # Keep the class axis (size 1) so that sample weights still line up.
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    if bucketed:
        counts = _bucketed_counts(y_true, y_pred, thresholds, multi_label, sample_weight, label_weights, with_epsilon)
    else:
        counts = _thresholded_counts(y_true, y_pred, thresholds, multi_label, sample_weight, label_weights)
    return {key: counts[key] for key in keys}


def _weights(sample_weight, label_weights, y_pred, multi_label: bool):
    """Sample weights times label weights, broadcast to ``y_pred`` (flattened unless multi-label); or None."""
    weights = None
    if sample_weight is not None:
        weights = jnp.broadcast_to(sample_weight.astype(y_pred.dtype), y_pred.shape)
    if label_weights is not None:
        label_weights = jnp.broadcast_to(jnp.asarray(label_weights, dtype=y_pred.dtype)[None], y_pred.shape)
        weights = label_weights if weights is None else weights * label_weights
    if weights is not None and not multi_label:
        weights = weights.reshape(-1)
    return weights


def _thresholded_counts(y_true, y_pred, thresholds, multi_label, sample_weight, label_weights) -> dict:
    """Counts by comparing every prediction with every threshold: O(T * N)."""
    weights = _weights(sample_weight, label_weights, y_pred, multi_label)
    if not multi_label:
        y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
    # thresholds on a new leading axis: (T, N) or, multi-label, (T, N, L)
    thresholds = thresholds.reshape((-1,) + (1,) * y_pred.ndim)
    pred_is_pos = y_pred[None] > thresholds
    label_is_pos = y_true.astype(bool)[None]

    def count(label, pred):
        hits = jnp.logical_and(label, pred)
        values = hits.astype(y_pred.dtype) if weights is None else jnp.where(hits, weights[None], 0)
        return jnp.sum(values, axis=1)

    pred_is_neg, label_is_neg = ~pred_is_pos, ~label_is_pos
    return {
        TRUE_POSITIVES: count(label_is_pos, pred_is_pos),
        FALSE_POSITIVES: count(label_is_neg, pred_is_pos),
        TRUE_NEGATIVES: count(label_is_neg, pred_is_neg),
        FALSE_NEGATIVES: count(label_is_pos, pred_is_neg),
    }


def _bucketed_counts(y_true, y_pred, thresholds, multi_label, sample_weight, label_weights, with_epsilon) -> dict:
    """Counts for evenly spaced thresholds in O(T + N).

    With thresholds ``i / (T - 1)``, a prediction ``p`` is above exactly the
    thresholds with index below ``ceil(p * (T - 1))``. So each prediction's
    weight is added to bucket ``ceil(p * (T - 1)) - 1``, and the count at
    threshold i is the sum of buckets i and above: a reversed cumulative sum.
    """
    num_thresholds = thresholds.shape[0]
    weights = _weights(sample_weight, label_weights, y_pred, multi_label)
    weights = jnp.ones((), y_true.dtype) if weights is None else weights.astype(y_true.dtype)
    # Scores outside [0, 1] would fall in no bucket.
    y_pred = jnp.clip(y_pred, 0.0, 1.0)
    y_true = y_true.astype(bool).astype(y_true.dtype)
    if not multi_label:
        y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
    true_labels = y_true * weights
    false_labels = (1.0 - y_true) * weights

    buckets = jnp.ceil(y_pred * jnp.asarray(num_thresholds - 1, y_pred.dtype)) - 1
    if with_epsilon:
        # AUC's first threshold is -epsilon, below every prediction, so a
        # prediction of exactly 0 belongs to bucket 0 rather than to none.
        buckets = jnp.maximum(buckets, 0)
    buckets = buckets.astype("int32")

    def above_threshold(labels):
        # Bucket -1 (a prediction of 0 against a threshold of 0) is out of
        # range, so segment_sum drops it: that prediction is above no threshold.
        def per_column(data, ids):
            bucketed = jax.ops.segment_sum(data, ids, num_segments=num_thresholds)
            return jnp.flip(jnp.cumsum(jnp.flip(bucketed)))

        if not multi_label:
            return per_column(labels, buckets)
        return jax.vmap(per_column, in_axes=1, out_axes=1)(labels, buckets)  # (T, L)

    tp, fp = above_threshold(true_labels), above_threshold(false_labels)
    return {
        TRUE_POSITIVES: tp,
        FALSE_POSITIVES: fp,
        TRUE_NEGATIVES: jnp.sum(false_labels, axis=0) - fp,
        FALSE_NEGATIVES: jnp.sum(true_labels, axis=0) - tp,
    }
