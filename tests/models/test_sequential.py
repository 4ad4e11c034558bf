import numpy as np
import pytest

import loom
from loom.layers import Dense, Input, InputLayer


def test_sequential_with_input_builds_at_once():
    model = loom.Sequential([Input((4,)), Dense(8, activation="relu"), Dense(2)])
    assert model.built and model.output_shape == (None, 2) and model.input_shape == (None, 4)
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]
    x = np.random.rand(3, 4).astype("float32")
    (k1, b1), (k2, b2) = (layer.get_weights() for layer in model.layers)
    np.testing.assert_allclose(model.predict(x), np.maximum(x @ k1 + b1, 0) @ k2 + b2, rtol=1e-5, atol=1e-6)


def test_input_shape_keyword_on_first_layer():
    model = loom.Sequential()
    model.add(Dense(3, input_shape=(5,)))
    model.add(Dense(1))
    assert model.output_shape == (None, 1) and model.layers[0].input_shape == (None, 5)
    assert loom.Sequential([Dense(2, input_dim=7)]).input_shape == (None, 7)


def test_deferred_build_on_first_call():
    model = loom.Sequential([Dense(3), Dense(1)])
    assert not model.built
    with pytest.raises(ValueError, match="has no defined input yet"):
        model.inputs
    unbuilt = []
    model.summary(print_fn=unbuilt.append)  # "?" shapes and "0 (unbuilt)", as Keras
    assert "0 (unbuilt)" in unbuilt[0]
    out = model.predict(np.ones((4, 6)))
    assert out.shape == (4, 1) and model.input_shape == (None, 6)


def test_build_with_shape():
    model = loom.Sequential([Dense(3)])
    model.build((None, 2))
    assert model.layers[0].kernel.shape == (2, 3)
    with pytest.raises(ValueError, match="no input shape"):
        loom.Sequential([Dense(3)]).build()


def test_add_checks_type_and_position_and_a_failing_layer_is_not_added():
    model = loom.Sequential([Input((4,))])
    with pytest.raises(TypeError, match="expects a layer instance"):
        model.add("dense")
    with pytest.raises(ValueError, match="InputLayer can only be the first layer"):
        model.add(InputLayer(shape=(3,)))
    fixed = Dense(2)
    fixed.build((None, 9))
    with pytest.raises(ValueError, match="size 9"):
        model.add(fixed)
    assert model.layers == []


def test_pop_removes_last_layer():
    model = loom.Sequential([Input((4,)), Dense(3), Dense(2)])
    last = model.pop()
    assert last.name == "dense_1" and model.output_shape == (None, 3)
    model.pop()
    with pytest.raises(IndexError):
        model.pop()


def test_sequential_nested_in_functional_model_shares_weights():
    tower = loom.Sequential([Input((3,)), Dense(2)])
    a, b = Input((3,)), Input((3,))
    siamese = loom.Model([a, b], loom.ops.subtract(tower(a), tower(b)))
    x = np.random.rand(2, 3).astype("float32")
    np.testing.assert_allclose(siamese.predict([x, x]), 0.0, atol=1e-6)
    assert len(siamese.weights) == 2


def test_sequential_runs_its_layers_on_other_sequence_lengths_as_keras_does():
    """Keras's Sequential checks only its layers' own input specs: a sequence model built on
    length 6 runs on length 3 (eager, predict and fit); a Dense still refuses a wrong size."""
    keras = pytest.importorskip("keras")
    results = []
    for lib in (keras, loom):
        model = lib.Sequential([lib.layers.Embedding(50, 4), lib.layers.LSTM(3)])
        model(np.ones((3, 6), "int32"))
        model.compile("sgd", "mse")
        model.fit(np.ones((4, 3), "int32"), np.ones((4, 3), "float32"), verbose=0)
        results.append((tuple(model(np.ones((1, 3), "int32")).shape), model.predict(np.ones((2, 3), "int32"), verbose=0).shape))
    assert results[0] == results[1] == ((1, 3), (2, 3))
    dense = loom.Sequential([loom.Input((6,)), loom.layers.Dense(2)])
    with pytest.raises(ValueError, match="expects axis -1 of its input to have size 6"):
        dense(np.ones((1, 5), "float32"))
