"""Pooling layers: max and average over sliding windows (MaxPooling2D, ...) or whole spatial axes (Global*)."""

import jax.numpy as jnp

from loom.layers.convolutional import arguments
from loom.layers.input_spec import InputSpec
from loom.layers.layer import Layer
from loom.ops import convolution


class Pooling(Layer):
    """Max or average over windows of the spatial axes; the base of MaxPooling*/AveragePooling*.

    Args:
        pool_size: int or ``rank`` ints, the window size.
        strides: int, ``rank`` ints, or None (default) for ``pool_size``.
        padding: "valid" (windows inside the input) or "same" (output size
            ``ceil(size / stride)``; padded positions never enter a max or a mean).
        data_format: "channels_last" or "channels_first"; None (default) uses ``loom.config.image_data_format()``.

    Input shape: ``(batch, *spatial, channels)`` (channels last).
    """

    rank = None  # number of spatial axes, set by each concrete class
    mode = None  # "max" or "average"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = arguments.int_tuple(self, pool_size, self.rank, "pool_size")
        self.strides = self.pool_size if strides is None else arguments.int_tuple(self, strides, self.rank, "strides")
        self.padding = arguments.padding(self, padding)
        self.data_format = arguments.data_format(self, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def build(self, input_shape):
        arguments.check_rank(self, input_shape, self.rank, self.data_format)
        self._check_window_fits(input_shape)

    def _check_window_fits(self, input_shape) -> None:
        if self.padding == "valid":
            arguments.check_window_fits(self, input_shape, self.data_format, self.pool_size, "pool_size")

    def __call__(self, *args, **kwargs):
        first = args[0] if args else next(iter(kwargs.values()), None)
        if self.built and hasattr(first, "shape") and len(first.shape) == self.rank + 2:
            # build() checked the first input; later inputs (a shared layer) are checked here.
            self._check_window_fits(first.shape)
        return super().__call__(*args, **kwargs)

    def call(self, inputs):
        pool = convolution.max_pool if self.mode == "max" else convolution.average_pool
        return pool(inputs, self.pool_size, self.strides, self.padding, self.data_format)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }


class MaxPooling1D(Pooling):
    """Max over windows of the steps of ``(batch, steps, channels)``; see ``Pooling``.

    Example:
        >>> MaxPooling1D(2)(Input((10, 3))).shape
        (None, 5, 3)
    """

    rank, mode = 1, "max"


class MaxPooling2D(Pooling):
    """Max over windows of ``(batch, height, width, channels)``; see ``Pooling``.

    Example:
        >>> MaxPooling2D((2, 2))(Input((28, 28, 8))).shape
        (None, 14, 14, 8)
    """

    rank, mode = 2, "max"


class MaxPooling3D(Pooling):
    """Max over windows of ``(batch, depth, height, width, channels)``; see ``Pooling``."""

    rank, mode = 3, "max"


class AveragePooling1D(Pooling):
    """Mean over windows of the steps of ``(batch, steps, channels)``; see ``Pooling``.

    ``pool_size`` defaults to 2 as in Keras 2 (Keras 3 requires it).
    """

    rank, mode = 1, "average"


class AveragePooling2D(Pooling):
    """Mean over windows of ``(batch, height, width, channels)``; see ``Pooling``.

    ``pool_size`` defaults to 2 as in Keras 2 (Keras 3 requires it).

    Example:
        >>> AveragePooling2D(3, strides=1, padding="same")(Input((5, 5, 2))).shape
        (None, 5, 5, 2)
    """

    rank, mode = 2, "average"


class AveragePooling3D(Pooling):
    """Mean over windows of ``(batch, depth, height, width, channels)``; see ``Pooling``.

    ``pool_size`` defaults to 2 as in Keras 2 (Keras 3 requires it).
    """

    rank, mode = 3, "average"


class GlobalPooling(Layer):
    """Max or mean over all spatial axes; the base of GlobalMaxPooling*/GlobalAveragePooling*.

    Args:
        data_format: "channels_last" or "channels_first"; None (default) uses ``loom.config.image_data_format()``.
        keepdims: keep the spatial axes with size 1 (``(batch, 1, ..., 1, channels)``)
            instead of dropping them (``(batch, channels)``).
    """

    rank = None
    mode = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = arguments.data_format(self, data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def build(self, input_shape):
        arguments.check_rank(self, input_shape, self.rank, self.data_format)

    def _spatial_axes(self) -> tuple:
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.rank))

    def call(self, inputs):
        reduce = jnp.max if self.mode == "max" else jnp.mean
        return reduce(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalMaxPooling1D(GlobalPooling):
    """Max over the steps: ``(batch, steps, channels) -> (batch, channels)``; see ``GlobalPooling``."""

    rank, mode = 1, "max"


class GlobalMaxPooling2D(GlobalPooling):
    """Max over height and width: ``(batch, h, w, channels) -> (batch, channels)``; see ``GlobalPooling``."""

    rank, mode = 2, "max"


class GlobalMaxPooling3D(GlobalPooling):
    """Max over depth, height and width; see ``GlobalPooling``."""

    rank, mode = 3, "max"


class GlobalAveragePooling1D(GlobalPooling):
    """Mean over the steps: ``(batch, steps, channels) -> (batch, channels)``; see ``GlobalPooling``.

    Call arguments:
        inputs: ``(batch, steps, channels)`` (channels last).
        mask: optional ``(batch, steps)`` booleans; the mean is taken over the
            unmasked steps only (as Keras). The output carries no mask.

    Example:
        >>> x = Input((None, 8))
        >>> GlobalAveragePooling1D()(Masking()(x)).shape
        (None, 8)
    """

    rank, mode = 1, "average"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps_axis = self._spatial_axes()[0]
        weights = jnp.expand_dims(jnp.asarray(mask).astype(bool), 2 if steps_axis == 1 else 1)  # (B, T, 1) or (B, 1, T)
        # where() rather than a product, so masked steps holding inf or nan do not leak in.
        total = jnp.sum(jnp.where(weights, inputs, 0), axis=steps_axis, keepdims=self.keepdims)
        return total / jnp.sum(weights.astype(total.dtype), axis=steps_axis, keepdims=self.keepdims)

    def compute_mask(self, inputs, previous_mask=None):
        return None


class GlobalAveragePooling2D(GlobalPooling):
    """Mean over height and width: ``(batch, h, w, channels) -> (batch, channels)``; see ``GlobalPooling``."""

    rank, mode = 2, "average"


class GlobalAveragePooling3D(GlobalPooling):
    """Mean over depth, height and width; see ``GlobalPooling``."""

    rank, mode = 3, "average"


MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
