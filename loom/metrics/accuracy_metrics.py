"""Accuracy metrics: how often predictions match labels, as a per-sample 0/1 mean."""

import jax.numpy as jnp

from loom.losses.loss import squeeze_or_expand_to_same_rank
from loom.metrics.reduction_metrics import MeanMetricWrapper
from loom.utils.dtypes import floatx


def _match(y_true, y_pred):
    return jnp.equal(y_true, y_pred).astype(floatx())


def _check_rank(function: str, y_pred, minimum: int) -> None:
    if jnp.ndim(y_pred) < minimum:
        raise ValueError(
            f"{function}: `y_pred` must hold one score per class on its last axis, shape "
            f"(batch_size, num_classes); received shape {jnp.shape(y_pred)}. Pass the model's "
            "class scores (e.g. a softmax output), not predicted class indices."
        )


def accuracy(y_true, y_pred):
    """1.0 where ``y_pred`` equals ``y_true`` exactly, else 0.0 (per element)."""
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true, dtype=y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _match(y_true, y_pred)


def binary_accuracy(y_true, y_pred, threshold: float = 0.5):
    """1.0 where ``y_pred > threshold`` agrees with the binary label ``y_true``, else 0.0.

    Args:
        y_true: labels, 0 or 1, shape ``(batch_size, ...)``.
        y_pred: scores or probabilities of the same shape (a trailing size-1
            axis on either side is tolerated).
        threshold: scores above it count as predicting 1.

    Returns:
        An array of 0.0/1.0 with the aligned shape of the inputs.
    """
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = jnp.greater(y_pred, threshold).astype(y_true.dtype)
    return _match(y_true, y_pred)


def categorical_accuracy(y_true, y_pred):
    """1.0 where the argmax of ``y_pred`` equals the argmax of one-hot ``y_true``.

    Args:
        y_true: one-hot labels, shape ``(batch_size, num_classes)``.
        y_pred: class scores (probabilities or logits) of the same shape.

    Returns:
        0.0/1.0 per sample, shape ``(batch_size,)``.
    """
    y_pred = jnp.asarray(y_pred)
    _check_rank("categorical_accuracy", y_pred, 2)
    y_true = jnp.argmax(jnp.asarray(y_true), axis=-1).astype(y_pred.dtype)
    original_shape = y_true.shape
    # Keras squeezes unconditionally when the argmaxed labels keep y_pred's rank.
    reshape_matches = y_true.ndim == y_pred.ndim
    if reshape_matches:
        y_true = jnp.squeeze(y_true, -1)
    matches = _match(y_true, jnp.argmax(y_pred, axis=-1).astype(y_true.dtype))
    return matches.reshape(original_shape) if reshape_matches else matches


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the argmax of ``y_pred`` equals the integer label ``y_true``.

    Args:
        y_true: class indices, shape ``(batch_size,)`` or ``(batch_size, 1)``.
        y_pred: class scores, shape ``(batch_size, num_classes)``.

    Returns:
        0.0/1.0 per sample, shape ``(batch_size,)``.
    """
    y_pred = jnp.asarray(y_pred)
    _check_rank("sparse_categorical_accuracy", y_pred, 2)
    y_true = jnp.asarray(y_true, dtype=y_pred.dtype)
    original_shape = y_true.shape
    reshape_matches = y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1
    if reshape_matches:
        y_true = jnp.squeeze(y_true, -1)
    matches = _match(y_true, jnp.argmax(y_pred, axis=-1).astype(y_true.dtype))
    if reshape_matches:
        matches = matches.reshape(original_shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = jnp.squeeze(matches, -1)
    return matches


def _in_top_k(targets, predictions, k: int):
    """Whether each target's score ranks among the ``k`` highest (ties count in its favour)."""
    at_label = jnp.take_along_axis(predictions, targets[..., None], axis=-1)
    # NaN is no high score: it must not put a target in the top k.
    at_label = jnp.where(jnp.isnan(at_label), -jnp.inf, at_label)
    rank = 1 + jnp.sum(predictions > at_label, axis=-1)
    return rank <= k


