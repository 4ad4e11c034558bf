"""TrainState: everything a compiled step reads and writes, as lists of arrays.

Between compiled calls the values live in their Variables (model weights,
optimizer slots, metric accumulators), so callbacks, ``get_weights`` and
checkpoints see the current state; a call reads them, runs many steps on the
device, and writes the results back (pointer swaps, no copies).
"""

import operator
from typing import NamedTuple

import jax


class TrainState(NamedTuple):
    trainable: list
    non_trainable: list
    optimizer: list
    metrics: list


class StateBinding:
    """Which Variables each part of a TrainState belongs to."""

    def __init__(self, model, optimizer, metric_variables: list):
        self.trainable = list(model.trainable_variables)
        self.non_trainable = list(model.non_trainable_variables)
        self._optimizer = optimizer
        self.metrics = list(metric_variables)
        # The arrays the last compiled call returned, by id: safe to donate to the next one.
        self._owned = {}
        # The same arrays in state order when they are all distinct (read's quick check).
        self._last_written = ()

    @property
    def optimizer(self) -> list:
        # Read each time: a callback may swap a fixed learning rate for a schedule.
        return list(self._optimizer.variables) if self._optimizer is not None else []

    def read_for_test(self) -> TrainState:
        """The state an evaluation step reads: the stored arrays as they are (evaluation
        donates nothing), without the optimizer's slots, which no test step reads (fewer
        arguments to hand to every compiled call)."""
        return TrainState(
            [v._value for v in self.trainable],
            [v._value for v in self.non_trainable],
            [],
            [v._value for v in self.metrics],
        )

    def read(self) -> TrainState:
        """The state, safe to donate to a compiled call."""
        # The stored arrays themselves: the trainer reads between calls, outside any
        # stateless or autocast scope, so ``Variable.value``'s scope lookups are skipped.
        state = TrainState(
            [v._value for v in self.trainable],
            [v._value for v in self.non_trainable],
            [v._value for v in self.optimizer],
            [v._value for v in self.metrics],
        )
        arrays = [*state.trainable, *state.non_trainable, *state.optimizer, *state.metrics]
        last = self._last_written
        if len(arrays) == len(last) and all(map(operator.is_, arrays, last)):
            return state  # exactly what the last call returned, in place (the common case)
        owned = self._owned
        if all(owned.get(id(a)) is a for a in arrays) and len({id(a) for a in arrays}) == len(arrays):
            return state
        return self._unaliased(state)

    def _unaliased(self, state: TrainState) -> TrainState:
        """Copies of the arrays that did not come out of this binding's last call.

        A step donates its state: XLA reuses the buffers and deletes the arrays. An array
        put into a Variable from outside (``assign``, ``set_weights`` with device arrays,
        an optimizer's ``finalize_variable_values``) may also be held by another Variable or
        by the user, and would vanish from there. Copied once; the call's outputs are then
        this binding's own, and later reads pass them straight through.
        """
        owned, seen = self._owned, set()

        def own(array):
            if owned.get(id(array)) is array and id(array) not in seen:
                seen.add(id(array))
                return array
            # A copy that compiles nothing (arrays spanning processes name their sharding).
            target = None if array.is_fully_addressable else array.sharding
            copy = jax.device_put(array, target, may_alias=False)
            seen.add(id(copy))
            return copy

        return TrainState(*([own(a) for a in group] for group in state))

    def write(self, state: TrainState) -> None:
        groups = [
            (self.trainable, state.trainable),
            (self.non_trainable, state.non_trainable),
            (self.optimizer, state.optimizer),
            (self.metrics, state.metrics),
        ]
        owned = {}
        for variables, values in groups:
            for variable, value in zip(variables, values):
                variable._value = value  # a trusted internal write: same shape and dtype by construction
                owned[id(value)] = value
        self._owned = owned
        arrays = [*state.trainable, *state.non_trainable, *state.optimizer, *state.metrics]
        self._last_written = arrays if len(owned) == len(arrays) else ()

    def write_metrics(self, values: list) -> None:
        """Store metric accumulators alone (after evaluation)."""
        for variable, value in zip(self.metrics, values):
            variable._value = value
            self._owned[id(value)] = value
