"""F-scores: the (weighted) harmonic mean of precision and recall, per class or averaged."""

import functools

import jax
import jax.numpy as jnp

from loom.metrics.metric import Metric

# Keras's backend epsilon, keeping every ratio finite when a class was never seen.
_EPSILON = 1e-7
_AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """The F-beta score ``(1 + beta**2) * precision * recall / (beta**2 * precision + recall)``.

    Inputs are 2D, ``(batch_size, num_classes)``: one-hot or multi-label
    targets and per-class scores. A score counts as a positive prediction when
    it exceeds ``threshold``, or, with ``threshold=None``, when it is its row's
    largest (and nonzero). ``beta`` > 1 favours recall, < 1 precision.

    Args:
        average: None (one score per class), "micro" (pool all classes' counts,
            then one score), "macro" (the mean of the class scores) or
            "weighted" (their mean weighted by each class's number of true labels).
        beta: a float > 0, the weight of recall relative to precision.
        threshold: a float in (0, 1], or None for the row-wise maximum.
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = FBetaScore(beta=2.0, threshold=0.5)
    >>> [round(float(s), 4) for s in m([[0, 1], [1, 0], [1, 0]], [[0.2, 0.9], [0.6, 0.3], [0.1, 0.8]])]
    [0.5556, 0.8333]
    """

    _direction = "up"

    def __init__(self, average=None, beta: float = 1.0, threshold: float | None = None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        owner = type(self).__name__
        if average not in _AVERAGES:
            raise ValueError(f"{owner}: `average` must be one of {_AVERAGES}; received average={average!r}.")
        # Python floats only, as in Keras: an int here is usually a typo for a threshold or an average.
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError(f"{owner}: `beta` must be a Python float > 0, e.g. beta=2.0; received beta={beta!r}.")
        if threshold is not None and (not isinstance(threshold, float) or not 0.0 < threshold <= 1.0):
            raise ValueError(
                f"{owner}: `threshold` must be a Python float in (0, 1], or None to count each row's largest "
                f"score as its prediction; received threshold={threshold!r}."
            )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        # "micro" pools every class into scalar counts; the others count per class.
        self.axis = None if average == "micro" else 0
        self._built = False

    def build(self, y_true_shape, y_pred_shape) -> None:
        """Creates the counts: one per class, or scalars with ``average="micro"``."""
        if self._built:
            return
        y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2 or y_pred_shape[-1] is None:
            raise ValueError(
                f"{self._owner()} expects 2D inputs of shape (batch_size, num_classes) with num_classes known; "
                f"received y_true shape {y_true_shape} and y_pred shape {y_pred_shape}. "
                "One-hot encode integer labels (e.g. keras.utils.to_categorical) and pass one score per class."
            )
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        self.true_positives = self.add_variable(shape, "zeros", dtype=self.dtype, name="true_positives")
        self.false_positives = self.add_variable(shape, "zeros", dtype=self.dtype, name="false_positives")
        self.false_negatives = self.add_variable(shape, "zeros", dtype=self.dtype, name="false_negatives")
        self.intermediate_weights = self.add_variable(shape, "zeros", dtype=self.dtype, name="intermediate_weights")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds the batch's (weighted) true positives, false positives and false negatives.

        Args:
            y_true: targets in {0, 1}, ``(batch_size, num_classes)``.
            y_pred: scores, same shape.
            sample_weight: optional weights, one per sample.
        """
        y_true = jnp.asarray(y_true, dtype=self.dtype)
        y_pred = jnp.asarray(y_pred, dtype=self.dtype)
        self.build(y_true.shape, y_pred.shape)
        if y_true.shape[-1] != y_pred.shape[-1]:
            raise ValueError(
                f"{self._owner()}: y_true of shape {y_true.shape} and y_pred of shape {y_pred.shape} need the same "
                "number of classes (last axis). One-hot encode integer labels to the predictions' width."
            )
        weight = None if sample_weight is None else self._per_sample(sample_weight, y_true.shape[0])
        counts = _batch_counts(y_true, y_pred, weight, threshold=self.threshold, axis=self.axis)
        for variable, count in zip(self._counts(), counts):
            variable.assign(variable.value + count)

    def _counts(self) -> tuple:
        return self.true_positives, self.false_positives, self.false_negatives, self.intermediate_weights

    def _per_sample(self, sample_weight, batch_size):
        """``sample_weight`` as a column: ``(batch_size, 1)``, or ``(1, 1)`` for one weight for all."""
        weight = jnp.asarray(sample_weight, dtype=self.dtype)
        if weight.ndim > 2 or (weight.ndim == 2 and weight.shape[1] != 1) or weight.size not in (1, batch_size):
            raise ValueError(
                f"{self._owner()}: `sample_weight` must hold one weight per sample, shape ({batch_size},); "
                f"received shape {weight.shape}."
            )
        return weight.reshape(-1, 1)

    def result(self):
        if not self._built:
            raise RuntimeError(
                f"{self._owner()} has no state yet: its counts take their size from the data. "
                "Call update_state (or build) before result()."
            )
        return _f_beta(*(v.value for v in self._counts()), beta=self.beta, average=self.average)

    def get_config(self) -> dict:
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


# Compiled once per configuration and shape: an eager update is one dispatch, and
# inside the engine's compiled step the call is inlined.
@functools.partial(jax.jit, static_argnames=("threshold", "axis"))
def _batch_counts(y_true, y_pred, weight, *, threshold, axis):
    """The batch's (weighted) TP, FP, FN and label counts, per class (``axis=0``) or pooled (None)."""
    if threshold is None:
        # The row's largest score, unless the whole row is 0: [0, 0, 0] predicts nothing.
        row_max = jnp.max(y_pred, axis=-1, keepdims=True)
        predicted = jnp.logical_and(y_pred >= row_max, jnp.abs(y_pred) > 1e-9)
    else:
        predicted = y_pred > threshold
    predicted = predicted.astype(y_pred.dtype)

    def weighted_sum(values):
        return jnp.sum(values if weight is None else values * weight, axis=axis)

    return (
        weighted_sum(predicted * y_true),
        weighted_sum(predicted * (1 - y_true)),
        weighted_sum((1 - predicted) * y_true),
        weighted_sum(y_true),
    )


@functools.partial(jax.jit, static_argnames=("beta", "average"))
def _f_beta(tp, fp, fn, label_counts, *, beta, average):
    """The F-beta score(s) from the counts; the operations in Keras's order, for equal rounding."""
    precision = tp / (tp + fp + _EPSILON)
    recall = tp / (tp + fn + _EPSILON)
    beta_squared = beta**2
    score = (precision * recall) / (beta_squared * precision + recall + _EPSILON) * (1 + beta_squared)
    if average == "weighted":
        return jnp.sum(score * (label_counts / (jnp.sum(label_counts) + _EPSILON)))
    if average is not None:  # "micro" (a scalar already) or "macro"
        return jnp.mean(score)
    return score


class F1Score(FBetaScore):
    """The F1 score ``2 * precision * recall / (precision + recall)``: ``FBetaScore`` with beta=1.

    Args:
        average: None (one score per class), "micro", "macro" or "weighted";
            see ``FBetaScore``.
        threshold: a float in (0, 1], or None for each row's largest score.
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = F1Score(threshold=0.5)
    >>> [round(float(s), 4) for s in m([[0, 1], [1, 0], [1, 0]], [[0.2, 0.9], [0.6, 0.3], [0.1, 0.8]])]
    [0.6667, 0.6667]
    """

    def __init__(self, average=None, threshold: float | None = None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["beta"]
        return config
