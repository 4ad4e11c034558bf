"""Hashing and HashedCrossing: Keras's documented bins, output modes, symbolic shapes, configs."""

import numpy as np
import pytest

import loom
from loom import layers as L

WORDS = [["omar"], ["stringer"], ["marlo"], ["wire"], ["skywalker"]]


def test_hashing_strings_and_ints_give_keras_bins():
    np.testing.assert_array_equal(L.Hashing(3)([["A"], ["B"], ["C"], ["D"], ["E"]]), [[1], [0], [1], [1], [2]])
    np.testing.assert_array_equal(L.Hashing(3)(np.array([[0], [1], [2], [3], [4]])), [[1], [0], [1], [0], [2]])
    np.testing.assert_array_equal(L.Hashing(2)(np.array(WORDS)), [[0], [0], [1], [0], [0]])


def test_hashing_mask_value_reserves_bin_zero():
    np.testing.assert_array_equal(
        L.Hashing(3, mask_value="")([["A"], ["B"], [""], ["C"], ["D"]]), [[1], [1], [0], [2], [2]]
    )
    np.testing.assert_array_equal(L.Hashing(3, mask_value="omar")(WORDS), [[0], [1], [2], [1], [1]])
    np.testing.assert_array_equal(L.Hashing(3, mask_value="")(WORDS), [[1], [1], [2], [1], [1]])


def test_hashing_salt_uses_siphash():
    np.testing.assert_array_equal(
        L.Hashing(3, salt=[133, 137])([["A"], ["B"], ["C"], ["D"], ["E"]]).ravel(), [1, 2, 1, 0, 2]
    )
    np.testing.assert_array_equal(L.Hashing(3, salt=133)([["A"], ["B"], ["C"], ["D"], ["E"]]).ravel(), [0, 0, 2, 1, 0])


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_hashing_encoded_modes_equal_encoding_the_int_bins(mode):
    data = np.array([["A", "B", "A"], ["C", "D", "E"]])
    ids = np.asarray(L.Hashing(4)(data))
    encoded = np.asarray(L.Hashing(4, output_mode=mode)(data if mode != "one_hot" else data[:, :1]))
    if mode == "one_hot":
        expected = np.eye(4)[ids[:, 0]]
    else:
        counts = np.stack([np.bincount(row, minlength=4) for row in ids]).astype("float32")
        expected = counts if mode == "count" else (counts > 0).astype("float32")
    np.testing.assert_array_equal(encoded, expected)
    assert encoded.dtype == np.float32


def test_hashing_symbolic_shapes_and_config_round_trip():
    strings = loom.Input(shape=(1,), dtype="string")
    assert L.Hashing(5)(strings).shape == (None, 1)
    assert L.Hashing(5, output_mode="multi_hot")(loom.Input(shape=(3,), dtype="string")).shape == (None, 5)
    layer = L.Hashing(5, mask_value="", salt=7, output_mode="count")
    clone = L.Hashing.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config() and clone.salt == [7, 7]


def test_hashing_rejects_bad_arguments():
    with pytest.raises(ValueError, match="num_bins"):
        L.Hashing(0)
    with pytest.raises(ValueError, match="salt"):
        L.Hashing(3, salt="x")
    with pytest.raises(ValueError, match="output_mode"):
        L.Hashing(3, output_mode="tf_idf")


def test_hashed_crossing_matches_keras_examples():
    first, second = np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])
    np.testing.assert_array_equal(L.HashedCrossing(5)((first, second)), [1, 4, 1, 1, 3])
    one_hot = L.HashedCrossing(5, output_mode="one_hot")((first, second))
    np.testing.assert_array_equal(one_hot, np.eye(5, dtype="float32")[[1, 4, 1, 1, 3]])
    column = L.HashedCrossing(5)((first[:, None], second[:, None]))
    np.testing.assert_array_equal(column, [[1], [4], [1], [1], [3]])


def test_hashed_crossing_symbolic_shape_and_errors():
    a, b = loom.Input(shape=(1,), dtype="string"), loom.Input(shape=(1,), dtype="int32")
    assert L.HashedCrossing(4)((a, b)).shape == (None, 1)
    assert L.HashedCrossing(4, output_mode="one_hot")((a, b)).shape == (None, 4)
    with pytest.raises(ValueError, match="at least two"):
        L.HashedCrossing(4)(np.array([1, 2]))
    with pytest.raises(ValueError, match="same shape"):
        L.HashedCrossing(4)((np.array([1, 2]), np.array([1, 2, 3])))
    with pytest.raises(ValueError, match="output_mode"):
        L.HashedCrossing(4, output_mode="count")


def test_hashing_cannot_be_traced_and_says_where_it_belongs():
    import jax

    layer = L.Hashing(3)
    with pytest.raises(TypeError, match="runs on the host"):
        jax.jit(lambda x: layer(x))(np.array([[1], [2]]))
