"""Spatial reshaping layers: pad with zeros, crop, or upsample the spatial axes of each sample.

ZeroPadding1D/2D/3D, Cropping1D/2D/3D and UpSampling1D/2D/3D keep the batch and
channel axes and the dtype; output shapes come from tracing ``call``.
"""

import jax
import jax.numpy as jnp

from loom.layers.convolutional import arguments
from loom.layers.input_spec import InputSpec
from loom.layers.layer import Layer

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5")


class _SpatialLayer(Layer):
    """Holds ``data_format`` and checks the input rank; subclasses set ``rank``."""

    rank = None

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = arguments.data_format(self, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def build(self, input_shape):
        arguments.check_rank(self, input_shape, self.rank, self.data_format)

    def _spatial_axes(self) -> tuple:
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.rank))

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


# --- zero padding ---------------------------------------------------------------------
class ZeroPadding(_SpatialLayer):
    """Adds rows/columns of zeros around the spatial axes; the base of ZeroPadding1D/2D/3D.

    Args:
        padding: an int (every side of every spatial axis), ``rank`` ints (both
            sides of each axis) or ``rank`` (before, after) pairs.
        data_format: "channels_last" or "channels_first"; None (default) uses ``loom.config.image_data_format()``.
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = arguments.pair_tuple(self, padding, self.rank, "padding")

    def call(self, inputs):
        pad_width = [(0, 0)] * inputs.ndim
        for axis, pair in zip(self._spatial_axes(), self.padding):
            pad_width[axis] = pair
        return jnp.pad(inputs, pad_width)

    def get_config(self) -> dict:
        padding = self.padding[0] if self.rank == 1 else self.padding
        return {**super().get_config(), "padding": padding}


class ZeroPadding1D(ZeroPadding):
    """Pads the steps of ``(batch, steps, channels)`` with zeros.

    Args:
        padding: an int (both sides) or a (before, after) pair; default 1.
        data_format: "channels_last" or "channels_first"; None (default) uses ``loom.config.image_data_format()``.

    Example:
        >>> ZeroPadding1D((1, 2))(Input((5, 3))).shape
        (None, 8, 3)
    """

    rank = 1


class ZeroPadding2D(ZeroPadding):
    """Pads height and width of ``(batch, height, width, channels)`` with zeros; see ``ZeroPadding``.

    Example:
        >>> ZeroPadding2D(((1, 0), (2, 2)))(Input((5, 5, 3))).shape
        (None, 6, 9, 3)
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding=padding, data_format=data_format, **kwargs)


class ZeroPadding3D(ZeroPadding):
    """Pads depth, height and width of ``(batch, d, h, w, channels)`` with zeros; see ``ZeroPadding``."""

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding=padding, data_format=data_format, **kwargs)


# --- cropping -------------------------------------------------------------------------
class Cropping(_SpatialLayer):
    """Removes rows/columns at the borders of the spatial axes; the base of Cropping1D/2D/3D.

    Args:
        cropping: an int (every side of every spatial axis), ``rank`` ints (both
            sides of each axis) or ``rank`` (before, after) pairs.
        data_format: "channels_last" or "channels_first"; None (default) uses ``loom.config.image_data_format()``.
    """

    def __init__(self, cropping=1, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = arguments.pair_tuple(self, cropping, self.rank, "cropping")

    def build(self, input_shape):
        super().build(input_shape)
        self._check_fits(input_shape)

    def _check_fits(self, input_shape) -> None:
        spatial = arguments.spatial_shape(input_shape, self.data_format)
        if any(size is not None and sum(pair) >= size for size, pair in zip(spatial, self.cropping)):
            shown = self.cropping[0] if self.rank == 1 else self.cropping
            raise ValueError(
                f"{self.describe()}: cropping={shown} removes all of the input's spatial size {spatial} "
                f"(input shape {tuple(input_shape)}); crop less than the size of each axis."
            )

    def __call__(self, *args, **kwargs):
        first = args[0] if args else next(iter(kwargs.values()), None)
        if self.built and hasattr(first, "shape") and len(first.shape) == self.rank + 2:
            self._check_fits(first.shape)  # a shared layer's later inputs
        return super().__call__(*args, **kwargs)

    def call(self, inputs):
        index = [slice(None)] * inputs.ndim
        for axis, (before, after) in zip(self._spatial_axes(), self.cropping):
            index[axis] = slice(before, -after if after else None)
        return inputs[tuple(index)]

    def get_config(self) -> dict:
        cropping = self.cropping[0] if self.rank == 1 else self.cropping
        return {**super().get_config(), "cropping": cropping}


class Cropping1D(Cropping):
    """Crops the steps of ``(batch, steps, channels)``.

    Args:
        cropping: an int (both ends) or a (before, after) pair; default (1, 1).

    Example:
        >>> Cropping1D((1, 2))(Input((6, 3))).shape
        (None, 3, 3)
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        # Always channels last, whatever image_data_format() says, as in Keras.
        super().__init__(cropping=cropping, data_format="channels_last", **kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("data_format")  # Cropping1D is always channels last, as in Keras
        return config


class Cropping2D(Cropping):
    """Crops height and width of ``(batch, height, width, channels)``; see ``Cropping``.

    Example:
        >>> Cropping2D(((2, 2), (4, 4)))(Input((28, 28, 3))).shape
        (None, 24, 20, 3)
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping=cropping, data_format=data_format, **kwargs)


