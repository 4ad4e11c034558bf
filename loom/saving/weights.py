"""Weights on disk in the safetensors format: written streaming, read with strict checks.

A safetensors file is an 8-byte little-endian header length, a JSON header
``{name: {"dtype", "shape", "data_offsets"}, "__metadata__": {str: str}}`` and
the raw little-endian tensor bytes. loom reads it with its own bounded parser
(the format is small enough to check completely) and writes files the
``safetensors`` library reads. Reading refuses what could mislead a loader:
a header claiming more bytes than the file has, offsets that overlap or leave
gaps, unknown dtypes, sizes that do not match shapes, duplicate names, and
names that look like paths (``/etc/x``, ``a/../b``, ``C:\\x``).
"""

import dataclasses
import json
import math
import re
import struct

import ml_dtypes
import numpy as np

from loom.saving.atomic_write import atomic_open
from loom.saving.errors import WeightsFileError, WeightsMismatchError

# The safetensors library refuses headers above 100 MB; so does loom.
MAX_HEADER_BYTES = 100_000_000
_MAX_RANK = 32
_MAX_KEY_LENGTH = 1024
# How many problems an error message lists before "and N more".
_LISTED = 20

DTYPES = {
    "F64": np.dtype("float64"),
    "F32": np.dtype("float32"),
    "F16": np.dtype("float16"),
    "BF16": np.dtype(ml_dtypes.bfloat16),
    "F8_E4M3": np.dtype(ml_dtypes.float8_e4m3fn),
    "F8_E5M2": np.dtype(ml_dtypes.float8_e5m2),
    "C64": np.dtype("complex64"),
    "I64": np.dtype("int64"),
    "I32": np.dtype("int32"),
    "I16": np.dtype("int16"),
    "I8": np.dtype("int8"),
    "U64": np.dtype("uint64"),
    "U32": np.dtype("uint32"),
    "U16": np.dtype("uint16"),
    "U8": np.dtype("uint8"),
    "BOOL": np.dtype("bool"),
}
_CODES = {dtype: code for code, dtype in DTYPES.items()}
_BAD_KEY_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\\]")


def key_problem(key) -> str | None:
    """Why ``key`` cannot name a tensor (a path-like or empty name), or None if it can."""
    if not isinstance(key, str) or not key:
        return "names must be non-empty strings"
    if len(key) > _MAX_KEY_LENGTH:
        return f"names must be at most {_MAX_KEY_LENGTH} characters"
    if key == "__metadata__":
        return "'__metadata__' is reserved by the format"
    if _BAD_KEY_CHARACTERS.search(key):
        return "names may not contain control characters or backslashes"
    if key.startswith("/") or re.match(r"^[A-Za-z]:", key):
        return "names may not be absolute paths"
    if any(part in ("", ".", "..") for part in key.split("/")):
        return "names may not have empty, '.' or '..' components"
    return None


def dtype_from_name(name: str) -> np.dtype:
    """The NumPy dtype of a dtype name used in specs (``"float32"``, ``"bfloat16"``)."""
    for dtype in DTYPES.values():
        if dtype.name == name:
            return dtype
    return np.dtype(name)


def dtype_code(dtype) -> str:
    """The safetensors code of a NumPy dtype (``float32`` -> ``"F32"``)."""
    code = _CODES.get(np.dtype(dtype))
    if code is None:
        raise WeightsFileError(
            f"dtype {np.dtype(dtype).name} cannot be stored in safetensors; supported: "
            f"{sorted(d.name for d in DTYPES.values())}."
        )
    return code


