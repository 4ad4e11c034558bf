"""Adaptive pooling layers against Keras's on the same inputs, plus shapes, config and errors."""

import keras
import numpy as np
import pytest

import loom
from loom import layers as L

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

rng = np.random.default_rng(3)
CASES = [
    ("AdaptiveAveragePooling1D", 4, (2, 10, 3)),
    ("AdaptiveMaxPooling1D", 3, (2, 7, 2)),
    ("AdaptiveAveragePooling2D", (3, 4), (2, 7, 9, 2)),
    ("AdaptiveMaxPooling2D", 3, (2, 8, 5, 2)),
    ("AdaptiveAveragePooling3D", (2, 3, 2), (2, 5, 7, 4, 2)),
    ("AdaptiveMaxPooling3D", 2, (2, 5, 3, 4, 2)),
]


@pytest.mark.parametrize("name, output_size, shape", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_adaptive_pooling_matches_keras(name, output_size, shape, data_format):
    x = rng.standard_normal(shape).astype("float32")
    got = getattr(L, name)(output_size, data_format=data_format)(x)
    expected = getattr(keras.layers, name)(output_size, data_format=data_format)(x)
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-6, atol=1e-6)


def test_adaptive_average_bins_overlap_as_documented():
    x = np.arange(5.0, dtype="float32").reshape(1, 5, 1)
    # 5 positions into 3 bins: [0, 1], [1, 2, 3], [3, 4].
    got = L.AdaptiveAveragePooling1D(3)(x)[0, :, 0]
    np.testing.assert_allclose(np.asarray(got), [0.5, 2.0, 3.5])
    np.testing.assert_allclose(np.asarray(L.AdaptiveMaxPooling1D(3)(x)[0, :, 0]), [1.0, 3.0, 4.0])


@pytest.mark.parametrize("name, output_size, shape", CASES, ids=[c[0] for c in CASES])
def test_adaptive_pooling_in_a_model_has_the_output_size_and_round_trips_config(name, output_size, shape):
    layer = getattr(L, name)(output_size)
    inputs = loom.Input(shape[1:])
    outputs = layer(inputs)
    sizes = (output_size,) * (len(shape) - 2) if isinstance(output_size, int) else output_size
    assert outputs.shape == (None, *sizes, shape[-1])
    config = layer.get_config()
    assert config["output_size"] == tuple(sizes) and config["data_format"] == "channels_last"
    assert getattr(L, name).from_config(config).get_config() == config


def test_adaptive_pooling_gradient_matches_keras():
    import jax

    x = rng.standard_normal((2, 7, 9, 2)).astype("float32")

    def grad(pool):
        return np.asarray(jax.grad(lambda v: (pool(v, (3, 4), "channels_last") ** 2).sum())(x))

    for loom_op, keras_op in [
        (loom.ops.adaptive_average_pool, keras.ops.adaptive_average_pool),
        (loom.ops.adaptive_max_pool, keras.ops.adaptive_max_pool),
    ]:
        np.testing.assert_allclose(grad(loom_op), grad(keras_op), rtol=1e-6, atol=1e-6)


def test_adaptive_pooling_rejects_bad_arguments_in_words():
    with pytest.raises(ValueError, match="`output_size` must be an int or a tuple of 2 ints"):
        L.AdaptiveAveragePooling2D((2, 3, 4))
    with pytest.raises(ValueError, match="data_format"):
        L.AdaptiveMaxPooling1D(2, data_format="NWC")
    with pytest.raises(ValueError, match="rank 4"):
        L.AdaptiveMaxPooling2D(2)(loom.Input((5, 3)))
    with pytest.raises(ValueError, match="output_size"):
        loom.ops.adaptive_average_pool(np.zeros((1, 4, 4, 1), "float32"), (2, 2, 2))
    with pytest.raises(ValueError, match="rank 3 to 5"):
        loom.ops.adaptive_max_pool(np.zeros((4, 4), "float32"), 2)
