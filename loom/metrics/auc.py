"""AUC: the area under the ROC or precision-recall curve, from counts at fixed thresholds."""

import enum
import functools

import jax
import jax.numpy as jnp
import numpy as np

from loom.metrics import confusion_matrix as cm
from loom.metrics.metric import Metric
from loom.ops.numpy import divide_no_nan


class AUCCurve(str, enum.Enum):
    """The curve AUC integrates: ROC, PR (precision-recall) or PRGAIN (precision-recall gain)."""

    ROC = "ROC"
    PR = "PR"
    PRGAIN = "PRGAIN"


class AUCSummationMethod(str, enum.Enum):
    """How AUC sums the area between thresholds (Riemann sum)."""

    INTERPOLATION = "interpolation"
    MAJORING = "majoring"
    MINORING = "minoring"


def _parse_choice(enum_type, value, argument: str):
    if isinstance(value, enum_type):
        return value
    for member in enum_type:
        if isinstance(value, str) and value.lower() == member.value.lower():
            return member
    valid = ", ".join(repr(m.value) for m in enum_type)
    raise ValueError(f"AUC: `{argument}` must be one of {valid}; received {argument}={value!r}.")


class AUC(Metric):
    """Approximates the area under the ROC or precision-recall (PR) curve.

    Predictions are counted as TP/FP/TN/FN at ``num_thresholds`` thresholds
    evenly spaced in [0, 1] (or at the given ``thresholds``), and the curve
    through those points is integrated with a Riemann sum. ROC plots recall
    against the false-positive rate; PR plots precision against recall, and its
    "interpolation" sum interpolates the counts, not precision itself (Davis &
    Goadrich, 2006). More thresholds approximate the exact AUC more closely.

    Args:
        num_thresholds: number of thresholds, > 1; ignored when ``thresholds``
            is given.
        curve: "ROC" or "PR" (or "PRGAIN").
        summation_method: "interpolation" (trapezoids for ROC), "minoring"
            (a lower bound) or "majoring" (an upper bound).
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.
        thresholds: explicit thresholds in [0, 1]; -epsilon and 1 + epsilon are
            added so that scores of exactly 0 and 1 lie on the curve.
        multi_label: compute one AUC per label (last axis) and average them,
            instead of flattening all label-prediction pairs into one curve.
        num_labels: the number of labels with ``multi_label``; without it the
            variables are created by the first ``update_state``.
        label_weights: non-negative weight per label: weights of the averaged
            label AUCs with ``multi_label``, else weights of the flattened pairs.
        from_logits: whether ``y_pred`` are logits (a sigmoid is applied).

    Example:

    >>> m = AUC(num_thresholds=3)
    >>> float(m([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]))
    0.75
    """

    _direction = "up"

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype=None,
        thresholds=None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights=None,
        from_logits: bool = False,
    ):
        self.curve = _parse_choice(AUCCurve, curve, "curve")
        self.summation_method = _parse_choice(AUCSummationMethod, summation_method, "summation_method")
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(cm.parse_thresholds("AUC", thresholds, default=0.5))
            self.num_thresholds = len(inner) + 2
            self._thresholds_distributed_evenly = cm.is_evenly_distributed(np.array([0.0] + inner + [1.0]))
        else:
            if not isinstance(num_thresholds, int) or isinstance(num_thresholds, bool) or num_thresholds <= 1:
                raise ValueError(
                    f"AUC: `num_thresholds` must be an int > 1; received num_thresholds={num_thresholds!r}. "
                    "The default, 200, suits most uses."
                )
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        self._thresholds = np.array([0.0 - cm.EPSILON] + inner + [1.0 + cm.EPSILON])
        super().__init__(name=name, dtype=dtype)

        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else jnp.asarray(label_weights, dtype=self.dtype)
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError(
                    f"AUC: `num_labels` is used only with multi_label=True; received num_labels={num_labels!r} "
                    "with multi_label=False. Drop num_labels, or set multi_label=True."
                )
            self._build(None)

    @property
    def thresholds(self) -> list:
        """The thresholds, including the -epsilon and 1 + epsilon ends."""
        return list(self._thresholds)

    def build(self, y_true_shape, y_pred_shape) -> None:
        """Creates the multi-label counts from the predictions' shape (see ``Metric.build``)."""
        del y_true_shape  # the labels have the predictions' shape
        if not self._built:
            self._build(tuple(y_pred_shape))

    def _build(self, shape) -> None:
        """Creates the four count variables: ``(T,)``, or ``(T, num_labels)`` with multi_label."""
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    f"{self._owner()} has multi_label=True, so `y_pred` must have shape "
                    f"(batch_size, num_labels); received shape {tuple(shape)}. Reshape the predictions, "
                    "or use multi_label=False to treat every label-prediction pair alike."
                )
            self._num_labels = shape[1]
            variable_shape = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        self._build_input_shape = shape
        self.true_positives = self.add_variable(variable_shape, "zeros", name="true_positives")
        self.false_positives = self.add_variable(variable_shape, "zeros", name="false_positives")
        self.true_negatives = self.add_variable(variable_shape, "zeros", name="true_negatives")
        self.false_negatives = self.add_variable(variable_shape, "zeros", name="false_negatives")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds this batch's (weighted) counts at every threshold.

        Args:
            y_true: binary labels, shape of ``y_pred``.
            y_pred: probabilities in [0, 1] (logits with ``from_logits``).
            sample_weight: optional weights broadcastable to ``y_true``.
        """
        y_pred = jnp.asarray(y_pred)
        if not self._built:
            self._build(y_pred.shape)
        if self._from_logits:
            y_pred = jax.nn.sigmoid(y_pred)
        cm.update_confusion_matrix_variables(
            {
                cm.TRUE_POSITIVES: self.true_positives,
                cm.TRUE_NEGATIVES: self.true_negatives,
                cm.FALSE_POSITIVES: self.false_positives,
                cm.FALSE_NEGATIVES: self.false_negatives,
            },
            y_true,
            y_pred,
            self._thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            # With multi_label the label weights average the label AUCs in result().
            label_weights=None if self.multi_label else self.label_weights,
            owner=self._owner(),
        )

    def interpolate_pr_auc(self):
        """PR AUC with the counts, not precision, interpolated between thresholds (Davis & Goadrich, 2006)."""
        return _area_under_curve(*self._counts(), self.label_weights, "PR", "interpolation", self.multi_label)

    def result(self):
        return _area_under_curve(
            *self._counts(), self.label_weights, self.curve.value, self.summation_method.value, self.multi_label
        )

    def _counts(self) -> tuple:
        return (
            self.true_positives.value,
            self.false_positives.value,
            self.true_negatives.value,
            self.false_negatives.value,
        )

    def get_config(self) -> dict:
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve.value,
            "summation_method": self.summation_method.value,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if self.label_weights is None else np.asarray(self.label_weights).tolist(),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            # Without the added end points, so that from_config rebuilds the same thresholds.
            config["thresholds"] = [float(t) for t in self._thresholds[1:-1]]
        return config


# Compiled once per configuration: eager result() is one dispatch, and inside
# the engine's compiled step the call is inlined.
@functools.partial(jax.jit, static_argnames=("curve", "summation_method", "multi_label"))
def _area_under_curve(tp, fp, tn, fn, label_weights, curve: str, summation_method: str, multi_label: bool):
    """The AUC from counts at every threshold (axis 0 of the counts, thresholds rising)."""
    if curve == "PR" and summation_method == "interpolation":
        terms = _interpolated_pr_terms(tp, fp, fn)
    else:
        x, y = _curve_points(tp, fp, tn, fn, curve)
        if summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif summation_method == "minoring":
            heights = jnp.minimum(y[:-1], y[1:])
        else:
            heights = jnp.maximum(y[:-1], y[1:])
        # Thresholds rise along axis 0, so x falls: x[:-1] - x[1:] is each width.
        terms = (x[:-1] - x[1:]) * heights
    if not multi_label:
        return jnp.sum(terms)
    by_label_auc = jnp.sum(terms, axis=0)
    if label_weights is None:
        return jnp.mean(by_label_auc)
    return divide_no_nan(jnp.sum(by_label_auc * label_weights), jnp.sum(label_weights))


def _interpolated_pr_terms(tp, fp, fn):
    """Each interval's PR area: between two thresholds TP and P = TP + FP change
    linearly, so precision TP / P is a hyperbola in recall with a closed-form integral."""
    dtp = tp[:-1] - tp[1:]
    p = tp + fp
    dp = p[:-1] - p[1:]
    prec_slope = divide_no_nan(dtp, jnp.maximum(dp, 0))
    intercept = tp[1:] - prec_slope * p[1:]
    safe_p_ratio = jnp.where(
        jnp.logical_and(p[:-1] > 0, p[1:] > 0),
        divide_no_nan(p[:-1], jnp.maximum(p[1:], 0)),
        jnp.ones_like(p[1:]),
    )
    return divide_no_nan(
        prec_slope * (dtp + intercept * jnp.log(safe_p_ratio)),
        jnp.maximum(tp[1:] + fn[1:], 0),
    )


def _curve_points(tp, fp, tn, fn, curve: str):
    """The curve's (x, y) at every threshold, as arrays of the counts' shape."""
    recall = divide_no_nan(tp, tp + fn)
    if curve == "ROC":
        return divide_no_nan(fp, fp + tn), recall
    if curve == "PR":
        return recall, divide_no_nan(tp, tp + fp)
    # PRGAIN: precision and recall rescaled by P/N. Where TP is 0 both gains
    # diverge; they are set to recall gain 0 and precision gain 1, and a
    # negative recall gain is clipped to 0, as Keras does.
    scaling = divide_no_nan(tp + fn, tn + fp)
    recall_gain = 1.0 - scaling * divide_no_nan(fn, tp)
    precision_gain = 1.0 - scaling * divide_no_nan(fp, tp)
    recall_gain = jnp.maximum(jnp.where(tp == 0.0, 0.0, recall_gain), 0.0)
    precision_gain = jnp.where(tp == 0.0, 1.0, precision_gain)
    return recall_gain, precision_gain
