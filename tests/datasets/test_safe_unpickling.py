import io
import os
import pickle
import zipfile

import numpy as np
import pytest

from loom.datasets.safe_unpickling import load_npz, load_pickle


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo owned",))


def test_arrays_and_plain_data_load():
    value = {b"data": np.arange(6, dtype=np.uint8).reshape(2, 3), b"labels": [1, 2], b"name": b"x"}
    loaded = load_pickle(io.BytesIO(pickle.dumps(value, protocol=4)))
    np.testing.assert_array_equal(loaded[b"data"], value[b"data"])
    assert loaded[b"labels"] == [1, 2]


def test_a_pickle_that_calls_a_function_is_refused():
    with pytest.raises(pickle.UnpicklingError, match="Refusing to load `posix.system`|Refusing to load `os.system`"):
        load_pickle(io.BytesIO(pickle.dumps(_Exploit())))


def test_npz_object_arrays_go_through_the_allowlist(tmp_path):
    path = tmp_path / "data.npz"
    ragged = np.empty(2, dtype=object)
    ragged[:] = [[1, 2, 3], [4]]
    np.savez(path, x=ragged, y=np.arange(2))
    loaded = load_npz(path)
    assert [list(s) for s in loaded["x"]] == [[1, 2, 3], [4]] and loaded["y"].tolist() == [0, 1]
    # The same file with a hostile pickle in place of the object array:
    with zipfile.ZipFile(path, "w") as archive:
        buffer = io.BytesIO()
        np.lib.format.write_array_header_1_0(buffer, {"descr": "|O", "fortran_order": False, "shape": (1,)})
        archive.writestr("x.npy", buffer.getvalue() + pickle.dumps(_Exploit()))
    with pytest.raises(pickle.UnpicklingError, match="only NumPy arrays and plain data are allowed"):
        load_npz(path)
