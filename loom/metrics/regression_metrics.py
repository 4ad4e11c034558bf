"""Regression metrics: running means of per-sample errors (MSE, MAE, RMSE, MSLE, MAPE, log-cosh, cosine)."""

import jax.numpy as jnp

# The per-sample error functions are the losses' (as in Keras, where
# keras.metrics.mean_squared_error is keras.losses.mean_squared_error).
from loom.losses.loss import squeeze_or_expand_to_same_rank
from loom.losses.regression import cosine_similarity as cosine_similarity_loss
from loom.losses.regression import (
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from loom.metrics.reduction_metrics import Mean, MeanMetricWrapper


class MeanSquaredError(MeanMetricWrapper):
    """The mean of ``square(y_true - y_pred)``.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = MeanSquaredError()
    >>> float(m([[0, 1], [0, 0]], [[1, 1], [0, 0]]))
    0.25
    """

    _direction = "down"

    def __init__(self, name: str = "mean_squared_error", dtype=None):
        super().__init__(fn=mean_squared_error, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean of ``abs(y_true - y_pred)``.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = MeanAbsoluteError()
    >>> float(m([[0, 1], [0, 0]], [[1, 1], [0, 0]]))
    0.25
    """

    _direction = "down"

    def __init__(self, name: str = "mean_absolute_error", dtype=None):
        super().__init__(fn=mean_absolute_error, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """The mean of ``100 * abs((y_true - y_pred) / y_true)``.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = MeanAbsolutePercentageError()
    >>> float(m([[2.0, 4.0]], [[1.0, 4.0]]))
    25.0
    """

    _direction = "down"

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype=None):
        super().__init__(fn=mean_absolute_percentage_error, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """The mean of ``square(log(y_true + 1) - log(y_pred + 1))``.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = MeanSquaredLogarithmicError()
    >>> float(m([[0.0, 0.0]], [[0.0, 0.0]]))
    0.0
    """

    _direction = "down"

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype=None):
        super().__init__(fn=mean_squared_logarithmic_error, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class RootMeanSquaredError(Mean):
    """The square root of the mean of ``square(y_true - y_pred)`` over all elements seen.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = RootMeanSquaredError()
    >>> float(m([[0, 1], [0, 0]], [[1, 1], [0, 0]]))
    0.5
    """

    _direction = "down"

    def __init__(self, name: str = "root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds this batch's squared errors, weighted by ``sample_weight``, to the mean."""
        y_true = jnp.asarray(y_true, dtype=self.dtype)
        y_pred = jnp.asarray(y_pred, dtype=self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(jnp.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return jnp.sqrt(super().result())


def cosine_similarity(y_true, y_pred, axis=-1):
    """``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: 1 for equal directions.

    The metric's sign: the loss of the same name is its negative, to be minimized.
    """
    return -cosine_similarity_loss(y_true, y_pred, axis=axis)


class CosineSimilarity(MeanMetricWrapper):
    """The mean cosine similarity between labels and predictions along ``axis``.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.
        axis: the axis along which the similarity is computed.

    Example:

    >>> m = CosineSimilarity(axis=1)
    >>> round(float(m([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])), 4)
    0.5
    """

    _direction = "up"

    def __init__(self, name: str = "cosine_similarity", dtype=None, axis: int = -1):
        super().__init__(cosine_similarity, name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict:
        # Departure from Keras 3, whose config leaves out `axis`: without it
        # from_config would silently rebuild the metric along the last axis.
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class LogCoshError(MeanMetricWrapper):
    """The mean of ``mean(log(cosh(y_pred - y_true)), axis=-1)``.

    Args:
        name: name of the metric instance; Keras's default is "logcosh".
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = LogCoshError()
    >>> round(float(m([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])), 4)
    0.1084
    """

    _direction = "down"

    def __init__(self, name: str = "logcosh", dtype=None):
        super().__init__(log_cosh, name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}
