import jax
import jax.numpy as jnp
import numpy as np
import pytest

import loom
from loom.layers import Dense, Input, concatenate
from loom.layers.recurrent import LSTM, LSTMCell

# Keras draws its default initial weights slowly (an orthogonal QR per layer); they are overwritten anyway.
FAST = {"kernel_initializer": "zeros", "recurrent_initializer": "zeros"}


def keras():
    return pytest.importorskip("keras")


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _random_weights(layer, seed=0):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype("float32") for w in layer.get_weights()])


def _numpy_lstm(x, kernel, recurrent_kernel, bias):
    units = recurrent_kernel.shape[0]
    h = np.zeros((x.shape[0], units), "float32")
    c = np.zeros_like(h)
    outputs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent_kernel + bias
        i, f, g, o = (z[:, k * units : (k + 1) * units] for k in range(4))
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


def test_lstm_matches_numpy_loop():
    x = np.random.default_rng(1).normal(size=(3, 6, 4)).astype("float32")
    layer = LSTM(5, return_sequences=True, return_state=True)
    layer.build((None, 6, 4))
    _random_weights(layer)
    sequences, h, c = layer(x)
    expected_sequences, expected_h, expected_c = _numpy_lstm(x, *layer.get_weights())
    np.testing.assert_allclose(np.asarray(sequences), expected_sequences, atol=1e-5)
    np.testing.assert_allclose(np.asarray(h), expected_h, atol=1e-5)
    np.testing.assert_allclose(np.asarray(c), expected_c, atol=1e-5)


def test_lstm_matches_keras_on_same_weights():
    options = {"return_sequences": True, "return_state": True, "go_backwards": True, "unroll": True}
    k = keras()
    x = np.random.default_rng(2).normal(size=(2, 5, 3)).astype("float32")
    ours = LSTM(4, **options)
    ours(x)
    _random_weights(ours)
    theirs = k.layers.LSTM(4, **options, **FAST)
    theirs.build(x.shape)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    theirs.set_weights(ours.get_weights())
    ours_out, theirs_out = ours(x), theirs(x)
    assert len(ours_out) == len(theirs_out) == 3
    for a, b in zip(ours_out, theirs_out):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)


def test_lstm_weights_follow_keras_layout_and_defaults():
    layer = LSTM(3)
    layer.build((None, 7, 2))
    assert [w.path for w in layer.weights] == [
        "lstm/lstm_cell/kernel",
        "lstm/lstm_cell/recurrent_kernel",
        "lstm/lstm_cell/bias",
    ]
    kernel, recurrent_kernel, bias = layer.get_weights()
    assert kernel.shape == (2, 12) and recurrent_kernel.shape == (3, 12)
    # unit_forget_bias: the forget gate (second block of i, f, c, o) starts at 1.
    np.testing.assert_array_equal(bias, np.r_[np.zeros(3), np.ones(3), np.zeros(6)])
    # The recurrent kernel is orthogonal: its rows are orthonormal.
    np.testing.assert_allclose(recurrent_kernel @ recurrent_kernel.T, np.eye(3), atol=1e-5)
    assert layer.cell.recurrent_activation.__name__ == "sigmoid"


def test_lstm_symbolic_shapes_keep_unknown_batch_and_time():
    x = Input((None, 3))
    sequences, h, c = LSTM(4, return_sequences=True, return_state=True)(x)
    assert sequences.shape == (None, None, 4)
    assert h.shape == (None, 4) and c.shape == (None, 4)
    assert LSTM(2)(x).shape == (None, 2)


def test_shared_lstm_records_one_node_per_call():
    tweet_a, tweet_b = Input((280, 256)), Input((280, 256))
    shared_lstm = LSTM(64)
    encoded_a, encoded_b = shared_lstm(tweet_a), shared_lstm(tweet_b)
    predictions = Dense(1, activation="sigmoid")(concatenate([encoded_a, encoded_b], axis=-1))
    model = loom.Model(inputs=[tweet_a, tweet_b], outputs=predictions)
    assert shared_lstm.get_output_at(0) is encoded_a
    assert shared_lstm.get_output_at(1) is encoded_b
    assert shared_lstm.get_input_shape_at(1) == (None, 280, 256)
    with pytest.warns(UserWarning, match="2 inbound nodes"):
        assert shared_lstm.output is encoded_a  # the first call's, as in Keras 3
    assert len(model.trainable_weights) == 5  # one LSTM (3) shared by both towers + Dense (2)


