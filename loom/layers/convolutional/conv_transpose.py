"""Conv1DTranspose, Conv2DTranspose, Conv3DTranspose: transposed ("de-") convolutions that upsample."""

from loom import constraints, initializers, regularizers
from loom.layers.convolutional import arguments
from loom.layers.convolutional.base_conv import BaseConv
from loom.ops import convolution


class ConvTranspose(BaseConv):
    """N-D transposed convolution, the gradient of ``Conv``; the base of Conv1D/2D/3DTranspose.

    Args:
        filters: number of output channels.
        kernel_size: int or ``rank`` ints, the window size.
        strides: int or ``rank`` ints, the upsampling factor.
        padding: "valid" (output ``(size - 1) * stride + max(kernel, stride)``)
            or "same" (output ``size * stride``).
        output_padding: None, an int or ``rank`` ints, each less than its stride:
            the output size becomes ``(size - 1) * stride + kernel + output_padding``
            ("valid") or ``(size - 1) * stride + kernel % 2 + output_padding`` ("same").
        data_format: "channels_last" or "channels_first"; None (default) uses ``loom.config.image_data_format()``.
        dilation_rate: int or ``rank`` ints.
        activation, use_bias, kernel_initializer, bias_initializer,
        kernel_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, bias_constraint: as in ``Conv``.

    Weights: ``kernel`` of shape ``(*kernel_size, filters, channels)`` (Keras's
    transposed layout) and ``bias`` of shape ``(filters,)``.
    """

    checks_window_fit = False

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=1,
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
        if output_padding is None:
            self.output_padding = None
        else:
            self.output_padding = arguments.int_tuple(self, output_padding, self.rank, "output_padding", minimum=0)
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(
                    f"{self.describe()}: each entry of `output_padding` must be less than the matching stride; "
                    f"received output_padding={self.output_padding}, strides={self.strides}. Use smaller "
                    "output_padding (or leave it None)."
                )
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(
            name="kernel",
            shape=self.kernel_size + (self.filters, channels),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self._add_bias_weight(self.filters)

    def call(self, inputs):
        outputs = convolution.conv_transpose(
            inputs,
            self._weight(self.kernel),
            strides=self.strides,
            padding=self.padding,
            output_padding=self.output_padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )
        return self._finish(outputs)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "output_padding": self.output_padding,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        }


class Conv1DTranspose(ConvTranspose):
    """Transposed 1D convolution of ``(batch, steps, channels)``; see ``ConvTranspose``.

    Example:
        >>> Conv1DTranspose(4, 3, strides=2, padding="same")(Input((10, 8))).shape
        (None, 20, 4)
    """

    rank = 1


class Conv2DTranspose(ConvTranspose):
    """Transposed 2D convolution of ``(batch, height, width, channels)``; see ``ConvTranspose``.

    Example:
        >>> Conv2DTranspose(8, 3, strides=2, padding="same")(Input((7, 7, 16))).shape
        (None, 14, 14, 8)
    """

    rank = 2


class Conv3DTranspose(ConvTranspose):
    """Transposed 3D convolution of ``(batch, depth, height, width, channels)``; see ``ConvTranspose``.

    As in Keras, ``data_format`` comes before ``output_padding`` in this layer's signature.

    Example:
        >>> Conv3DTranspose(2, 3, strides=2, padding="same")(Input((4, 4, 4, 3))).shape
        (None, 8, 8, 8, 2)
    """

    rank = 3

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        output_padding=None,
        dilation_rate=1,
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
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            output_padding=output_padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )


Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
