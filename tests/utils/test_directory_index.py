import numpy as np
import pytest

from loom.utils.directory_index import (
    check_validation_split_arg,
    encode_labels,
    get_training_or_validation_split,
    index_directory,
)


@pytest.fixture
def folder(tmp_path):
    """class folders with files at two depths, a hidden folder, and files of other formats."""
    root = tmp_path / "data"
    for path in ["b/2.txt", "b/1.txt", "b/deep/0.TXT", "a/z.txt", "a/y.md", "c/x.txt", ".hidden/h.txt", "top.txt"]:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(path)
    return root


@pytest.fixture(scope="module")
def keras_index():
    pytest.importorskip("keras")
    from keras.src.utils import dataset_utils

    return dataset_utils.index_directory


CASES = [
    dict(labels="inferred", shuffle=False),
    dict(labels="inferred", shuffle=True, seed=3),
    dict(labels="inferred", class_names=["c", "a"], shuffle=False),
    dict(labels=None, shuffle=True, seed=1),
    dict(labels=[0, 1, 1, 0, 1, 0, 2], shuffle=True, seed=5),  # the whole tree: 7 files
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_index_directory_matches_keras(case, folder, keras_index, capsys):
    kwargs = dict(case, formats=(".txt",), directory=str(folder))
    paths, labels, class_names = index_directory(**kwargs)
    ours_out = capsys.readouterr().out
    keras_kwargs = dict(kwargs, labels=list(case["labels"]) if isinstance(case["labels"], list) else case["labels"])
    keras_paths, keras_labels, keras_class_names = keras_index(**keras_kwargs)
    assert paths == keras_paths and class_names == keras_class_names
    assert (None if labels is None else list(labels)) == (None if keras_labels is None else list(keras_labels))
    assert ours_out == capsys.readouterr().out  # "Found 5 files belonging to 3 classes."


def test_explicit_labels_are_not_shuffled_in_place(folder):
    labels = [0, 1, 1, 0, 1, 0, 1]
    index_directory(folder, labels, (".txt",), shuffle=True, seed=2, verbose=False)
    assert labels == [0, 1, 1, 0, 1, 0, 1]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(labels="inferred", class_names=["a", "zzz"]), "did not match the names of the subdirectories"),
        (dict(labels=None, class_names=["a"]), r"When `labels=None` \(no labels\), argument `class_names` cannot"),
        (dict(labels=[0, 1]), "len\\(labels\\) is 2 while we found 7 files"),
    ],
)
def test_index_directory_errors(kwargs, match, folder):
    with pytest.raises(ValueError, match=match):
        index_directory(folder, formats=(".txt",), verbose=False, **kwargs)


def test_missing_directory_is_named(tmp_path):
    with pytest.raises(ValueError, match="Could not find the directory .*nope"):
        index_directory(tmp_path / "nope", "inferred", (".txt",))


def test_training_and_validation_parts_cover_the_samples_once(capsys):
    samples, labels = list("abcdefghij"), list(range(10))
    train = get_training_or_validation_split(samples, labels, 0.25, "training")
    val = get_training_or_validation_split(samples, labels, 0.25, "validation")
    assert train == (list("abcdefgh"), list(range(8))) and val == (["i", "j"], [8, 9])
    assert capsys.readouterr().out == "Using 8 files for training.\nUsing 2 files for validation.\n"
    # Keras's [:-0] would leave no training data here; loom keeps it all and validates on none.
    assert get_training_or_validation_split(samples[:3], None, 0.2, "training") == (list("abc"), None)


@pytest.mark.parametrize(
    "args, match",
    [
        ((1.5, "training", False, None), "`validation_split` must be between 0 and 1"),
        ((0.2, None, False, None), "If `subset` is set, `validation_split` must be set"),
        ((0.2, "test", False, None), '`subset` must be either "training", "validation" or "both"'),
        ((0.2, "both", True, None), "you must provide a `seed` argument"),
    ],
)
def test_check_validation_split_arg(args, match):
    with pytest.raises(ValueError, match=match):
        check_validation_split_arg(*args)


def test_encode_labels():
    labels = [0, 2, 1]
    assert encode_labels(labels, "int", 3).dtype == np.int32
    np.testing.assert_array_equal(encode_labels(labels, "categorical", 3), np.eye(3, dtype="float32")[labels])
    binary = encode_labels([0, 1], "binary", 2)
    assert binary.shape == (2, 1) and binary.dtype == np.float32
