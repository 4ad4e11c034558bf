"""GRUCell and GRU: gated recurrent units, gates in Keras's order z, r, h."""

import jax.numpy as jnp

from loom import activations, constraints, initializers, regularizers
from loom.layers.input_spec import InputSpec
from loom.layers.recurrent.cell import RecurrentCell, check_rate, check_units, gate_slices
from loom.layers.recurrent.rnn import RNN, cell_property


def gru_cell_config(cell) -> dict:
    """The constructor arguments shared by GRUCell and GRU, serialized."""
    return {
        "units": cell.units,
        "activation": activations.serialize(cell.activation),
        "recurrent_activation": activations.serialize(cell.recurrent_activation),
        "use_bias": cell.use_bias,
        "kernel_initializer": initializers.serialize(cell.kernel_initializer),
        "recurrent_initializer": initializers.serialize(cell.recurrent_initializer),
        "bias_initializer": initializers.serialize(cell.bias_initializer),
        "kernel_regularizer": regularizers.serialize(cell.kernel_regularizer),
        "recurrent_regularizer": regularizers.serialize(cell.recurrent_regularizer),
        "bias_regularizer": regularizers.serialize(cell.bias_regularizer),
        "kernel_constraint": constraints.serialize(cell.kernel_constraint),
        "recurrent_constraint": constraints.serialize(cell.recurrent_constraint),
        "bias_constraint": constraints.serialize(cell.bias_constraint),
        "dropout": cell.dropout,
        "recurrent_dropout": cell.recurrent_dropout,
        "reset_after": cell.reset_after,
        "seed": cell.seed,
    }


