"""Preprocessing layers: feature-wise Normalization (with ``adapt``), Rescaling, CategoryEncoding."""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np

from loom.layers.layer import Layer
from loom.ops.config import epsilon as backend_epsilon
from loom.state.variable import Variable

_OUTPUT_MODES = ("multi_hot", "one_hot", "count")


def _first_of_batch(batch):
    """The inputs of a batch: ``x`` of an ``(x, y)`` or ``(x, y, sample_weight)`` tuple."""
    return batch[0] if isinstance(batch, tuple) else batch


class Normalization(Layer):
    """Shifts and scales inputs to zero mean and unit variance per feature: ``(x - mean) / sqrt(var)``.

    The statistics are given as ``mean`` / ``variance``, or learned from data by
    ``adapt(data)`` before training (stored as non-trainable weights ``mean``,
    ``variance`` and ``count``, so they are saved with the model).

    Args:
        axis: the axis or axes that keep separate statistics (default -1, the
            features); all other axes are reduced. None: one scalar mean.
        mean, variance: fixed statistics, broadcastable to the kept axes; both
            or neither.
        invert: apply the inverse transformation, ``x * sqrt(var) + mean``.

    Example:
        >>> layer = Normalization()
        >>> layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]]))
        >>> layer(np.array([[1.0, 20.0]]))
        Array([[0., 0.]], dtype=float32)
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            axis = (int(axis),)
        elif isinstance(axis, (list, tuple)) and all(isinstance(a, (int, np.integer)) for a in axis):
            axis = tuple(int(a) for a in axis)
        else:
            raise TypeError(
                f"{self.describe()}: `axis` must be an int, a tuple of ints or None; received axis={axis!r}."
            )
        if (mean is None) != (variance is None):
            raise ValueError(
                f"{self.describe()}: give both `mean` and `variance`, or neither (then call adapt()); "
                f"received mean={mean!r} and variance={variance!r}."
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    f"{self.describe()}: `mean` and `variance` must have the same shape; received shapes "
                    f"{np.shape(mean)} and {np.shape(variance)}."
                )
            if np.ndim(mean) > len(axis):
                raise ValueError(
                    f"{self.describe()}: `mean` has rank {np.ndim(mean)}, more than the {len(axis)} kept axes "
                    f"axis={axis}. Give one value per kept feature, or a scalar."
                )
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.supports_masking = True
        self._build_input_shape = None

    def build(self, input_shape):
        rank = len(input_shape)
        if any(not -rank <= a < rank for a in self.axis):
            raise ValueError(
                f"{self.describe()}: axis={self.axis} is out of bounds for inputs of shape {tuple(input_shape)} "
                f"(rank {rank})."
            )
        keep = tuple(sorted(a % rank for a in self.axis))
        unknown = [a for a in keep if input_shape[a] is None]
        if unknown:
            raise ValueError(
                f"{self.describe()} keeps statistics per index of axis {unknown[0]}, so that axis needs a known "
                f"size; received input shape {tuple(input_shape)}."
            )
        self._build_input_shape = tuple(input_shape)
        self._keep_axis = keep
        self._reduce_axis = tuple(a for a in range(rank) if a not in keep)
        self._broadcast_shape = tuple(input_shape[a] if a in keep else 1 for a in range(rank))
        self._statistics_shape = tuple(input_shape[a] for a in keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=self._statistics_shape, initializer="zeros",
                                              trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=self._statistics_shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int32", initializer="zeros", trainable=False)
        else:
            with jax.ensure_compile_time_eval():
                self._fixed = tuple(self._broadcast(np.asarray(v, np.float32))
                                    for v in (self.input_mean, self.input_variance))

    def _broadcast(self, statistic):
        """A statistic over the kept axes (or a scalar) reshaped to broadcast against the inputs."""
        if statistic.ndim:
            shape = [1] * len(self._broadcast_shape)
            for i in range(1, statistic.ndim + 1):
                shape[self._keep_axis[-i]] = statistic.shape[-i]
            statistic = jnp.reshape(statistic, shape)
        return jnp.broadcast_to(statistic, self._broadcast_shape)

    def adapt(self, data) -> None:
        """Compute the mean and variance of ``data`` along the reduced axes.

        Args:
            data: an array, or an iterable of batches (arrays, or ``(x, y)``
                tuples whose ``x`` is used), e.g. a list or a generator.
        """
        if self.input_mean is not None:
            raise ValueError(f"{self.describe()} was given `mean` and `variance`, so it cannot adapt() to data.")
        if isinstance(data, (np.ndarray, jax.Array, Variable)):
            batches, shape = [data], tuple(np.shape(data))
        elif hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict)):
            iterator = iter(data)
            first = next(iterator, None)
            if first is None:
                raise ValueError(
                    f"{self.describe()}.adapt() received an empty iterable; pass an array or at least one batch."
                )
            first = _first_of_batch(first)
            if not hasattr(first, "shape"):
                raise TypeError(
                    f"{self.describe()}.adapt() needs batches that are arrays; received a batch of type "
                    f"{type(first).__name__}. Pass an array, or an iterable of arrays."
                )
            batches, shape = itertools.chain([first], iterator), tuple(first.shape)
        else:
            raise TypeError(
                f"{self.describe()}.adapt() accepts an array or an iterable of batches; "
                f"received {type(data).__name__}."
            )
        if not self.built:
            self.build(shape)
        total_mean = np.zeros(self._statistics_shape)
        total_var = np.zeros(self._statistics_shape)
        total_count = 0
        for batch in batches:
            batch = np.asarray(_first_of_batch(batch), dtype=np.float64)
            if batch.ndim != len(self._build_input_shape) or any(
                batch.shape[a] != self._build_input_shape[a] for a in self._keep_axis
            ):
                raise ValueError(
                    f"{self.describe()} was built for inputs of shape {self._build_input_shape}; adapt() received "
                    f"data of shape {batch.shape}. The kept axes {self._keep_axis} must match."
                )
            count = math.prod(batch.shape[a] for a in self._reduce_axis)
            batch_mean, batch_var = batch.mean(axis=self._reduce_axis), batch.var(axis=self._reduce_axis)
            # Chan et al.'s parallel update: combine the batch's moments with the running ones.
            total_count += count
            weight = count / total_count
            new_mean = total_mean * (1 - weight) + batch_mean * weight
            total_var = (total_var + (total_mean - new_mean) ** 2) * (1 - weight) + (
                batch_var + (batch_mean - new_mean) ** 2
            ) * weight
            total_mean = new_mean
        self.adapt_mean.assign(total_mean)
        self.adapt_variance.assign(total_var)
        self.count.assign(total_count)

    def call(self, inputs):
        x = jnp.asarray(inputs).astype(self.compute_dtype)
        if self.input_mean is None:
            mean = self._broadcast(self.adapt_mean.value).astype(x.dtype)
            variance = self._broadcast(self.adapt_variance.value).astype(x.dtype)
        else:
            mean, variance = (v.astype(x.dtype) for v in self._fixed)
        std = jnp.maximum(jnp.sqrt(variance), backend_epsilon())
        return mean + x * std if self.invert else (x - mean) / std

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_build_config(self) -> dict | None:
        return None if self._build_input_shape is None else {"input_shape": self._build_input_shape}

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": None if self.input_mean is None else np.asarray(self.input_mean).tolist(),
            "variance": None if self.input_variance is None else np.asarray(self.input_variance).tolist(),
        }


def _as_config_value(value):
    return np.asarray(value).tolist() if isinstance(value, (np.ndarray, jax.Array, list, tuple)) else float(value)


class Rescaling(Layer):
    """Multiplies its inputs by ``scale`` and adds ``offset``: ``x * scale + offset``.

    Args:
        scale: a float, or one value per channel (broadcast over the last axis).
        offset: a float, or one value per channel.

    Example: ``Rescaling(1 / 255)`` maps uint8 pixels to [0, 1];
    ``Rescaling(1 / 127.5, offset=-1)`` to [-1, 1].
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("scale", scale), ("offset", offset)):
            array = np.asarray(value) if not isinstance(value, bool) else None
            if array is None or not np.issubdtype(array.dtype, np.number):
                raise TypeError(
                    f"{self.describe()}: `{name}` must be a number or a list of numbers; received {name}={value!r}."
                )
        self.scale = scale
        self.offset = offset
        self.supports_masking = True

    def call(self, inputs):
        dtype = self.compute_dtype
        x = jnp.asarray(inputs).astype(dtype)
        return x * jnp.asarray(self.scale, dtype) + jnp.asarray(self.offset, dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": _as_config_value(self.scale), "offset": _as_config_value(self.offset)}


class CategoryEncoding(Layer):
    """Encodes integer category ids as one-hot, multi-hot or count vectors of length ``num_tokens``.

    Args:
        num_tokens: the number of categories; ids must be in ``[0, num_tokens)``
            (ids outside give all-zero rows).
        output_mode: "multi_hot" (1 for each id present in a sample; "binary"
            is an alias), "one_hot" (one vector per id) or "count" (how often
            each id occurs in a sample).
        sparse: accepted for Keras compatibility; loom's outputs are dense.

    Call arguments:
        inputs: integer ids, ``(batch,)`` or ``(batch, ids)``.
        count_weights: with ``output_mode="count"``, weights of the ids
            (inputs' shape); the output sums weights instead of counting.

    Output shape: ``(batch, num_tokens)``; one_hot of ``(batch, ids)`` gives
    ``(batch, ids, num_tokens)`` (an ``ids`` axis of size 1 is dropped).
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        output_mode = "multi_hot" if output_mode == "binary" else output_mode
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(
                f"{self.describe()}: `output_mode` must be 'multi_hot', 'one_hot' or 'count'; "
                f"received output_mode={output_mode!r}."
            )
        if isinstance(num_tokens, bool) or not isinstance(num_tokens, (int, np.integer)) or num_tokens < 1:
            raise ValueError(
                f"{self.describe()}: `num_tokens` must be a positive int (the number of categories); "
                f"received num_tokens={num_tokens!r}."
            )
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = bool(sparse)

    def build(self, input_shape):
        if self.output_mode != "one_hot" and len(input_shape) > 2:
            raise ValueError(
                f"{self.describe()} with output_mode='{self.output_mode}' encodes inputs of rank at most 2, "
                f"(batch, ids); received shape {tuple(input_shape)}. Reshape the ids to (batch, ids) first."
            )

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(
                f"{self.describe()}: `count_weights` is only used with output_mode='count'; "
                f"this layer has output_mode='{self.output_mode}'."
            )
        ids = jnp.asarray(inputs).astype("int32")
        if ids.ndim == 0:
            ids = ids[None]
        if self.output_mode == "one_hot":
            if ids.ndim > 1 and ids.shape[-1] == 1:
                ids = jnp.squeeze(ids, -1)
            return jax.nn.one_hot(ids, self.num_tokens, dtype=self.dtype)
        reduction_axis = 1 if ids.ndim > 1 else 0
        if self.output_mode == "multi_hot":
            return jnp.max(jax.nn.one_hot(ids, self.num_tokens, dtype=self.dtype), axis=reduction_axis)
        encoded = jax.nn.one_hot(ids, self.num_tokens, dtype=self.dtype)
        if count_weights is not None:
            weights = jnp.asarray(count_weights).astype(self.compute_dtype)
            encoded = encoded.astype(weights.dtype) * jnp.expand_dims(weights, -1)
        return jnp.sum(encoded, axis=reduction_axis)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_tokens": self.num_tokens,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }
