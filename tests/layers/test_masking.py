"""Masking: outputs and masks against NumPy and Keras 3, shapes, configs and errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import loom  # noqa: E402
from loom.layers import Input  # noqa: E402
from loom.layers.core import Lambda  # noqa: E402
from loom.layers.masking import Masking  # noqa: E402

X = np.random.default_rng(4).normal(size=(3, 4, 2)).astype("float32")
X[0, 1] = 0.0
X[2, 3] = 0.0
X[1, 0, 0] = 0.0  # only one feature at the padding value: not masked


def test_masking_zeroes_masked_timesteps_and_reports_the_mask():
    layer = Masking(mask_value=0.0)
    expected_mask = np.any(X != 0.0, axis=-1)
    np.testing.assert_array_equal(np.asarray(layer(X)), np.where(expected_mask[..., None], X, 0.0))
    np.testing.assert_array_equal(np.asarray(layer.compute_mask(X)), expected_mask)
    theirs = keras.layers.Masking(mask_value=0.0)
    np.testing.assert_array_equal(np.asarray(layer(X)), np.asarray(theirs(X)))
    np.testing.assert_array_equal(np.asarray(layer.compute_mask(X)), np.asarray(theirs.compute_mask(X)))


def test_masking_with_a_nonzero_padding_value():
    x = np.full((2, 3, 2), -1.0, np.float32)
    x[0, 0] = [1.0, 2.0]
    layer = Masking(mask_value=-1.0)
    np.testing.assert_array_equal(np.asarray(layer.compute_mask(x)), [[True, False, False], [False, False, False]])
    out = np.asarray(layer(x))
    np.testing.assert_array_equal(out[0, 0], [1.0, 2.0])
    np.testing.assert_array_equal(out[1], 0.0)


def test_masking_mask_reaches_the_next_layer_in_a_model():
    inputs = Input((4, 2))
    masked = Masking()(inputs)
    seen = Lambda(lambda x, mask: loom.ops.cast(mask, "float32"))(masked)
    model = loom.Model(inputs, [masked, seen])
    out, mask = model.predict(X, verbose=0)
    np.testing.assert_array_equal(mask, np.any(X != 0.0, axis=-1).astype("float32"))
    np.testing.assert_array_equal(out, np.asarray(Masking()(X)))


def test_masking_shapes_and_config():
    layer = Masking(mask_value=-1.0)
    assert layer(Input((None, 3))).shape == (None, None, 3)
    assert np.asarray(layer(X)).shape == X.shape
    config = layer.get_config()
    assert config["mask_value"] == -1.0
    assert Masking.from_config(config).get_config() == config


def test_masking_rejects_a_non_numeric_mask_value():
    with pytest.raises(TypeError, match=r"Layer 'masking' \(Masking\): `mask_value` must be a number; "
                       r"received mask_value='pad'"):
        Masking(mask_value="pad")


def test_eager_masking_output_carries_the_mask_like_keras():
    ours = Masking()(X)
    theirs = keras.layers.Masking()(X)
    np.testing.assert_array_equal(np.asarray(ours._keras_mask), np.any(X != 0.0, axis=-1))
    np.testing.assert_array_equal(np.asarray(ours._keras_mask), np.asarray(theirs._keras_mask))


def test_eager_embedding_output_carries_the_mask_like_keras():
    ids = np.array([[1, 0, 2]])
    ours = loom.layers.Embedding(10, 4, mask_zero=True)(ids)
    theirs = keras.layers.Embedding(10, 4, mask_zero=True)(ids)
    np.testing.assert_array_equal(np.asarray(ours._keras_mask), [[True, False, True]])
    np.testing.assert_array_equal(np.asarray(ours._keras_mask), np.asarray(theirs._keras_mask))
    assert getattr(loom.layers.Embedding(10, 4)(ids), "_keras_mask", None) is None


def test_eager_lstm_on_a_masked_eager_output_skips_masked_steps_like_keras():
    ids = np.array([[3, 0, 0, 5], [0, 2, 4, 0]])
    embedding = loom.layers.Embedding(8, 3, mask_zero=True)
    lstm = loom.layers.LSTM(2, return_sequences=True)
    ours = np.asarray(lstm(embedding(ids)))
    # A masked step repeats the previous output (zeros before the first kept step).
    np.testing.assert_allclose(ours[0, 1], ours[0, 0], rtol=1e-6)
    np.testing.assert_allclose(ours[0, 2], ours[0, 0], rtol=1e-6)
    np.testing.assert_array_equal(ours[1, 0], 0.0)
    unmasked = np.asarray(lstm(np.asarray(embedding(ids))))  # same values, the mask dropped
    assert np.abs(unmasked[0, 1] - ours[0, 1]).max() > 1e-4  # so the mask made the difference
    their_embedding = keras.layers.Embedding(8, 3, mask_zero=True)
    their_lstm = keras.layers.LSTM(2, return_sequences=True)
    their_lstm(their_embedding(ids))  # build
    their_embedding.set_weights(embedding.get_weights())
    their_lstm.set_weights(lstm.get_weights())
    np.testing.assert_allclose(ours, np.asarray(their_lstm(their_embedding(ids))), rtol=1e-5, atol=1e-6)
