"""Conv1D, Conv2D, Conv3D: convolution of the spatial axes with a trainable kernel."""

from loom import constraints, initializers, regularizers
from loom.layers.convolutional import arguments
from loom.layers.convolutional.base_conv import BaseConv
from loom.ops import convolution
from loom.ops import numpy as ops


class Conv(BaseConv):
    """N-D convolution: ``activation(conv(inputs, kernel) + bias)``; the base of Conv1D/2D/3D.

    Args:
        filters: number of output channels.
        kernel_size: int or ``rank`` ints, the window size.
        strides: int or ``rank`` ints.
        padding: "valid" (no padding), "same" (output size ``ceil(size / stride)``)
            or, for Conv1D only, "causal" (left padding: output ``t`` sees inputs ``<= t``).
        data_format: "channels_last" (``(batch, *spatial, channels)``) or
            "channels_first" (``(batch, channels, *spatial)``); None (default)
            uses ``loom.config.image_data_format()``.
        dilation_rate: int or ``rank`` ints, for atrous convolution.
        groups: split the input channels into this many groups, each convolved
            with ``filters // groups`` filters; divides both channels and filters.
        activation: activation name or callable (None for linear).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers of the weights.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties.
        kernel_constraint, bias_constraint: projections after each update.

    Weights: ``kernel`` of shape ``(*kernel_size, channels // groups, filters)``
    and ``bias`` of shape ``(filters,)``.
    """

    allows_causal = False

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
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
        self.groups = arguments.positive_int(self, groups, "groups")
        if self.filters % self.groups:
            raise ValueError(
                f"{self.describe()}: `filters` must be divisible by `groups`; received filters={self.filters}, "
                f"groups={self.groups}. Use a multiple of groups for filters, or fewer groups."
            )
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(
                f"{self.describe()}: the input's channels must be divisible by `groups`; received {channels} "
                f"channels (input shape {tuple(input_shape)}) and groups={self.groups}."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=self.kernel_size + (channels // self.groups, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self._add_bias_weight(self.filters)

    def call(self, inputs):
        padding = self.padding
        if padding == "causal":
            # Pad only before the steps, so output t depends on inputs up to t.
            left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
            time_axis = 1 if self.data_format == "channels_last" else 2
            pad_width = [(0, 0)] * 3
            pad_width[time_axis] = (left, 0)
            inputs, padding = ops.pad(inputs, pad_width), "valid"
        outputs = convolution.conv(
            inputs,
            self._weight(self.kernel),
            strides=self.strides,
            padding=padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )
        return self._finish(outputs)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "groups": self.groups,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        }


class Conv1D(Conv):
    """1D convolution over the steps of ``(batch, steps, channels)``; see ``Conv`` for the arguments.

    Example:
        >>> Conv1D(8, 3, padding="causal")(Input((10, 4))).shape
        (None, 10, 8)
    """

    rank = 1
    allows_causal = True


class Conv2D(Conv):
    """2D convolution over ``(batch, height, width, channels)``; see ``Conv`` for the arguments.

    Example:
        >>> Conv2D(16, (3, 3), strides=2, padding="same")(Input((28, 28, 1))).shape
        (None, 14, 14, 16)
    """

    rank = 2


class Conv3D(Conv):
    """3D convolution over ``(batch, depth, height, width, channels)``; see ``Conv`` for the arguments.

    Example:
        >>> Conv3D(4, 3)(Input((8, 8, 8, 2))).shape
        (None, 6, 6, 6, 4)
    """

    rank = 3


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
