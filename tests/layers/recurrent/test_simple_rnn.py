import numpy as np
import pytest

from loom.layers import Input
from loom.layers.recurrent import SimpleRNN, SimpleRNNCell

# Keras draws its default initial weights slowly (an orthogonal QR per layer); they are overwritten anyway.
FAST = {"kernel_initializer": "zeros", "recurrent_initializer": "zeros"}


def keras():
    return pytest.importorskip("keras")


def _random_weights(layer, seed=0):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.uniform(-0.6, 0.6, w.shape).astype("float32") for w in layer.get_weights()])


def test_simple_rnn_matches_numpy_loop_and_its_unrolled_form():
    x = np.random.default_rng(1).normal(size=(3, 5, 4)).astype("float32")
    layer = SimpleRNN(3, return_sequences=True, return_state=True)
    layer.build((None, 5, 4))
    _random_weights(layer)
    kernel, recurrent_kernel, bias = layer.get_weights()
    h = np.zeros((3, 3), "float32")
    expected = []
    for t in range(5):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        expected.append(h)
    sequences, state = layer(x)
    np.testing.assert_allclose(np.asarray(sequences), np.stack(expected, axis=1), atol=1e-5)
    np.testing.assert_allclose(np.asarray(state), h, atol=1e-5)
    unrolled = SimpleRNN(3, return_sequences=True, unroll=True)
    unrolled.build((None, 5, 4))
    unrolled.set_weights(layer.get_weights())
    np.testing.assert_allclose(np.asarray(unrolled(x)), np.stack(expected, axis=1), atol=1e-5)


def test_simple_rnn_matches_keras_going_backwards():
    k = keras()
    x = np.random.default_rng(2).normal(size=(2, 6, 3)).astype("float32")
    options = {"return_sequences": True, "return_state": True, "go_backwards": True, "activation": "relu"}
    ours = SimpleRNN(4, **options)
    ours.build(x.shape)
    _random_weights(ours)
    theirs = k.layers.SimpleRNN(4, **options, **FAST)
    theirs.build(x.shape)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    theirs.set_weights(ours.get_weights())
    for a, b in zip(ours(x), theirs(x)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)


def test_simple_rnn_draws_one_dropout_mask_per_sequence():
    # With no recurrence, no bias and a linear activation, output_t = (x_t * mask) @ kernel:
    # equal inputs at every step give equal outputs only if the mask is the same at every step.
    layer = SimpleRNN(6, activation=None, use_bias=False, dropout=0.5, return_sequences=True, seed=3)
    layer.build((None, 4, 8))
    kernel = np.random.default_rng(0).normal(size=(8, 6)).astype("float32")
    layer.set_weights([kernel, np.zeros((6, 6), "float32")])
    x = np.ones((5, 4, 8), "float32")
    outputs = np.asarray(layer(x, training=True))
    np.testing.assert_allclose(outputs, np.repeat(outputs[:, :1], 4, axis=1), atol=1e-6)
    assert not np.allclose(outputs[:, 0], np.ones((5, 8)) @ kernel)  # something was dropped
    np.testing.assert_allclose(np.asarray(layer(x)), np.repeat(np.ones((5, 1, 8)) @ kernel, 4, axis=1), atol=1e-5)


def test_simple_rnn_symbolic_shapes_and_config_round_trip():
    x = Input((None, 3))
    assert SimpleRNN(2, return_sequences=True)(x).shape == (None, None, 2)
    layer = SimpleRNN(2, activation="relu", use_bias=False, recurrent_dropout=0.2, seed=1, go_backwards=True)
    config = layer.get_config()
    assert SimpleRNN.from_config(config).get_config() == config
    cell = SimpleRNNCell(3, dropout=0.1)
    assert SimpleRNNCell.from_config(cell.get_config()).get_config() == cell.get_config()
    with pytest.raises(TypeError, match="`seed` must be an int or None"):
        SimpleRNN(2, dropout=0.1, seed="x")
