"""TrainState: everything a compiled step reads and writes, as lists of arrays.

Between compiled calls the values live in their Variables (model weights,
optimizer slots, metric accumulators), so callbacks, ``get_weights`` and
checkpoints see the current state; a call reads them, runs many steps on the
device, and writes the results back (pointer swaps, no copies).
"""

from typing import NamedTuple


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

    @property
    def optimizer(self) -> list:
        # Read each time: a callback may swap a fixed learning rate for a schedule.
        return list(self._optimizer.variables) if self._optimizer is not None else []

    def read(self) -> TrainState:
        # The stored arrays themselves: the trainer reads between calls, outside any
        # stateless or autocast scope, so ``Variable.value``'s scope lookups are skipped.
        return TrainState(
            [v._value for v in self.trainable],
            [v._value for v in self.non_trainable],
            [v._value for v in self.optimizer],
            [v._value for v in self.metrics],
        )

    def write(self, state: TrainState) -> None:
        groups = [
            (self.trainable, state.trainable),
            (self.non_trainable, state.non_trainable),
            (self.optimizer, state.optimizer),
            (self.metrics, state.metrics),
        ]
        for variables, values in groups:
            for variable, value in zip(variables, values):
                variable._value = value  # a trusted internal write: same shape and dtype by construction

    def write_metrics(self, values: list) -> None:
        """Store metric accumulators alone (after evaluation)."""
        for variable, value in zip(self.metrics, values):
            variable._value = value
