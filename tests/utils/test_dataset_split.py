import itertools
import random

import numpy as np
import pytest

from loom.utils import BatchedDataset, PyDataset, split_dataset
from loom.utils.dataset_split import rescale_split_sizes


@pytest.fixture(scope="module")
def keras_rescale():
    pytest.importorskip("keras")
    from keras.src.utils.dataset_utils import _rescale_dataset_split_sizes

    return _rescale_dataset_split_sizes


def _outcome(function, *args):
    try:
        return function(*args)
    except (TypeError, ValueError) as err:
        return type(err).__name__


SIZES = [None, 0, 1, 3, 9, 10, 11, 0.0, 0.2, 0.5, 0.8, 1.0, 1.5, -2, "3"]


def test_split_sizes_match_keras(keras_rescale):
    for left, right in itertools.product(SIZES, SIZES):
        if left is None and right is None:
            continue
        assert _outcome(rescale_split_sizes, left, right, 10) == _outcome(keras_rescale, left, right, 10), (left, right)


def test_split_of_an_array_keeps_rows_in_order():
    data = np.arange(20).reshape(10, 2)
    left, right = split_dataset(data, left_size=0.7)
    assert isinstance(left, BatchedDataset) and left.batch_size is None
    assert len(left) == 7 and len(right) == 3
    np.testing.assert_array_equal(np.stack(list(left)), data[:7])
    np.testing.assert_array_equal(right[0], data[7])


def test_shuffle_uses_keras_permutation_without_touching_the_global_random():
    x, y = np.arange(12), np.arange(12) * 10
    state = random.getstate()
    left, right = split_dataset((x, y), left_size=5, right_size=4, shuffle=True, seed=42)
    assert random.getstate() == state
    # Keras: random.seed(seed); random.shuffle(samples); left = first 5, right = last 4.
    random.seed(42)
    expected = list(zip(x, y))
    random.shuffle(expected)
    random.setstate(state)
    assert [tuple(s) for s in left] == expected[:5] and [tuple(s) for s in right] == expected[-4:]


def test_list_and_dict_of_arrays_and_batching():
    left, right = split_dataset([np.arange(6), np.ones((6, 2))], right_size=2)
    assert isinstance(left[0], tuple) and left[0][1].tolist() == [1.0, 1.0]  # lists give tuples, as Keras
    batches = list(left.batch(3))
    assert [b[0].tolist() for b in batches] == [[0, 1, 2], [3]]
    left, _ = split_dataset({"a": np.arange(4), "b": np.arange(4) * 2}, left_size=0.5)
    assert left[1] == {"a": 1, "b": 2}


class _Batches(PyDataset):
    def __init__(self):
        super().__init__()
        self.x, self.y = np.arange(10.0)[:, None], np.arange(10)

    def __len__(self):
        return 3

    def __getitem__(self, index):
        return self.x[index * 4 : (index + 1) * 4], self.y[index * 4 : (index + 1) * 4]


def test_a_py_dataset_is_unbatched_split_and_batched_again():
    left, right = split_dataset(_Batches(), left_size=0.6)
    assert left.batch_size == 4 and len(left) == 2 and len(right) == 1
    np.testing.assert_array_equal(right[0][1], [6, 7, 8, 9])
    again, _ = split_dataset(left, left_size=3)  # a BatchedDataset splits as its samples
    assert again.batch_size == 4 and again[0][1].tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    "dataset, kwargs, error, match",
    [
        (np.arange(5), {}, ValueError, "At least one of the `left_size` or `right_size` must be specified"),
        ((np.arange(5), np.arange(4)), dict(left_size=2), ValueError, r"different numbers of samples \(\[4, 5\]\)"),
        (iter([1, 2]), dict(left_size=1), TypeError, "split_dataset expects a NumPy or JAX array"),
        ([1, 2, 3], dict(left_size=1), ValueError, "element 0 is int of shape \\(\\), not an array of samples"),
        (np.arange(5), dict(left_size=1, preferred_backend="torch"), ValueError, "preferred_backend='torch'"),
        (np.arange(5), dict(left_size=0.1), ValueError, "Resulting left side dataset split will be empty"),
    ],
)
def test_errors(dataset, kwargs, error, match):
    with pytest.raises(error, match=match):
        split_dataset(dataset, **kwargs)
