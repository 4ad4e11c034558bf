"""Opening HDF5 files that may be hostile: the magic bytes first, then every object checked before any read.

An HDF5 file can point outside itself (external datasets, virtual datasets,
soft and external links), declare a dataset of terabytes that stores only a
fill value (a "shape bomb": a few bytes on disk, an enormous allocation on
read), or hold object references and variable-length data where weights are
expected. ``open_hdf5`` refuses all of these before reading a single array:
it checks the file is HDF5 by its signature (and says what it is otherwise),
walks every link and object, and only then hands back a ``CheckedHdf5`` whose
``read`` returns the arrays it listed, within the caller's ``Hdf5Limits``.

``sniff_file_kind`` tells the weights API which reader a file needs (by its
bytes, never by its name).
"""

import contextlib
import dataclasses
import math
import os
import posixpath

import h5py
import ml_dtypes
import numpy as np

from loom.saving.errors import WeightsFileError

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
# HDF5 looks for its superblock at 0, then after a user block of 512, 1024, 2048, ... bytes.
_FIRST_USERBLOCK = 512
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
# Numeric kinds an array of weights may have: bool, signed and unsigned ints, floats, complex.
_NUMERIC_KINDS = "biufc"


class Hdf5FileError(WeightsFileError):
    """An HDF5 file is damaged, hostile (links, external or virtual data, shape bombs) or holds unexpected data."""


class NotHdf5Error(Hdf5FileError):
    """A file given as HDF5 is something else (a zip archive, safetensors, pickle, text, empty)."""


@dataclasses.dataclass(frozen=True)
class Hdf5Limits:
    """What an HDF5 file may declare before loom reads it.

    Attributes:
        max_dataset_elements: elements of one dataset.
        max_dataset_bytes: bytes of one dataset in memory.
        max_total_bytes: bytes of all datasets together.
        max_objects: groups, datasets and links in the file.
        max_depth: nesting of groups.
        max_attribute_bytes: bytes of one attribute (a legacy ``model_config`` JSON is the largest).
    """

    max_dataset_elements: int = 2**31
    max_dataset_bytes: int = 2**33
    max_total_bytes: int = 2**36
    max_objects: int = 200_000
    max_depth: int = 64
    max_attribute_bytes: int = 64 * 2**20

    @classmethod
    def for_arrays(
        cls, shapes, itemsize: int = 8, copies: int = 1, headroom: int = 16, floor: int = 2**24
    ) -> "Hdf5Limits":
        """Limits fitted to the arrays a caller expects (a model's variables).

        One dataset may hold ``headroom`` times the largest of ``shapes`` (at
        least ``floor`` elements), so a file for a somewhat larger model still
        opens and its mismatch is reported by shape; all datasets together
        ``copies`` times their sum plus one such dataset. ``itemsize`` bytes an
        element lets float64 copies of float32 weights fit.
        """
        largest = max([math.prod(shape) for shape in shapes] or [0])
        elements = max(largest * headroom, floor)
        total = sum(math.prod(shape) for shape in shapes)
        return cls(
            max_dataset_elements=elements,
            max_dataset_bytes=elements * itemsize,
            max_total_bytes=(total * copies + elements) * itemsize,
        )


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """A dataset as the file declares it: its path inside the file, shape and (NumPy) dtype."""

    path: str
    shape: tuple
    dtype: np.dtype

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


# --- what a file is --------------------------------------------------------------------------------
def _read_at(handle, offset: int, size: int) -> bytes:
    handle.seek(offset)
    return handle.read(size) or b""


def _file_size(handle) -> int:
    position = handle.tell()
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(position)
    return size


def hdf5_signature_offset(handle) -> int | None:
    """Where the HDF5 signature sits in an open binary file (0 or a user-block offset), or None."""
    size = _file_size(handle)
    offset = 0
    while offset + len(HDF5_SIGNATURE) <= size:
        if _read_at(handle, offset, len(HDF5_SIGNATURE)) == HDF5_SIGNATURE:
            return offset
        offset = _FIRST_USERBLOCK if offset == 0 else offset * 2
    return None


def _describe_other(head: bytes, size: int) -> str:
    """What a file that is not HDF5, zip or safetensors looks like, from its first bytes."""
    if size == 0:
        return "an empty file"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "Python pickle data"
    if head.startswith(b"\x93NUMPY"):
        return "a NumPy .npy array"
    if head.startswith(b"\x1f\x8b"):
        return "gzip-compressed data"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")):
        return "an HTML or XML page (often a download that returned an error or login page)"
    if text.startswith((b"{", b"[")):
        return "JSON text"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return f"binary data starting with {head[:8]!r}"
    return "a text file"