class GRUCell(RecurrentCell):
    """One GRU step: update gate z, reset gate r, candidate h.

    With ``reset_after=True`` (Keras's default, cuDNN-compatible) the reset gate
    multiplies ``h @ recurrent_kernel_h + recurrent_bias_h``, and the bias has
    shape ``(2, 3 * units)`` (input bias, recurrent bias). With
    ``reset_after=False`` it multiplies ``h`` before the matmul and the bias is
    ``(3 * units,)``. ``h' = z * h + (1 - z) * candidate``.

    Args:
        units: size of the output and the state.
        activation: for the candidate (default tanh).
        recurrent_activation: for the gates (default sigmoid).
        use_bias: whether to add biases.
        kernel_initializer, recurrent_initializer, bias_initializer: for the
            ``(input_dim, 3 * units)`` kernel, ``(units, 3 * units)`` recurrent
            kernel and the bias.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: projections.
        dropout, recurrent_dropout: fractions of the inputs / previous state
            dropped (one mask per sequence).
        reset_after: apply the reset gate after the recurrent matmul.
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
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        reset_after: bool = True,
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
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = check_rate(self, "dropout", dropout)
        self.recurrent_dropout = check_rate(self, "recurrent_dropout", recurrent_dropout)
        self.reset_after = bool(reset_after)
        # As Keras: with recurrent dropout (implementation 1) each gate gets its own masks.
        self.implementation = 1 if self.recurrent_dropout else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 3
        self._make_seed_generator(seed)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(
                f"{self.describe()} needs the feature dimension of its input to be known; received input "
                f"shape {tuple(input_shape)}."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_shape[-1], self.units * 3),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel",
            shape=(self.units, self.units * 3),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(2, 3 * self.units) if self.reset_after else (3 * self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def _biases(self):
        """``(input_bias, recurrent_bias)``; either may be None."""
        if self.bias is None:
            return None, None
        bias = self.read(self.bias)
        return (bias[0], bias[1]) if self.reset_after else (bias, None)

    def project_inputs(self, inputs, constants):
        input_masks, _ = constants
        kernel = self.read(self.kernel)
        if input_masks is None:
            x = inputs @ kernel
        elif not isinstance(input_masks, list):  # one mask for all gates
            x = (inputs * input_masks) @ kernel
        else:  # one mask per gate
            kernels = jnp.split(kernel, 3, axis=-1)
            x = jnp.concatenate([(inputs * m) @ k for m, k in zip(input_masks, kernels)], axis=-1)
        input_bias, _ = self._biases()
        return x + input_bias if input_bias is not None else x

    def read_step(self, projected, t):
        return gate_slices(projected, t, 3)

    def step(self, step_inputs, states, constants):
        h_tm1 = states[0]
        _, recurrent_masks = constants
        units = self.units
        recurrent_kernel = self.read(self.recurrent_kernel)
        _, recurrent_bias = self._biases()
        x_z, x_r, x_h = step_inputs
        # h as seen by each gate (z, r, h): the same array unless recurrent dropout gives each its mask.
        h_z = h_r = h_h = h_tm1
        if recurrent_masks is not None:
            h_z, h_r, h_h = h_tm1 * recurrent_masks[0], h_tm1 * recurrent_masks[1], h_tm1 * recurrent_masks[2]
        if recurrent_masks is None and self.reset_after:
            inner = h_tm1 @ recurrent_kernel  # one matmul for the three blocks
            if recurrent_bias is not None:
                inner = inner + recurrent_bias
            r_z, r_r, r_h = jnp.split(inner, 3, axis=-1)
        elif recurrent_masks is None:
            r_z, r_r = jnp.split(h_tm1 @ recurrent_kernel[:, : 2 * units], 2, axis=-1)
        else:
            r_z = h_z @ recurrent_kernel[:, :units]
            r_r = h_r @ recurrent_kernel[:, units : 2 * units]
            if recurrent_bias is not None:
                r_z, r_r = r_z + recurrent_bias[:units], r_r + recurrent_bias[units : 2 * units]
        z = self.recurrent_activation(x_z + r_z)
        r = self.recurrent_activation(x_r + r_r)
        if self.reset_after:
            if recurrent_masks is not None:
                r_h = h_h @ recurrent_kernel[:, 2 * units :]
                if recurrent_bias is not None:
                    r_h = r_h + recurrent_bias[2 * units :]
            candidate = self.activation(x_h + r * r_h)
        else:
            candidate = self.activation(x_h + (r * h_h) @ recurrent_kernel[:, 2 * units :])
        h = z * h_tm1 + (1 - z) * candidate
        return h, [h]

    def get_config(self) -> dict:
        return {**super().get_config(), **gru_cell_config(self)}


class GRU(RNN):
    """Gated recurrent unit (Cho et al., 2014) over ``(batch, time, features)`` sequences.

    Weights are ``[kernel (features, 3u), recurrent_kernel (u, 3u), bias]`` with
    gates z, r, h and bias ``(2, 3u)`` when ``reset_after`` (default), as Keras's.

    Args:
        units, activation, recurrent_activation, use_bias, kernel_initializer,
        recurrent_initializer, bias_initializer, kernel_regularizer,
        recurrent_regularizer, bias_regularizer, kernel_constraint,
        recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
        reset_after, seed: as ``GRUCell``.
        activity_regularizer: penalty on the outputs.
        return_sequences, return_state, go_backwards, stateful, unroll: as ``RNN``.
        use_cudnn: accepted for Keras code; XLA compiles the scan on every device.

    Example:
        >>> GRU(8, return_sequences=True)(np.ones((2, 5, 3))).shape
        (2, 5, 8)
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
        reset_after: bool = True,
        use_cudnn="auto",
        **kwargs,
    ):
        cell = GRUCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            reset_after=reset_after,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="gru_cell",
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
    kernel_regularizer = cell_property("kernel_regularizer")
    recurrent_regularizer = cell_property("recurrent_regularizer")
    bias_regularizer = cell_property("bias_regularizer")
    kernel_constraint = cell_property("kernel_constraint")
    recurrent_constraint = cell_property("recurrent_constraint")
    bias_constraint = cell_property("bias_constraint")
    dropout = cell_property("dropout")
    recurrent_dropout = cell_property("recurrent_dropout")
    reset_after = cell_property("reset_after")

    def get_config(self) -> dict:
        config = {**super().get_config(), **gru_cell_config(self.cell), "use_cudnn": self.use_cudnn}
        config.pop("cell")
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)
