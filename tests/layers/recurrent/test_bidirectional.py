import jax
import numpy as np
import pytest

import loom
from loom.layers import Dense, Input
from loom.layers.recurrent import GRU, LSTM, Bidirectional, SimpleRNN

# Keras draws its default initial weights slowly (an orthogonal QR per layer); they are overwritten anyway.
FAST = {"kernel_initializer": "zeros", "recurrent_initializer": "zeros"}


def keras():
    return pytest.importorskip("keras")


def _random_weights(layer, seed=0):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype("float32") for w in layer.get_weights()])


def _assert_all_close(ours, theirs):
    ours, theirs = jax.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)


def test_bidirectional_merge_modes_match_keras_and_numpy():
    k = keras()
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    layer = Bidirectional(LSTM(3, return_sequences=True), merge_mode=None)
    layer.build(x.shape)
    _random_weights(layer)
    forward, backward = (np.asarray(y) for y in layer(x))
    theirs = k.layers.Bidirectional(k.layers.LSTM(3, return_sequences=True, **FAST), merge_mode=None)
    theirs.build(x.shape)
    theirs.set_weights(layer.get_weights())
    _assert_all_close((forward, backward), theirs(x))
    expected = {
        "concat": np.concatenate([forward, backward], axis=-1),
        "sum": forward + backward,
        "mul": forward * backward,
        "ave": (forward + backward) / 2,
    }
    for mode, value in expected.items():
        layer.merge_mode = theirs.merge_mode = mode  # both merge at call time; the directions stay built
        np.testing.assert_allclose(np.asarray(layer(x)), value, atol=1e-5, err_msg=mode)
        np.testing.assert_allclose(np.asarray(theirs(x)), value, atol=1e-5, err_msg=mode)


def test_bidirectional_states_and_masks_match_keras():
    k = keras()
    ids = np.array([[2, 4, 1, 0], [3, 0, 0, 0]], "int32")

    def build(layers, recurrent):
        inputs = layers.Input((None,), dtype="int32")
        embedded = layers.Embedding(5, 3, mask_zero=True, embeddings_initializer="zeros")(inputs)
        return inputs, recurrent.Bidirectional(recurrent.GRU(2, return_sequences=True, return_state=True, **FAST))(
            embedded
        )

    inputs, outputs = build(loom.layers, loom.layers.recurrent)
    assert [t.shape for t in outputs] == [(None, None, 4), (None, 2), (None, 2)]
    model = loom.Model(inputs, list(outputs))
    _random_weights(model)
    ours = model.predict(ids, verbose=0)
    k_inputs, k_outputs = build(k.layers, k.layers)
    keras_model = k.Model(k_inputs, list(k_outputs))
    keras_model.set_weights(model.get_weights())
    _assert_all_close(ours, keras_model(ids))
    np.testing.assert_array_equal(ours[0][1, 1:], 0.0)  # padding outputs zeros in both directions


def test_bidirectional_weights_are_named_and_ordered_like_keras():
    k = keras()
    layer = Bidirectional(LSTM(2, name="encoder"))
    layer.build((None, 5, 3))
    assert [w.path for w in layer.weights] == [
        f"bidirectional/forward_encoder/lstm_cell/{name}" for name in ("kernel", "recurrent_kernel", "bias")
    ] + [f"bidirectional/backward_encoder/lstm_cell/{name}" for name in ("kernel", "recurrent_kernel", "bias")]
    assert layer.forward_layer.name == "forward_encoder" and layer.backward_layer.go_backwards
    theirs = k.layers.Bidirectional(k.layers.LSTM(2, **FAST))
    theirs.build((None, 5, 3))
    assert [w.shape for w in layer.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    assert layer(Input((None, 3))).shape == (None, 4)


def test_bidirectional_with_given_backward_layer_and_initial_state():
    x = np.random.default_rng(1).normal(size=(2, 3, 4)).astype("float32")
    states = [np.full((2, 2), 0.5, "float32"), np.full((2, 5), -0.5, "float32")]
    layer = Bidirectional(SimpleRNN(2), backward_layer=SimpleRNN(5, go_backwards=True), merge_mode="concat")
    merged = np.asarray(layer(x, initial_state=states))
    assert merged.shape == (2, 7)
    forward = SimpleRNN(2)
    forward.build(x.shape)
    forward.set_weights(layer.get_weights()[:3])
    np.testing.assert_allclose(merged[:, :2], np.asarray(forward(x, initial_state=states[:1])), atol=1e-5)


def test_bidirectional_config_round_trip_and_errors():
    layer = Bidirectional(GRU(3, return_sequences=True, reset_after=False), merge_mode="ave", name="bi")
    config = layer.get_config()
    clone = Bidirectional.from_config(config)
    assert clone.get_config() == config
    assert clone.forward_layer.name == "forward_gru" and clone.backward_layer.name == "backward_gru"
    with pytest.raises(ValueError, match="`merge_mode` must be one of"):
        Bidirectional(LSTM(2), merge_mode="max")
    with pytest.raises(TypeError, match="must be a recurrent layer instance"):
        Bidirectional(Dense(2))
    with pytest.raises(ValueError, match="must read in opposite directions"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2))
    with pytest.raises(ValueError, match="must agree on `return_sequences`"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2, go_backwards=True, return_sequences=True))
