"""Dropout and ActivityRegularization: training behaviour, seeds, losses, configs and errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import loom  # noqa: E402
from loom.layers import Input  # noqa: E402
from loom.layers.core import Dense  # noqa: E402
from loom.layers.regularization import ActivityRegularization, Dropout  # noqa: E402

RNG = np.random.default_rng(3)
X = RNG.normal(size=(64, 100)).astype("float32") + 2.0


def test_dropout_is_the_identity_at_inference():
    layer = Dropout(0.5)
    np.testing.assert_array_equal(np.asarray(layer(X)), X)
    np.testing.assert_array_equal(np.asarray(layer(X, training=False)), X)
    np.testing.assert_array_equal(np.asarray(keras.layers.Dropout(0.5)(X)), X)


def test_dropout_in_training_zeroes_about_rate_and_preserves_the_mean():
    ones = np.ones((200, 500), np.float32)
    out = np.asarray(Dropout(0.3, seed=1)(ones, training=True))
    assert abs(np.mean(out == 0) - 0.3) < 0.01
    np.testing.assert_allclose(out[out != 0], 1 / 0.7, rtol=1e-6)  # inverted scaling
    assert abs(out.mean() - 1.0) < 0.01


def test_dropout_same_seed_gives_same_mask_and_calls_advance():
    first, second = Dropout(0.5, seed=7), Dropout(0.5, seed=7)
    a, b = np.asarray(first(X, training=True)), np.asarray(second(X, training=True))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, np.asarray(first(X, training=True)))
    assert not np.array_equal(a, np.asarray(Dropout(0.5, seed=8)(X, training=True)))


def test_dropout_noise_shape_drops_whole_slices():
    x = np.ones((8, 5, 6), np.float32)
    out = np.asarray(Dropout(0.5, noise_shape=(None, 1, 6), seed=3)(x, training=True))
    assert np.all(out == out[:, :1, :])  # the same mask for every step
    assert 0 < np.mean(out == 0) < 1


def test_dropout_rate_edges():
    np.testing.assert_array_equal(np.asarray(Dropout(0.0)(X, training=True)), X)
    np.testing.assert_array_equal(np.asarray(Dropout(1.0)(X, training=True)), 0.0)


def test_dropout_draws_from_the_scope_key_in_stateless_call():
    layer = Dropout(0.5, seed=0)
    layer(Input((100,)))
    _, non_trainable = layer.trainable_variables, [v.value for v in layer.non_trainable_variables]
    out_a, _ = layer.stateless_call([], non_trainable, X, training=True, rng=jax.random.PRNGKey(1))
    out_b, _ = layer.stateless_call([], non_trainable, X, training=True, rng=jax.random.PRNGKey(1))
    out_c, _ = layer.stateless_call([], non_trainable, X, training=True, rng=jax.random.PRNGKey(2))
    np.testing.assert_array_equal(np.asarray(out_a), np.asarray(out_b))
    assert not np.array_equal(np.asarray(out_a), np.asarray(out_c))


def test_dropout_shapes_config_and_predict():
    layer = Dropout(0.25, noise_shape=(None, 1), seed=5)
    inputs = Input((100,))
    out = layer(inputs)
    assert out.shape == (None, 100) and np.asarray(layer(X)).shape == X.shape
    config = layer.get_config()
    assert config["rate"] == 0.25 and config["noise_shape"] == (None, 1) and config["seed"] == 5
    assert Dropout.from_config(config).get_config() == config
    np.testing.assert_allclose(loom.Model(inputs, out).predict(X, verbose=0), X)


def test_dropout_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"^Layer 'dropout' \(Dropout\): `rate` must be a float in \[0, 1\]; "
                       r"received rate=1\.5\.$"):
        Dropout(1.5)
    with pytest.raises(ValueError, match=r"received rate=-0\.1"):
        Dropout(-0.1)
    with pytest.raises(TypeError, match=r"`rate` must be a float in \[0, 1\]; received rate='0.5'"):
        Dropout("0.5")
    with pytest.raises(TypeError, match=r"`seed` must be an int or None; received seed=1.5"):
        Dropout(0.5, seed=1.5)
    with pytest.raises(TypeError, match=r"`noise_shape` must be a tuple of ints or None"):
        Dropout(0.5, noise_shape=3)
    with pytest.raises(ValueError, match=r"`noise_shape` entries must be positive ints or None; received "
                       r"noise_shape=\(None, 0\)"):
        Dropout(0.5, noise_shape=(None, 0))
    with pytest.raises(ValueError, match=r"noise_shape=\(None, 1\) must have the rank of its inputs; received "
                       r"input shape \(None, 3, 4\)"):
        Dropout(0.5, noise_shape=(None, 1))(Input((3, 4)))


def test_activity_regularization_passes_inputs_through_and_adds_its_penalty():
    layer = ActivityRegularization(l1=0.01, l2=0.1)
    x = RNG.normal(size=(4, 3)).astype("float32")
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    (loss,) = layer.losses
    double = ActivityRegularization(l1=0.02, l2=0.2)
    double(x)
    np.testing.assert_allclose(float(double.losses[0]), 2 * float(loss), rtol=1e-6)
    assert float(loss) > 0


def test_activity_regularization_penalty_matches_numpy_and_keras():
    layer = ActivityRegularization(l1=0.01, l2=0.1)
    x = RNG.normal(size=(4, 3)).astype("float32")
    layer(x)
    (loss,) = layer.losses
    expected = (0.01 * np.abs(x).sum() + 0.1 * np.square(x).sum()) / 4
    theirs = keras.layers.ActivityRegularization(l1=0.01, l2=0.1)
    theirs(x)
    np.testing.assert_allclose(float(theirs.losses[0]), expected, rtol=1e-5)
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


def test_activity_regularization_losses_reach_the_model_through_stateless_call():
    inputs = Input((3,))
    dense = Dense(2, kernel_initializer="ones", bias_initializer="zeros")
    regularization = ActivityRegularization(l2=0.5)
    model = loom.Model(inputs, regularization(dense(inputs)))
    x = np.ones((2, 3), np.float32)
    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    _, _, losses = model.stateless_call(trainable, non_trainable, x, return_losses=True)
    assert len(losses) == 1
    regularization(np.full((2, 2), 3.0, np.float32))  # the Dense output, computed by hand
    np.testing.assert_allclose(float(losses[0]), float(regularization.losses[0]), rtol=1e-6)


def test_activity_regularization_shape_config_and_errors():
    layer = ActivityRegularization(l1=0.2)
    assert layer(Input((3, 4))).shape == (None, 3, 4)
    config = layer.get_config()
    assert "activity_regularizer" not in config and config["l1"] == 0.2 and config["l2"] == 0.0
    assert ActivityRegularization.from_config(config).get_config() == config
    with pytest.raises(ValueError, match=r"Layer 'activity_regularization_\d+' \(ActivityRegularization\): `l2` must "
                       r"be a non-negative float; received l2=-1"):
        ActivityRegularization(l2=-1)
