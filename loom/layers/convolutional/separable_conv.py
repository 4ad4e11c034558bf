"""SeparableConv1D, SeparableConv2D: a depthwise convolution followed by a pointwise (1x1) one."""

from loom import constraints, initializers, regularizers
from loom.layers.convolutional import arguments
from loom.layers.convolutional.base_conv import BaseConv
from loom.ops import convolution


class SeparableConv(BaseConv):
    """Depthwise-separable convolution: per-channel spatial filters, then a 1x1 convolution mixing channels.

    Args:
        filters: number of output channels.
        kernel_size: int or ``rank`` ints, the depthwise window size.
        strides: int or ``rank`` ints.
        padding: "valid" or "same".
        data_format: "channels_last" or "channels_first"; None (default) uses ``loom.config.image_data_format()``.
        dilation_rate: int or ``rank`` ints.
        depth_multiplier: depthwise filters per input channel.
        activation, use_bias: as in ``Conv``.
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
        activity_regularizer: penalties.
        depthwise_constraint, pointwise_constraint, bias_constraint: projections.

    Weights: ``depthwise_kernel`` of shape ``(*kernel_size, channels, depth_multiplier)``,
    ``pointwise_kernel`` of shape ``(1, ..., 1, channels * depth_multiplier, filters)``
    and ``bias`` of shape ``(filters,)``.
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            bias_initializer,
            bias_regularizer,
            activity_regularizer,
            bias_constraint,
            **kwargs,
        )
        self.filters = arguments.positive_int(self, filters, "filters")
        self.depth_multiplier = arguments.positive_int(self, depth_multiplier, "depth_multiplier")
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel",
            shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
        )
        self._add_bias_weight(self.filters)

    def call(self, inputs):
        outputs = convolution.separable_conv(
            inputs,
            self._weight(self.depthwise_kernel),
            self._weight(self.pointwise_kernel),
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )
        return self._finish(outputs)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        }


class SeparableConv1D(SeparableConv):
    """Separable 1D convolution of ``(batch, steps, channels)``; see ``SeparableConv``.

    Example:
        >>> SeparableConv1D(8, 3, padding="same")(Input((10, 4))).shape
        (None, 10, 8)
    """

    rank = 1


class SeparableConv2D(SeparableConv):
    """Separable 2D convolution of ``(batch, height, width, channels)``; see ``SeparableConv``.

    Example:
        >>> SeparableConv2D(32, 3, strides=2)(Input((9, 9, 8))).shape
        (None, 4, 4, 32)
    """

    rank = 2


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
