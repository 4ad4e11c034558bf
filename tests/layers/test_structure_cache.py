"""The cached walks over a model's layers (loom/state/structure_version.py) follow every
change a user can make: new layers, frozen layers and variables, new weights."""

import numpy as np

import loom
from loom import layers


class Stack(loom.Model):
    def __init__(self):
        super().__init__()
        self.blocks = [layers.Dense(3)]

    def call(self, x):
        for block in self.blocks:
            x = block(x)
        return x


def _built_stack():
    model = Stack()
    model(np.zeros((1, 2), "float32"))
    return model


def test_a_layer_appended_in_place_is_seen():
    model = _built_stack()
    assert len(model.trainable_variables) == 2
    model.blocks.append(layers.Dense(4))  # created after the walk was cached
    model(np.zeros((1, 2), "float32"))
    assert len(model.trainable_variables) == 4
    assert len(model.layers) == 2


def test_freezing_a_layer_or_a_variable_is_seen():
    model = _built_stack()
    assert len(model.trainable_variables) == 2
    model.blocks[0].trainable = False
    assert model.trainable_variables == []
    assert len(model.non_trainable_variables) == 2
    model.blocks[0].trainable = True
    model.blocks[0].bias.trainable = False
    assert [v.path for v in model.trainable_variables] == [model.blocks[0].kernel.path]


def test_a_weight_added_later_is_seen():
    model = _built_stack()
    count = len(model.weights)
    model.blocks[0].add_weight(shape=(2,), name="extra")
    assert len(model.weights) == count + 1


def test_returned_lists_are_copies():
    model = _built_stack()
    model.trainable_variables.clear()
    model.layers.clear()
    assert len(model.trainable_variables) == 2
    assert len(model.layers) == 1
