"""Threshold metrics built on confusion-matrix counts: TP/FP/TN/FN, Precision, Recall."""

import jax.numpy as jnp

from loom.metrics import confusion_matrix as cm
from loom.metrics.metric import Metric
from loom.ops.numpy import divide_no_nan


class _ConfusionMatrixConditionCount(Metric):
    """The weighted count of one confusion-matrix cell at each threshold."""

    _condition = None  # one of cm.TRUE_POSITIVES, ...

    def __init__(self, thresholds=None, name: str | None = None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = cm.parse_thresholds(type(self).__name__, thresholds, default=0.5)
        self._thresholds_distributed_evenly = cm.is_evenly_distributed(self.thresholds)
        self.accumulator = self.add_variable((len(self.thresholds),), "zeros", name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds this batch's (weighted) count at every threshold.

        Args:
            y_true: labels (nonzero is positive), shape of ``y_pred``.
            y_pred: scores in [0, 1]; above a threshold is a positive prediction.
            sample_weight: optional weights broadcastable to ``y_true``.
        """
        cm.update_confusion_matrix_variables(
            {self._condition: self.accumulator},
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight,
            owner=self._owner(),
        )

    def result(self):
        value = self.accumulator.value
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of positive labels predicted positive.

    Args:
        thresholds: a float or list of floats in [0, 1]; a score above a
            threshold is a positive prediction. One result per threshold;
            defaults to 0.5.
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = TruePositives()
    >>> float(m([0, 1, 1, 1], [1, 0, 1, 1]))
    2.0
    """

    _condition = cm.TRUE_POSITIVES

    def __init__(self, thresholds=None, name: str | None = None, dtype=None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)


class FalsePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of negative labels predicted positive.

    Args:
        thresholds: a float or list of floats in [0, 1]; a score above a
            threshold is a positive prediction. One result per threshold;
            defaults to 0.5.
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = FalsePositives()
    >>> float(m([0, 1, 0, 0], [0, 0, 1, 1]))
    2.0
    """

    _condition = cm.FALSE_POSITIVES

    def __init__(self, thresholds=None, name: str | None = None, dtype=None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)


class TrueNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of negative labels predicted negative.

    Args:
        thresholds: a float or list of floats in [0, 1]; a score above a
            threshold is a positive prediction. One result per threshold;
            defaults to 0.5.
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = TrueNegatives()
    >>> float(m([0, 1, 0, 0], [1, 1, 0, 0]))
    2.0
    """

    _condition = cm.TRUE_NEGATIVES

    def __init__(self, thresholds=None, name: str | None = None, dtype=None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)


class FalseNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of positive labels predicted negative.

    Args:
        thresholds: a float or list of floats in [0, 1]; a score above a
            threshold is a positive prediction. One result per threshold;
            defaults to 0.5.
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = FalseNegatives()
    >>> float(m([0, 1, 1, 1], [0, 1, 0, 0]))
    2.0
    """

    _condition = cm.FALSE_NEGATIVES

    def __init__(self, thresholds=None, name: str | None = None, dtype=None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)


class _PrecisionRecallBase(Metric):
    """True positives and one error count per threshold; ``result`` is TP / (TP + errors)."""

    _error = None  # cm.FALSE_POSITIVES for precision, cm.FALSE_NEGATIVES for recall
    _error_name = None

    def __init__(self, thresholds=None, top_k: int | None = None, class_id: int | None = None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        owner = type(self).__name__
        if top_k is not None and (not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1):
            raise ValueError(f"{owner}: `top_k` must be a positive int or None; received top_k={top_k!r}.")
        if class_id is not None and (not isinstance(class_id, int) or isinstance(class_id, bool)):
            raise ValueError(f"{owner}: `class_id` must be an int (a class index) or None; received {class_id!r}.")
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        # With top_k every kept score counts as positive, whatever its value.
        default = 0.5 if top_k is None else cm.NEG_INF
        self.thresholds = cm.parse_thresholds(owner, thresholds, default=default)
        self._thresholds_distributed_evenly = cm.is_evenly_distributed(self.thresholds)
        shape = (len(self.thresholds),)
        self.true_positives = self.add_variable(shape, "zeros", name="true_positives")
        self._errors = self.add_variable(shape, "zeros", name=self._error_name)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds this batch's (weighted) counts at every threshold.

        Args:
            y_true: labels (nonzero is positive), shape of ``y_pred``.
            y_pred: scores in [0, 1]; above a threshold is a positive prediction.
            sample_weight: optional weights broadcastable to ``y_true``.
        """
        if self.class_id is not None:
            cm.check_class_id(self._owner(), self.class_id, jnp.shape(y_pred))
        cm.update_confusion_matrix_variables(
            {cm.TRUE_POSITIVES: self.true_positives, self._error: self._errors},
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=sample_weight,
            owner=self._owner(),
        )

    def result(self):
        tp = self.true_positives.value
        value = divide_no_nan(tp, tp + self._errors.value)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecallBase):
    """The fraction of positive predictions that are right: TP / (TP + FP).

    Args:
        thresholds: a float or list of floats in [0, 1]; a score above a
            threshold is a positive prediction. One result per threshold;
            defaults to 0.5 (or, with ``top_k``, every top-k score is positive).
        top_k: count only the ``top_k`` highest scores as positive predictions.
        class_id: compute precision for this class index only.
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = Precision()
    >>> round(float(m([0, 1, 1, 1], [1, 0, 1, 1])), 4)
    0.6667
    """

    _direction = "up"

    _error = cm.FALSE_POSITIVES
    _error_name = "false_positives"

    def __init__(self, thresholds=None, top_k: int | None = None, class_id: int | None = None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, top_k=top_k, class_id=class_id, name=name, dtype=dtype)

    @property
    def false_positives(self):
        """The variable counting false positives at each threshold."""
        return self._errors


class Recall(_PrecisionRecallBase):
    """The fraction of positive labels that are found: TP / (TP + FN).

    Args:
        thresholds: a float or list of floats in [0, 1]; a score above a
            threshold is a positive prediction. One result per threshold;
            defaults to 0.5 (or, with ``top_k``, every top-k score is positive).
        top_k: count only the ``top_k`` highest scores as positive predictions.
        class_id: compute recall for this class index only.
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = Recall()
    >>> round(float(m([0, 1, 1, 1], [1, 0, 1, 1])), 4)
    0.6667
    """

    _direction = "up"

    _error = cm.FALSE_NEGATIVES
    _error_name = "false_negatives"

    def __init__(self, thresholds=None, top_k: int | None = None, class_id: int | None = None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, top_k=top_k, class_id=class_id, name=name, dtype=dtype)

    @property
    def false_negatives(self):
        """The variable counting false negatives at each threshold."""
        return self._errors