def _looks_like_safetensors(head: bytes, size: int) -> bool:
    if len(head) < 9:
        return False
    length = int.from_bytes(head[:8], "little")
    return head[8:9] == b"{" and 8 + length <= size


def _sniff_handle(handle) -> str:
    size = _file_size(handle)
    head = _read_at(handle, 0, 64)
    if hdf5_signature_offset(handle) is not None:
        return "hdf5"
    if head[:4] in _ZIP_SIGNATURES:
        return "zip"
    if _looks_like_safetensors(head, size):
        return "safetensors"
    return "unknown: " + _describe_other(head, size)


def sniff_file_kind(path_or_fileobj) -> str:
    """Which kind of file this is, by its bytes: ``"hdf5"``, ``"zip"`` (a ``.keras`` or ``.loom`` model
    archive), ``"safetensors"``, or ``"unknown: <what it looks like>"``.

    A file object is read from its start and left at the position it had.
    """
    if hasattr(path_or_fileobj, "read"):
        position = path_or_fileobj.tell()
        try:
            return _sniff_handle(path_or_fileobj)
        finally:
            path_or_fileobj.seek(position)
    with open(os.fspath(path_or_fileobj), "rb") as handle:
        return _sniff_handle(handle)


def not_hdf5_error(kind: str, what: str) -> NotHdf5Error:
    """The error for ``what`` (a file's description) found to be ``kind`` (``sniff_file_kind``) instead of HDF5."""
    if kind == "zip":
        found, fix = (
            "a zip archive (a .keras or .loom model file)",
            "load it with loom.saving.load_model(...), or load_weights(...) on the model file",
        )
    elif kind == "safetensors":
        found, fix = (
            "safetensors weights (loom's own format)",
            "load it with model.load_weights(...)",
        )
    else:
        found = kind.partition(": ")[2] or kind
        fix = "check the file was downloaded or copied completely, and that this is the file you meant"
    return NotHdf5Error(f"{what} should be an HDF5 file (Keras .h5 / .weights.h5), but it is {found}. To fix: {fix}.")


# --- the walk --------------------------------------------------------------------------------------
def _dtype_problem(dtype: np.dtype, attributes) -> tuple[np.dtype | None, str | None]:
    """The dtype an array is read as, or why a dataset of ``dtype`` cannot hold weights."""
    if h5py.check_vlen_dtype(dtype) is not None or h5py.check_string_dtype(dtype) is not None:
        return None, "string or variable-length data"
    if h5py.check_ref_dtype(dtype) is not None:
        return None, "object or region references"
    if dtype.subdtype is not None or dtype.fields is not None:
        return None, f"a structured or sub-array dtype ({dtype})"
    if dtype.kind == "V" and dtype.itemsize == 2 and _declared_bfloat16(attributes):
        return (
            _BFLOAT16,
            None,
        )  # Keras stores bfloat16 as 2-byte opaque data tagged dtype="bfloat16"
    if dtype.kind not in _NUMERIC_KINDS:
        return None, f"non-numeric data ({dtype})"
    return dtype, None


def _declared_bfloat16(attributes) -> bool:
    try:
        if "dtype" not in attributes:
            return False
        identifier = attributes.get_id("dtype")
        if identifier.dtype.kind not in "OS" or identifier.get_storage_size() > 64:
            return False
        value = attributes["dtype"]
    except (
        OSError,
        KeyError,
        ValueError,
        TypeError,
        RuntimeError,
    ):  # a damaged attribute is no bfloat16 tag
        return False
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value == "bfloat16"


