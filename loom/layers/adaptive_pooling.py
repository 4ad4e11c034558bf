"""Adaptive pooling layers: max or mean over bins that give a fixed output size whatever the input size."""

from loom.layers.convolutional import arguments
from loom.layers.input_spec import InputSpec
from loom.layers.layer import Layer
from loom.ops import adaptive_pooling


class AdaptivePooling(Layer):
    """Max or mean over ``output_size`` bins per spatial axis; the base of AdaptiveMaxPooling*/AdaptiveAveragePooling*.

    Output ``i`` of an axis of length ``L`` pools positions ``floor(i L / n)`` to
    ``ceil((i + 1) L / n) - 1``, as PyTorch's ``AdaptiveAvgPool`` and Keras.

    Args:
        output_size: an int, or ``rank`` ints, the output's spatial size.
        data_format: "channels_last" or "channels_first"; None (default) uses ``loom.config.image_data_format()``.

    Input shape: ``(batch, *spatial, channels)`` (channels last).
    Output shape: ``(batch, *output_size, channels)``.
    """

    rank = None  # number of spatial axes, set by each concrete class
    mode = None  # "max" or "average"

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.output_size = arguments.int_tuple(self, output_size, self.rank, "output_size")
        self.data_format = arguments.data_format(self, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def build(self, input_shape):
        arguments.check_rank(self, input_shape, self.rank, self.data_format)

    def call(self, inputs):
        pool = adaptive_pooling.adaptive_max_pool if self.mode == "max" else adaptive_pooling.adaptive_average_pool
        return pool(inputs, self.output_size, self.data_format)

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self) -> dict:
        return {**super().get_config(), "output_size": self.output_size, "data_format": self.data_format}


class AdaptiveAveragePooling1D(AdaptivePooling):
    """Means over ``output_size`` bins of the steps of ``(batch, steps, channels)``; see ``AdaptivePooling``.

    Example:
        >>> AdaptiveAveragePooling1D(4)(Input((10, 3))).shape
        (None, 4, 3)
    """

    rank, mode = 1, "average"


class AdaptiveAveragePooling2D(AdaptivePooling):
    """Means over ``output_size`` bins of ``(batch, height, width, channels)``; see ``AdaptivePooling``.

    Example:
        >>> AdaptiveAveragePooling2D((2, 3))(Input((7, 9, 8))).shape
        (None, 2, 3, 8)
    """

    rank, mode = 2, "average"


class AdaptiveAveragePooling3D(AdaptivePooling):
    """Means over ``output_size`` bins of ``(batch, depth, height, width, channels)``; see ``AdaptivePooling``."""

    rank, mode = 3, "average"


class AdaptiveMaxPooling1D(AdaptivePooling):
    """Maxima over ``output_size`` bins of the steps of ``(batch, steps, channels)``; see ``AdaptivePooling``."""

    rank, mode = 1, "max"


class AdaptiveMaxPooling2D(AdaptivePooling):
    """Maxima over ``output_size`` bins of ``(batch, height, width, channels)``; see ``AdaptivePooling``."""

    rank, mode = 2, "max"


class AdaptiveMaxPooling3D(AdaptivePooling):
    """Maxima over ``output_size`` bins of ``(batch, depth, height, width, channels)``; see ``AdaptivePooling``."""

    rank, mode = 3, "max"
