"""BaseConv: what every convolution layer shares (window arguments, bias, activation, shape checks)."""

from loom import activations, constraints, initializers, regularizers
from loom.layers.convolutional import arguments
from loom.layers.input_spec import InputSpec
from loom.layers.layer import Layer
from loom.ops import numpy as ops
from loom.ops.core import convert_to_tensor


class BaseConv(Layer):
    """Base of the convolution layers; subclasses set ``rank`` and create their kernels in ``build``.

    Args:
        kernel_size: int or ``rank`` ints, the window size.
        strides: int or ``rank`` ints.
        padding: "valid" or "same" ("causal" where ``allows_causal``).
        data_format: "channels_last" or "channels_first"; None (default) uses ``loom.config.image_data_format()``.
        dilation_rate: int or ``rank`` ints; strides and dilation cannot both exceed 1 (as Keras).
        activation, use_bias, bias_initializer, bias_regularizer,
        activity_regularizer, bias_constraint: as in ``Dense``.
    """

    rank = None  # number of spatial axes, set by each concrete class
    allows_causal = False
    checks_window_fit = True  # transposed convolutions grow their input, so any kernel fits

    def __init__(
        self,
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
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        rank = self.rank
        self.kernel_size = arguments.int_tuple(self, kernel_size, rank, "kernel_size")
        self.strides = arguments.int_tuple(self, strides, rank, "strides")
        self.dilation_rate = arguments.int_tuple(self, dilation_rate, rank, "dilation_rate")
        allowed = ("valid", "same", "causal") if self.allows_causal else ("valid", "same")
        self.padding = arguments.padding(self, padding, allowed)
        self.data_format = arguments.data_format(self, data_format)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{self.describe()}: strides > 1 cannot be combined with dilation_rate > 1 (as in Keras); "
                f"received strides={self.strides}, dilation_rate={self.dilation_rate}. Use one of them, "
                "or follow a dilated convolution with a pooling layer."
            )
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    # --- build helpers ----------------------------------------------------------------
    def _input_channels(self, input_shape) -> int:
        """The input's channel count, after checking its rank, channels and spatial size."""
        arguments.check_rank(self, input_shape, self.rank, self.data_format)
        axis = arguments.channel_axis(self.data_format)
        channels = tuple(input_shape)[axis]
        if channels is None:
            raise ValueError(
                f"{self.describe()} needs the channel dimension of its input (axis {axis}, "
                f"data_format='{self.data_format}') to be known to create its kernel; received input shape "
                f"{tuple(input_shape)}. Give the Input a concrete channel dimension."
            )
        self._check_window_fits(input_shape)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: int(channels)})
        return int(channels)

    def _check_window_fits(self, input_shape) -> None:
        if self.checks_window_fit and self.padding == "valid":
            arguments.check_window_fits(
                self, input_shape, self.data_format, self.kernel_size, "kernel_size", self.dilation_rate
            )

    def _add_bias_weight(self, size: int) -> None:
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(size,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None

    def __call__(self, *args, **kwargs):
        first = args[0] if args else next(iter(kwargs.values()), None)
        if self.built and hasattr(first, "shape") and len(first.shape) == self.rank + 2:
            # build() checked the first input; a shared layer's later inputs are checked here.
            self._check_window_fits(first.shape)
        return super().__call__(*args, **kwargs)

    # --- call helpers -----------------------------------------------------------------
    def _weight(self, variable):
        """A weight as an array of the compute dtype (the inputs were autocast to it)."""
        return convert_to_tensor(variable).astype(self.compute_dtype)

    def _finish(self, outputs):
        """Add the bias along the channel axis and apply the activation."""
        if self.bias is not None:
            bias = self._weight(self.bias)
            if self.data_format == "channels_first":
                bias = ops.reshape(bias, (-1,) + (1,) * self.rank)  # (C, 1, ..., 1)
            outputs = ops.add(outputs, bias)
        return self.activation(outputs) if self.activation is not None else outputs

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
