import jax
import numpy as np
import pytest

from loom.layers import Input
from loom.layers.recurrent import ConvLSTM2D

# Keras draws its default initial weights slowly (an orthogonal QR per layer); they are overwritten anyway.
FAST = {"kernel_initializer": "zeros", "recurrent_initializer": "zeros"}


def keras():
    return pytest.importorskip("keras")


@pytest.mark.parametrize(
    "options",
    [
        {"padding": "same", "return_sequences": True},
        {"strides": 2, "return_state": True, "go_backwards": True, "data_format": "channels_first"},
    ],
)
def test_conv_lstm2d_matches_keras_on_same_weights(options):
    k = keras()
    x = np.random.default_rng(0).normal(size=(2, 3, 5, 5, 2)).astype("float32")
    ours = ConvLSTM2D(3, (3, 2), **options)
    ours.build(x.shape)
    rng = np.random.default_rng(1)
    ours.set_weights([rng.uniform(-0.4, 0.4, w.shape).astype("float32") for w in ours.get_weights()])
    theirs = k.layers.ConvLSTM2D(3, (3, 2), **options, **FAST)
    theirs.build(x.shape)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    theirs.set_weights(ours.get_weights())
    ours_out, theirs_out = jax.tree_util.tree_leaves(ours(x)), jax.tree_util.tree_leaves(theirs(x))
    assert len(ours_out) == len(theirs_out)
    for a, b in zip(ours_out, theirs_out):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)


def test_conv_lstm2d_weights_and_symbolic_shapes():
    layer = ConvLSTM2D(4, 3, padding="valid", return_sequences=True, return_state=True)
    sequences, h, c = layer(Input((None, 8, 6, 2)))
    assert sequences.shape == (None, None, 6, 4, 4) and h.shape == c.shape == (None, 6, 4, 4)
    kernel, recurrent_kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 3, 2, 16) and recurrent_kernel.shape == (3, 3, 4, 16)
    np.testing.assert_array_equal(bias, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    assert ConvLSTM2D(2, 3, strides=2, padding="same")(Input((5, 9, 9, 1))).shape == (None, 5, 5, 2)


def test_conv_lstm2d_config_round_trip_and_errors():
    layer = ConvLSTM2D(2, (3, 1), dilation_rate=(2, 1), padding="same", dropout=0.1, seed=2, name="conv")
    config = layer.get_config()
    assert ConvLSTM2D.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="`strides` > 1 cannot be combined with `dilation_rate` > 1"):
        ConvLSTM2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="`padding` must be 'valid' or 'same'"):
        ConvLSTM2D(2, 3, padding="full")
    with pytest.raises(ValueError, match="needs known spatial and channel dimensions"):
        ConvLSTM2D(2, 3)(Input((4, None, 5, 1)))
