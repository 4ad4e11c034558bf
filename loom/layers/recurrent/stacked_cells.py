"""StackedRNNCells: several cells run as one, each feeding the next within a timestep."""

from loom.layers.layer import Layer
from loom.layers.recurrent.cell import (
    RecurrentCell,
    call_cell,
    initial_state_of,
    output_shape_of,
    state_shapes_of,
)
from loom.layers.recurrent.serialization import deserialize_layer, serialize_layer


class StackedRNNCells(RecurrentCell):
    """Wraps a list of cells so that ``RNN`` runs them as one stacked cell.

    The states are a list with one entry per cell (itself the list of that
    cell's states). Only the first cell's input projection is hoisted out of
    the time loop; the others depend on the cell below at the same step.

    Args:
        cells: the cells, bottom first.

    Example:
        >>> rnn = RNN(StackedRNNCells([LSTMCell(8), LSTMCell(4)]))  # same as RNN([LSTMCell(8), LSTMCell(4)])
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        if isinstance(cells, (str, bytes)) or not isinstance(cells, (list, tuple)) or not cells:
            raise TypeError(f"{self.describe()}: `cells` must be a non-empty list of cells; received cells={cells!r}.")
        for cell in cells:
            if not callable(getattr(cell, "call", None)):
                raise TypeError(f"{self.describe()}: every cell needs a `call` method; received {cell!r}.")
            if getattr(cell, "state_size", None) is None:
                raise ValueError(f"{self.describe()}: every cell needs a `state_size`; received {cell!r}.")
        self.cells = list(cells)

    @property
    def state_size(self) -> list:
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        size = getattr(last, "output_size", None)
        if size is not None:
            return size
        return last.state_size[0] if isinstance(last.state_size, (list, tuple)) else last.state_size

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(shape)
            shape = output_shape_of(cell, shape[0])

    def state_shapes(self, batch_size) -> list:
        return [state_shapes_of(cell, batch_size) for cell in self.cells]

    def output_shape_for(self, batch_size) -> tuple:
        return output_shape_of(self.cells[-1], batch_size)

    def get_initial_state(self, batch_size=None) -> list:
        return [initial_state_of(cell, batch_size, self.compute_dtype) for cell in self.cells]

    def sequence_constants(self, step_input_shape, training):
        # Generic cells get the training flag instead: they are called as layers.
        constants, shape = [], tuple(step_input_shape)
        for cell in self.cells:
            constants.append(cell.sequence_constants(shape, training) if isinstance(cell, RecurrentCell) else training)
            shape = output_shape_of(cell, shape[0])
        return constants

    def project_inputs(self, inputs, constants):
        first = self.cells[0]
        return first.project_inputs(inputs, constants[0]) if isinstance(first, RecurrentCell) else inputs

    def read_step(self, projected, t):
        first = self.cells[0]
        return first.read_step(projected, t) if isinstance(first, RecurrentCell) else super().read_step(projected, t)

    def step(self, step_inputs, states, constants):
        outputs, new_states = step_inputs, []
        for index, (cell, cell_states, cell_constants) in enumerate(zip(self.cells, states, constants)):
            cell_states = list(cell_states) if isinstance(cell_states, (list, tuple)) else [cell_states]
            if isinstance(cell, RecurrentCell):
                if index > 0:  # the cell below gave this step's input: project it as a sequence of one step
                    outputs = cell.read_step(cell.project_inputs(outputs[None], cell_constants), 0)
                outputs, cell_states = cell.step(outputs, cell_states, cell_constants)
            else:
                outputs, cell_states = call_cell(cell, outputs, cell_states, cell_constants)
            new_states.append(list(cell_states))
        return outputs, new_states

    def get_config(self) -> dict:
        return {**super().get_config(), "cells": [serialize_layer(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [deserialize_layer(cell, custom_objects) for cell in config.pop("cells")]
        return cls(cells, **config)
