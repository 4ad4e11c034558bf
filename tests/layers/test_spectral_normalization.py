"""SpectralNormalization: power iteration against NumPy and Keras 3, training behaviour, configs, errors."""

import keras
import numpy as np
import pytest

import loom
from loom import layers as L

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

X = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")


def _numpy_step(kernel, u, iterations):
    """One training call's (new u, kernel / sigma), written from the paper's power iteration."""
    w = kernel.reshape(-1, kernel.shape[-1])
    for _ in range(iterations):
        v = u @ w.T
        v = v / np.linalg.norm(v)
        u = v @ w
        u = u / np.linalg.norm(u)
    sigma = (v @ w @ u.T).item()
    return u, kernel / sigma


@pytest.mark.parametrize(
    "make, shape, ids",
    [
        (lambda m: m.Dense(3), (6, 4), False),
        (lambda m: m.Conv2D(2, 3), (2, 5, 5, 3), False),
        (lambda m: m.Embedding(7, 3), (2, 4), True),
    ],
)
def test_spectral_normalization_matches_keras_in_eager_calls(make, shape, ids):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 7, size=shape).astype("int32") if ids else rng.normal(size=shape).astype("float32")
    theirs = keras.layers.SpectralNormalization(make(keras.layers), power_iterations=2)
    theirs(x)
    ours = L.SpectralNormalization(make(L), power_iterations=2)
    ours(x)
    ours.set_weights(theirs.get_weights())
    for training in (False, True, True, False):
        outputs = np.asarray(ours(x, training=training))
        theirs(x, training=training)
        # the wrapped layer's result: Keras then casts it to the inputs' dtype (ids -> int vectors), loom
        # keeps an Embedding's vectors floating
        np.testing.assert_allclose(outputs, np.asarray(theirs.layer(x)), rtol=1e-5, atol=1e-6)
        assert outputs.dtype == np.float32
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_spectral_normalization_is_the_power_iteration_and_converges_to_the_top_singular_value():
    layer = L.SpectralNormalization(L.Dense(3, use_bias=False), power_iterations=3)
    layer(X)
    kernel, u = layer.get_weights()
    expected_u, expected_kernel = _numpy_step(kernel, u, 3)
    layer(X, training=True)
    new_kernel, new_u = layer.get_weights()
    np.testing.assert_allclose(new_u, expected_u, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(new_kernel, expected_kernel, rtol=1e-4, atol=1e-6)
    many = L.SpectralNormalization(L.Dense(3, use_bias=False), power_iterations=50)
    many(X, training=True)
    assert np.linalg.svd(many.get_weights()[0], compute_uv=False)[0] == pytest.approx(1.0, rel=1e-4)


def test_spectral_normalization_leaves_inference_and_zero_kernels_alone():
    layer = L.SpectralNormalization(L.Dense(3))
    before = np.asarray(layer(X))
    np.testing.assert_array_equal(np.asarray(layer(X)), before)
    assert layer.weights[0] is layer.layer.kernel  # the wrapped layer's own variable
    zero = L.SpectralNormalization(L.Dense(3, kernel_initializer="zeros"))
    zero(X)
    u = zero.get_weights()[1]
    zero(X, training=True)
    np.testing.assert_array_equal(zero.get_weights()[1], u)
    assert not np.isnan(zero.get_weights()[0]).any()


def test_spectral_normalization_fit_matches_keras_jax_fit():
    # In Keras on JAX a compiled step keeps vector_u but not the assigned kernel: every step's
    # forward pass uses kernel / sigma while SGD updates the raw kernel. loom does the same.
    y = np.random.default_rng(2).normal(size=(6, 3)).astype("float32")
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.SpectralNormalization(keras.layers.Dense(3))])
    ours = loom.Sequential([loom.Input((4,)), L.SpectralNormalization(L.Dense(3))])
    ours.set_weights(theirs.get_weights())
    theirs.compile(keras.optimizers.SGD(0.1), "mse")
    ours.compile(loom.optimizers.SGD(0.1), "mse")
    theirs.fit(X, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    ours.fit(X, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_spectral_normalization_config_and_save_load(tmp_path):
    layer = L.SpectralNormalization(L.Conv2D(2, 3, name="conv"), power_iterations=4, name="sn")
    config = layer.get_config()
    assert config["power_iterations"] == 4 and config["layer"]["class_name"] == "Conv2D"
    assert L.SpectralNormalization.from_config(config).get_config() == config
    inputs = loom.Input((5, 5, 1))
    model = loom.Model(inputs, layer(inputs))
    assert [w.path for w in model.weights] == ["sn/conv/kernel", "sn/vector_u", "sn/conv/bias"]
    model.save(tmp_path / "sn.keras")
    restored = loom.models.load_model(tmp_path / "sn.keras")
    x = np.random.default_rng(3).normal(size=(2, 5, 5, 1)).astype("float32")
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    np.testing.assert_array_equal(restored.get_weights()[1], model.get_weights()[1])


def test_spectral_normalization_errors_in_words():
    with pytest.raises(ValueError, match="`power_iterations` must be a positive int"):
        L.SpectralNormalization(L.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="needs a layer with a `kernel` or `embeddings` weight"):
        L.SpectralNormalization(L.LayerNormalization())(X)
    with pytest.raises(ValueError, match="`layer` must be a loom Layer instance"):
        L.SpectralNormalization("dense")
