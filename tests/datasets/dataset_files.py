"""Writers of small dataset files in the formats Keras downloads."""

import gzip
import io
import pickle
import tarfile

import numpy as np


def ragged(rng, count, vocabulary=30, longest=12):
    """An object array of word-index lists of varied lengths (as IMDB and Reuters store them)."""
    array = np.empty(count, dtype=object)
    array[:] = [[int(w) for w in rng.integers(1, vocabulary, rng.integers(1, longest))] for _ in range(count)]
    return array


def write_pickle(tar, name, value):
    data = pickle.dumps(value, protocol=4)
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def cifar_batch(rng, count, label_keys):
    batch = {b"data": rng.integers(0, 256, (count, 3072), dtype=np.uint8), b"batch_label": b"test"}
    for key, classes in label_keys.items():
        batch[key] = [int(v) for v in rng.integers(0, classes, count)]
    return batch


def write_idx_gz(path, array, magic):
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def assert_same_data(ours, theirs):
    """Nested tuples/lists of arrays (object arrays of lists included) are equal, dtypes too."""
    if isinstance(theirs, (tuple, list)) and not isinstance(theirs, np.ndarray):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same_data(a, b)
        return
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert (ours.shape, ours.dtype) == (theirs.shape, theirs.dtype)
    if theirs.dtype == object:
        assert [list(x) for x in ours] == [list(x) for x in theirs]
    else:
        np.testing.assert_array_equal(ours, theirs)
