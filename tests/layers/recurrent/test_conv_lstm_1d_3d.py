"""ConvLSTM1D and ConvLSTM3D (the rank-generic ConvLSTM): parity with Keras 3, shapes, training, configs."""

import jax
import keras
import numpy as np
import pytest

import loom
from loom import layers as L

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

# Keras draws its default initial weights slowly (an orthogonal QR per layer); they are overwritten anyway.
FAST = {"kernel_initializer": "zeros", "recurrent_initializer": "zeros"}


@pytest.mark.parametrize(
    "ours_class, theirs_class, shape, options",
    [
        (L.ConvLSTM1D, keras.layers.ConvLSTM1D, (3, 6, 2), {"padding": "same", "return_sequences": True}),
        (L.ConvLSTM1D, keras.layers.ConvLSTM1D, (3, 7, 2), {"strides": 2, "return_state": True}),
        (L.ConvLSTM1D, keras.layers.ConvLSTM1D, (3, 2, 7), {"data_format": "channels_first", "go_backwards": True}),
        (L.ConvLSTM3D, keras.layers.ConvLSTM3D, (2, 4, 4, 4, 1), {"padding": "same"}),
        (L.ConvLSTM3D, keras.layers.ConvLSTM3D, (2, 5, 4, 4, 2), {"dilation_rate": (2, 1, 1), "return_state": True}),
    ],
)
def test_conv_lstm_1d_3d_match_keras_on_the_same_weights(ours_class, theirs_class, shape, options):
    x = np.random.default_rng(0).normal(size=(2,) + shape).astype("float32")
    ours = ours_class(3, 3, **options)
    ours.build(x.shape)
    rng = np.random.default_rng(1)
    ours.set_weights([rng.uniform(-0.4, 0.4, w.shape).astype("float32") for w in ours.get_weights()])
    theirs = theirs_class(3, 3, **options, **FAST)
    theirs.build(x.shape)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    theirs.set_weights(ours.get_weights())
    ours_out, theirs_out = jax.tree_util.tree_leaves(ours(x)), jax.tree_util.tree_leaves(theirs(x))
    assert len(ours_out) == len(theirs_out)
    for a, b in zip(ours_out, theirs_out):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)


def test_conv_lstm_1d_3d_weights_and_symbolic_shapes():
    layer = L.ConvLSTM1D(4, 3, return_sequences=True)
    assert layer(loom.Input((None, 8, 2))).shape == (None, None, 6, 4)
    kernel, recurrent_kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 2, 16) and recurrent_kernel.shape == (3, 4, 16)
    np.testing.assert_array_equal(bias, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])  # unit forget bias
    layer = L.ConvLSTM3D(2, (1, 3, 3), strides=(1, 2, 2), padding="same")
    assert layer(loom.Input((3, 2, 5, 5, 1))).shape == (None, 2, 3, 3, 2)
    assert layer.get_weights()[0].shape == (1, 3, 3, 1, 8)


def test_conv_lstm1d_trains_in_fit_and_survives_save_load(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(32, 4, 6, 1)).astype("float32")
    y = np.cumsum(x, axis=1)[:, -1] > 0  # sign of each position's running sum
    inputs = loom.Input((4, 6, 1))
    model = loom.Model(inputs, L.ConvLSTM1D(1, 1, activation="linear", recurrent_activation="sigmoid")(inputs))
    model.compile(loom.optimizers.Adam(0.05), "mse")
    history = model.fit(x, y.astype("float32"), epochs=20, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    model.save(tmp_path / "conv_lstm1d.keras")
    restored = loom.models.load_model(tmp_path / "conv_lstm1d.keras")
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_conv_lstm_1d_3d_config_round_trip_and_errors():
    for layer in (L.ConvLSTM1D(2, 3, padding="same", dropout=0.1, seed=1), L.ConvLSTM3D(2, (1, 2, 3), strides=2)):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    assert L.ConvLSTM3D(2, 3).get_config()["kernel_size"] == (3, 3, 3)
    with pytest.raises(ValueError, match="`kernel_size` must be a positive int or 1 positive ints"):
        L.ConvLSTM1D(2, (3, 3))
    with pytest.raises(ValueError, match="`strides` must be a positive int or 3 positive ints"):
        L.ConvLSTM3D(2, 3, strides=(1, 2))
    with pytest.raises(ValueError, match="expects inputs of rank 6"):
        L.ConvLSTM3D(2, 3)(loom.Input((3, 4, 4, 1)))
