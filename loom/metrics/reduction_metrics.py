"""Reduction metrics: a running (weighted) sum or mean of per-sample values."""

import types

import jax.numpy as jnp

from loom.losses.loss import squeeze_or_expand_to_same_rank
from loom.losses.serialization import ALL_OBJECTS as LOSS_OBJECTS
from loom.metrics.metric import Metric
from loom.ops.numpy import divide_no_nan


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype, owner: str = "metric"):
    """Weighted values reduced to one per sample, and the matching weights.

    ``values`` are cast to ``dtype``; ``sample_weight`` (if given) is aligned with
    them, the values are reduced over the axes the weight lacks, multiplied by
    the broadcast weight, and the weight reduced over its own non-batch axes.
    Returns ``(values of rank <= 1, sample_weight or None)``; ``owner`` names
    the metric in errors.
    """
    values = jnp.asarray(values, dtype=dtype)
    if sample_weight is not None:
        sample_weight = jnp.asarray(sample_weight, dtype=dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim, values_ndim = sample_weight.ndim, values.ndim
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        # Broadcasting the weight does not change the product, but it makes the
        # count below include every value the weight applies to.
        try:
            sample_weight = jnp.broadcast_to(sample_weight, values.shape)
        except ValueError as err:
            raise ValueError(
                f"{owner}: `sample_weight` of shape {sample_weight.shape} does not fit the per-sample "
                f"values of shape {values.shape}. Pass one weight per sample, shape (batch_size,), "
                "or one per value."
            ) from err
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of the given values.

    ``[1, 3, 5, 7]`` sums to 16; with ``sample_weight=[1, 1, 0, 0]`` to 4.

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = Sum()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> float(m.result())
    4.0
    """

    def __init__(self, name: str = "sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", dtype=self.dtype, name="total")

    def update_state(self, values, sample_weight=None) -> None:
        """Adds the (weighted) sum of ``values`` to the total."""
        values, _ = reduce_to_samplewise_values(values, sample_weight, jnp.sum, self.dtype, self._owner())
        self.total.assign(self.total.value + jnp.sum(values))

    def result(self):
        return self.total.value.astype(self.dtype)


class Mean(Metric):
    """The (weighted) mean of the given values.

    ``[1, 3, 5, 7]`` averages to 4; with ``sample_weight=[1, 1, 0, 0]`` to 2.
    The state is a ``total`` and a ``count``; the result is their ratio (0 while
    the count is 0).

    Args:
        name: name of the metric instance.
        dtype: dtype of the result; defaults to floatx.

    Example:

    >>> m = Mean()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> float(m.result())
    2.0
    """

    def __init__(self, name: str = "mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", dtype=self.dtype, name="total")
        self.count = self.add_variable((), "zeros", dtype=self.dtype, name="count")

    def update_state(self, values, sample_weight=None) -> None:
        """Adds the (weighted) values to the total and their weight to the count."""
        values, sample_weight = reduce_to_samplewise_values(
            values, sample_weight, jnp.mean, self.dtype, self._owner()
        )
        self.total.assign(self.total.value + jnp.sum(values))
        if sample_weight is not None:
            num_samples = jnp.sum(sample_weight)
        elif values.ndim >= 1:
            num_samples = values.shape[0]
        else:
            num_samples = 1
        self.count.assign(self.count.value + jnp.asarray(num_samples, dtype=self.dtype))

    def result(self):
        return divide_no_nan(self.total.value, self.count.value)


class MeanMetricWrapper(Mean):
    """Turns a function ``fn(y_true, y_pred)`` into a metric averaged over samples.

    ``fn`` returns one value per sample (or per sample and position); the
    metric keeps their (weighted) running mean.

    Args:
        fn: the function, ``fn(y_true, y_pred, **kwargs)``.
        name: name of the metric instance; defaults to "mean_metric_wrapper".
        dtype: dtype of the result; defaults to floatx.
        **kwargs: keyword arguments passed on to ``fn`` (``threshold=0.3``).

    Example:

    >>> import jax.numpy as jnp
    >>> def squared_error(y_true, y_pred):
    ...     return jnp.square(y_true - y_pred)
    >>> m = MeanMetricWrapper(squared_error, name="se")
    >>> float(m(jnp.array([0.0, 1.0]), jnp.array([1.0, 1.0])))
    0.5
    """

    def __init__(self, fn, name: str | None = None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(
                f"MeanMetricWrapper: `fn` must be a function fn(y_true, y_pred); received fn={fn!r}. "
                "To load a serialized wrapper use loom.metrics.deserialize(config, custom_objects)."
            )
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        # A wrapped loss is to be minimized, which callbacks read as its direction.
        if fn in LOSS_OBJECTS or type(fn) in LOSS_OBJECTS:
            self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds ``fn(y_true, y_pred)``, weighted by ``sample_weight``, to the mean."""
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        return {**super().get_config(), "fn": serialize_function(self._fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict) -> "MeanMetricWrapper":
        # ``fn`` arrives resolved to a function when loaded through
        # loom.metrics.deserialize, which knows the built-in names and custom_objects.
        return cls(**config)


def serialize_function(fn) -> dict:
    """A named function as Keras writes it: ``{"class_name": "function", "config": name, ...}``."""
    name = getattr(fn, "__name__", None)
    if not isinstance(fn, types.FunctionType) or name == "<lambda>":
        raise ValueError(
            f"Cannot serialize metric function {fn!r}: only functions defined with `def` have a name "
            "to look them up by when loading. Define it with `def` and pass it in `custom_objects` "
            "when loading, or write a Metric subclass with get_config()."
        )
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}