def _duplicate_checking_object(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise WeightsFileError(f"The safetensors header names {key!r} twice.")
        result[key] = value
    return result


# --- writing ------------------------------------------------------------------------------
def _as_stored(array) -> np.ndarray:
    """The array with the byte order and layout safetensors stores: little-endian, C order."""
    array = np.asarray(array)
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    # (np.ascontiguousarray would turn a 0-d array into shape (1,).)
    return array if array.flags.c_contiguous else array.copy(order="C")


def stored_bytes(array) -> memoryview:
    """The bytes of ``array`` exactly as a safetensors file stores them."""
    array = _as_stored(array)
    return memoryview(array.reshape(-1).view(np.uint8)) if array.size else memoryview(b"")


def _prepare(arrays: dict) -> list:
    prepared = []
    for key in sorted(arrays):
        problem = key_problem(key)
        if problem is not None:
            raise WeightsFileError(f"Cannot write tensor {key!r}: {problem}.")
        array = np.asarray(arrays[key])
        dtype_code(array.dtype)
        prepared.append((key, _as_stored(array)))
    return prepared


def _header(prepared: list, metadata: dict | None) -> bytes:
    header, offset = {}, 0
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise WeightsFileError("safetensors metadata must map strings to strings.")
        header["__metadata__"] = dict(metadata)
    for key, array in prepared:
        header[key] = {
            "dtype": dtype_code(array.dtype),
            "shape": list(array.shape),
            "data_offsets": [offset, offset + array.nbytes],
        }
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # pad so the tensor data starts 8-byte aligned
    return struct.pack("<Q", len(text)) + text


def write_safetensors(handle, arrays: dict, metadata: dict | None = None) -> None:
    """Write ``arrays`` (name -> array) to an open binary file, one tensor at a time."""
    prepared = _prepare(arrays)
    handle.write(_header(prepared, metadata))
    for _, array in prepared:
        handle.write(stored_bytes(array))


def save_safetensors(path, arrays: dict, metadata: dict | None = None) -> None:
    """Write a safetensors file atomically: the old file survives any failure."""
    with atomic_open(path, "wb") as handle:
        write_safetensors(handle, arrays, metadata)


# --- reading ------------------------------------------------------------------------------
class SafetensorsFile:
    """A parsed, checked safetensors file held in memory.

    Attributes:
        metadata: the ``__metadata__`` strings.
        specs: ``{name: (shape, dtype)}`` for every tensor, in file order.
    """

    def __init__(self, data, source: str = "the safetensors file"):
        self._data = memoryview(data)
        self.source = source
        self.metadata, self.specs, self._offsets, self._start = self._parse()

    def _fail(self, message: str):
        raise WeightsFileError(f"{self.source}: {message}")

    def _parse(self):
        data = self._data
        if len(data) < 8:
            self._fail(f"file too short to be safetensors ({len(data)} bytes).")
        (length,) = struct.unpack("<Q", data[:8])
        if length > MAX_HEADER_BYTES:
            self._fail(f"header claims {length} bytes; the limit is {MAX_HEADER_BYTES}.")
        if 8 + length > len(data):
            self._fail(f"header claims {length} bytes but the file has only {len(data) - 8} after the length.")
        try:
            text = bytes(data[8 : 8 + length]).decode("utf-8")
            header = json.loads(text, object_pairs_hook=_duplicate_checking_object)
        except WeightsFileError:
            raise
        except (UnicodeDecodeError, ValueError, RecursionError) as err:
            self._fail(f"header is not valid JSON ({err}).")
        if not isinstance(header, dict):
            self._fail("header must be a JSON object.")
        metadata = header.pop("__metadata__", None) or {}
        if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
        ):
            self._fail("'__metadata__' must map strings to strings.")
        start = 8 + length
        specs, offsets = {}, {}
        for key, entry in header.items():
            specs[key], offsets[key] = self._parse_entry(key, entry)
        self._check_layout(offsets, len(data) - start)
        return metadata, specs, offsets, start

    def _parse_entry(self, key, entry):
        problem = key_problem(key)
        if problem is not None:
            self._fail(f"tensor name {key!r} refused: {problem}.")
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            self._fail(f"tensor {key!r} must have exactly 'dtype', 'shape' and 'data_offsets'.")
        dtype = DTYPES.get(entry["dtype"]) if isinstance(entry["dtype"], str) else None
        if dtype is None:
            self._fail(f"tensor {key!r} has unknown dtype {entry['dtype']!r}.")
        shape = entry["shape"]
        if (
            not isinstance(shape, list)
            or len(shape) > _MAX_RANK
            or not all(type(d) is int and 0 <= d < 2**62 for d in shape)
        ):
            self._fail(f"tensor {key!r} has an invalid shape {shape!r}.")
        offsets = entry["data_offsets"]
        if (
            not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int and o >= 0 for o in offsets))
            or offsets[0] > offsets[1]
        ):
            self._fail(f"tensor {key!r} has invalid data_offsets {offsets!r}.")
        if math.prod(shape) * dtype.itemsize != offsets[1] - offsets[0]:
            self._fail(
                f"tensor {key!r} of shape {tuple(shape)} and dtype {dtype.name} needs "
                f"{math.prod(shape) * dtype.itemsize} bytes; its offsets span {offsets[1] - offsets[0]}."
            )
        return (tuple(shape), dtype.name), (offsets[0], offsets[1], dtype)

    def _check_layout(self, offsets: dict, size: int) -> None:
        position = 0
        for key, (begin, end, _) in sorted(offsets.items(), key=lambda item: (item[1][0], item[1][1])):
            if begin != position:
                what = "overlaps the previous tensor" if begin < position else "leaves a gap before it"
                self._fail(f"tensor {key!r} {what} (offsets {begin}-{end}).")
            position = end
        if position != size:
            self._fail(f"tensors cover {position} bytes of data, but the file holds {size} (truncated or padded).")

    @property
    def keys(self) -> list:
        return list(self.specs)

    def __contains__(self, key) -> bool:
        return key in self.specs

    def tensor_bytes(self, key: str) -> memoryview:
        """The stored bytes of tensor ``key`` (a view, not a copy)."""
        begin, end, _ = self._offsets[key]
        return self._data[self._start + begin : self._start + end]

    def array(self, key: str) -> np.ndarray:
        """The tensor ``key`` as a read-only NumPy array (a view of the file's bytes)."""
        dtype = self._offsets[key][2]
        return np.frombuffer(self.tensor_bytes(key), dtype=dtype.newbyteorder("<")).reshape(self.specs[key][0])

    def arrays(self) -> dict:
        return {key: self.array(key) for key in self.specs}


