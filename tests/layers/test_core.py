import jax.numpy as jnp
import numpy as np
import pytest

import loom
from loom import ops
from loom.layers import Dense, Identity, Input, Lambda


def keras():
    keras = pytest.importorskip("keras")
    return keras


def test_dense_matches_numpy_on_any_rank():
    layer = Dense(4, activation="tanh")
    x = np.random.rand(2, 5, 3).astype("float32")
    y = np.asarray(layer(x))
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(y, np.tanh(x @ kernel + bias), rtol=1e-5, atol=1e-6)
    assert layer(Input((7, 3))).shape == (None, 7, 4)


def test_dense_matches_keras_on_same_weights():
    k = keras()
    x = np.random.rand(6, 3).astype("float32")
    ours = Dense(5, activation="relu", use_bias=True)
    ours(x)
    theirs = k.layers.Dense(5, activation="relu")
    theirs(x)
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)


def test_dense_default_initializers_match_keras_statistics():
    layer = Dense(200)
    layer.build((None, 300))
    kernel, bias = layer.get_weights()
    limit = np.sqrt(6 / (300 + 200))
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit
    np.testing.assert_array_equal(bias, 0)


def test_dense_rejects_input_of_another_size_after_build():
    layer = Dense(3)
    layer(Input((128,)))
    with pytest.raises(ValueError, match=r"expects axis -1 of its input to have size 128 .* received shape \(None, 300\)"):
        layer(Input((300,)))


def test_dense_needs_known_last_dim_and_valid_units():
    with pytest.raises(ValueError, match="last dimension of its input to be known"):
        Dense(3)(Input((None,)))
    with pytest.raises(ValueError, match=r"`units` must be a positive integer; received units=0"):
        Dense(0)


def test_dense_config_round_trip():
    layer = Dense(3, activation="relu", use_bias=False, kernel_regularizer="l2", name="d")
    clone = Dense.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_lambda_on_one_tensor_and_arguments():
    x = Input((4,))
    y = Lambda(lambda t, power: t**power, arguments={"power": 3})(x)
    model = loom.Model(x, y)
    data = np.random.rand(2, 4).astype("float32")
    np.testing.assert_allclose(model.predict(data), data**3, rtol=1e-5)


def test_lambda_on_a_list_receives_the_list():
    a, b = Input((3,)), Input((3,))

    def dot(inputs):
        x, y = inputs
        return ops.sum(x * y, axis=-1, keepdims=True)

    out = Lambda(dot)([a, b])
    assert out.shape == (None, 1)
    model = loom.Model([a, b], out)
    xa, xb = np.random.rand(4, 3), np.random.rand(4, 3)
    np.testing.assert_allclose(model.predict([xa, xb]), (xa * xb).sum(-1, keepdims=True), rtol=1e-5)


def test_lambda_with_two_parameters_gets_the_tensors_separately():
    # Seed 000: `def layer_mult(X, Y)` failed in Keras with "takes exactly 2 arguments (1 given)".
    a, b = Input((3,)), Input((3,))
    out = Lambda(lambda x, y: ops.sum(x * y, axis=-1, keepdims=True))([a, b])
    model = loom.Model([a, b], out)
    np.testing.assert_allclose(model.predict([np.ones((1, 3)), np.full((1, 3), 2.0)]), [[6.0]])


def test_lambda_declared_output_shape_is_checked():
    x = Input((3,))
    assert Lambda(lambda t: t[:, :1], output_shape=(1,))(x).shape == (None, 1)
    assert Lambda(lambda t: t[:, :1], output_shape=lambda s: (s[0], 1))(x).shape == (None, 1)
    with pytest.raises(ValueError, match=r"declares output_shape=\(None, 1, 1\) .* returns shape \(None, 1\)"):
        Lambda(lambda t: t[:, :1], output_shape=(1, 1))(x)


def test_lambda_rejects_non_callable():
    with pytest.raises(TypeError, match="must be callable"):
        Lambda(3)


def test_lambda_with_jnp_and_fixed_batch_stack():
    # Seed 001 with a fixed batch: K.stack([x_pk] * batch) needs a concrete batch size.
    batch, m, n = 4, 3, 2
    x_pk = np.random.rand(m, n).astype("float32")
    x = Input(batch_shape=(batch, n))

    def f(t):
        return jnp.exp(jnp.stack([t] * m, axis=1) - jnp.stack([jnp.asarray(x_pk)] * batch, axis=0))

    out = Lambda(f)(x)
    assert out.shape == (batch, m, n)
    data = np.random.rand(batch, n).astype("float32")
    np.testing.assert_allclose(loom.Model(x, out).predict(data), np.exp(data[:, None, :] - x_pk[None]), rtol=1e-5)


def test_identity_returns_input():
    x = np.random.rand(2, 3)
    np.testing.assert_allclose(np.asarray(Identity()(x)), x, rtol=1e-6)
    assert Identity()(Input((3,))).shape == (None, 3)
