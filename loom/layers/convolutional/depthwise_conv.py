"""DepthwiseConv1D, DepthwiseConv2D: each input channel convolved with its own filters."""

from loom import constraints, initializers, regularizers
from loom.layers.convolutional import arguments
from loom.layers.convolutional.base_conv import BaseConv
from loom.ops import convolution


class DepthwiseConv(BaseConv):
    """Depthwise convolution: ``depth_multiplier`` filters per input channel, no mixing across channels.

    Args:
        kernel_size: int or ``rank`` ints, the window size.
        strides: int or ``rank`` ints.
        padding: "valid" or "same".
        depth_multiplier: filters per input channel; the output has
            ``channels * depth_multiplier`` channels (channel ``c * depth_multiplier + m``
            is input channel ``c`` through its filter ``m``).
        data_format: "channels_last" or "channels_first"; None (default) uses ``loom.config.image_data_format()``.
        dilation_rate: int or ``rank`` ints.
        activation, use_bias: as in ``Conv``.
        depthwise_initializer, bias_initializer: initializers of the weights.
        depthwise_regularizer, bias_regularizer, activity_regularizer: penalties.
        depthwise_constraint, bias_constraint: projections after each update.

    Weights: ``kernel`` of shape ``(*kernel_size, channels, depth_multiplier)``
    and ``bias`` of shape ``(channels * depth_multiplier,)``.
    """

    def __init__(
        self,
        kernel_size,
        strides=1,
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
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
        self.depth_multiplier = arguments.positive_int(self, depth_multiplier, "depth_multiplier")
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(
            name="kernel",
            shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self._add_bias_weight(channels * self.depth_multiplier)

    def call(self, inputs):
        outputs = convolution.depthwise_conv(
            inputs,
            self._weight(self.kernel),
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )
        return self._finish(outputs)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
        }


class DepthwiseConv1D(DepthwiseConv):
    """Depthwise 1D convolution of ``(batch, steps, channels)``; see ``DepthwiseConv``.

    Example:
        >>> DepthwiseConv1D(3, depth_multiplier=2)(Input((10, 4))).shape
        (None, 8, 8)
    """

    rank = 1


class DepthwiseConv2D(DepthwiseConv):
    """Depthwise 2D convolution of ``(batch, height, width, channels)``; see ``DepthwiseConv``.

    Example:
        >>> DepthwiseConv2D(3, padding="same")(Input((8, 8, 16))).shape
        (None, 8, 8, 16)
    """

    rank = 2