def test_lstm_gradient_through_stateless_call_is_finite():
    layer = LSTM(4, return_sequences=True)
    x = np.random.default_rng(3).normal(size=(2, 6, 3)).astype("float32")
    layer.build(x.shape)
    trainable = [v.value for v in layer.trainable_variables]

    def loss(trainable):
        outputs, _ = layer.stateless_call(trainable, [], x)
        return jnp.sum(outputs**2)

    grads = jax.jit(jax.grad(loss))(trainable)
    assert all(bool(jnp.all(jnp.isfinite(g))) and float(jnp.abs(g).max()) > 0 for g in grads)


def test_lstm_keeps_only_the_recurrent_matmul_inside_the_scan():
    layer = LSTM(8)
    x = np.ones((2, 12, 5), "float32")
    layer(x)
    trainable = [v.value for v in layer.trainable_variables]
    jaxpr = jax.make_jaxpr(lambda t: layer.stateless_call(t, [], x)[0])(trainable)
    (scan,) = [e for e in jaxpr.jaxpr.eqns if e.primitive.name == "scan"]
    body_dots = [e for e in scan.params["jaxpr"].jaxpr.eqns if e.primitive.name == "dot_general"]
    outer_dots = [e for e in jaxpr.jaxpr.eqns if e.primitive.name == "dot_general"]
    assert len(body_dots) == 1 and body_dots[0].invars[1].aval.shape == (8, 32)  # h @ recurrent_kernel
    assert len(outer_dots) == 1 and outer_dots[0].outvars[0].aval.shape == (12, 2, 32)  # all steps at once


def test_lstm_dropout_applies_in_training_only_and_follows_the_rng():
    layer = LSTM(4, dropout=0.5, recurrent_dropout=0.3, seed=7)
    x = np.random.default_rng(4).normal(size=(3, 5, 2)).astype("float32")
    inference = np.asarray(layer(x))
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), inference)
    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]
    step = jax.jit(lambda key: layer.stateless_call(trainable, non_trainable, x, training=True, rng=key)[0])
    first, second, other = step(jax.random.PRNGKey(0)), step(jax.random.PRNGKey(0)), step(jax.random.PRNGKey(1))
    np.testing.assert_array_equal(np.asarray(first), np.asarray(second))
    assert not np.allclose(np.asarray(first), inference) and not np.allclose(np.asarray(first), np.asarray(other))


def test_lstm_config_round_trip():
    layer = LSTM(
        3,
        activation="relu",
        unit_forget_bias=False,
        kernel_regularizer="l2",
        dropout=0.25,
        return_sequences=True,
        go_backwards=True,
        name="encoder",
    )
    config = layer.get_config()
    clone = LSTM.from_config(config)
    assert clone.get_config() == config
    assert clone.units == 3 and clone.dropout == 0.25 and clone.go_backwards
    cell = LSTMCell(2, recurrent_dropout=0.1)
    assert LSTMCell.from_config(cell.get_config()).get_config() == cell.get_config()


def test_lstm_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"`units` must be a positive integer; received units=0"):
        LSTM(0)
    with pytest.raises(ValueError, match=r"`dropout` must be a float in \[0, 1\]; received dropout=1.5"):
        LSTM(2, dropout=1.5)
    with pytest.raises(ValueError, match="`use_cudnn` must be 'auto', True or False"):
        LSTM(2, use_cudnn="yes")
    with pytest.raises(ValueError, match=r"expects sequences of rank >= 3 .* received input shape \(None, 4\)"):
        LSTM(2)(Input((4,)))
