"""Opening HDF5 files safely: files that are not HDF5 are named, hostile objects are refused before any read."""

import io
import pickle
import struct
import tracemalloc
import zipfile

import h5py
import ml_dtypes
import numpy as np
import pytest

from loom.saving import errors
from loom.saving.hdf5_safety import (
    Hdf5FileError,
    Hdf5Limits,
    NotHdf5Error,
    open_hdf5,
    sniff_file_kind,
)


def _hdf5(path, build, **kwargs):
    with h5py.File(path, "w", **kwargs) as f:
        build(f)
    return path


def _weights(f):
    group = f.create_group("layers/dense/vars")
    group.attrs["name"] = "dense"
    group["0"] = np.arange(6, dtype="float32").reshape(2, 3)
    group["1"] = np.zeros(3, "float32")


@pytest.fixture
def valid(tmp_path):
    return _hdf5(tmp_path / "ok.weights.h5", _weights)


# --- sniffing ---------------------------------------------------------------------------------------
def test_sniff_recognises_hdf5_zip_and_safetensors(tmp_path, valid):
    archive = tmp_path / "m.keras"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("config.json", "{}")
    header = b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'
    safetensors = tmp_path / "w.safetensors"
    safetensors.write_bytes(struct.pack("<Q", len(header)) + header + b"\0\0\0\0")
    assert sniff_file_kind(valid) == "hdf5"
    assert sniff_file_kind(archive) == "zip"
    assert sniff_file_kind(safetensors) == "safetensors"


def test_sniff_finds_the_signature_after_a_user_block(tmp_path):
    path = _hdf5(tmp_path / "ub.h5", _weights, userblock_size=1024)
    with open(path, "rb") as handle:
        assert handle.read(8) != b"\x89HDF\r\n\x1a\n"
    assert sniff_file_kind(path) == "hdf5"
    with open_hdf5(path) as checked:
        np.testing.assert_array_equal(checked.read("/layers/dense/vars/1"), np.zeros(3))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "unknown: an empty file"),
        (pickle.dumps({"w": 1}), "unknown: Python pickle data"),
        (
            b"<!DOCTYPE html><html><body>403 Forbidden</body></html>",
            "unknown: an HTML or XML page",
        ),
        (b"version https://git-lfs.github.com/spec/v1\n", "unknown: a text file"),
        (b"\x93NUMPY\x01\x00", "unknown: a NumPy .npy array"),
    ],
)
def test_sniff_describes_other_files(tmp_path, data, expected):
    path = tmp_path / "x.h5"
    path.write_bytes(data)
    assert sniff_file_kind(path).startswith(expected)


def test_sniff_leaves_a_file_object_where_it_was(valid):
    buffer = io.BytesIO(valid.read_bytes())
    buffer.seek(5)
    assert sniff_file_kind(buffer) == "hdf5"
    assert buffer.tell() == 5


@pytest.mark.parametrize(
    ("data", "found", "fix"),
    [
        (None, "a zip archive", "load_model"),
        (b"", "an empty file", "downloaded or copied completely"),
        (b"<html><body>Not found</body></html>", "HTML", "downloaded"),
        (struct.pack("<Q", 2) + b"{}", "safetensors", "load_weights"),
    ],
)
def test_open_names_what_a_non_hdf5_file_is(tmp_path, data, found, fix):
    path = tmp_path / "model.h5"
    if data is None:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("config.json", "{}")
    else:
        path.write_bytes(data)
    with pytest.raises(NotHdf5Error, match=f"should be an HDF5 file.*{found}.*{fix}") as caught, open_hdf5(path):
        pass
    assert isinstance(caught.value, errors.WeightsFileError)


# --- a valid file -------------------------------------------------------------------------------------
def test_open_lists_datasets_and_reads_them(valid):
    with open_hdf5(valid) as checked:
        assert set(checked.datasets) == {"/layers/dense/vars/0", "/layers/dense/vars/1"}
        assert checked.datasets["/layers/dense/vars/0"].shape == (2, 3)
        np.testing.assert_array_equal(checked.read("/layers/dense/vars/0"), np.arange(6).reshape(2, 3))
        assert checked.attribute("/layers/dense/vars", "name") == "dense"
        assert checked.attribute("/layers/dense/vars", "missing") is None


def test_open_reads_from_a_file_object(valid):
    with open_hdf5(io.BytesIO(valid.read_bytes())) as checked:
        assert checked.read("/layers/dense/vars/1").dtype == np.float32


def test_bfloat16_tagged_as_keras_does_reads_as_bfloat16(tmp_path):
    def build(f):
        dataset = f.create_dataset("w", data=np.array([1.5, -2.0], ml_dtypes.bfloat16))
        dataset.attrs["dtype"] = "bfloat16"

    with open_hdf5(_hdf5(tmp_path / "b.h5", build)) as checked:
        value = checked.read("/w")
    assert value.dtype == ml_dtypes.bfloat16
    np.testing.assert_array_equal(value.astype("float32"), [1.5, -2.0])


# --- hostile files ------------------------------------------------------------------------------------
def _refused(path, match, limits=None):
    with pytest.raises(Hdf5FileError, match=match), open_hdf5(path, limits):
        pass


def test_external_dataset_is_refused(tmp_path):
    (tmp_path / "raw.bin").write_bytes(np.ones(4, "float32").tobytes())
    path = _hdf5(
        tmp_path / "e.h5",
        lambda f: f.create_dataset("w", (4,), "float32", external=[("raw.bin", 0, 16)]),
    )
    _refused(path, r"'/w' is an external dataset stored in \['raw.bin'\]")


