"""pad_sequences: padding written out in numpy here, Keras 3 parity, every error."""

import numpy as np
import pytest

import loom
from loom.utils import pad_sequences

keras = pytest.importorskip("keras")


def pad_reference(sequences, maxlen, padding, truncating, value, dtype="int32"):
    """Row by row with Python slicing, the way the Keras docstring describes it."""
    rows = []
    for sequence in sequences:
        sequence = list(sequence)
        kept = sequence[max(len(sequence) - maxlen, 0) :] if truncating == "pre" else sequence[:maxlen]
        if maxlen == 0:
            kept = []
        fill = [value] * (maxlen - len(kept))
        rows.append(fill + kept if padding == "pre" else kept + fill)
    return np.array(rows, dtype=dtype).reshape(len(sequences), maxlen)


SEQUENCES = [[1], [2, 3], [4, 5, 6], [], [7, 8, 9, 10, 11]]


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [None, 2, 4, 7])
def test_pad_sequences_matches_reference_and_keras(padding, truncating, maxlen):
    result = pad_sequences(SEQUENCES, maxlen=maxlen, padding=padding, truncating=truncating, value=-1)
    expected = pad_reference(SEQUENCES, maxlen or 5, padding, truncating, -1)
    assert result.dtype == np.int32 and result.shape == expected.shape
    np.testing.assert_array_equal(result, expected)
    keras_result = keras.utils.pad_sequences(SEQUENCES, maxlen=maxlen, padding=padding, truncating=truncating, value=-1)
    np.testing.assert_array_equal(result, keras_result)
    assert result.dtype == keras_result.dtype


def test_pad_sequences_defaults_pad_and_truncate_at_the_front():
    np.testing.assert_array_equal(pad_sequences([[1], [2, 3], [4, 5, 6]]), [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2), [[0, 1], [2, 3], [5, 6]])


def test_pad_sequences_float_dtype_and_value():
    sequences = [[1.5, 2.5], [0.25]]
    result = pad_sequences(sequences, maxlen=3, dtype="float32", value=-1.0)
    np.testing.assert_array_equal(result, pad_reference(sequences, 3, "pre", "pre", -1.0, "float32"))
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result, keras.utils.pad_sequences(sequences, maxlen=3, dtype="float32", value=-1.0))


def test_pad_sequences_strings_with_object_dtype():
    sequences = [["a", "bb"], ["c"]]
    result = pad_sequences(sequences, dtype=object, value="")
    assert result.tolist() == [["a", "bb"], ["", "c"]]
    assert result.tolist() == keras.utils.pad_sequences(sequences, dtype=object, value="").tolist()


def test_pad_sequences_of_arrays_keeps_the_step_shape():
    sequences = [np.arange(4).reshape(2, 2), np.array([[9, 9]])]
    result = pad_sequences(sequences, padding="post")
    assert result.shape == (2, 2, 2)
    np.testing.assert_array_equal(result[1], [[9, 9], [0, 0]])
    np.testing.assert_array_equal(result, keras.utils.pad_sequences(sequences, padding="post"))


def test_pad_sequences_of_a_2d_array_and_numpy_maxlen():
    array = np.array([[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(array, maxlen=np.int64(2)), [[2, 3], [5, 6]])


def test_pad_sequences_maxlen_zero_and_no_sequences():
    # Keras fails on both (a broadcast error; max of an empty list).
    assert pad_sequences([[1], [2, 3]], maxlen=0).shape == (2, 0)
    assert pad_sequences([]).shape == (0, 0)
    assert pad_sequences([], maxlen=3).shape == (0, 3)


def test_pad_sequences_is_reachable_where_keras_puts_it():
    assert loom.preprocessing.sequence.pad_sequences is pad_sequences
    assert loom.utils.pad_sequences is pad_sequences


def test_pad_sequences_refuses_a_non_list():
    with pytest.raises(ValueError, match=r"must be a list \(or array\) of sequences; received list_iterator"):
        pad_sequences(iter([[1]]))


@pytest.mark.parametrize("entry, kind", [(5, "int"), ({1, 2}, "set"), (None, "NoneType")])
def test_pad_sequences_refuses_an_entry_that_is_not_a_sequence(entry, kind):
    with pytest.raises(ValueError, match=rf"entry 1 is {kind} .*Wrap single values in a list"):
        pad_sequences([[1], entry])


@pytest.mark.parametrize("argument", ["padding", "truncating"])
def test_pad_sequences_refuses_an_unknown_side(argument):
    with pytest.raises(ValueError, match=rf'`{argument}` must be "pre" or "post"; received {argument}=\'mid\''):
        pad_sequences([[1], [2, 3]], **{argument: "mid"})


@pytest.mark.parametrize("maxlen, error", [(-1, ValueError), (2.5, TypeError), (True, TypeError)])
def test_pad_sequences_refuses_a_bad_maxlen(maxlen, error):
    with pytest.raises(error, match=rf"`maxlen` must be .*maxlen={maxlen}"):
        pad_sequences([[1]], maxlen=maxlen)


def test_pad_sequences_refuses_a_bad_dtype():
    with pytest.raises(TypeError, match="`dtype` must be a NumPy dtype"):
        pad_sequences([[1]], dtype="no-such-type")


def test_pad_sequences_refuses_a_string_value_for_a_numeric_dtype():
    with pytest.raises(ValueError, match="padding value 'x' is a string but dtype='int32' is not. Pass dtype=object"):
        pad_sequences([[1]], value="x")


def test_pad_sequences_refuses_steps_of_different_shapes():
    with pytest.raises(ValueError, match=r"steps of sequence 1 have shape \(3,\), but those of the first"):
        pad_sequences([np.ones((2, 2)), np.ones((1, 3))])


def test_pad_sequences_refuses_values_that_do_not_convert():
    with pytest.raises(ValueError, match="sequence 1 cannot be made an array of dtype 'int32'"):
        pad_sequences([[1], ["a"]])
    with pytest.raises(ValueError, match="sequence 0 cannot be made an array"):
        pad_sequences([[[1, 2], [3]]])