def _top_k_matches(y_true, y_pred, k: int):
    """``_in_top_k`` over any leading axes, shaped like ``y_true``."""
    original_shape = y_true.shape
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    if y_true.ndim > 1:
        y_true = y_true.reshape(-1)
    matches = _in_top_k(y_true, y_pred, k).astype(floatx())
    return matches.reshape(original_shape)


def top_k_categorical_accuracy(y_true, y_pred, k: int = 5):
    """1.0 where the one-hot label's class is among the ``k`` highest scores.

    Args:
        y_true: one-hot labels, shape ``(batch_size, num_classes)``.
        y_pred: class scores of the same shape.
        k: how many of the highest scores count as a hit.

    Returns:
        0.0/1.0 per sample, shape ``(batch_size,)``.
    """
    y_pred = jnp.asarray(y_pred)
    _check_rank("top_k_categorical_accuracy", y_pred, 2)
    y_true = jnp.argmax(jnp.asarray(y_true, dtype=y_pred.dtype), axis=-1).astype("int32")
    return _top_k_matches(y_true, y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5, from_sorted_ids: bool = False):
    """1.0 where the integer label is among the ``k`` highest-scored classes.

    Args:
        y_true: class indices, shape ``(batch_size,)``.
        y_pred: class scores, shape ``(batch_size, num_classes)``; with
            ``from_sorted_ids=True``, class ids sorted by decreasing score,
            shape ``(batch_size, N)`` with ``N >= k``.
        k: how many of the highest scores count as a hit.
        from_sorted_ids: whether ``y_pred`` holds sorted class ids.

    Returns:
        0.0/1.0 per label, shaped like ``y_true``.
    """
    y_pred = jnp.asarray(y_pred)
    _check_rank("sparse_top_k_categorical_accuracy", y_pred, 2)
    y_true = jnp.asarray(y_true, dtype=y_pred.dtype if from_sorted_ids else "int32")
    if not from_sorted_ids:
        return _top_k_matches(y_true, y_pred, k)
    original_shape = y_true.shape
    y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    # Only the first k ids count; `any` counts an id listed twice once.
    matches = jnp.any(y_true.reshape(-1, 1) == y_pred[:, :k], axis=1)
    return matches.astype(floatx()).reshape(original_shape)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = Accuracy()
    >>> float(m([[1], [2], [3], [4]], [[0], [2], [3], [4]]))
    0.75
    """

    _direction = "up"

    def __init__(self, name: str = "accuracy", dtype=None):
        super().__init__(fn=accuracy, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often thresholded predictions match binary labels.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.
        threshold: scores above it count as predicting 1.

    Example:

    >>> m = BinaryAccuracy()
    >>> float(m([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]]))
    0.75
    """

    _direction = "up"

    def __init__(self, name: str = "binary_accuracy", dtype=None, threshold: float = 0.5):
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the highest score's class matches the one-hot label.

    Logits work as well as probabilities: the argmax is the same.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = CategoricalAccuracy()
    >>> float(m([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]))
    0.5
    """

    _direction = "up"

    def __init__(self, name: str = "categorical_accuracy", dtype=None):
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the highest score's class matches the integer label.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = SparseCategoricalAccuracy()
    >>> float(m([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]))
    0.5
    """

    _direction = "up"

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype=None):
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the ``k`` highest scores.

    Args:
        k: how many of the highest scores count as a hit.
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = TopKCategoricalAccuracy(k=1)
    >>> float(m([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]))
    0.5
    """

    _direction = "up"

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype=None):
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` highest-scored classes.

    Args:
        k: how many of the highest scores count as a hit.
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.
        from_sorted_ids: whether ``y_pred`` holds class ids sorted by decreasing
            score instead of one score per class.

    Example:

    >>> m = SparseTopKCategoricalAccuracy(k=1)
    >>> float(m([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]))
    0.5
    """

    _direction = "up"

    def __init__(
        self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids: bool = False
    ):
        super().__init__(
            fn=sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k, from_sorted_ids=from_sorted_ids
        )
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self) -> dict:
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
