"""Intersection-over-union metrics (IoU, MeanIoU, BinaryIoU, one-hot forms) from a running confusion matrix."""

import functools
import math
import numbers
import warnings

import jax
import jax.numpy as jnp

from loom.metrics.metric import Metric

# Keras's backend epsilon: an absent class divides 0 by this instead of by 0.
_EPSILON = 1e-7


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class _IoUBase(Metric):
    """A ``(num_classes, num_classes)`` confusion matrix (rows: labels, columns: predictions)."""

    _direction = "up"

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype=None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ):
        # Integer counts by default, as in Keras ("int" is int32 without jax x64).
        super().__init__(name=name, dtype=dtype or "int32")
        owner = type(self).__name__
        if not _is_int(num_classes) or num_classes < 1:
            raise ValueError(f"{owner}: `num_classes` must be a positive int; received num_classes={num_classes!r}.")
        if ignore_class is not None and not _is_int(ignore_class):
            raise ValueError(
                f"{owner}: `ignore_class` must be an int (a label value) or None; "
                f"received ignore_class={ignore_class!r}."
            )
        self.num_classes = int(num_classes)
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(
            (self.num_classes, self.num_classes), "zeros", dtype=self.dtype, name="total_confusion_matrix"
        )

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds the batch's (weighted) label/prediction pairs to the confusion matrix.

        Args:
            y_true: class ids (one-hot along ``axis`` when ``sparse_y_true=False``).
            y_pred: class ids (scores along ``axis`` when ``sparse_y_pred=False``).
            sample_weight: optional weights, one per label or broadcastable to them.
                Pairs with a label or prediction outside ``[0, num_classes)``, or
                with the label ``ignore_class``, are left out.
        """
        y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
        num_labels = _num_ids(y_true.shape, self.sparse_y_true, self.axis)
        num_predictions = _num_ids(y_pred.shape, self.sparse_y_pred, self.axis)
        if num_labels != num_predictions:
            raise ValueError(
                f"{self._owner()}: y_true and y_pred must hold one class id per position, as many of each; "
                f"received {num_labels} labels and {num_predictions} predictions. With scores or one-hot labels "
                "pass sparse_y_pred=False / sparse_y_true=False (or use OneHotIoU / OneHotMeanIoU)."
            )
        weight = None if sample_weight is None else self._flat_weights(sample_weight, num_labels)
        batch_cm = _batch_confusion_matrix(
            y_true,
            y_pred,
            weight,
            num_classes=self.num_classes,
            ignore_class=self.ignore_class,
            sparse_y_true=self.sparse_y_true,
            sparse_y_pred=self.sparse_y_pred,
            axis=self.axis,
            threshold=self._score_threshold(),
            dtype=self.dtype,
        )
        self.total_cm.assign(self.total_cm.value + batch_cm)

    def _score_threshold(self) -> float | None:
        """The score at or above which a prediction is class 1 (BinaryIoU); None: predictions are ids."""
        return None

    def _flat_weights(self, sample_weight, num_labels: int):
        """``sample_weight``, flattened and broadcast to one weight per label."""
        weight = jnp.asarray(sample_weight)
        if jnp.issubdtype(weight.dtype, jnp.floating) and jnp.issubdtype(jnp.dtype(self.dtype), jnp.integer):
            warnings.warn(
                f"{self._owner()} counts in {self.dtype}, so float sample weights are truncated to integers "
                "(0.5 counts as 0). Pass integer weights, or dtype='float32' to count fractional weights.",
                stacklevel=3,
            )
        if weight.ndim > 1:
            weight = weight.reshape(-1)
        try:
            return jnp.broadcast_to(weight, (num_labels,))
        except ValueError as err:
            raise ValueError(
                f"{self._owner()}: `sample_weight` of shape {jnp.shape(sample_weight)} does not fit the "
                f"{num_labels} labels. Pass one weight per label (the labels' shape), or a scalar."
            ) from err


def _num_ids(shape: tuple, sparse: bool, axis: int) -> int:
    """How many class ids an array of ``shape`` holds (one per entry, or per slice along ``axis``)."""
    return math.prod(shape) // (1 if sparse else shape[axis])


# One compiled function per configuration and input shape: an eager update is one
# dispatch instead of a dozen ops, and inside the engine's compiled step it is inlined.
@functools.partial(
    jax.jit,
    static_argnames=("num_classes", "ignore_class", "sparse_y_true", "sparse_y_pred", "axis", "threshold", "dtype"),
)
def _batch_confusion_matrix(
    y_true, y_pred, weight, *, num_classes, ignore_class, sparse_y_true, sparse_y_pred, axis, threshold, dtype
):
    """The batch's ``(num_classes, num_classes)`` weighted counts, in ``dtype`` (as Keras: ids and
    weights are cast to it, so float ids and weights are truncated when it is an integer type)."""
    if not sparse_y_true:
        y_true = jnp.argmax(y_true, axis=axis)
    if not sparse_y_pred:
        y_pred = jnp.argmax(y_pred, axis=axis)
    if threshold is not None:
        y_pred = y_pred.astype("float32") >= threshold
    y_true = y_true.astype(dtype).reshape(-1)
    y_pred = y_pred.astype(dtype).reshape(-1)
    weight = jnp.ones_like(y_true) if weight is None else weight.astype(dtype)
    valid = (y_true >= 0) & (y_true < num_classes) & (y_pred >= 0) & (y_pred < num_classes)
    if ignore_class is not None:
        valid = valid & (y_true != ignore_class)
    rows = jnp.where(valid, y_true, 0).astype("int32")
    columns = jnp.where(valid, y_pred, 0).astype("int32")
    weight = jnp.where(valid, weight, jnp.zeros((), dtype))
    return jnp.zeros((num_classes, num_classes), dtype).at[rows, columns].add(weight)


@functools.partial(jax.jit, static_argnames=("target_class_ids",))
def _mean_iou(total_cm, target_class_ids: tuple):
    """The mean IoU of the target classes that appear in the confusion matrix (float32)."""
    true_positives = jnp.diag(total_cm)
    # Column sum + row sum = 2 TP + FP + FN, so this is the union TP + FP + FN.
    denominator = jnp.sum(total_cm, axis=0) + jnp.sum(total_cm, axis=1) - true_positives
    ids = jnp.asarray(target_class_ids, dtype="int32")
    true_positives = true_positives[ids].astype("float32")
    denominator = denominator[ids].astype("float32")
    present = denominator > 1e-9
    iou = jnp.where(present, true_positives / (denominator + _EPSILON), 0.0)
    return jnp.sum(iou) / (jnp.sum(present.astype("float32")) + _EPSILON)


class IoU(_IoUBase):
    """Intersection over union ``TP / (TP + FP + FN)`` of chosen classes, averaged.

    A common measure for semantic segmentation. Predictions and labels are
    accumulated into a confusion matrix; the IoU of each class in
    ``target_class_ids`` is computed from it, and their mean returned. A class
    that appears in neither labels nor predictions is left out of the mean.

    Args:
        num_classes: the number of classes (the confusion matrix is
            ``num_classes x num_classes``).
        target_class_ids: the class ids whose IoU is averaged, e.g. ``[0]``.
        name: name of the metric instance.
        dtype: dtype of the counts; defaults to int32, as Keras's "int".
        ignore_class: a label value left out of the counts (e.g. a void
            class); None leaves out none.
        sparse_y_true: whether labels are class ids (else one-hot along ``axis``).
        sparse_y_pred: whether predictions are class ids (else scores along ``axis``).
        axis: the class axis of one-hot labels or scores.

    Example:

    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> round(float(m([0, 0, 1, 1], [0, 1, 0, 1])), 4)
    0.3333
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids,
        name: str | None = None,
        dtype=None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ):
        super().__init__(
            num_classes=num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )
        ids = list(target_class_ids) if isinstance(target_class_ids, (list, tuple, range)) else None
        if not ids or not all(_is_int(i) and -self.num_classes <= i < self.num_classes for i in ids):
            raise ValueError(
                f"{type(self).__name__}: `target_class_ids` must be a non-empty list of class ids in "
                f"[0, {self.num_classes}) (num_classes={self.num_classes}); received "
                f"target_class_ids={target_class_ids!r}."
            )
        self.target_class_ids = [int(i) for i in ids]

    def result(self):
        return _mean_iou(self.total_cm.value, tuple(self.target_class_ids))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class BinaryIoU(IoU):
    """IoU for binary labels and scores: a score at or above ``threshold`` predicts class 1.

    Args:
        target_class_ids: which of the classes 0 and 1 to average over;
            ``(0, 1)`` (the default) gives their mean.
        threshold: scores ``>= threshold`` are positive predictions.
        name: name of the metric instance.
        dtype: dtype of the counts; defaults to int32.

    Example:

    >>> m = BinaryIoU(target_class_ids=[1], threshold=0.5)
    >>> round(float(m([0, 1, 0, 1], [0.1, 0.9, 0.6, 0.4])), 4)
    0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold: float = 0.5, name: str | None = None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def _score_threshold(self) -> float:
        return float(self.threshold)

    def get_config(self) -> dict:
        return {
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype,
        }


class MeanIoU(IoU):
    """The mean IoU over all ``num_classes`` classes (those present in labels or predictions).

    Args:
        num_classes: the number of classes.
        name: name of the metric instance.
        dtype: dtype of the counts; defaults to int32.
        ignore_class: a label value left out of the counts; None leaves out none.
        sparse_y_true: whether labels are class ids (else one-hot along ``axis``).
        sparse_y_pred: whether predictions are class ids (else scores along ``axis``).
        axis: the class axis of one-hot labels or scores.

    Example:

    >>> m = MeanIoU(num_classes=2)
    >>> round(float(m([0, 0, 1, 1], [0, 1, 0, 1])), 4)
    0.3333
    """

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype=None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ):
        super().__init__(
            num_classes=num_classes,
            target_class_ids=list(range(num_classes)) if _is_int(num_classes) else [],
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict:
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class OneHotIoU(IoU):
    """``IoU`` for one-hot labels and per-class scores (the largest score is the prediction).

    Args:
        num_classes: the number of classes.
        target_class_ids: the class ids whose IoU is averaged.
        name: name of the metric instance.
        dtype: dtype of the counts; defaults to int32.
        ignore_class: a class id left out of the counts; None leaves out none.
        sparse_y_pred: whether predictions are already class ids.
        axis: the class axis.

    Example:

    >>> m = OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    >>> y_true = [[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]]
    >>> y_pred = [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]]
    >>> round(float(m(y_true, y_pred)), 4)
    0.1667
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids,
        name: str | None = None,
        dtype=None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ):
        super().__init__(
            num_classes=num_classes,
            target_class_ids=target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict:
        return {
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class OneHotMeanIoU(MeanIoU):
    """``MeanIoU`` for one-hot labels and per-class scores (the largest score is the prediction).

    Args:
        num_classes: the number of classes.
        name: name of the metric instance.
        dtype: dtype of the counts; defaults to int32.
        ignore_class: a class id left out of the counts; None leaves out none.
        sparse_y_pred: whether predictions are already class ids.
        axis: the class axis.

    Example:

    >>> m = OneHotMeanIoU(num_classes=3)
    >>> y_true = [[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]]
    >>> y_pred = [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]]
    >>> round(float(m(y_true, y_pred)), 4)
    0.1111
    """

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype=None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ):
        super().__init__(
            num_classes=num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict:
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }
