"""Reshaping layers: change the layout of each sample (Flatten, Reshape, Permute, RepeatVector).

The batch axis is never touched. Sizes are checked when the layer is called on
symbolic tensors; output shapes (and dtypes, which these layers keep) come
from tracing ``call``.
"""

import math

import jax.numpy as jnp
import numpy as np

from loom.layers.convolutional import arguments
from loom.layers.input_spec import InputSpec
from loom.layers.layer import Layer


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


class Flatten(Layer):
    """Flattens each sample to one axis: ``(batch, d1, ..., dn) -> (batch, d1 * ... * dn)``.

    Args:
        data_format: "channels_last" or "channels_first" (None, the default,
            uses ``loom.config.image_data_format()``); with
            "channels_first" the channel axis is moved last before flattening,
            so the order of values matches a channels-last model.

    Input shape: ``(batch, ...)`` of any rank >= 1 (``(batch,)`` gives
    ``(batch, 1)``).
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = arguments.data_format(self, data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        rank = inputs.ndim
        if self.data_format == "channels_first" and rank > 2:
            inputs = jnp.transpose(inputs, (0, *range(2, rank), 1))
        return jnp.reshape(inputs, (inputs.shape[0], math.prod(inputs.shape[1:])))

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (the batch axis is kept).

    Args:
        target_shape: the new shape without the batch axis; one entry may be
            -1, inferred from the sample size.

    Example:
        >>> Reshape((3, 4))(Input((12,))).shape
        (None, 3, 4)
        >>> Reshape((-1, 2))(Input((12,))).shape
        (None, 6, 2)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        if _is_int(target_shape):
            target_shape = (target_shape,)
        if not isinstance(target_shape, (list, tuple)) or not all(_is_int(d) for d in target_shape):
            raise TypeError(
                f"{self.describe()}: `target_shape` must be a tuple of ints (one may be -1), without the "
                f"batch axis; received target_shape={target_shape!r}."
            )
        target_shape = tuple(int(d) for d in target_shape)
        if any(d < -1 for d in target_shape) or target_shape.count(-1) > 1:
            raise ValueError(
                f"{self.describe()}: `target_shape` takes sizes >= 0 and at most one -1 (an inferred size); "
                f"received target_shape={target_shape}."
            )
        self.target_shape = target_shape

    def build(self, input_shape):
        self._resolve(tuple(input_shape[1:]), tuple(input_shape))
        self.built = True

    def _resolve(self, sample_shape: tuple, input_shape: tuple) -> tuple:
        """``target_shape`` with its -1 filled in when the sample size is known; checks sizes."""
        if any(not _is_int(d) for d in sample_shape):
            return self.target_shape
        size = math.prod(sample_shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if (known == 0 and size != 0) or (known and size % known):
                raise ValueError(
                    f"{self.describe()} cannot reshape inputs of shape {input_shape} ({size} values per sample) "
                    f"to target_shape={self.target_shape}: {size} is not a multiple of {known}. Pick sizes "
                    f"that divide {size}."
                )
            inferred = size // known if known else 0
            return tuple(inferred if d == -1 else d for d in self.target_shape)
        if size != known:
            raise ValueError(
                f"{self.describe()} cannot reshape inputs of shape {input_shape} ({size} values per sample) "
                f"to target_shape={self.target_shape} ({known} values). Pick sizes whose product is {size}, "
                "or use -1 for one of them."
            )
        return self.target_shape

    def __call__(self, *args, **kwargs):
        first = args[0] if args else next(iter(kwargs.values()), None)
        if self.built and hasattr(first, "shape"):
            # build() checked the first input; later calls (a shared layer) are checked here.
            shape = tuple(d if _is_int(d) else None for d in first.shape)
            self._resolve(shape[1:], shape)
        return super().__call__(*args, **kwargs)

    def call(self, inputs):
        target = self._resolve(tuple(inputs.shape[1:]), tuple(inputs.shape))
        if -1 in target:
            return jnp.reshape(inputs, (inputs.shape[0],) + target)
        return jnp.reshape(inputs, (-1,) + target)

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the non-batch axes of each sample.

    Args:
        dims: the new order of axes 1..n (1-indexed, the batch axis excluded),
            e.g. ``(2, 1)`` swaps the two axes of ``(batch, a, b)``.

    Example:
        >>> Permute((2, 1))(Input((10, 64))).shape
        (None, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(dims, (list, tuple)) or not all(_is_int(d) for d in dims):
            raise TypeError(f"{self.describe()}: `dims` must be a tuple of ints; received dims={dims!r}.")
        dims = tuple(int(d) for d in dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                f"{self.describe()}: `dims` must be a permutation of 1..{len(dims)} (axes are 1-indexed; "
                f"the batch axis 0 stays first); received dims={dims}."
            )
        self.dims = dims
        self.input_spec = InputSpec(ndim=len(dims) + 1)

    def call(self, inputs):
        return jnp.transpose(inputs, (0,) + self.dims)

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats each sample ``n`` times: ``(batch, features) -> (batch, n, features)``.

    Args:
        n: the number of repetitions, a positive int.
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not _is_int(n):
            raise TypeError(f"{self.describe()}: `n` must be an int; received n={n!r}.")
        if n <= 0:
            raise ValueError(f"{self.describe()}: `n` must be a positive int; received n={n}.")
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return jnp.repeat(inputs[:, None, :], self.n, axis=1)

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}
