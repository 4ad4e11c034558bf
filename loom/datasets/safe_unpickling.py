"""Reading the pickles inside dataset files with an allowlist: NumPy arrays and plain Python data only.

IMDB and Reuters store ragged sequences as object arrays, which ``.npz`` files
hold as pickles; CIFAR's batches are pickled dicts. A pickle can name any
importable function (``os.system``) and have it called, so these are read
with an unpickler that resolves only the globals that rebuild NumPy arrays
(Keras does the same).
"""

import io
import pickle
import zipfile

import numpy as np

_ALLOWED_GLOBALS = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),  # files written by NumPy 1
        ("numpy._core.multiarray", "_reconstruct"),  # files written by NumPy 2
    }
)


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler that builds NumPy arrays, lists, dicts, numbers and strings, and nothing else."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to load `{module}.{name}` from a dataset file: only NumPy arrays and plain data are "
            "allowed. The file may be corrupted or malicious; delete it from the cache to download it again."
        )


def load_pickle(handle, encoding: str = "ASCII"):
    """Unpickle from an open binary file with the allowlist (``encoding="bytes"`` for Python 2 pickles)."""
    return ArrayUnpickler(handle, encoding=encoding).load()


def _read_npy(data: bytes) -> np.ndarray:
    stream = io.BytesIO(data)
    try:
        return np.lib.format.read_array(stream, allow_pickle=False)  # numeric arrays: no pickle at all
    except ValueError:
        pass  # an object array: its data is a pickle after the header
    stream.seek(0)
    major, _ = np.lib.format.read_magic(stream)
    if major == 1:
        np.lib.format.read_array_header_1_0(stream)
    elif major in (2, 3):  # 3.0 differs from 2.0 only in the header's text encoding
        np.lib.format.read_array_header_2_0(stream)
    else:
        raise ValueError(f"Unsupported .npy format version {major}.")
    return load_pickle(stream)


def load_npz(path) -> dict:
    """The arrays of an ``.npz`` file by name; object arrays go through the allowlist."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith(".npy"):
                arrays[name[: -len(".npy")]] = _read_npy(archive.read(name))
    return arrays
