"""IntegerLookup and StringLookup: Keras's documented results (Keras needs TensorFlow for these
layers, which is not installed, so expectations are Keras's docstring examples and hand counts)."""

import numpy as np
import pytest

import loom
from loom import layers as L

DATA = [["a", "c", "d"], ["d", "z", "b"]]
VOCAB = ["a", "b", "c", "d"]


def test_string_lookup_with_vocabulary_and_adapt():
    np.testing.assert_array_equal(L.StringLookup(vocabulary=VOCAB)(DATA), [[1, 3, 4], [4, 0, 2]])
    layer = L.StringLookup()
    layer.adapt(DATA)
    # By count (d twice), ties by token, descending.
    assert layer.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    assert layer.get_vocabulary(include_special_tokens=False) == ["d", "z", "c", "b", "a"]
    assert layer.vocabulary_size() == 6
    np.testing.assert_array_equal(layer(DATA), [[5, 3, 1], [1, 2, 4]])


def test_string_lookup_several_oov_indices_hash_like_keras():
    layer = L.StringLookup(vocabulary=VOCAB, num_oov_indices=2)
    np.testing.assert_array_equal(layer([["a", "c", "d"], ["m", "z", "b"]]), [[2, 4, 5], [0, 1, 3]])


def test_string_lookup_encoded_modes():
    five = ["a", "b", "c", "d", "z"]
    np.testing.assert_array_equal(
        L.StringLookup(vocabulary=VOCAB, output_mode="one_hot")(five), np.eye(5)[[1, 2, 3, 4, 0]]
    )
    data = [["a", "c", "d", "d"], ["d", "z", "b", "z"]]
    np.testing.assert_array_equal(
        L.StringLookup(vocabulary=VOCAB, output_mode="multi_hot")(data), [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]
    )
    np.testing.assert_array_equal(
        L.StringLookup(vocabulary=VOCAB, output_mode="count")(data), [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]]
    )
    tf_idf = L.StringLookup(output_mode="tf_idf")
    tf_idf.set_vocabulary(VOCAB, idf_weights=[0.25, 0.75, 0.6, 0.4])
    # The OOV slot gets the mean weight, 0.5; z appears twice in row 2.
    np.testing.assert_allclose(tf_idf(data), [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]], rtol=1e-6)
    with_oov = L.StringLookup(output_mode="tf_idf")
    with_oov.set_vocabulary(["[UNK]"] + VOCAB, idf_weights=[0.9, 0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(with_oov(data), [[0, 0.25, 0, 0.6, 0.8], [1.8, 0, 0.75, 0, 0.4]], rtol=1e-6)


def test_adapted_tf_idf_weights_are_log_one_plus_documents_over_one_plus_frequency():
    layer = L.StringLookup(output_mode="tf_idf")
    layer.adapt([["a", "a", "b"], ["a", "c", "c"]])  # documents: 2; a in 2, b in 1, c in 1
    assert layer.get_vocabulary() == ["[UNK]", "a", "c", "b"]
    idf = np.log(1 + 2 / (1 + np.array([2.0, 1.0, 1.0])))
    np.testing.assert_allclose(layer.idf_weights, np.concatenate([[idf.mean()], idf]), rtol=1e-6)
    np.testing.assert_allclose(layer([["a", "a", "q"]]), [[idf.mean(), 2 * idf[0], 0, 0]], rtol=1e-6)


def test_string_lookup_invert_and_mask():
    np.testing.assert_array_equal(
        L.StringLookup(vocabulary=VOCAB, invert=True)([[1, 3, 4], [4, 0, 2]]), [["a", "c", "d"], ["d", "[UNK]", "b"]]
    )
    masked = L.StringLookup(vocabulary=VOCAB, mask_token="")
    assert masked.get_vocabulary() == ["", "[UNK]"] + VOCAB
    np.testing.assert_array_equal(masked([["a", ""], ["q", "d"]]), [[2, 0], [1, 5]])
    # Multi-hot drops the mask token, and the mask takes no slot.
    hot = L.StringLookup(vocabulary=VOCAB, mask_token="", output_mode="multi_hot")
    np.testing.assert_array_equal(hot([["a", ""]]), [[0, 1, 0, 0, 0]])


def test_max_tokens_and_pad_to_max_tokens():
    layer = L.StringLookup(max_tokens=3)
    layer.adapt(["x", "y", "y", "z", "z", "z"])
    assert layer.get_vocabulary() == ["[UNK]", "z", "y"]
    padded = L.StringLookup(vocabulary=["a"], max_tokens=5, pad_to_max_tokens=True, output_mode="multi_hot")
    np.testing.assert_array_equal(padded([["a", "q"]]), [[1, 1, 0, 0, 0]])
    assert padded(loom.Input(shape=(2,), dtype="string")).shape == (None, 5)


def test_adapt_on_a_generator_of_batches():
    layer = L.StringLookup()
    # Each batch of rank 1 is one document, as Keras.
    layer.adapt(iter([np.array(["a", "b"]), np.array(["b"])]))
    assert layer.get_vocabulary() == ["[UNK]", "b", "a"]


def test_integer_lookup_vocabulary_adapt_oov_and_invert():
    data = np.array([[12, 1138, 42], [42, 1000, 36]])
    np.testing.assert_array_equal(L.IntegerLookup(vocabulary=[12, 36, 1138, 42])(data), [[1, 3, 4], [4, 0, 2]])
    adapted = L.IntegerLookup()
    adapted.adapt(data)
    assert adapted.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    np.testing.assert_array_equal(adapted(data), [[5, 2, 1], [1, 3, 4]])
    two_oov = L.IntegerLookup(vocabulary=[12, 36, 1138, 42], num_oov_indices=2)
    np.testing.assert_array_equal(two_oov(np.array([[12, 1138, 42], [37, 1000, 36]])), [[2, 4, 5], [1, 0, 3]])
    inverse = L.IntegerLookup(vocabulary=[12, 36, 1138, 42], invert=True)
    np.testing.assert_array_equal(inverse(np.array([[1, 3, 4], [4, 0, 2]])), [[12, 1138, 42], [42, -1, 36]])
    masked = L.IntegerLookup(vocabulary=[12, 36], mask_token=0)
    np.testing.assert_array_equal(masked(np.array([[12, 0, 7]])), [[2, 0, 1]])


def test_integer_lookup_count_mode_and_symbolic_shapes():
    layer = L.IntegerLookup(vocabulary=[12, 36, 1138, 42], output_mode="count")
    np.testing.assert_array_equal(layer(np.array([[12, 12, 5]])), [[1, 2, 0, 0, 0]])
    assert layer(loom.Input(shape=(3,), dtype="int32")).shape == (None, 5)
    assert L.IntegerLookup(vocabulary=[1])(loom.Input(shape=(3,), dtype="int32")).shape == (None, 3)


def test_vocabulary_file_is_read_once_and_kept_in_the_config(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\nc\nd\n", encoding="utf-8")
    layer = L.StringLookup(vocabulary=str(path))
    path.unlink()  # the layer must not need the file again
    np.testing.assert_array_equal(layer(DATA), [[1, 3, 4], [4, 0, 2]])
    config = layer.get_config()
    assert config["vocabulary"] == ["[UNK]"] + VOCAB
    clone = L.StringLookup.from_config(config)
    np.testing.assert_array_equal(clone(DATA), layer(DATA))
    numbers = tmp_path / "ints.txt"
    numbers.write_text("7\n9\n", encoding="utf-8")
    assert L.IntegerLookup(vocabulary=str(numbers)).get_vocabulary() == [-1, 7, 9]


def test_config_round_trip_after_adapt_keeps_vocabulary_and_idf():
    layer = L.StringLookup(output_mode="tf_idf")
    layer.adapt([["a", "b"], ["a", "a"]])
    clone = L.StringLookup.from_config(layer.get_config())
    assert clone.get_vocabulary() == layer.get_vocabulary()
    np.testing.assert_allclose(clone([["a", "b", "q"]]), layer([["a", "b", "q"]]), rtol=1e-6)


def test_lookup_errors():
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        L.StringLookup(vocabulary=VOCAB, num_oov_indices=0)([["q"]])
    with pytest.raises(ValueError, match="repeats"):
        L.StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="cannot adapt"):
        L.StringLookup(vocabulary=VOCAB).adapt(DATA)
    with pytest.raises(ValueError, match="invert"):
        L.StringLookup(invert=True, output_mode="count")
    with pytest.raises(ValueError, match="idf_weights"):
        L.StringLookup(vocabulary=VOCAB, output_mode="tf_idf")
    with pytest.raises(RuntimeError, match="no vocabulary yet"):
        L.StringLookup(output_mode="multi_hot")([["a"]])
    with pytest.raises(ValueError, match="max_tokens"):
        L.IntegerLookup(vocabulary=[1, 2, 3], max_tokens=2)
