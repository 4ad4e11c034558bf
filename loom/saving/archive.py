"""The model file: a zip holding ``config.json``, ``metadata.json`` and ``model.safetensors``.

Writing goes through ``atomic_open``, so a failed or killed save leaves the
previous file intact, and records in ``metadata.json`` the format version and
each tensor's SHA-256 (see ``integrity``). Reading opens the file once and
reads everything through that one handle, so a reader racing a writer's
``os.replace`` sees one complete file, old or new. It trusts nothing in the
file: every member name is checked (no absolute paths, ``..``, backslashes or
links; no duplicates; nothing the format does not define), the members may
not overlap, declared sizes are bounded by limits and by the archive's own
size, compressed members may not inflate beyond a ratio (zip bombs), the
weights must be stored uncompressed, the JSON may not be too large, too deep
or repeat a key, a newer format version is refused, and the tensors must
match their recorded digests. Members are only ever read into memory, never
extracted to disk.
"""

import json
import os
import stat
import struct
import zipfile
import zlib

from loom.saving import integrity
from loom.saving.atomic_write import atomic_open
from loom.saving.errors import ArchiveError, ConfigError, IntegrityError, SavingError, SerializationError
from loom.saving.weights import SafetensorsFile, write_safetensors

# The same member-name rules as get_file's archive extraction.
from loom.utils.archive_extraction import member_name_problem

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.safetensors"
# Keras 3's weights members: recognised, so that loading can say the file is Keras's.
KERAS_WEIGHTS = ("model.weights.h5", "model.weights.npz")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")

# The version of the layout below, in metadata.json's "format_version"; a reader
# refuses a version it does not know. Each version, with the loom release that
# first writes it (a reader meeting a newer version names the release the file
# itself records as its writer):
FORMAT_HISTORY = {
    1: "0.1.0",  # config.json, metadata.json, model.safetensors
    2: "0.2.0",  # + "weights_sha256" in metadata.json, required; no other members; weights stored
}
FORMAT_VERSION = max(FORMAT_HISTORY)
# From this version on, a file with weights must record their digests; older files load unchecked.
_DIGESTS_REQUIRED_FROM = 2

# Limits on what a model file may declare; generous for real models, small
# enough that a hostile file cannot exhaust memory or time.
MAX_CONFIG_BYTES = 32 * 2**20
MAX_METADATA_BYTES = 16 * 2**20  # holds a digest per tensor (~100 bytes each)
MAX_JSON_DEPTH = 100
MAX_MEMBERS = 64
# A deflated member may expand at most this much (beyond a small allowance):
# JSON configs compress ~5-20x; bombs reach 1000x.
MAX_COMPRESSION_RATIO = 200
_RATIO_ALLOWANCE = 2**20
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # every member's date: identical models give identical files
# What zipfile and zlib raise on a damaged or hostile zip; readers turn them into an ArchiveError.
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    struct.error,
    zlib.error,
    NotImplementedError,
    RuntimeError,
    UnicodeDecodeError,
    OverflowError,
    ValueError,
    OSError,
)


