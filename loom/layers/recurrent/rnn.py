"""RNN: runs a cell over the time axis of a sequence with ``lax.scan``."""

import jax
import jax.numpy as jnp
import numpy as np

from loom.layers.input_spec import InputSpec
from loom.layers.layer import Layer
from loom.layers.recurrent.cell import (
    RecurrentCell,
    call_cell,
    initial_state_of,
    output_shape_of,
    state_shapes_of,
)
from loom.layers.recurrent.serialization import deserialize_layer, serialize_layer
from loom.layers.recurrent.stacked_cells import StackedRNNCells
from loom.ops import convert_to_tensor
from loom.state import stateless_scope
from loom.state.variable import Variable


def prefix_variable_paths(layer, prefix: str) -> None:
    """Make the paths of a wrapped layer's variables start with its wrapper's name (as Keras's)."""
    for variable in layer.weights + layer._state_variables:
        if not variable.path.startswith(prefix + "/"):
            variable.path = f"{prefix}/{variable.path}"


def _where(mask_t, new, old):
    """``new`` where the step is kept, else ``old``; ``mask_t`` is ``(batch,)``."""
    keep = jnp.reshape(mask_t, mask_t.shape + (1,) * (new.ndim - 1))
    return jnp.where(keep, new, old)


def _previous_output(states):
    # As Keras: the first state is the previous output (for stacked cells, the last cell's).
    first = states[0]
    return states[-1][0] if isinstance(first, (list, tuple)) else first


def _read_step(xs, t):
    return jax.lax.dynamic_index_in_dim(xs, t, keepdims=False)


def run_recurrence(
    step,
    xs,
    states,
    mask=None,
    go_backwards=False,
    unroll=False,
    zero_output_for_mask=False,
    return_sequences=False,
    read=_read_step,
):
    """Apply ``step(read(xs, t), states) -> (output, states)`` for each step ``t`` of ``xs``.

    Args:
        step: one timestep; ``states`` keep the structure of the initial ones.
        xs: per-step inputs, time-major ``(time, batch, ...)``.
        states: the initial states (a list, nested for stacked cells).
        mask: optional ``(time, batch)`` booleans; a masked step keeps the states
            and outputs the previous output (or zeros with ``zero_output_for_mask``).
        go_backwards: process the steps last to first.
        unroll: a Python loop instead of ``lax.scan``.
        zero_output_for_mask: masked steps output zeros.
        return_sequences: also return every step's output (in processing order).
        read: takes step ``t``'s inputs out of ``xs`` (the loop scans the step index).

    Returns:
        ``(last_output, outputs or None, final_states)``.
    """
    treedef = jax.tree_util.tree_structure(states)

    def body(carry, inputs):
        states, last = carry
        t, mask_t = inputs
        output, new_states = step(read(xs, t), states)
        new_states = jax.tree_util.tree_unflatten(treedef, jax.tree_util.tree_leaves(new_states))
        if mask_t is not None:
            fallback = jnp.zeros_like(output) if zero_output_for_mask else _previous_output(states)
            output = _where(mask_t, output, fallback)
            new_states = jax.tree_util.tree_map(lambda new, old: _where(mask_t, new, old), new_states, states)
        return (new_states, None if return_sequences else output), (output if return_sequences else None)

    last = None
    if not return_sequences:
        spec = jax.eval_shape(lambda s: step(read(xs, 0), s)[0], states)
        last = jnp.zeros(spec.shape, spec.dtype)
    steps = xs.shape[0]
    if unroll:
        order = range(steps - 1, -1, -1) if go_backwards else range(steps)
        carry, outputs = (states, last), []
        for t in order:
            carry, output = body(carry, (t, None if mask is None else mask[t]))
            outputs.append(output)
        outputs = jnp.stack(outputs) if return_sequences else None
    else:
        carry, outputs = jax.lax.scan(body, (states, last), (jnp.arange(steps), mask), reverse=go_backwards)
        if return_sequences and go_backwards:
            outputs = jnp.flip(outputs, axis=0)  # processing order, as Keras
    states, last = carry
    if return_sequences:
        last = outputs[-1]
    return last, outputs, states


