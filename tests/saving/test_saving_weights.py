"""safetensors files: interoperable with the safetensors library, and read with strict checks."""

import json
import struct

import ml_dtypes
import numpy as np
import pytest
import safetensors.numpy

from loom.saving import WeightsFileError, WeightsMismatchError, weights


def _file(header: dict, data: bytes = b"", length: int | None = None) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + data


_ENTRY = b'{"dtype":"U8","shape":[0],"data_offsets":[0,0]}'
_DUPLICATE_HEADER = b'{"a":' + _ENTRY + b',"a":' + _ENTRY + b"}"
_DUPLICATE = struct.pack("<Q", len(_DUPLICATE_HEADER)) + _DUPLICATE_HEADER

ARRAYS = {
    "dense/kernel": np.arange(12, dtype="float32").reshape(3, 4),
    "dense/bias": np.array([1.5, -2.0], dtype="float16"),
    "seed/state": np.array([7, 9], dtype="uint32"),
    "scalar": np.array(3.0, dtype="float64"),
    "empty": np.zeros((0, 2), dtype="int8"),
    "half": np.array([1.0, 2.5], dtype=ml_dtypes.bfloat16),
}


def test_written_files_are_read_by_the_safetensors_library(tmp_path):
    weights.save_safetensors(tmp_path / "w.safetensors", ARRAYS, {"format": "test"})
    loaded = safetensors.numpy.load_file(tmp_path / "w.safetensors")
    assert sorted(loaded) == sorted(ARRAYS)
    for key, value in ARRAYS.items():
        assert loaded[key].dtype == value.dtype and loaded[key].shape == value.shape
        assert loaded[key].tobytes() == value.tobytes()


def test_files_of_the_safetensors_library_are_read_back_exactly(tmp_path):
    plain = {k: v for k, v in ARRAYS.items() if v.dtype != ml_dtypes.bfloat16}
    safetensors.numpy.save_file(plain, tmp_path / "w.safetensors", metadata={"a": "b"})
    loaded = weights.load_safetensors(tmp_path / "w.safetensors")
    assert loaded.metadata == {"a": "b"}
    for key, value in plain.items():
        assert loaded.specs[key] == (value.shape, value.dtype.name)
        assert loaded.array(key).tobytes() == value.tobytes()


@pytest.mark.parametrize(
    "data, problem",
    [
        (b"\x01\x02", "too short"),
        (struct.pack("<Q", 2**40) + b"{}", "claims 1099511627776 bytes; the limit"),
        (struct.pack("<Q", 1000) + b"{}", "has only 2 after the length"),
        (_file({})[:8] + b"\xff\xfe", "not valid JSON"),
        (_file([1, 2]), "must be a JSON object"),
        (_file({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}) + b"\x00" * 4, "gap|truncated"),
        (_file({"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\x00" * 8), "needs 12 bytes"),
        (_file({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\x00" * 8), "truncated or padded"),
        (_file({"x": {"dtype": "X99", "shape": [1], "data_offsets": [0, 4]}}, b"\x00" * 4), "unknown dtype"),
        (_file({"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\x00" * 4), "invalid shape"),
        (_file({"x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}, b"\x00" * 4), "invalid data_offsets"),
        (_file({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "extra": 1}}, b"\x00" * 4), "exactly"),
        (
            _file(
                {
                    "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                    "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
                },
                b"\x00" * 12,
            ),
            "overlaps",
        ),
        (_file({"__metadata__": {"a": 1}}), "must map strings to strings"),
        (_file({"/etc/passwd": {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]}}), "absolute"),
        (_file({"a/../b": {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]}}), "'..' components"),
        (_file({"C:\\x": {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]}}), "backslashes"),
        (_file({"a//b": {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]}}), "empty"),
        (_DUPLICATE, "names 'a' twice"),
    ],
)
def test_malformed_or_hostile_files_raise_weights_file_errors(data, problem):
    with pytest.raises(WeightsFileError, match=problem):
        weights.read_safetensors(data)


def test_huge_claimed_shapes_are_refused_without_allocating():
    data = _file({"x": {"dtype": "F64", "shape": [2**31, 2**31], "data_offsets": [0, 8]}}, b"\x00" * 8)
    with pytest.raises(WeightsFileError, match="needs"):
        weights.read_safetensors(data)


def test_writing_refuses_path_like_names_and_unsupported_dtypes(tmp_path):
    with pytest.raises(WeightsFileError, match="absolute"):
        weights.save_safetensors(tmp_path / "w", {"/abs": np.zeros(1)})
    with pytest.raises(WeightsFileError, match="cannot be stored"):
        weights.save_safetensors(tmp_path / "w", {"s": np.array(["text"])})
    assert not (tmp_path / "w").exists()


def test_match_specs_lists_every_problem_and_converts_only_when_asked():
    saved = {"a": ((2,), "float16"), "b": ((3,), "float32"), "extra": ((1,), "float32")}
    expected = {"a": ((2,), "float32"), "b": ((4,), "float32"), "gone": ((1,), "float32")}
    with pytest.raises(WeightsMismatchError) as caught:
        weights.match_specs(saved, expected, what="Model 'm'")
    error = caught.value
    assert error.missing == ["gone"] and error.unexpected == ["extra"]
    assert [m[0] for m in error.mismatched] == ["a", "b"]
    assert "convert_dtypes=True" in str(error) and "skip_mismatch=True" in str(error)
    assert weights.match_specs(saved, expected, what="m", skip_mismatch=True, convert_dtypes=True) == ["a"]