class Cropping3D(Cropping):
    """Crops depth, height and width of ``(batch, d, h, w, channels)``; see ``Cropping``."""

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping=cropping, data_format=data_format, **kwargs)


# --- upsampling -----------------------------------------------------------------------
class UpSampling1D(_SpatialLayer):
    """Repeats each step ``size`` times: ``(batch, steps, channels) -> (batch, steps * size, channels)``.

    Args:
        size: the upsampling factor (a positive int).

    Example:
        >>> UpSampling1D(3)(Input((4, 2))).shape
        (None, 12, 2)
    """

    rank = 1

    def __init__(self, size=2, **kwargs):
        # Always channels last, whatever image_data_format() says, as in Keras.
        super().__init__(data_format="channels_last", **kwargs)
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"{self.describe()}: `size` must be a positive int; received size={size!r}.")
        self.size = arguments.positive_int(self, size, "size")

    def call(self, inputs):
        return jnp.repeat(inputs, self.size, axis=1)

    def get_config(self) -> dict:
        config = {**super().get_config(), "size": self.size}
        config.pop("data_format")  # UpSampling1D is always channels last, as in Keras
        return config


class UpSampling2D(_SpatialLayer):
    """Upsamples height and width of ``(batch, height, width, channels)`` by ``size``.

    Args:
        size: an int or (rows, cols) factors; default (2, 2).
        data_format: "channels_last" or "channels_first"; None (default) uses ``loom.config.image_data_format()``.
        interpolation: "nearest" (repeat rows and columns), or "bilinear",
            "bicubic", "lanczos3", "lanczos5" (``jax.image.resize``, half-pixel
            centers, as Keras on every backend).

    Example:
        >>> UpSampling2D((2, 3), interpolation="bilinear")(Input((4, 4, 1))).shape
        (None, 8, 12, 1)
    """

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.size = arguments.int_tuple(self, size, 2, "size")
        if not isinstance(interpolation, str) or interpolation.lower() not in _INTERPOLATIONS:
            raise ValueError(
                f"{self.describe()}: `interpolation` must be one of {', '.join(map(repr, _INTERPOLATIONS))}; "
                f"received interpolation={interpolation!r}."
            )
        self.interpolation = interpolation.lower()

    def call(self, inputs):
        rows, cols = self._spatial_axes()
        if self.interpolation == "nearest":
            return jnp.repeat(jnp.repeat(inputs, self.size[0], axis=rows), self.size[1], axis=cols)
        shape = list(inputs.shape)
        shape[rows] *= self.size[0]
        shape[cols] *= self.size[1]
        return jax.image.resize(inputs, tuple(shape), method=self.interpolation, antialias=False)

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size, "interpolation": self.interpolation}


class UpSampling3D(_SpatialLayer):
    """Repeats each voxel of ``(batch, d, h, w, channels)`` ``size`` times along each axis.

    Args:
        size: an int or three factors; default (2, 2, 2).
        data_format: "channels_last" or "channels_first"; None (default) uses ``loom.config.image_data_format()``.
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.size = arguments.int_tuple(self, size, 3, "size")

    def call(self, inputs):
        for axis, factor in zip(self._spatial_axes(), self.size):
            inputs = jnp.repeat(inputs, factor, axis=axis)
        return inputs

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size}
