import numpy as np
import pytest

import loom
from loom.utils import get_source_inputs, is_keras_tensor


def test_is_keras_tensor():
    assert is_keras_tensor(loom.Input((3,)))
    assert not is_keras_tensor(np.zeros(3))
    assert not is_keras_tensor(loom.ops.convert_to_tensor(np.zeros(3)))


def test_get_source_inputs_follows_the_graph_back_to_each_input_once():
    a, b, c = loom.Input((2,), name="a"), loom.Input((2,), name="b"), loom.Input((2,), name="c")
    shared = loom.layers.Dense(2)
    mixed = loom.layers.Add()([shared(b), a, shared(b)])
    out = loom.layers.Concatenate()([mixed, loom.layers.Dense(2)(b)])
    assert get_source_inputs(out) == [b, a]
    assert get_source_inputs(a) == [a]
    assert get_source_inputs(c) == [c]


def test_get_source_inputs_of_a_model_output_and_of_a_non_tensor():
    inputs = loom.Input((4,))
    model = loom.Model(inputs, loom.layers.Dense(1)(inputs))
    assert get_source_inputs(model.outputs[0]) == [inputs]
    array = np.zeros(2)
    assert get_source_inputs(array) is array  # as Keras: returned unchanged


def test_get_source_inputs_matches_keras():
    keras = pytest.importorskip("keras")

    def sources(module):
        a, b = module.Input((2,)), module.Input((2,))
        out = module.layers.Multiply()([module.layers.Dense(2)(b), module.layers.Dense(2)(a)])
        return [{id(a): "a", id(b): "b"}[id(t)] for t in module.utils.get_source_inputs(out)]

    assert sources(loom) == sources(keras) == ["b", "a"]
