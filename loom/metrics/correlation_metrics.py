"""Correlation metrics: Pearson's and the concordance correlation coefficient, averaged over samples."""

import functools

import jax
import jax.numpy as jnp

from loom.losses.loss import squeeze_or_expand_to_same_rank
from loom.metrics.reduction_metrics import MeanMetricWrapper
from loom.ops.operation import symbolic_op

# Keras's backend epsilon, keeping the concordance denominator away from 0.
_EPSILON = 1e-7


def _aligned(y_true, y_pred):
    y_pred = jnp.asarray(y_pred)
    if not jnp.issubdtype(y_pred.dtype, jnp.floating):
        y_pred = y_pred.astype("float32")
    y_true = jnp.asarray(y_true, dtype=y_pred.dtype)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def _as_axis(axis):
    # A tuple of axes comes back from a JSON config as a list, which jnp rejects.
    return tuple(axis) if isinstance(axis, list) else axis


@symbolic_op
def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson's correlation coefficient between labels and predictions along ``axis``.

    ``mean(z(y_true) * z(y_pred), axis)`` with ``z(x) = (x - mean(x)) / std(x)``:
    1 for a perfect positive linear relation, -1 for a negative one. A constant
    row has no correlation (0 / 0 gives NaN, as in Keras).

    Args:
        y_true: targets, e.g. ``(batch_size, d)``.
        y_pred: predictions, same shape.
        axis: axis (or axes) along which the correlation is computed.

    Returns:
        The coefficients, ``y_pred``'s shape without ``axis``.

    Example:

    >>> [round(float(c), 4) for c in pearson_correlation([[1, 2, 3], [1, 2, 3]], [[1, 2, 3], [1, 2, 4]])]
    [1.0, 0.982]
    """
    y_true, y_pred = _aligned(y_true, y_pred)
    return _pearson(y_true, y_pred, axis=_as_axis(axis))


@symbolic_op
def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation coefficient between labels and predictions along ``axis``.

    ``2 cov(t, p) / (var(t) + var(p) + (mean(t) - mean(p))**2)``: like Pearson's
    coefficient, but 1 only when the predictions equal the labels, not just
    when they are linearly related.

    Args:
        y_true: targets, e.g. ``(batch_size, d)``.
        y_pred: predictions, same shape.
        axis: axis (or axes) along which the coefficient is computed.

    Returns:
        The coefficients, ``y_pred``'s shape without ``axis``.

    Example:

    >>> [round(float(c), 4) for c in concordance_correlation([[1, 2, 3], [1, 2, 3]], [[1, 2, 3], [1, 2, 4]])]
    [1.0, 0.8571]
    """
    y_true, y_pred = _aligned(y_true, y_pred)
    return _concordance(y_true, y_pred, axis=_as_axis(axis))


# Compiled once per axis and shape: eager calls are one dispatch, and inside the
# engine's compiled step the call is inlined.
@functools.partial(jax.jit, static_argnames=("axis",))
def _pearson(y_true, y_pred, axis):
    true_centered = y_true - jnp.mean(y_true, axis=axis, keepdims=True)
    pred_centered = y_pred - jnp.mean(y_pred, axis=axis, keepdims=True)
    true_standard = true_centered / jnp.std(true_centered, axis=axis, keepdims=True)
    pred_standard = pred_centered / jnp.std(pred_centered, axis=axis, keepdims=True)
    return jnp.mean(true_standard * pred_standard, axis=axis)


@functools.partial(jax.jit, static_argnames=("axis",))
def _concordance(y_true, y_pred, axis):
    true_mean = jnp.mean(y_true, axis=axis, keepdims=True)
    pred_mean = jnp.mean(y_pred, axis=axis, keepdims=True)
    true_var = jnp.var(y_true, axis=axis, keepdims=True)
    pred_var = jnp.var(y_pred, axis=axis, keepdims=True)
    # Keras centres y_true on pred_mean here; as (y_pred - pred_mean) averages to 0
    # the mean below is the same covariance either way.
    covariance = (y_true - true_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + jnp.square(true_mean - pred_mean)
    return jnp.mean(2 * covariance / (norm + _EPSILON), axis=axis)


class PearsonCorrelation(MeanMetricWrapper):
    """The mean over samples of Pearson's correlation coefficient along ``axis``.

    With inputs of shape ``(batch_size, d)`` and ``axis=-1`` each sample's
    ``d`` values are correlated with its ``d`` predictions, and those
    coefficients averaged. See ``pearson_correlation``.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.
        axis: axis (or axes) along which the coefficient is computed.

    Example:

    >>> m = PearsonCorrelation()
    >>> round(float(m([[1, 2, 3], [1, 2, 3]], [[1, 2, 3], [1, 2, 4]])), 4)
    0.991
    """

    _direction = "up"

    def __init__(self, name: str = "pearson_correlation", dtype=None, axis=-1):
        super().__init__(fn=pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class ConcordanceCorrelation(MeanMetricWrapper):
    """The mean over samples of the concordance correlation coefficient along ``axis``.

    See ``concordance_correlation``: agreement of predictions with labels, 1
    only for equal values.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.
        axis: axis (or axes) along which the coefficient is computed.

    Example:

    >>> m = ConcordanceCorrelation()
    >>> round(float(m([[1, 2, 3], [1, 2, 3]], [[1, 2, 3], [1, 2, 4]])), 4)
    0.9286
    """

    _direction = "up"

    def __init__(self, name: str = "concordance_correlation", dtype=None, axis=-1):
        super().__init__(fn=concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}