def read_safetensors(data, source: str = "the safetensors file") -> SafetensorsFile:
    """Parse and check safetensors bytes (see ``SafetensorsFile``)."""
    return SafetensorsFile(data, source)


def load_safetensors(path) -> SafetensorsFile:
    """Read and check a safetensors file from disk (its layout; ``load_weights`` also checks its digests)."""
    with open(path, "rb") as handle:
        data = handle.read()
    return SafetensorsFile(data, source=f"Weights file {str(path)!r}")


# --- matching saved tensors to expected ones ------------------------------------------------
def listing(items) -> str:
    """Items joined by commas, the first few only (``..., and N more``)."""
    items = list(items)
    shown = ", ".join(str(i) for i in items[:_LISTED])
    return shown + (f", ... and {len(items) - _LISTED} more" if len(items) > _LISTED else "")


def labeled(key: str, labels: dict | None) -> str:
    """``key``, followed by its readable name in ``labels`` where that differs."""
    label = (labels or {}).get(key)
    return f"{key} ('{label}')" if label and label != key else str(key)


@dataclasses.dataclass
class SpecComparison:
    """Which saved tensors fit the expected ones: keys to load, and the problems.

    Attributes:
        loadable: keys present on both sides with a compatible shape and dtype.
        missing: keys expected but not saved.
        unexpected: keys saved but not expected.
        mismatched: ``(key, (saved shape, dtype), (expected shape, dtype))``.
    """

    loadable: list
    missing: list
    unexpected: list
    mismatched: list

    @property
    def fits(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def problems(self, labels: dict | None = None) -> list:
        """One sentence per kind of problem; ``labels`` adds a readable name after a key."""

        def name(key):
            return labeled(key, labels)

        lines = []
        if self.missing:
            lines.append(f"Missing from the file ({len(self.missing)}): {listing(map(name, self.missing))}.")
        if self.unexpected:
            lines.append(f"Not in the model ({len(self.unexpected)}): {listing(map(name, self.unexpected))}.")
        if self.mismatched:
            described = [f"{name(k)} saved {s[0]} {s[1]}, model has {e[0]} {e[1]}" for k, s, e in self.mismatched]
            lines.append(f"Different shape or dtype ({len(self.mismatched)}): {listing(described)}.")
        return lines


def compare_specs(saved: dict, expected: dict, convert_dtypes: bool = False) -> SpecComparison:
    """Compare saved ``{key: (shape, dtype)}`` with expected ones (see ``match_specs``)."""
    missing = [k for k in expected if k not in saved]
    unexpected = [k for k in saved if k not in expected]
    mismatched, loadable = [], []
    for key, (shape, dtype) in expected.items():
        if key not in saved:
            continue
        saved_shape, saved_dtype = saved[key]
        if tuple(saved_shape) != tuple(shape) or (saved_dtype != dtype and not convert_dtypes):
            mismatched.append((key, (tuple(saved_shape), saved_dtype), (tuple(shape), dtype)))
        else:
            loadable.append(key)
    return SpecComparison(loadable, missing, unexpected, mismatched)


def mismatch_error(comparison: SpecComparison, what: str, labels: dict | None = None, note: str = ""):
    """The ``WeightsMismatchError`` listing every problem of ``comparison``, with the ways to proceed."""
    lines = [f"{what}: the saved weights do not match the model's.", *comparison.problems(labels)]
    if note:
        lines.append(note)
    hints = []
    if any(s[0] == e[0] for _, s, e in comparison.mismatched):
        hints.append("pass convert_dtypes=True to convert dtypes")
    hints.append("pass skip_mismatch=True to load only the weights that fit")
    lines.append("To proceed anyway, " + " or ".join(hints) + ".")
    return WeightsMismatchError(" ".join(lines), comparison.missing, comparison.unexpected, comparison.mismatched)


def match_specs(
    saved: dict, expected: dict, *, what: str, skip_mismatch: bool = False, convert_dtypes: bool = False
) -> list:
    """Compare saved tensors with the ones a model expects; return the keys to load.

    Args:
        saved: ``{key: (shape, dtype)}`` from the file.
        expected: ``{key: (shape, dtype)}`` the model needs.
        what: how the error names the model ("Model 'x'").
        skip_mismatch: leave out keys with another shape or dtype, and ignore
            missing and unexpected keys, instead of raising.
        convert_dtypes: accept a saved dtype that differs from the expected one
            (the value is converted on assignment, e.g. float16 -> float32).

    Raises:
        WeightsMismatchError: listing missing, unexpected and mismatched keys.
    """
    comparison = compare_specs(saved, expected, convert_dtypes)
    if skip_mismatch or comparison.fits:
        return comparison.loadable
    raise mismatch_error(comparison, what)
