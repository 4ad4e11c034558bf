"""TextVectorization: standardize, split, n-grams, every output mode, adapt, vocabulary and config.

Keras's TextVectorization needs TensorFlow (not installed here): expectations are Keras's
docstring examples and results computed by hand from its documented rules."""

import numpy as np
import pytest

import loom
from loom import layers as L


def test_keras_docstring_example_adapt_then_int_sequences():
    layer = L.TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    assert layer.get_vocabulary() == ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"]
    np.testing.assert_array_equal(layer([["foo qux bar"], ["qux baz"]]), [[4, 1, 3, 0], [1, 2, 0, 0]])


def test_given_vocabulary_gets_padding_and_oov_first():
    layer = L.TextVectorization(vocabulary=["earth", "wind", "and", "fire"], output_sequence_length=4)
    assert layer.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]
    np.testing.assert_array_equal(layer(["Earth, wind and FIRE!", "water"]), [[2, 3, 4, 5], [1, 0, 0, 0]])


@pytest.mark.parametrize(
    "standardize,expected",
    [
        ("lower_and_strip_punctuation", ["hello", "world"]),
        ("lower", ["hello,", "world!"]),
        ("strip_punctuation", ["Hello", "WORLD"]),
        (None, ["Hello,", "WORLD!"]),
        (lambda strings: np.char.upper(strings), ["HELLO,", "WORLD!"]),
    ],
)
def test_standardize_modes(standardize, expected):
    layer = L.TextVectorization(standardize=standardize)
    layer.adapt(["Hello, WORLD!"])
    assert sorted(layer.get_vocabulary(include_special_tokens=False)) == sorted(expected)


def test_split_modes_and_ngrams():
    characters = L.TextVectorization(split="character", vocabulary=["a", "b"])
    np.testing.assert_array_equal(characters(["abca"]), [[2, 3, 1, 2]])
    whole = L.TextVectorization(split=None, vocabulary=["a b", "c"])
    np.testing.assert_array_equal(whole([["a b"], ["c"], ["d"]]), [[2], [3], [1]])
    custom = L.TextVectorization(
        standardize=None, split=lambda strings: [s.split("-") for s in strings], vocabulary=["x", "y"]
    )
    np.testing.assert_array_equal(custom(["x-y-z"]), [[2, 3, 1]])
    bigrams = L.TextVectorization(ngrams=2)
    bigrams.adapt(["a b c"])
    # Unigrams, then bigrams, joined by a space.
    assert sorted(bigrams.get_vocabulary(include_special_tokens=False)) == ["a", "a b", "b", "b c", "c"]
    np.testing.assert_array_equal(bigrams(["a b"]), [[bigrams.get_vocabulary().index(t) for t in ("a", "b", "a b")]])
    only_bigrams = L.TextVectorization(ngrams=(2,), vocabulary=["a b"])
    np.testing.assert_array_equal(only_bigrams(["a b c"]), [[2, 1]])


def test_multi_hot_count_and_tf_idf_outputs():
    vocabulary = ["the", "cat", "sat"]
    text = ["the cat the", "dog"]
    multi = L.TextVectorization(output_mode="multi_hot", vocabulary=vocabulary)
    np.testing.assert_array_equal(multi(text), [[0, 1, 1, 0], [1, 0, 0, 0]])
    count = L.TextVectorization(output_mode="count", vocabulary=vocabulary)
    np.testing.assert_array_equal(count(text), [[0, 2, 1, 0], [1, 0, 0, 0]])
    tf_idf = L.TextVectorization(output_mode="tf_idf", vocabulary=vocabulary, idf_weights=[0.5, 1.0, 2.0])
    # The OOV slot gets the mean weight (3.5 / 3).
    np.testing.assert_allclose(tf_idf(text), [[0, 1.0, 1.0, 0], [3.5 / 3, 0, 0, 0]], rtol=1e-6)
    padded = L.TextVectorization(output_mode="count", vocabulary=vocabulary, max_tokens=6, pad_to_max_tokens=True)
    assert padded(text).shape == (2, 6)


def test_adapt_tf_idf_on_a_generator_of_batches():
    layer = L.TextVectorization(output_mode="tf_idf")
    layer.adapt(iter([np.array(["a a b"]), np.array(["a c"])]))
    assert layer.get_vocabulary() == ["[UNK]", "a", "c", "b"]
    idf = np.log(1 + 2 / (1 + np.array([2.0, 1.0, 1.0])))
    np.testing.assert_allclose(layer(["a a q"]), [[idf.mean(), 2 * idf[0], 0, 0]], rtol=1e-6)


def test_sequences_without_fixed_length_pad_to_the_longest_and_cut_to_the_fixed_one():
    layer = L.TextVectorization(vocabulary=["a", "b"])
    np.testing.assert_array_equal(layer(["a b a", "b"]), [[2, 3, 2], [3, 0, 0]])
    cut = L.TextVectorization(vocabulary=["a", "b"], output_sequence_length=2)
    np.testing.assert_array_equal(cut(["a b a", "b"]), [[2, 3], [3, 0]])


def test_max_tokens_keeps_the_most_frequent_terms():
    layer = L.TextVectorization(max_tokens=4)
    layer.adapt(np.array(["x y y z z z"]))
    assert layer.get_vocabulary() == ["", "[UNK]", "z", "y"]


def test_symbolic_shapes_and_dtypes():
    strings = loom.Input(shape=(1,), dtype="string")
    assert L.TextVectorization(output_sequence_length=7, vocabulary=["a"])(strings).shape == (None, 7)
    assert L.TextVectorization(vocabulary=["a"])(strings).shape == (None, None)
    multi = L.TextVectorization(output_mode="multi_hot", vocabulary=["a", "b"])(strings)
    # No padding slot outside "int" mode: [UNK], a, b.
    assert multi.shape == (None, 3) and multi.dtype == "float32"


def test_set_vocabulary_and_config_round_trip(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("sun\nmoon\n", encoding="utf-8")
    layer = L.TextVectorization(output_sequence_length=3)
    layer.set_vocabulary(str(path))
    path.unlink()
    np.testing.assert_array_equal(layer(["moon sun star"]), [[3, 2, 1]])
    config = layer.get_config()
    assert config["vocabulary"] == ["", "[UNK]", "sun", "moon"]
    clone = L.TextVectorization.from_config(config)
    np.testing.assert_array_equal(clone(["moon sun star"]), [[3, 2, 1]])
    assert clone.get_config() == config


def test_text_vectorization_errors():
    with pytest.raises(ValueError, match="standardize"):
        L.TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="split"):
        L.TextVectorization(split="comma")
    with pytest.raises(ValueError, match="output_sequence_length"):
        L.TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="ngrams"):
        L.TextVectorization(ngrams=0)
    with pytest.raises(ValueError, match="dense"):
        L.TextVectorization(ragged=True)
    with pytest.raises(ValueError, match=r"\(batch, 1\)"):
        L.TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))
