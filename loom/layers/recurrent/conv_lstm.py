"""ConvLSTM1D/2D/3D: LSTMs whose input and recurrent transformations are convolutions."""

import math

import jax
import jax.numpy as jnp
import numpy as np

from loom import activations, constraints, initializers, regularizers
from loom.layers.convolutional import arguments
from loom.layers.input_spec import InputSpec
from loom.layers.recurrent.cell import RecurrentCell, check_rate, check_units, gate_slices
from loom.layers.recurrent.lstm import forget_bias_initializer
from loom.layers.recurrent.rnn import RNN, cell_property

_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


def _int_tuple(layer, name: str, value, rank: int) -> tuple:
    """``value`` (an int or ``rank`` ints, each >= 1) as a tuple of ``rank`` ints."""
    values = (value,) * rank if isinstance(value, (int, np.integer)) else value
    if (
        not isinstance(values, (list, tuple))
        or len(values) != rank
        or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in values)
    ):
        raise ValueError(
            f"{layer.describe()}: `{name}` must be a positive int or {rank} positive ints; received {name}={value!r}."
        )
    return tuple(int(v) for v in values)


def _conv_output_size(size, kernel: int, stride: int, dilation: int, padding: str):
    if size is None:
        return None
    if padding == "same":
        return math.ceil(size / stride)
    return math.ceil((size - dilation * (kernel - 1)) / stride)