class RNN(Layer):
    """Runs a cell over the timesteps of ``(batch, time, ...)`` sequences.

    Loom's cells (``LSTMCell``, ``GRUCell``, ...) project the inputs of all
    timesteps in one matmul before the loop, so only the recurrent update runs
    inside ``lax.scan``. Any object with ``call(inputs, states)`` and
    ``state_size`` (and optionally ``output_size``, ``get_initial_state``) works
    as a cell, called once per step.

    Args:
        cell: a cell, or a list of cells (stacked with ``StackedRNNCells``).
        return_sequences: return the output of every step, not only the last.
        return_state: also return the final states.
        go_backwards: process the sequence last step first (and return the
            outputs in that order).
        stateful: start each batch from the final states of the previous one;
            needs a fixed batch size (``Input(batch_shape=...)``).
        unroll: a Python loop over the steps instead of ``lax.scan``; needs a
            known number of steps.
        zero_output_for_mask: masked steps output zeros instead of the
            previous output.

    Call arguments:
        sequences: ``(batch, time, ...)``.
        initial_state: a state array or list of them (default zeros).
        mask: ``(batch, time)`` booleans; masked steps are skipped (states are
            carried through). Set automatically by ``Embedding(mask_zero=True)``
            or ``Masking`` upstream.
        training: enables the cell's dropout.

    Output: ``(batch, units)``, ``(batch, time, units)`` with
    ``return_sequences``, followed by the final states with ``return_state``.

    Example:
        >>> outputs, h, c = RNN(LSTMCell(4), return_state=True)(np.ones((2, 5, 3)))
    """

    def __init__(
        self,
        cell,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs,
    ):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        super().__init__(**kwargs)
        if not callable(getattr(cell, "call", None)):
            raise TypeError(f"{self.describe()}: `cell` must have a `call(inputs, states)` method; received {cell!r}.")
        if getattr(cell, "state_size", None) is None:
            raise ValueError(
                f"{self.describe()}: the cell needs a `state_size` attribute (an int, or a list with one "
                f"size per state); received {cell!r}."
            )
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)
        self._state_slots = []
        self._state_treedef = None

    @property
    def state_size(self) -> list:
        size = self.cell.state_size
        return list(size) if isinstance(size, (list, tuple)) else [size]

    # --- building and shapes -------------------------------------------------------
    def build(self, sequences_shape):
        sequences_shape = tuple(sequences_shape)
        if len(sequences_shape) < 3:
            raise ValueError(
                f"{self.describe()} expects sequences of rank >= 3 (batch, time, features); received input shape "
                f"{sequences_shape}. Add a time axis, e.g. Input((timesteps, features)) or Reshape."
            )
        if self.unroll and sequences_shape[1] is None:
            raise ValueError(
                f"{self.describe()} has unroll=True, which needs a known number of timesteps; received input "
                f"shape {sequences_shape}. Give the Input a time dimension, e.g. Input((20, 8)), or unroll=False."
            )
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build((sequences_shape[0],) + sequences_shape[2:])
        if isinstance(self.cell, Layer):
            prefix_variable_paths(self.cell, self.name)
        if self.stateful and not self._state_slots:
            self._create_state_slots(sequences_shape[0])

    def _create_state_slots(self, batch_size) -> None:
        if batch_size is None:
            raise ValueError(
                f"{self.describe()} is stateful, so it needs a fixed batch size to hold its states; received "
                "an input with an unknown batch size. Use Input(batch_shape=(batch, time, features)) or "
                "pass batch_size= to the Input."
            )
        shapes = state_shapes_of(self.cell, batch_size)
        leaves, self._state_treedef = jax.tree_util.tree_flatten(shapes, is_leaf=lambda s: isinstance(s, tuple))
        self._state_slots = [
            self._add_state_variable(np.zeros(shape, self.variable_dtype), f"rnn_state_{i}")
            for i, shape in enumerate(leaves)
        ]

    @property
    def states(self):
        """The state Variables of a stateful layer (structured like the states), else None."""
        if not self._state_slots:
            return None
        return jax.tree_util.tree_unflatten(self._state_treedef, list(self._state_slots))

    def reset_states(self, states=None) -> None:
        """Set the states of a stateful layer to zeros, or to ``states`` (arrays like ``self.states``).

        As Keras, a layer without states (not stateful, or not built yet) has nothing to reset.
        """
        if not self._state_slots:
            return
        variables = list(self._state_slots)
        values = [None] * len(variables) if states is None else jax.tree_util.tree_leaves(states)
        if len(values) != len(variables):
            raise ValueError(
                f"{self.describe()} has {len(variables)} states; reset_states received {len(values)} arrays."
            )
        for variable, value in zip(variables, values):
            variable.assign(np.zeros(variable.shape, variable.dtype) if value is None else value)

    reset_state = reset_states

    def _check_batch_size(self, batch_size) -> None:
        if not self._state_slots or batch_size is None:
            return
        expected = self._state_slots[0].shape[0]
        if batch_size != expected:
            raise ValueError(
                f"{self.describe()} is stateful with batch size {expected}; received a batch of "
                f"{batch_size}. Feed batches of exactly {expected} samples (drop or pad the last one)."
            )

    def compute_output_shape(self, sequences_shape):
        batch, steps = sequences_shape[0], sequences_shape[1]
        self._check_batch_size(batch)
        output = tuple(output_shape_of(self.cell, batch))
        if self.return_sequences:
            output = (batch, steps) + output[1:]
        if self.return_state:
            return (output, *state_shapes_of(self.cell, batch))
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if not self.return_state:
            return output_mask
        states = jax.tree_util.tree_leaves(state_shapes_of(self.cell, None), is_leaf=lambda s: isinstance(s, tuple))
        return [output_mask] + [None] * len(states)

    # --- running --------------------------------------------------------------------
    def get_initial_state(self, batch_size) -> list:
        return initial_state_of(self.cell, batch_size, self.compute_dtype)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        batch_size = sequences.shape[0]
        self._check_batch_size(batch_size)
        if initial_state is None and self.stateful:
            initial_state = self.states
        if initial_state is not None:
            initial_state = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            initial_state = jax.tree_util.tree_map(
                lambda s: convert_to_tensor(s, dtype=self.compute_dtype),
                initial_state,
                is_leaf=lambda s: isinstance(s, Variable),
            )
        last_output, outputs, states = self._loop(sequences, initial_state, mask, training)
        if self.stateful:
            for slot, value in zip(self._state_slots, jax.tree_util.tree_leaves(states)):
                slot.assign(value)
        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return (output, *states)
        return output

    def _loop(self, sequences, initial_state, mask, training):
        """``(last_output, outputs or None, final_states)`` for ``(batch, time, ...)`` sequences."""
        training = bool(training)
        eager = not stateless_scope.in_stateless_scope() and not any(
            isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves((sequences, initial_state, mask))
        )
        if not eager:
            return self._traced_loop(sequences, initial_state, mask, training)
        # An eager call would trace and compile a new scan every time; run a cached, jitted copy
        # instead, with the cell's variables (weights, dropout seed) passed in and updated after.
        variables = self._cell_variables()
        result, updates = self._compiled_loop(training)([v.value for v in variables], sequences, initial_state, mask)
        for variable, value in zip(variables, updates):
            if value is not None:
                variable.assign(value)
        return result

    def _cell_variables(self) -> list:
        if not isinstance(self.cell, Layer):
            return []
        return self.cell.weights + self.cell._state_variables

    def _compiled_loop(self, training: bool):
        compiled = self.__dict__.setdefault("_compiled_loops", {})
        if training not in compiled:
            variables = self._cell_variables()

            def loop(values, sequences, initial_state, mask):
                with stateless_scope.StatelessScope(list(zip(variables, values))) as scope:
                    result = self._traced_loop(sequences, initial_state, mask, training)
                updated = {id(v) for v in scope.updated_variables}
                return result, [scope.get_current_value(v) if id(v) in updated else None for v in variables]

            compiled[training] = jax.jit(loop)
        return compiled[training]

    def _traced_loop(self, sequences, initial_state, mask, training):
        cell = self.cell
        if initial_state is None:
            initial_state = self.get_initial_state(sequences.shape[0])  # zeros, made inside the compiled loop
        xs = jnp.swapaxes(sequences, 0, 1)  # (T, B, ...)
        read = _read_step
        if isinstance(cell, RecurrentCell):
            constants = cell.sequence_constants(sequences.shape[:1] + sequences.shape[2:], training)
            xs = cell.project_inputs(xs, constants)  # every timestep at once, before the loop
            read = cell.read_step

            def step(x_t, states):
                return cell.step(x_t, states, constants)

        else:

            def step(x_t, states):
                return call_cell(cell, x_t, states, training)

        if mask is not None:
            mask = jnp.swapaxes(jnp.asarray(mask, dtype=bool), 0, 1)
        # As Keras: assignments and losses of a custom cell inside the loop stay there (they would
        # leak the loop's tracers); reads still see the enclosing scope's values.
        with stateless_scope.StatelessScope(collect_losses=False):
            return self._run(step, xs, initial_state, mask, read)

    def _run(self, step, xs, initial_state, mask, read):
        last, outputs, states = run_recurrence(
            step,
            xs,
            initial_state,
            mask=mask,
            go_backwards=self.go_backwards,
            unroll=self.unroll,
            zero_output_for_mask=self.zero_output_for_mask,
            return_sequences=self.return_sequences,
            read=read,
        )
        if outputs is not None:
            outputs = jnp.swapaxes(outputs, 0, 1)  # (B, T, ...)
        return last, outputs, states

    # --- configuration --------------------------------------------------------------
    def _rnn_config(self) -> dict:
        return {
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }

    def get_config(self) -> dict:
        return {**super().get_config(), **self._rnn_config(), "cell": serialize_layer(self.cell)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = deserialize_layer(config.pop("cell"), custom_objects)
        return cls(cell, **config)


def cell_property(name: str) -> property:
    """A read-only attribute of the layer that reads its cell's (Keras's ``lstm.units``)."""
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's `{name}`.")