class _Walk:
    """Checks every object of an open file, recording its datasets; raises at the first problem."""

    def __init__(self, file: h5py.File, limits: Hdf5Limits, what: str):
        self.limits, self.what = limits, what
        self.datasets, self.groups = {}, ["/"]
        self._seen = {}
        self._objects = 0
        self._total = 0
        self._visit_group(file, "/", 0)

    def fail(self, path: str, problem: str, fix: str = "") -> None:
        fix = fix or "Save the weights again with Keras or loom, and only open HDF5 files from sources you trust."
        raise Hdf5FileError(f"{self.what}: the HDF5 object {path!r} {problem}. {fix}")

    def _count(self, path: str, count: int = 1) -> None:
        self._objects += count
        if self._objects > self.limits.max_objects:
            self.fail(
                path,
                f"is past the limit of {self.limits.max_objects} objects in one file",
            )

    def _visit_group(self, group, path: str, depth: int) -> None:
        if depth > self.limits.max_depth:
            self.fail(path, f"is nested deeper than {self.limits.max_depth} groups")
        self._count(path, len(group))
        for name in list(group):
            child_path = posixpath.join(path, name)
            link = group.get(name, getlink=True)
            if isinstance(link, h5py.SoftLink):
                self.fail(
                    child_path,
                    f"is a soft link to {link.path!r}; weights must be stored in place",
                )
            if isinstance(link, h5py.ExternalLink):
                self.fail(
                    child_path,
                    f"is an external link to {link.path!r} in the file {link.filename!r}; "
                    "an HDF5 file may not make loom open other files",
                )
            if not isinstance(link, h5py.HardLink):
                self.fail(child_path, f"is a link of an unknown kind ({type(link).__name__})")
            child = group.get(name)
            key = hash(child.id)
            if key in self._seen:
                self.fail(
                    child_path,
                    f"is a second link to the object at {self._seen[key]!r} (a hard-link alias)",
                )
            self._seen[key] = child_path
            if isinstance(child, h5py.Group):
                self.groups.append(child_path)
                self._visit_group(child, child_path, depth + 1)
            elif isinstance(child, h5py.Dataset):
                self._visit_dataset(child, child_path)
            else:
                self.fail(
                    child_path,
                    f"is a {type(child).__name__}, neither a group nor a dataset",
                )

    def _visit_dataset(self, dataset, path: str) -> None:
        external = dataset.external
        if external:
            files = sorted({str(entry[0]) for entry in external})
            self.fail(
                path,
                f"is an external dataset stored in {files}; its data must be inside the file",
            )
        if dataset.is_virtual:
            self.fail(path, "is a virtual dataset that maps data from other datasets or files")
        dtype, problem = _dtype_problem(dataset.dtype, dataset.attrs)
        if problem is not None:
            self.fail(path, f"holds {problem}, where numeric arrays are expected")
        shape = dataset.shape
        if shape is None:
            self.fail(
                path,
                "has no dataspace (an empty HDF5 dataset), where an array is expected",
            )
        elements = math.prod(shape)
        size = elements * dtype.itemsize
        limits = self.limits
        if elements > limits.max_dataset_elements or size > limits.max_dataset_bytes:
            self.fail(
                path,
                f"declares shape {tuple(shape)} of {dtype.name} ({elements} elements, {size} bytes); the limit "
                f"is {limits.max_dataset_elements} elements and {limits.max_dataset_bytes} bytes (the largest "
                "array this model can hold). Nothing was read",
                "A file this large does not belong to this model: check it is the right file.",
            )
        self._total += size
        if self._total > limits.max_total_bytes:
            self.fail(
                path,
                f"brings the datasets' declared size past the limit of {limits.max_total_bytes} bytes",
            )
        self.datasets[path] = DatasetInfo(path, tuple(shape), dtype)


