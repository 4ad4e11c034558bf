import numpy as np
import pytest

import loom
from loom import ops
from loom.layers import Dense, Embedding, Input, Lambda
from loom.layers.recurrent import LSTM, TimeDistributed


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def keras():
    return pytest.importorskip("keras")


def test_time_distributed_dense_matches_numpy_and_keras():
    k = keras()
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    layer = TimeDistributed(Dense(4, activation="relu"))
    outputs = np.asarray(layer(x))
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(outputs, np.maximum(x @ kernel + bias, 0), atol=1e-5)
    assert [w.path for w in layer.weights] == ["time_distributed/dense/kernel", "time_distributed/dense/bias"]
    theirs = k.layers.TimeDistributed(k.layers.Dense(4, activation="relu", kernel_initializer="zeros"))
    theirs.build(x.shape)
    theirs.set_weights(layer.get_weights())
    np.testing.assert_allclose(outputs, np.asarray(theirs(x)), atol=1e-5)


def test_time_distributed_shapes_keep_unknown_time_and_pass_the_mask():
    ids = Input((None,), dtype="int32")
    embedded = Embedding(6, 3, mask_zero=True)(ids)
    projected = TimeDistributed(Dense(2))(embedded)
    assert projected.shape == (None, None, 2) and projected._keras_mask is not None
    encoded = LSTM(2)(projected)
    model = loom.Model(ids, encoded)
    table, kernel, bias, lstm_kernel, recurrent_kernel, lstm_bias = model.get_weights()
    h = c = np.zeros((1, 2), "float32")
    for step in (4, 2):  # the padding steps must not count
        z = (table[[step]] @ kernel + bias) @ lstm_kernel + h @ recurrent_kernel + lstm_bias
        i, f, g, o = np.split(z, 4, axis=-1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
    np.testing.assert_allclose(model.predict(np.array([[4, 2, 0, 0]], "int32"), verbose=0), h, atol=1e-5)
    assert TimeDistributed(Dense(3))(Input((7, 4, 5))).shape == (None, 7, 4, 3)


def test_time_distributed_passes_the_folded_mask_to_a_layer_that_takes_one():
    zero_masked = Lambda(lambda x, mask: x * ops.cast(mask, x.dtype)[:, None])
    x = np.ones((2, 3, 4), "float32")
    mask = np.array([[True, False, True], [False, True, True]])
    outputs = np.asarray(TimeDistributed(zero_masked)(x, mask=mask))
    np.testing.assert_array_equal(outputs, x * mask[..., None])


def test_time_distributed_config_round_trip_and_errors():
    layer = TimeDistributed(Dense(3, use_bias=False), name="per_step")
    config = layer.get_config()
    clone = TimeDistributed.from_config(config)
    assert clone.get_config() == config and isinstance(clone.layer, Dense)
    with pytest.raises(ValueError, match="needs inputs of rank >= 3"):
        TimeDistributed(Dense(2))(Input((4,)))
    with pytest.raises(TypeError, match="must be a Layer instance"):
        TimeDistributed("dense")
