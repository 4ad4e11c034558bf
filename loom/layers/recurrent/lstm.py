"""LSTMCell and LSTM: long short-term memory, gates in Keras's order i, f, c, o."""

import jax.numpy as jnp
import numpy as np

from loom import activations, constraints, initializers, regularizers
from loom.layers.input_spec import InputSpec
from loom.layers.recurrent.cell import RecurrentCell, check_rate, check_units, gate_slices
from loom.layers.recurrent.rnn import RNN, cell_property


def forget_bias_initializer(bias_initializer, units: int):
    """Keras's ``unit_forget_bias``: the bias initializer with the forget gate's block set to ones."""

    def initialize(shape, dtype=None):
        # NumPy, not jnp: building a layer should not compile anything.
        blocks = [
            np.asarray(bias_initializer((units,), dtype)),
            np.ones((units,)),
            np.asarray(bias_initializer((units * 2,), dtype)),
        ]
        return np.concatenate(blocks).astype(blocks[0].dtype)

    return initialize


def lstm_cell_config(cell) -> dict:
    """The constructor arguments shared by LSTMCell and LSTM, serialized."""
    return {
        "units": cell.units,
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


class LSTMCell(RecurrentCell):
    """One LSTM step: ``h, [h, c]`` from an input and the previous ``[h, c]``.

    ``z = x @ kernel + h @ recurrent_kernel + bias`` is split into the gates
    i, f, c, o (Keras's layout, so weights transfer both ways);
    ``c' = f * c + i * activation(z_c)`` and ``h' = o * activation(c')``.

    Args:
        units: size of the output and of each state.
        activation: for the candidate and the output (default tanh).
        recurrent_activation: for the gates (default sigmoid).
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: for the
            ``(input_dim, 4 * units)`` kernel, ``(units, 4 * units)`` recurrent
            kernel and ``(4 * units,)`` bias.
        unit_forget_bias: start the forget gate's bias at 1.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: projections.
        dropout: fraction of the inputs dropped (one mask per sequence).
        recurrent_dropout: fraction of the previous ``h`` dropped (one mask per sequence).
        seed: for the dropout masks.
    """

    def __init__(
        self,
        units: int,
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
        implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self.units = check_units(self, "units", units)
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
        # As Keras: with recurrent dropout (implementation 1) each gate gets its own masks.
        self.implementation = 1 if self.recurrent_dropout else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 4
        self._make_seed_generator(seed)
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"{self.describe()} needs the feature dimension of its input to be known; received input "
                f"shape {tuple(input_shape)}."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_dim, self.units * 4),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel",
            shape=(self.units, self.units * 4),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            initializer = self.bias_initializer
            if self.unit_forget_bias:
                initializer = forget_bias_initializer(self.bias_initializer, self.units)
            self.bias = self.add_weight(
                name="bias",
                shape=(self.units * 4,),
                initializer=initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def project_inputs(self, inputs, constants):
        input_masks, _ = constants
        kernel = self.read(self.kernel)
        if input_masks is None:
            z = inputs @ kernel
        elif not isinstance(input_masks, list):  # one mask for all gates
            z = (inputs * input_masks) @ kernel
        else:  # one mask per gate
            kernels = jnp.split(kernel, 4, axis=-1)
            z = jnp.concatenate([(inputs * m) @ k for m, k in zip(input_masks, kernels)], axis=-1)
        return z + self.read(self.bias) if self.bias is not None else z

    def read_step(self, projected, t):
        return gate_slices(projected, t, 4)

    def step(self, step_inputs, states, constants):
        h_tm1, c_tm1 = states[0], states[1]
        _, recurrent_masks = constants
        recurrent_kernel = self.read(self.recurrent_kernel)
        if recurrent_masks is None:
            recurrent = jnp.split(h_tm1 @ recurrent_kernel, 4, axis=-1)
        else:
            kernels = jnp.split(recurrent_kernel, 4, axis=-1)
            recurrent = [(h_tm1 * m) @ k for m, k in zip(recurrent_masks, kernels)]
        z_i, z_f, z_c, z_o = (x + r for x, r in zip(step_inputs, recurrent))
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c = f * c_tm1 + i * self.activation(z_c)
        o = self.recurrent_activation(z_o)
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self) -> dict:
        return {**super().get_config(), **lstm_cell_config(self)}


class LSTM(RNN):
    """Long short-term memory over ``(batch, time, features)`` sequences.

    The input projection of all timesteps is one matmul before the time loop;
    only ``h @ recurrent_kernel`` runs inside ``lax.scan``. Weights are
    ``[kernel (features, 4u), recurrent_kernel (u, 4u), bias (4u,)]``, gates
    i, f, c, o, as Keras's.

    Args:
        units: size of the output and of the states.
        activation, recurrent_activation, use_bias, kernel_initializer,
        recurrent_initializer, bias_initializer, unit_forget_bias,
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint, dropout,
        recurrent_dropout, seed: as ``LSTMCell``.
        activity_regularizer: penalty on the outputs.
        return_sequences, return_state, go_backwards, stateful, unroll: as ``RNN``.
        use_cudnn: accepted for Keras code; XLA compiles the scan on every device.

    Call arguments:
        sequences, initial_state (``[h, c]``), mask, training: as ``RNN``.

    Example:
        >>> LSTM(64)(Input((280, 256))).shape
        (None, 64)
    """

    def __init__(
        self,
        units: int,
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
        unroll: bool = False,
        use_cudnn="auto",
        **kwargs,
    ):
        cell = LSTMCell(
            units,
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
            name="lstm_cell",
            implementation=kwargs.pop("implementation", 2),
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"{self.describe()}: `use_cudnn` must be 'auto', True or False; received {use_cudnn!r}.")
        self.use_cudnn = use_cudnn
        self.input_spec = InputSpec(ndim=3)

    units = cell_property("units")
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
        config = {**super().get_config(), **lstm_cell_config(self.cell), "use_cudnn": self.use_cudnn}
        config.pop("cell")
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)
