"""CategoryEncoding (every mode, count weights) and Normalization.adapt (arrays and iterables) against Keras 3."""

import numpy as np
import pytest

import loom
from loom import layers as L

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
keras = pytest.importorskip("keras")

IDS = {
    "scalar_rows": np.array([3, 0, 1, 3], "int32"),
    "column": np.array([[3], [0], [1]], "int32"),
    "matrix": np.array([[0, 1, 1], [3, 3, 2]], "int32"),
}


CASES = [(mode, case) for mode in ("one_hot", "multi_hot", "count") for case in sorted(IDS)]


@pytest.mark.parametrize("mode,case", CASES)
def test_category_encoding_equals_keras(mode, case):
    ids = IDS[case]
    expected = np.asarray(keras.layers.CategoryEncoding(4, output_mode=mode)(ids))
    got = np.asarray(L.CategoryEncoding(4, output_mode=mode)(ids))
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == expected.dtype


def test_category_encoding_count_weights_equal_keras():
    ids = IDS["matrix"]
    weights = np.array([[0.5, 1.0, 2.0], [0.25, 0.25, 3.0]], "float32")
    expected = np.asarray(keras.layers.CategoryEncoding(4, output_mode="count")(ids, count_weights=weights))
    got = np.asarray(L.CategoryEncoding(4, output_mode="count")(ids, count_weights=weights))
    np.testing.assert_allclose(got, expected)
    np.testing.assert_allclose(got, [[0.5, 3.0, 0.0, 0.0], [0.0, 0.0, 3.0, 0.5]])


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("shape", [(1,), (3,)])
def test_category_encoding_symbolic_shapes_equal_keras(mode, shape):
    expected = keras.layers.CategoryEncoding(5, output_mode=mode)(keras.Input(shape=shape, dtype="int32"))
    got = L.CategoryEncoding(5, output_mode=mode)(loom.Input(shape=shape, dtype="int32"))
    assert got.shape == tuple(expected.shape)


def test_normalization_adapt_on_array_equals_keras():
    data = np.random.default_rng(1).normal(2.0, 3.0, size=(50, 4)).astype("float32")
    reference = keras.layers.Normalization()
    reference.adapt(data)
    layer = L.Normalization()
    layer.adapt(data)
    np.testing.assert_allclose(np.asarray(layer(data[:5])), np.asarray(reference(data[:5])), rtol=1e-5, atol=1e-5)


def test_normalization_adapt_on_a_generator_of_labelled_batches_equals_the_whole_array():
    data = np.random.default_rng(2).normal(-1.0, 0.5, size=(90, 3)).astype("float32")
    layer = L.Normalization()
    layer.adapt((data[i : i + 32], np.zeros(len(data[i : i + 32]))) for i in range(0, 90, 32))
    np.testing.assert_allclose(np.asarray(layer.adapt_mean.value), data.mean(0), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(layer.adapt_variance.value), data.var(0), rtol=1e-4)
    assert int(layer.count.value) == 90
