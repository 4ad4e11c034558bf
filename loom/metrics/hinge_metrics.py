"""Hinge metrics: running means of the hinge, squared hinge and categorical hinge losses."""

from loom.losses.hinge import categorical_hinge, hinge, squared_hinge
from loom.metrics.reduction_metrics import MeanMetricWrapper


class Hinge(MeanMetricWrapper):
    """The mean of ``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``.

    Labels are -1 or 1; labels given as 0 or 1 are mapped to -1 or 1.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = Hinge()
    >>> round(float(m([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])), 4)
    1.3
    """

    _direction = "down"

    def __init__(self, name: str = "hinge", dtype=None):
        super().__init__(fn=hinge, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class SquaredHinge(MeanMetricWrapper):
    """The mean of ``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``.

    Labels are -1 or 1; labels given as 0 or 1 are mapped to -1 or 1.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = SquaredHinge()
    >>> round(float(m([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])), 4)
    1.86
    """

    _direction = "down"

    def __init__(self, name: str = "squared_hinge", dtype=None):
        super().__init__(fn=squared_hinge, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class CategoricalHinge(MeanMetricWrapper):
    """The mean of ``maximum(neg - pos + 1, 0)``, with ``pos = sum(y_true * y_pred)``
    and ``neg = max((1 - y_true) * y_pred)`` over the class axis.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = CategoricalHinge()
    >>> round(float(m([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])), 4)
    1.4
    """

    _direction = "down"

    def __init__(self, name: str = "categorical_hinge", dtype=None):
        super().__init__(fn=categorical_hinge, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}
