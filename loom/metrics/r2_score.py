"""R2Score: the coefficient of determination, from running per-output sums."""

import functools
import warnings

import jax
import jax.numpy as jnp

from loom.losses.loss import squeeze_or_expand_to_same_rank
from loom.metrics.metric import Metric

_CLASS_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """The coefficient of determination ``1 - sum((y_true - y_pred)**2) / sum((y_true - mean(y_true))**2)``.

    1 means the predictions explain all the variation of the targets, 0 no more
    than their mean does, and a negative score worse than the mean. Inputs are
    2D, ``(batch_size, num_outputs)``; each output gets its own score, which
    ``class_aggregation`` combines. The state holds per-output sums, so the
    score over many batches equals the score over their concatenation.

    Args:
        class_aggregation: how the per-output scores are combined: None (one
            score per output), "uniform_average" or "variance_weighted_average"
            (weighted by each output's total sum of squares), as scikit-learn's
            ``multioutput``.
        num_regressors: number of independent regressors, for the "adjusted
            R2" score; 0 gives the plain R2 score.
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = R2Score()
    >>> round(float(m([[1.0], [4.0], [3.0]], [[2.0], [4.0], [4.0]])), 4)
    0.5714
    """

    _direction = "up"

    def __init__(
        self,
        class_aggregation: str | None = "uniform_average",
        num_regressors: int = 0,
        name: str = "r2_score",
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in _CLASS_AGGREGATIONS:
            raise ValueError(
                f"R2Score: `class_aggregation` must be one of {_CLASS_AGGREGATIONS}; "
                f"received class_aggregation={class_aggregation!r}."
            )
        if isinstance(num_regressors, bool) or not isinstance(num_regressors, int) or num_regressors < 0:
            raise ValueError(
                f"R2Score: `num_regressors` must be an int >= 0 (0 gives the plain R2 score); "
                f"received num_regressors={num_regressors!r}."
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), "zeros", name="num_samples")
        self._built = False

    def build(self, y_true_shape, y_pred_shape) -> None:
        """Creates the per-output sums: one entry per column of ``y_pred``."""
        if self._built:
            return
        y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2 or y_pred_shape[-1] is None:
            raise ValueError(
                f"{self._owner()} expects 2D inputs of shape (batch_size, num_outputs) with num_outputs known; "
                f"received y_true shape {y_true_shape} and y_pred shape {y_pred_shape}. "
                "Reshape the targets and predictions to (batch_size, num_outputs), e.g. y[:, None] for one output."
            )
        num_outputs = y_pred_shape[-1]
        # Names and order as in Keras: total_mse is the variable named "residual".
        self.squared_sum = self.add_variable((num_outputs,), "zeros", name="squared_sum")
        self.sum = self.add_variable((num_outputs,), "zeros", name="sum")
        self.total_mse = self.add_variable((num_outputs,), "zeros", name="residual")
        self.count = self.add_variable((num_outputs,), "zeros", name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds the batch's (weighted) sums of targets, squared targets and squared errors.

        Args:
            y_true: targets, ``(batch_size, num_outputs)``.
            y_pred: predictions, same shape.
            sample_weight: optional weights, one per sample or per value.
        """
        y_true = jnp.asarray(y_true, dtype=self.dtype)
        y_pred = jnp.asarray(y_pred, dtype=self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        self.build(y_true.shape, y_pred.shape)
        weight = None if sample_weight is None else jnp.asarray(sample_weight, self.dtype)
        try:
            sums = _batch_sums(y_true, y_pred, weight)
        except (ValueError, TypeError) as err:
            raise ValueError(
                f"{self._owner()}: received y_true of shape {y_true.shape}, y_pred of shape {y_pred.shape} and "
                f"sample_weight of shape {jnp.shape(sample_weight)}, which do not line up. Pass predictions of the "
                "targets' shape, and one weight per sample or per value."
            ) from err
        for variable, value in zip((self.sum, self.squared_sum, self.total_mse, self.count), sums):
            variable.assign(variable.value + value)
        # Every value counts, weighted or not: Keras's n for the adjusted score.
        self.num_samples.assign(self.num_samples.value + y_true.size)

    def result(self):
        if not self._built:
            raise RuntimeError(
                f"{self._owner()} has no state yet: its sums take their size from the data. "
                "Call update_state (or build) before result()."
            )
        score = _r2(
            self.sum.value, self.squared_sum.value, self.total_mse.value, self.count.value, self.class_aggregation
        )
        if self.num_regressors == 0:
            return score
        return self._adjusted(score)

    def _adjusted(self, score):
        """The adjusted R2 score; the plain score where it is undefined (too few values)."""
        n = self.num_samples.value
        p = jnp.asarray(self.num_regressors, n.dtype)
        if not isinstance(n, jax.core.Tracer):
            # Keras warns from eager code only; a compiled step has no value to test.
            if self.num_regressors > float(n) - 1:
                warnings.warn(
                    f"{self._owner()}: more regressors ({self.num_regressors}) than values seen minus one "
                    f"({int(n)} - 1); the adjusted R2 score is undefined, so the plain R2 score is returned.",
                    stacklevel=3,
                )
            elif self.num_regressors == float(n) - 1:
                warnings.warn(
                    f"{self._owner()}: num_regressors={self.num_regressors} equals the values seen minus one, "
                    "a division by zero in the adjusted R2 score; the plain R2 score is returned.",
                    stacklevel=3,
                )
        return _adjusted_r2(score, n, p)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }


# Compiled once per shape: an eager update is one dispatch, and inside the
# engine's compiled step the call is inlined.
@jax.jit
def _batch_sums(y_true, y_pred, weight):
    """The batch's per-output weighted sums of y, y**2, squared errors and weights."""
    if weight is None:
        weight = jnp.ones((), y_true.dtype)
    elif weight.ndim == 1:
        weight = weight[:, None]  # one weight per sample, for every output
    weight = jnp.broadcast_to(weight, y_true.shape)
    weighted_y_true = y_true * weight
    return (
        jnp.sum(weighted_y_true, axis=0),
        jnp.sum(y_true * weighted_y_true, axis=0),
        jnp.sum(jnp.square(y_true - y_pred) * weight, axis=0),
        jnp.sum(weight, axis=0),
    )


@functools.partial(jax.jit, static_argnames=("class_aggregation",))
def _r2(sum_, squared_sum, total_mse, count, class_aggregation):
    """The R2 score(s) from the sums; an output with no variance scores 0 (not -inf), as in Keras."""
    mean = sum_ / count
    total = squared_sum - sum_ * mean
    raw_scores = 1 - total_mse / total
    raw_scores = jnp.where(jnp.isinf(raw_scores), 0.0, raw_scores)
    if class_aggregation == "uniform_average":
        return jnp.mean(raw_scores)
    if class_aggregation == "variance_weighted_average":
        return jnp.sum(total * raw_scores) / jnp.sum(total)
    return raw_scores


@jax.jit
def _adjusted_r2(score, n, p):
    """``1 - (1 - R2)(n - 1) / (n - p - 1)`` for n values and p regressors; R2 itself where p >= n - 1."""
    adjusted = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
    return jnp.where(p < n - 1.0, adjusted, score)