# --- JSON ---------------------------------------------------------------------------------
def _unique_keys(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ConfigError(f"The JSON repeats the key {key!r} in one object; a config must name each field once.")
        result[key] = value
    return result


def _check_depth(value, what: str) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ConfigError(f"{what} is nested more than {MAX_JSON_DEPTH} levels deep; refusing to read it.")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def parse_json(data, what: str, max_bytes: int = MAX_CONFIG_BYTES):
    """Parse JSON bytes or text from a file with loom's limits (size, depth, unique keys).

    Raises:
        ConfigError: naming ``what`` and the problem.
    """
    if len(data) > max_bytes:
        raise ConfigError(f"{what} is {len(data)} bytes; the limit is {max_bytes}.")
    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
        value = json.loads(text, object_pairs_hook=_unique_keys)
    except ConfigError:
        raise
    except RecursionError:
        raise ConfigError(f"{what} is nested too deeply to read.") from None
    except (UnicodeDecodeError, ValueError) as err:
        raise ConfigError(f"{what} is not valid JSON: {err}") from None
    _check_depth(value, what)
    return value


def dump_json(value, what: str) -> bytes:
    """JSON bytes for a config, or a SerializationError naming what could not be written."""
    try:
        return json.dumps(value, indent=1).encode("utf-8")
    except (TypeError, ValueError) as err:
        raise SerializationError(f"Cannot write {what} as JSON: {err}.") from err


# --- writing ------------------------------------------------------------------------------
def _info(name: str, compress_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
    info.compress_type = compress_type
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def write_archive(path, config: dict, arrays: dict, metadata: dict, weights_metadata: dict | None = None) -> None:
    """Write a model file atomically.

    Args:
        path: the file to create or replace.
        config: the JSON-serializable ``config.json`` content.
        arrays: ``{name: array}`` stored in ``model.safetensors``.
        metadata: the JSON-serializable ``metadata.json`` content; the format
            version and the tensors' SHA-256 digests are added to it.
        weights_metadata: optional string metadata of the safetensors header.
    """
    config_bytes = dump_json(config, "the model config")
    metadata = {**metadata, "format_version": FORMAT_VERSION, integrity.DIGESTS: integrity.tensor_digests(arrays)}
    metadata_bytes = dump_json(metadata, "the metadata")
    with atomic_open(path, "wb") as handle:
        with zipfile.ZipFile(handle, "w", allowZip64=True) as archive:
            archive.writestr(_info(METADATA, zipfile.ZIP_DEFLATED), metadata_bytes)
            archive.writestr(_info(CONFIG, zipfile.ZIP_DEFLATED), config_bytes)
            # Stored, not deflated: weights barely compress, and reading stays a plain copy.
            with archive.open(_info(WEIGHTS, zipfile.ZIP_STORED), "w", force_zip64=True) as member:
                write_safetensors(member, arrays, weights_metadata)


# --- reading ------------------------------------------------------------------------------
def starts_like_zip(handle) -> bool:
    """Whether an open binary file starts like a zip (a model archive) rather than raw safetensors;
    the handle is left at the start. (It takes a handle, not a path: a loader that opened the path
    twice could meet two different files when a writer replaces it in between.)"""
    handle.seek(0)
    magic = handle.read(4)
    handle.seek(0)
    return magic in _ZIP_MAGIC


class Archive:
    """A checked model archive held in memory.

    Attributes:
        path: where it was read from.
        config: the parsed ``config.json``.
        metadata: the parsed ``metadata.json`` (``{}`` if absent).
        weights: the checked ``model.safetensors`` (None if absent or not read).
        names: the member names.
        format_version: the file's format version (1 for files that record none).
        digests: ``{tensor name: SHA-256 hex}`` from the metadata; None for files
            written before loom recorded digests.
    """

    def __init__(self, path, config, metadata, weights, names, format_version=1, digests=None):
        self.path = path
        self.config = config
        self.metadata = metadata
        self.weights = weights
        self.names = names
        self.format_version = format_version
        self.digests = digests


class Reader:
    """Checks a zip's members (names, sizes, layout) and reads them through one open handle;
    every failure is an ``ArchiveError`` naming the file. Shared by loom's and Keras's archives."""

    def __init__(self, path, handle):
        self.path = path
        self.handle = handle
        # The size of the file this handle has open: the path may name a newer file by now.
        self.size = handle.seek(0, os.SEEK_END)
        handle.seek(0)

    def fail(self, message: str):
        raise ArchiveError(f"Model file {str(self.path)!r}: {message}")

    def check_members(self, archive: zipfile.ZipFile) -> dict:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            self.fail(f"has {len(infos)} members; a model file has at most {MAX_MEMBERS}.")
        members = {}
        for info in infos:
            problem = member_name_problem(info.filename)
            if problem is not None:
                self.fail(f"member {info.filename!r} has {problem}; refusing to read the file.")
            if info.filename in members:
                self.fail(f"holds two members named {info.filename!r}; refusing to guess which is meant.")
            if stat.S_ISLNK(info.external_attr >> 16):
                self.fail(f"member {info.filename!r} is a symbolic link; model files hold plain files only.")
            if info.flag_bits & 0x1:
                self.fail(f"member {info.filename!r} is encrypted.")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                self.fail(f"member {info.filename!r} uses an unsupported compression method {info.compress_type}.")
            self._check_sizes(info)
            members[info.filename] = info
        self._check_layout(infos, archive.start_dir)
        return members

    def check_defined(self, members: dict) -> None:
        """Only the members the format defines, with the weights stored uncompressed as loom writes them."""
        unknown = sorted(set(members) - {CONFIG, METADATA, WEIGHTS, *KERAS_WEIGHTS})
        if unknown:
            shown = ", ".join(repr(name) for name in unknown[:10])
            self.fail(
                f"holds {shown}, which a model file does not define: a loom model file holds only {CONFIG}, "
                f"{METADATA} and {WEIGHTS}. Refusing it rather than ignore part of it; save the model again "
                "with loom, or remove the extra members if you added them."
            )
        keras = [name for name in KERAS_WEIGHTS if name in members]
        if keras and WEIGHTS in members:
            self.fail(f"holds both {WEIGHTS} and Keras's {keras[0]}; refusing to guess which weights are meant.")
        weights = members.get(WEIGHTS)
        if weights is not None and weights.compress_type != zipfile.ZIP_STORED:
            self.fail(
                f"member {WEIGHTS!r} is compressed (zip method {weights.compress_type}), but loom stores weights "
                "uncompressed: the file was repacked or written by another tool. Save the model again with "
                f"loom, or repack the file storing {WEIGHTS} uncompressed (zip -0)."
            )

    def _check_sizes(self, info) -> None:
        name = info.filename
        if info.compress_size > self.size:
            self.fail(f"member {name!r} declares {info.compress_size} compressed bytes in a {self.size}-byte file.")
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            self.fail(f"stored member {name!r} declares {info.file_size} bytes but holds {info.compress_size}.")
        limit = {CONFIG: MAX_CONFIG_BYTES, METADATA: MAX_METADATA_BYTES}.get(name)
        if limit is not None and info.file_size > limit:
            self.fail(f"member {name!r} declares {info.file_size} bytes; the limit is {limit}.")
        if info.file_size > _RATIO_ALLOWANCE and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            self.fail(
                f"member {name!r} would inflate from {info.compress_size} to {info.file_size} bytes "
                f"(more than {MAX_COMPRESSION_RATIO}x); refusing a possible zip bomb."
            )

    def _check_layout(self, infos, central_directory: int) -> None:
        """Each member's local header and data must lie before the next member's (no overlaps)."""
        ordered = sorted(infos, key=lambda i: i.header_offset)
        for position, info in enumerate(ordered):
            self.handle.seek(info.header_offset)
            header = self.handle.read(30)
            if len(header) < 30 or header[:4] != b"PK\x03\x04":
                self.fail(f"member {info.filename!r} has no valid local header (corrupt or truncated file).")
            name_length, extra_length = struct.unpack("<HH", header[26:30])
            end = info.header_offset + 30 + name_length + extra_length + info.compress_size
            limit = ordered[position + 1].header_offset if position + 1 < len(ordered) else central_directory
            if end > limit:
                self.fail(f"member {info.filename!r} overlaps the next member or the directory (corrupt or crafted).")

    def read_member(self, archive, info, limit: int) -> bytes:
        if info.file_size > limit:
            self.fail(f"member {info.filename!r} declares {info.file_size} bytes; the limit is {limit}.")
        with archive.open(info) as member:
            data = member.read(info.file_size + 1)
        if len(data) != info.file_size:
            self.fail(f"member {info.filename!r} holds {len(data)} bytes, not the declared {info.file_size}.")
        return data


def json_object(data: bytes, member: str, path, max_bytes: int) -> dict:
    """A member's bytes parsed by ``parse_json``, which must hold a JSON object (ConfigError otherwise)."""
    value = parse_json(data, f"{member} of {str(path)!r}", max_bytes)
    if not isinstance(value, dict):
        raise ConfigError(f"{member} of {str(path)!r} must hold a JSON object; it holds a {type(value).__name__}.")
    return value


def _format_version(metadata: dict, path) -> int:
    """The file's format version, refused when this loom does not know it (1 for files recording none:
    Keras's, and loom's training backups written before versions were recorded)."""
    version = metadata.get("format_version", 1)
    if type(version) is not int:
        raise ConfigError(f"{METADATA} of {str(path)!r}: 'format_version' must be an integer; it is {version!r:.60}.")
    if version > FORMAT_VERSION:
        writer = metadata.get("loom_version")
        writer = writer if isinstance(writer, str) and len(writer) <= 40 and writer.isprintable() else None
        written = f"written by loom {writer}" if writer else "written by a newer loom"
        needed = f"loom {writer} or later" if writer else "a newer loom"
        raise ConfigError(
            f"Model file {str(path)!r} is in format version {version}, {written}; this loom reads format versions "
            f"1 to {FORMAT_VERSION}. Upgrade to {needed} to load it (pip install --upgrade loom)."
        )
    if version < 1:
        raise ConfigError(
            f"{METADATA} of {str(path)!r}: format version {version} was never written by loom (versions run "
            f"from 1 to {FORMAT_VERSION}); the metadata is damaged."
        )
    return version


def _digest_table(metadata: dict, version: int, has_weights: bool, path) -> dict | None:
    what = f"Model file {str(path)!r}"
    table = metadata.get(integrity.DIGESTS)
    if table is None:
        if version >= _DIGESTS_REQUIRED_FROM and has_weights:
            raise IntegrityError(
                f"{what}: its {METADATA} declares format version {version} but records no '{integrity.DIGESTS}'; "
                "every file of that version lists its tensors' digests, so the metadata was damaged or edited. "
                "Save the model again from a good copy."
            )
        return None  # written before loom recorded digests: the file loads unchecked, as it always did
    return integrity.check_digest_table(table, what)


def read_open_archive(handle, path, read_weights: bool = True, verify_digests: bool = True) -> Archive:
    """``read_archive`` on a file already open for binary reading: every byte comes through ``handle``."""
    reader = Reader(path, handle)
    if not starts_like_zip(handle):
        reader.fail("is not a zip archive (a loom/Keras model file is a zip with config.json).")
    try:
        with zipfile.ZipFile(handle) as archive:
            members = reader.check_members(archive)
            metadata = {}
            if METADATA in members:
                data = reader.read_member(archive, members[METADATA], MAX_METADATA_BYTES)
                metadata = json_object(data, METADATA, path, MAX_METADATA_BYTES)
            # The version first: a newer format may define members this loom does not know.
            version = _format_version(metadata, path)
            reader.check_defined(members)
            if CONFIG not in members:
                reader.fail(f"has no {CONFIG}; members are {sorted(members)}.")
            config_bytes = reader.read_member(archive, members[CONFIG], MAX_CONFIG_BYTES)
            weights_bytes = None
            if read_weights and WEIGHTS in members:
                weights_bytes = reader.read_member(archive, members[WEIGHTS], reader.size)
    except SavingError:
        raise
    except ZIP_ERRORS as err:
        message = f"Model file {str(path)!r} is corrupt or truncated: {type(err).__name__}: {err}"
        raise ArchiveError(message) from err
    config = json_object(config_bytes, CONFIG, path, MAX_CONFIG_BYTES)
    digests = _digest_table(metadata, version, WEIGHTS in members, path)
    weights = None
    if weights_bytes is not None:
        weights = SafetensorsFile(weights_bytes, source=f"{WEIGHTS} in {str(path)!r}")
        if verify_digests and digests is not None:
            integrity.verify_digests(weights, digests, f"Model file {str(path)!r}")
    return Archive(path, config, metadata, weights, sorted(members), version, digests)


def read_archive(path, read_weights: bool = True, verify_digests: bool = True) -> Archive:
    """Read and check a model archive (see the module docstring for what is refused).

    The file is opened once and read through that handle only, so a writer
    replacing it meanwhile (``os.replace``) cannot mix two files into one read.

    Args:
        path: the ``.keras`` / ``.loom`` file.
        read_weights: also read and check ``model.safetensors``.
        verify_digests: check each tensor against the SHA-256 recorded in the
            metadata (``loom.inspect`` reports them itself instead).

    Raises:
        FileNotFoundError: no such file.
        ArchiveError, ConfigError, WeightsFileError: the file is damaged or hostile.
        IntegrityError: a tensor differs from its recorded digest.
    """
    with open(path, "rb") as handle:
        return read_open_archive(handle, path, read_weights, verify_digests)