class ConvLSTMCell(RecurrentCell):
    """One ConvLSTM step on ``(batch, *spatial, channels)`` inputs (or channels first).

    The gates i, f, c, o are the 4 blocks of ``filters`` output channels of the
    kernels, as Keras's. The input convolution uses ``strides``, ``padding`` and
    ``dilation_rate``; the recurrent one is stride 1, "same".

    Args:
        rank: number of spatial axes (1, 2 or 3).
        filters: channels of the output and states.
        kernel_size, strides, dilation_rate: an int or ``rank`` ints.
        padding: "valid" or "same".
        data_format: "channels_last" or "channels_first"; None (default) uses ``loom.config.image_data_format()``.
        activation, recurrent_activation, use_bias, kernel_initializer,
        recurrent_initializer, bias_initializer, unit_forget_bias,
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint, dropout,
        recurrent_dropout, seed: as ``LSTMCell``.
    """

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate=1,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if rank not in _SPATIAL:
            raise ValueError(f"{self.describe()}: `rank` must be 1, 2 or 3; received rank={rank!r}.")
        self.rank = rank
        self.filters = check_units(self, "filters", filters)
        self.kernel_size = _int_tuple(self, "kernel_size", kernel_size, rank)
        self.strides = _int_tuple(self, "strides", strides, rank)
        self.dilation_rate = _int_tuple(self, "dilation_rate", dilation_rate, rank)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{self.describe()}: `strides` > 1 cannot be combined with `dilation_rate` > 1; received "
                f"strides={self.strides} and dilation_rate={self.dilation_rate}."
            )
        if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
            raise ValueError(f"{self.describe()}: `padding` must be 'valid' or 'same'; received padding={padding!r}.")
        self.padding = padding.lower()
        self.data_format = arguments.data_format(self, data_format)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = check_rate(self, "dropout", dropout)
        self.recurrent_dropout = check_rate(self, "recurrent_dropout", recurrent_dropout)
        self.dropout_mask_count = 4  # as Keras: each gate sees its own dropout mask
        self._make_seed_generator(seed)
        self.spatial_dims = None
        # Channels of h and c (and of the output); their full shapes come from ``state_shapes``.
        self.state_size = [self.filters, self.filters]
        self.output_size = self.filters
        self.input_spec = InputSpec(ndim=rank + 2)

    @property
    def _channel_axis(self) -> int:
        """The channel axis counted from the end, valid with any leading axes."""
        return -1 if self.data_format == "channels_last" else -(self.rank + 1)

    @property
    def _dimension_numbers(self):
        spatial = _SPATIAL[self.rank]
        image = "N" + spatial + "C" if self.data_format == "channels_last" else "NC" + spatial
        return jax.lax.conv_dimension_numbers(
            (1,) * (self.rank + 2), (1,) * (self.rank + 2), (image, spatial + "IO", image)
        )

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if self.data_format == "channels_last":
            self.spatial_dims, channels = input_shape[1:-1], input_shape[-1]
        else:
            self.spatial_dims, channels = input_shape[2:], input_shape[1]
        if None in self.spatial_dims or channels is None:
            raise ValueError(
                f"{self.describe()} needs known spatial and channel dimensions; received input shape "
                f"{input_shape} (batch first). Give the Input a full shape, e.g. Input((time, 32, 32, 3))."
            )
        self.input_dim = channels
        self.kernel = self.add_weight(
            name="kernel",
            shape=self.kernel_size + (channels, self.filters * 4),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel",
            shape=self.kernel_size + (self.filters, self.filters * 4),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            initializer = self.bias_initializer
            if self.unit_forget_bias:
                initializer = forget_bias_initializer(self.bias_initializer, self.filters)
            self.bias = self.add_weight(
                name="bias",
                shape=(self.filters * 4,),
                initializer=initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    # --- shapes -----------------------------------------------------------------
    def output_shape_for(self, batch_size) -> tuple:
        spatial = tuple(
            _conv_output_size(n, k, s, d, self.padding)
            for n, k, s, d in zip(self.spatial_dims, self.kernel_size, self.strides, self.dilation_rate)
        )
        if self.data_format == "channels_last":
            return (batch_size,) + spatial + (self.filters,)
        return (batch_size, self.filters) + spatial

    def state_shapes(self, batch_size) -> list:
        shape = self.output_shape_for(batch_size)
        return [shape, shape]

    # --- the split step -----------------------------------------------------------
    def _conv(self, x, kernel, strides, padding, dilation):
        """Convolve ``x`` of shape ``(..., *step_shape)``: leading axes are folded into the batch."""
        step_ndim = self.rank + 2
        lead = x.shape[: x.ndim - step_ndim]
        folded = jnp.reshape(x, (-1,) + x.shape[x.ndim - step_ndim + 1 :])
        out = jax.lax.conv_general_dilated(
            folded,
            kernel,
            window_strides=strides,
            padding=padding.upper(),
            rhs_dilation=dilation,
            dimension_numbers=self._dimension_numbers,
        )
        return jnp.reshape(out, lead + (x.shape[x.ndim - step_ndim],) + out.shape[1:])

    def _gate_convs(self, x, masks, kernel, strides, padding, dilation):
        """One convolution for the 4 gates, or one per gate when each has its own dropout mask."""
        if masks is None:
            return self._conv(x, kernel, strides, padding, dilation)
        kernels = jnp.split(kernel, 4, axis=-1)
        parts = [self._conv(x * m, k, strides, padding, dilation) for m, k in zip(masks, kernels)]
        return jnp.concatenate(parts, axis=self._channel_axis)

    def project_inputs(self, inputs, constants):
        input_masks, _ = constants
        z = self._gate_convs(
            inputs, input_masks, self.read(self.kernel), self.strides, self.padding, self.dilation_rate
        )
        if self.bias is None:
            return z
        bias = self.read(self.bias)
        if self.data_format == "channels_first":
            bias = jnp.reshape(bias, (-1,) + (1,) * self.rank)
        return z + bias

    def read_step(self, projected, t):
        return gate_slices(projected, t, 4, axis=self._channel_axis)

    def step(self, step_inputs, states, constants):
        h_tm1, c_tm1 = states[0], states[1]
        _, recurrent_masks = constants
        ones = (1,) * self.rank
        recurrent = self._gate_convs(h_tm1, recurrent_masks, self.read(self.recurrent_kernel), ones, "same", ones)
        recurrent = jnp.split(recurrent, 4, axis=self._channel_axis)
        z_i, z_f, z_c, z_o = (x + r for x, r in zip(step_inputs, recurrent))
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c = f * c_tm1 + i * self.activation(z_c)
        o = self.recurrent_activation(z_o)
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self) -> dict:
        return {**super().get_config(), "rank": self.rank, **conv_lstm_cell_config(self)}


def conv_lstm_cell_config(cell) -> dict:
    """The constructor arguments shared by ConvLSTMCell and the ConvLSTM layers, serialized."""
    return {
        "filters": cell.filters,
        "kernel_size": cell.kernel_size,
        "strides": cell.strides,
        "padding": cell.padding,
        "data_format": cell.data_format,
        "dilation_rate": cell.dilation_rate,
        "activation": activations.serialize(cell.activation),
        "recurrent_activation": activations.serialize(cell.recurrent_activation),
        "use_bias": cell.use_bias,
        "kernel_initializer": initializers.serialize(cell.kernel_initializer),
        "recurrent_initializer": initializers.serialize(cell.recurrent_initializer),
        "bias_initializer": initializers.serialize(cell.bias_initializer),
        "unit_forget_bias": cell.unit_forget_bias,
        "kernel_regularizer": regularizers.serialize(cell.kernel_regularizer),
        "recurrent_regularizer": regularizers.serialize(cell.recurrent_regularizer),
        "bias_regularizer": regularizers.serialize(cell.bias_regularizer),
        "kernel_constraint": constraints.serialize(cell.kernel_constraint),
        "recurrent_constraint": constraints.serialize(cell.recurrent_constraint),
        "bias_constraint": constraints.serialize(cell.bias_constraint),
        "dropout": cell.dropout,
        "recurrent_dropout": cell.recurrent_dropout,
        "seed": cell.seed,
    }


class ConvLSTM(RNN):
    """Convolutional LSTM over ``(batch, time, *spatial, channels)`` sequences; ConvLSTM1D/2D/3D fix the rank.

    The input convolution of every timestep runs as one batched convolution
    before the time loop; only the recurrent convolution runs inside
    ``lax.scan``. Weights are ``[kernel (*kernel_size, channels, 4f),
    recurrent_kernel (*kernel_size, f, 4f), bias (4f,)]``, gates i, f, c, o,
    as Keras's.

    Args:
        filters, kernel_size, strides, padding, data_format, dilation_rate,
        activation, recurrent_activation, use_bias, kernel_initializer,
        recurrent_initializer, bias_initializer, unit_forget_bias,
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint, dropout,
        recurrent_dropout, seed: as ``ConvLSTMCell``.
        activity_regularizer: penalty on the outputs.
        return_sequences, return_state, go_backwards, stateful: as ``RNN``.

    Output: ``(batch, *new_spatial, filters)``, or with a time axis after the
    batch when ``return_sequences``.
    """

    _rank = None  # the number of spatial axes, set by each subclass

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate=1,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        **kwargs,
    ):
        kwargs.pop("rank", None)  # configs written by the generic ConvLSTM carry it
        cell = ConvLSTMCell(
            rank=self._rank,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="conv_lstm_cell",
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.input_spec = InputSpec(ndim=self._rank + 3)

    filters = cell_property("filters")
    kernel_size = cell_property("kernel_size")
    strides = cell_property("strides")
    padding = cell_property("padding")
    data_format = cell_property("data_format")
    dilation_rate = cell_property("dilation_rate")
    activation = cell_property("activation")
    recurrent_activation = cell_property("recurrent_activation")
    use_bias = cell_property("use_bias")
    kernel_initializer = cell_property("kernel_initializer")
    recurrent_initializer = cell_property("recurrent_initializer")
    bias_initializer = cell_property("bias_initializer")
    unit_forget_bias = cell_property("unit_forget_bias")
    kernel_regularizer = cell_property("kernel_regularizer")
    recurrent_regularizer = cell_property("recurrent_regularizer")
    bias_regularizer = cell_property("bias_regularizer")
    kernel_constraint = cell_property("kernel_constraint")
    recurrent_constraint = cell_property("recurrent_constraint")
    bias_constraint = cell_property("bias_constraint")
    dropout = cell_property("dropout")
    recurrent_dropout = cell_property("recurrent_dropout")

    def get_config(self) -> dict:
        config = {**super().get_config(), **conv_lstm_cell_config(self.cell)}
        config.pop("cell")
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


class ConvLSTM1D(ConvLSTM):
    """1-D convolutional LSTM over ``(batch, time, steps, channels)`` sequences (see ``ConvLSTM``).

    Example:
        >>> ConvLSTM1D(8, 3, padding="same")(np.ones((2, 5, 16, 3))).shape
        (2, 16, 8)
    """

    _rank = 1


class ConvLSTM2D(ConvLSTM):
    """2-D convolutional LSTM over ``(batch, time, rows, cols, channels)`` sequences (see ``ConvLSTM``).

    Example:
        >>> ConvLSTM2D(8, 3, padding="same")(np.ones((2, 5, 16, 16, 3))).shape
        (2, 16, 16, 8)
    """

    _rank = 2


class ConvLSTM3D(ConvLSTM):
    """3-D convolutional LSTM over ``(batch, time, depth, rows, cols, channels)`` sequences (see ``ConvLSTM``).

    Example:
        >>> ConvLSTM3D(4, 3, padding="same")(np.ones((2, 3, 4, 4, 4, 1))).shape
        (2, 4, 4, 4, 4)
    """

    _rank = 3