def test_virtual_dataset_is_refused(tmp_path):
    def build(f):
        f["source"] = np.ones(4, "float32")
        layout = h5py.VirtualLayout(shape=(4,), dtype="float32")
        layout[:] = h5py.VirtualSource(f["source"])
        f.create_virtual_dataset("w", layout)

    _refused(_hdf5(tmp_path / "v.h5", build), "'/w' is a virtual dataset")


def test_soft_link_is_refused(tmp_path):
    def build(f):
        _weights(f)
        f["layers/other"] = h5py.SoftLink("/layers/dense")

    _refused(
        _hdf5(tmp_path / "s.h5", build),
        "'/layers/other' is a soft link to '/layers/dense'",
    )


def test_external_link_is_refused(tmp_path):
    _hdf5(tmp_path / "target.h5", _weights)
    path = _hdf5(
        tmp_path / "x.h5",
        lambda f: f.__setitem__("w", h5py.ExternalLink("target.h5", "/layers")),
    )
    _refused(path, "'/w' is an external link to '/layers' in the file 'target.h5'")


def test_hard_link_alias_is_refused(tmp_path):
    def build(f):
        _weights(f)
        f["alias"] = f["layers/dense/vars/0"]

    _refused(_hdf5(tmp_path / "h.h5", build), "second link to the object")


def test_shape_bomb_is_refused_before_any_read(tmp_path, monkeypatch):
    # 10**10 float32 (40 GB) declared, chunked and compressed: the file holds only metadata.
    path = _hdf5(
        tmp_path / "bomb.h5",
        lambda f: f.create_dataset("w", (10**10,), "float32", chunks=(2**16,), compression="gzip"),
    )
    assert path.stat().st_size < 100_000

    def no_read(*args, **kwargs):
        raise AssertionError("a dataset was read before the checks")

    monkeypatch.setattr(h5py.Dataset, "__getitem__", no_read)
    monkeypatch.setattr(h5py.Dataset, "read_direct", no_read)
    tracemalloc.start()
    try:
        _refused(path, r"'/w' declares shape \(10000000000,\) of float32.*Nothing was read")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2**20


def test_limits_fitted_to_a_model_refuse_a_larger_dataset(valid):
    limits = Hdf5Limits.for_arrays([(5,), (2,)], headroom=1, floor=0)
    assert (limits.max_dataset_elements, limits.max_dataset_bytes, limits.max_total_bytes) == (5, 40, 96)
    with open_hdf5(valid, Hdf5Limits.for_arrays([(2, 3), (3,)], headroom=1, floor=0)) as checked:
        assert len(checked.datasets) == 2
    _refused(valid, r"declares shape \(2, 3\).*limit is 5 elements", limits)
    assert Hdf5Limits.for_arrays([(3,)]).max_dataset_elements == 2**24  # small models still open larger files


def test_total_size_limit(valid):
    _refused(valid, "past the limit of 30 bytes", Hdf5Limits(max_total_bytes=30))


@pytest.mark.parametrize(
    ("build", "problem"),
    [
        (
            lambda f: f.create_dataset("w", data=["a", "b"], dtype=h5py.string_dtype()),
            "string or variable-length",
        ),
        (
            lambda f: f.create_dataset("w", data=[f.ref], dtype=h5py.ref_dtype),
            "object or region references",
        ),
        (
            lambda f: f.create_dataset("w", (2,), dtype=h5py.vlen_dtype(np.float32)),
            "string or variable-length",
        ),
        (
            lambda f: f.create_dataset("w", data=np.zeros(2, "i4,f4")),
            "structured or sub-array",
        ),
        (lambda f: f.create_dataset("w", data=np.array([b"ab", b"cd"])), "string"),
        (lambda f: f.create_dataset("w", data=np.zeros(2, "V2")), "non-numeric data"),
        (
            lambda f: f.create_dataset("w", data=h5py.Empty("float32")),
            "has no dataspace",
        ),
    ],
)
def test_non_numeric_datasets_are_refused(tmp_path, build, problem):
    _refused(_hdf5(tmp_path / "d.h5", build), f"'/w' .*{problem}")


def test_deep_nesting_and_many_objects_are_refused(tmp_path):
    path = _hdf5(tmp_path / "deep.h5", lambda f: f.create_group("/".join("g" * 10)))
    _refused(path, "nested deeper than 5 groups", Hdf5Limits(max_depth=5))
    path = _hdf5(tmp_path / "wide.h5", lambda f: [f.create_group(f"g{i}") for i in range(20)])
    _refused(path, "past the limit of 10 objects", Hdf5Limits(max_objects=10))


def test_truncated_file_is_refused(valid):
    data = valid.read_bytes()
    valid.write_bytes(data[: len(data) // 2])
    _refused(valid, "damaged")


def test_oversized_attribute_is_refused(tmp_path):
    path = _hdf5(tmp_path / "a.h5", lambda f: f.attrs.__setitem__("model_config", b"x" * 5000))
    limits = Hdf5Limits(max_attribute_bytes=1000)
    with open_hdf5(path, limits) as checked, pytest.raises(Hdf5FileError, match="'model_config' of '/' declares 5000"):
        checked.attribute("/", "model_config")
    with open_hdf5(path) as checked:
        assert checked.attribute("/", "model_config") == "x" * 5000


def test_string_list_attributes_decode(tmp_path):
    path = _hdf5(
        tmp_path / "a.h5",
        lambda f: f.attrs.__setitem__("layer_names", np.array([b"dense", b"bn"])),
    )
    with open_hdf5(path) as checked:
        assert checked.attribute("/", "layer_names") == ["dense", "bn"]