class CheckedHdf5:
    """An open HDF5 file whose every object was checked; reads only the datasets its walk listed.

    Attributes:
        file: the ``h5py.File`` (for attributes and groups; read arrays with ``read``).
        datasets: ``{path: DatasetInfo}`` of every dataset, paths absolute (``/layers/dense/vars/0``).
        groups: the absolute paths of every group.
        what: how messages name the file.
    """

    def __init__(self, file: h5py.File, limits: Hdf5Limits, what: str):
        self.file, self.limits, self.what = file, limits, what
        walk = _Walk(file, limits, what)
        self.datasets, self.groups = walk.datasets, set(walk.groups)

    def read(self, path: str) -> np.ndarray:
        """The array at ``path`` (absolute), read after the walk checked its shape and dtype."""
        info = self.datasets[path]
        try:
            value = self.file[path][()]
        except Exception as err:  # h5py raises OSError, ValueError, ... for damaged data
            raise Hdf5FileError(
                f"{self.what}: the dataset {path!r} cannot be read ({err}); the file is damaged."
            ) from err
        value = np.asarray(value)
        if info.dtype == _BFLOAT16:
            value = value.view(_BFLOAT16)
        if value.shape != info.shape:
            raise Hdf5FileError(f"{self.what}: the dataset {path!r} read as shape {value.shape}, not {info.shape}.")
        return value

    def attribute(self, path: str, name: str):
        """The attribute ``name`` of the object at ``path``, or None when it has none; strings come back as
        ``str`` (lists of them as lists), after checking its declared size."""
        attributes = self.file[path].attrs
        try:
            if name not in attributes:
                return None
            identifier = attributes.get_id(name)
            dtype, shape = identifier.dtype, identifier.shape
        except Exception as err:
            raise Hdf5FileError(f"{self.what}: attribute {name!r} of {path!r} cannot be read ({err}).") from err
        elements = math.prod(shape) if shape is not None else 0
        string = h5py.check_string_dtype(dtype)
        if dtype.kind not in _NUMERIC_KINDS + "S" and (string is None or string.length is not None):
            raise Hdf5FileError(
                f"{self.what}: attribute {name!r} of {path!r} holds {dtype}; expected strings or numbers. "
                "The file is damaged or was not written by Keras."
            )
        # An empty attribute (tf.keras writes `weight_names = []` for layers without weights) has no
        # storage, and HDF5 refuses to report its size.
        stored = identifier.get_storage_size() if elements else 0
        self._check_attribute_size(path, name, max(elements * dtype.itemsize, stored))
        try:
            value = attributes[name]
        except Exception as err:
            raise Hdf5FileError(f"{self.what}: attribute {name!r} of {path!r} cannot be read ({err}).") from err
        value = _plain(value, self.what, f"attribute {name!r} of {path!r}")
        # A variable-length string keeps its bytes in the file's heap, so its size is known only once
        # read; the file's own size bounds that read.
        if isinstance(value, (str, list)):
            self._check_attribute_size(
                path,
                name,
                sum(len(item) for item in ([value] if isinstance(value, str) else value)),
            )
        return value

    def _check_attribute_size(self, path: str, name: str, size: int) -> None:
        if size > self.limits.max_attribute_bytes:
            raise Hdf5FileError(
                f"{self.what}: attribute {name!r} of {path!r} declares {size} bytes; the limit is "
                f"{self.limits.max_attribute_bytes}. The file is not one Keras wrote."
            )


def _plain(value, what: str, where: str):
    """An attribute's value with bytes decoded as UTF-8 (lists for arrays of strings)."""
    try:
        if isinstance(value, bytes):
            return value.decode("utf-8")
        if isinstance(value, np.ndarray) and value.dtype.kind in "SO":
            return [item.decode("utf-8") if isinstance(item, bytes) else str(item) for item in value.reshape(-1)]
    except UnicodeDecodeError as err:
        raise Hdf5FileError(f"{what}: the {where} is not UTF-8 text ({err}).") from err
    return value


@contextlib.contextmanager
def _binary_handle(source):
    if hasattr(source, "read"):
        if not (hasattr(source, "seek") and hasattr(source, "tell")):
            raise TypeError(f"An HDF5 source must be a path or a seekable binary file object; received {source!r}.")
        yield source
        return
    with open(os.fspath(source), "rb") as handle:
        yield handle


def _describe(source) -> str:
    if hasattr(source, "read"):
        name = getattr(source, "name", None)
        return f"File {name!r}" if isinstance(name, str) else "The data given"
    return f"File {os.fspath(source)!r}"


@contextlib.contextmanager
def open_hdf5(source, limits: Hdf5Limits | None = None, what: str | None = None):
    """Open an HDF5 file for reading, after checking it is HDF5 and walking every object in it.

    Args:
        source: a path, or a readable, seekable binary file object (e.g. a
            member of a zip archive read into ``io.BytesIO``). A path is opened
            once: the checks and the reads see the same file.
        limits: what the file may declare (``Hdf5Limits``); fit them to the
            model being loaded with ``Hdf5Limits.for_arrays``.
        what: how error messages name the file.

    Yields:
        A ``CheckedHdf5``.

    Raises:
        NotHdf5Error: the bytes are not HDF5 (the message says what they are).
        Hdf5FileError: the file is damaged, points outside itself (external
            or virtual datasets, soft or external links), holds non-numeric
            arrays, or declares more than ``limits`` allow.
    """
    limits = limits or Hdf5Limits()
    what = what or _describe(source)
    with _binary_handle(source) as handle:
        kind = _sniff_handle(handle)
        if kind != "hdf5":
            raise not_hdf5_error(kind, what)
        handle.seek(0)
        try:
            file = h5py.File(handle, "r")
        except Exception as err:
            raise Hdf5FileError(f"{what}: HDF5 cannot open it ({err}); the file is damaged or truncated.") from err
        with file:
            try:
                checked = CheckedHdf5(file, limits, what)
            except Hdf5FileError:
                raise
            except Exception as err:  # libhdf5 reports damaged metadata as OSError, KeyError, RuntimeError, ...
                raise Hdf5FileError(f"{what}: the file's structure cannot be read ({err}); it is damaged.") from err
            yield checked
