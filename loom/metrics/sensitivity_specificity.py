"""Metrics at an operating point: the best of one rate where another reaches a target
(SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall, RecallAtPrecision)."""

import functools
import numbers

import jax
import jax.numpy as jnp

from loom.metrics import confusion_matrix as cm
from loom.metrics.metric import Metric
from loom.ops.numpy import divide_no_nan


class _OperatingPointBase(Metric):
    """TP/FP/TN/FN at ``num_thresholds`` evenly spaced thresholds in [0, 1].

    ``result`` is the largest ``dependent`` rate over the thresholds where the
    ``constrained`` rate is at least ``value`` (0 where none is).
    Keras calls this class SensitivitySpecificityBase.
    """

    _direction = "up"
    _value_name = None  # the constructor argument holding the target, e.g. "recall"

    def __init__(self, value, num_thresholds: int = 200, class_id: int | None = None, name=None, dtype=None):
        owner = type(self).__name__
        argument = self._value_name
        if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0 <= value <= 1:
            raise ValueError(f"{owner}: `{argument}` must be a number in [0, 1]; received {argument}={value!r}.")
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or num_thresholds <= 0:
            raise ValueError(
                f"{owner}: `num_thresholds` must be an int > 0; received num_thresholds={num_thresholds!r}. "
                "The default, 200, suits most uses."
            )
        if class_id is not None and (isinstance(class_id, bool) or not isinstance(class_id, int)):
            raise ValueError(f"{owner}: `class_id` must be an int (a class index) or None; received {class_id!r}.")
        super().__init__(name=name, dtype=dtype)
        self.value = value
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
        # Evenly spaced from 0 to 1: the O(T + N) bucket count applies.
        self._thresholds_distributed_evenly = num_thresholds > 1
        shape = (len(self.thresholds),)
        self.true_positives = self.add_variable(shape, "zeros", name="true_positives")
        self.false_positives = self.add_variable(shape, "zeros", name="false_positives")
        self.true_negatives = self.add_variable(shape, "zeros", name="true_negatives")
        self.false_negatives = self.add_variable(shape, "zeros", name="false_negatives")

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
            {
                cm.TRUE_POSITIVES: self.true_positives,
                cm.TRUE_NEGATIVES: self.true_negatives,
                cm.FALSE_POSITIVES: self.false_positives,
                cm.FALSE_NEGATIVES: self.false_negatives,
            },
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            class_id=self.class_id,
            sample_weight=sample_weight,
            owner=self._owner(),
        )

    def _best(self, constrained: str, dependent: str):
        """The largest ``dependent`` rate over the thresholds where ``constrained`` >= the target."""
        counts = (self.true_positives, self.false_positives, self.true_negatives, self.false_negatives)
        return _best_rate(*(v.value for v in counts), self.value, constrained=constrained, dependent=dependent)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
            self._value_name: self.value,
        }


class SensitivityAtSpecificity(_OperatingPointBase):
    """The best sensitivity (recall, TP / (TP + FN)) at a specificity of at least ``specificity``.

    Specificity is TN / (TN + FP). Counts are kept at ``num_thresholds``
    thresholds; the result is the largest sensitivity among the thresholds
    whose specificity reaches the target.

    Args:
        specificity: the target specificity, in [0, 1].
        num_thresholds: number of thresholds evenly spaced in [0, 1]; 1 uses 0.5.
        class_id: compute the metric for this class index only.
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = SensitivityAtSpecificity(0.5)
    >>> float(m([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]))
    0.5
    """

    _value_name = "specificity"

    def __init__(self, specificity, num_thresholds: int = 200, class_id: int | None = None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    @property
    def specificity(self):
        return self.value

    def result(self):
        return self._best("specificity", "sensitivity")


class SpecificityAtSensitivity(_OperatingPointBase):
    """The best specificity (TN / (TN + FP)) at a sensitivity of at least ``sensitivity``.

    Args:
        sensitivity: the target sensitivity (recall), in [0, 1].
        num_thresholds: number of thresholds evenly spaced in [0, 1]; 1 uses 0.5.
        class_id: compute the metric for this class index only.
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = SpecificityAtSensitivity(0.5)
    >>> round(float(m([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])), 4)
    0.6667
    """

    _value_name = "sensitivity"

    def __init__(self, sensitivity, num_thresholds: int = 200, class_id: int | None = None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    @property
    def sensitivity(self):
        return self.value

    def result(self):
        return self._best("sensitivity", "specificity")


class PrecisionAtRecall(_OperatingPointBase):
    """The best precision (TP / (TP + FP)) at a recall of at least ``recall``.

    Args:
        recall: the target recall, in [0, 1].
        num_thresholds: number of thresholds evenly spaced in [0, 1]; 1 uses 0.5.
        class_id: compute the metric for this class index only.
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = PrecisionAtRecall(0.5)
    >>> float(m([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]))
    0.5
    """

    _value_name = "recall"

    def __init__(self, recall, num_thresholds: int = 200, class_id: int | None = None, name=None, dtype=None):
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    @property
    def recall(self):
        return self.value

    def result(self):
        return self._best("recall", "precision")


class RecallAtPrecision(_OperatingPointBase):
    """The best recall (TP / (TP + FN)) at a precision of at least ``precision``.

    Args:
        precision: the target precision, in [0, 1].
        num_thresholds: number of thresholds evenly spaced in [0, 1]; 1 uses 0.5.
        class_id: compute the metric for this class index only.
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = RecallAtPrecision(0.8)
    >>> float(m([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]))
    0.5
    """

    _value_name = "precision"

    def __init__(self, precision, num_thresholds: int = 200, class_id: int | None = None, name=None, dtype=None):
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    @property
    def precision(self):
        return self.value

    def result(self):
        return self._best("precision", "recall")


# Compiled once per pair of rates: an eager result() is one dispatch, and inside
# the engine's compiled step the call is inlined.
@functools.partial(jax.jit, static_argnames=("constrained", "dependent"))
def _best_rate(tp, fp, tn, fn, target, *, constrained: str, dependent: str):
    recall = divide_no_nan(tp, tp + fn)
    rates = {
        "sensitivity": recall,
        "recall": recall,
        "specificity": divide_no_nan(tn, tn + fp),
        "precision": divide_no_nan(tp, tp + fp),
    }
    feasible = rates[constrained] >= target
    return jnp.max(jnp.where(feasible, rates[dependent], 0.0), initial=0.0)
