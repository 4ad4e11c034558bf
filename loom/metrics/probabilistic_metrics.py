"""Probabilistic metrics: running means of crossentropies, KL divergence and Poisson deviance."""

import numbers

import jax.numpy as jnp

from loom.losses.crossentropy import binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy
from loom.losses.loss import apply_mask
from loom.losses.probabilistic import kl_divergence, poisson
from loom.metrics.reduction_metrics import Mean, MeanMetricWrapper


def _checked_label_smoothing(owner: str, label_smoothing):
    is_number = isinstance(label_smoothing, numbers.Real) and not isinstance(label_smoothing, bool)
    if not is_number or not 0 <= label_smoothing <= 1:
        raise ValueError(
            f"{owner}: `label_smoothing` must be a float in [0, 1]; received label_smoothing={label_smoothing!r}. "
            "0 (the default) uses the labels as given."
        )
    return label_smoothing


def _checked_axis(owner: str, axis):
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise ValueError(f"{owner}: `axis` must be an int (the class axis); received axis={axis!r}.")
    return int(axis)


class KLDivergence(MeanMetricWrapper):
    """The mean Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred), axis=-1)``.

    Both arguments are probability distributions; they are clipped to ``[1e-7, 1]``.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = KLDivergence()
    >>> round(float(m([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])), 5)
    0.45814
    """

    _direction = "down"

    def __init__(self, name: str = "kl_divergence", dtype=None):
        super().__init__(fn=kl_divergence, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class Poisson(MeanMetricWrapper):
    """The mean Poisson deviance ``mean(y_pred - y_true * log(y_pred + 1e-7), axis=-1)``.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = Poisson()
    >>> round(float(m([[0, 1], [0, 0]], [[1, 1], [0, 0]])), 5)
    0.5
    """

    _direction = "down"

    def __init__(self, name: str = "poisson", dtype=None):
        super().__init__(fn=poisson, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class BinaryCrossentropy(MeanMetricWrapper):
    """The mean binary crossentropy between labels in {0, 1} and predicted probabilities.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.
        from_logits: whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: float in [0, 1]; labels are squeezed towards 0.5, e.g.
            0.2 turns 0 into 0.1 and 1 into 0.9.

    Example:

    >>> m = BinaryCrossentropy()
    >>> round(float(m([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])), 4)
    0.8149
    """

    _direction = "down"

    def __init__(self, name: str = "binary_crossentropy", dtype=None, from_logits: bool = False, label_smoothing=0):
        _checked_label_smoothing("BinaryCrossentropy", label_smoothing)
        super().__init__(
            binary_crossentropy, name, dtype=dtype, from_logits=from_logits, label_smoothing=label_smoothing
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
        }


class CategoricalCrossentropy(MeanMetricWrapper):
    """The mean crossentropy between one-hot labels and predicted class distributions.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.
        from_logits: whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: float in [0, 1]; labels are mixed with the uniform
            distribution: ``y_true * (1 - s) + s / num_classes``.
        axis: the class axis.

    Example:

    >>> m = CategoricalCrossentropy()
    >>> round(float(m([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])), 4)
    1.1769
    """

    _direction = "down"

    def __init__(
        self,
        name: str = "categorical_crossentropy",
        dtype=None,
        from_logits: bool = False,
        label_smoothing=0,
        axis: int = -1,
    ):
        _checked_label_smoothing("CategoricalCrossentropy", label_smoothing)
        _checked_axis("CategoricalCrossentropy", axis)
        super().__init__(
            categorical_crossentropy,
            name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The mean crossentropy between integer class labels and predicted class distributions.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.
        from_logits: whether ``y_pred`` holds logits rather than probabilities.
        ignore_class: a label value whose samples cost zero (e.g. a padding
            class); None ignores none. As in Keras, the ignored samples still
            count in the mean unless ``sample_weight`` is given, which they then
            leave out.
        axis: the class axis of ``y_pred``.

    Example:

    >>> m = SparseCategoricalCrossentropy()
    >>> round(float(m([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])), 4)
    1.1769
    """

    _direction = "down"

    def __init__(
        self,
        name: str = "sparse_categorical_crossentropy",
        dtype=None,
        from_logits: bool = False,
        ignore_class: int | None = None,
        axis: int = -1,
    ):
        _checked_axis("SparseCategoricalCrossentropy", axis)
        is_int = isinstance(ignore_class, numbers.Integral) and not isinstance(ignore_class, bool)
        if ignore_class is not None and not is_int:
            raise ValueError(
                f"SparseCategoricalCrossentropy: `ignore_class` must be an int (a label value) or None; "
                f"received ignore_class={ignore_class!r}."
            )
        super().__init__(
            sparse_categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds the batch's crossentropies, weighted by ``sample_weight``, to the mean."""
        if self.ignore_class is None or sample_weight is None:
            super().update_state(y_true, y_pred, sample_weight=sample_weight)
            return
        # Keras masks the ignored samples' weights only when weights are given.
        values, valid = sparse_categorical_crossentropy.values_and_mask(
            y_true, y_pred, from_logits=self.from_logits, ignore_class=self.ignore_class, axis=self.axis
        )
        sample_weight = apply_mask(jnp.asarray(sample_weight, self.dtype), valid, self.dtype, reduction="sum")
        Mean.update_state(self, values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "ignore_class": self.ignore_class,
            "axis": self.axis,
        }
