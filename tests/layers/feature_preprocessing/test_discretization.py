"""Discretization against Keras 3 (JAX backend) on the same data: boundaries, outputs, shapes."""

import numpy as np
import pytest

import loom
from loom import layers as L

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
keras = pytest.importorskip("keras")


def keras_adapted(batches, **kwargs):
    # Keras's adapt() reaches for tf.data; its update/finalize steps are what adapt runs per batch.
    layer = keras.layers.Discretization(**kwargs)
    layer.reset_state()
    for batch in batches:
        layer.update_state(batch)
    layer.finalize_state()
    return layer


DATA = np.random.default_rng(0).normal(size=(600, 3)).astype("float32")


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_fixed_boundaries_equal_keras(mode):
    boundaries = [-0.5, 0.0, 0.7]
    x = DATA[:5]
    expected = keras.layers.Discretization(bin_boundaries=boundaries, output_mode=mode)(x)
    got = L.Discretization(bin_boundaries=boundaries, output_mode=mode)(x)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    assert np.asarray(got).dtype == np.asarray(expected).dtype


@pytest.mark.parametrize("epsilon", [0.01, 0.05])
def test_adapt_on_an_array_learns_keras_boundaries(epsilon):
    expected = keras_adapted([DATA], num_bins=6, epsilon=epsilon)
    layer = L.Discretization(num_bins=6, epsilon=epsilon)
    layer.adapt(DATA)
    np.testing.assert_allclose(layer.bin_boundaries, expected.bin_boundaries, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(layer(DATA[:9])), np.asarray(expected(DATA[:9])))


def test_adapt_on_an_iterable_of_batches_learns_keras_boundaries():
    batches = [DATA[:200], DATA[200:450], DATA[450:]]
    expected = keras_adapted(batches, num_bins=4)
    generated = L.Discretization(num_bins=4)
    generated.adapt(batch for batch in batches)
    np.testing.assert_allclose(generated.bin_boundaries, expected.bin_boundaries, rtol=1e-6)
    with_labels = L.Discretization(num_bins=4)
    with_labels.adapt([(batch, np.zeros(len(batch))) for batch in batches])
    np.testing.assert_allclose(with_labels.bin_boundaries, expected.bin_boundaries, rtol=1e-6)


@pytest.mark.parametrize(
    "mode,shape", [("int", (None, 3)), ("one_hot", (None, 3, 4)), ("multi_hot", (None, 4)), ("count", (None, 4))]
)
def test_symbolic_shape_and_dtype_match_keras(mode, shape):
    layer = L.Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode=mode)
    tensor = layer(loom.Input(shape=(3,)))
    reference = keras.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode=mode)(keras.Input(shape=(3,)))
    assert tensor.shape == tuple(reference.shape) == shape
    assert tensor.dtype == reference.dtype


def test_adapted_layer_round_trips_through_config_and_a_saved_model(tmp_path):
    layer = L.Discretization(num_bins=5)
    layer.adapt(DATA)
    clone = L.Discretization.from_config(layer.get_config())
    assert clone.bin_boundaries == layer.bin_boundaries
    inputs = loom.Input(shape=(3,))
    model = loom.Model(inputs, layer(inputs))
    model.save(tmp_path / "m.keras")
    restored = loom.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(restored.predict(DATA[:10], verbose=0), model.predict(DATA[:10], verbose=0))


def test_discretization_errors():
    with pytest.raises(ValueError, match="not both"):
        L.Discretization(bin_boundaries=[0.0], num_bins=3)
    with pytest.raises(ValueError, match="needs `bin_boundaries`"):
        L.Discretization()
    with pytest.raises(ValueError, match="cannot adapt"):
        L.Discretization(bin_boundaries=[0.0]).adapt(DATA)
    with pytest.raises(ValueError, match="no bin boundaries yet"):
        L.Discretization(num_bins=3)(DATA)
