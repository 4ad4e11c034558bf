"""Model archives are read with suspicion: hostile members, bombs, corrupt and truncated files,
and oversized or deeply nested JSON are refused with clear errors, in bounded memory."""

import io
import json
import os
import stat
import struct
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest

import loom
from loom.saving import ArchiveError, ConfigError, WeightsFileError, archive, weights


def _weights_bytes(arrays=None) -> bytes:
    buffer = io.BytesIO()
    weights.write_safetensors(buffer, arrays if arrays is not None else {"w": np.ones(3, "float32")})
    return buffer.getvalue()


def _zip(members, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of (name, bytes) pairs, or (ZipInfo, bytes) pairs for special members."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names, which we want here
        with zipfile.ZipFile(buffer, "w", compression) as handle:
            for name, data in members:
                handle.writestr(name, data)
    return buffer.getvalue()


def _valid_members(config=None):
    config = config if config is not None else {"class_name": "Functional", "config": {}}
    return [("metadata.json", b"{}"), ("config.json", json.dumps(config).encode()), ("model.safetensors", _weights_bytes())]


def _central_entries(data: bytes) -> list:
    entries, position = [], data.find(b"PK\x01\x02")
    while position != -1:
        name_length = struct.unpack("<H", data[position + 28 : position + 30])[0]
        entries.append((position, data[position + 46 : position + 46 + name_length].decode()))
        position = data.find(b"PK\x01\x02", position + 46)
    return entries


def _patch(data: bytes, name: str, offset: int, fmt: str, value) -> bytes:
    """Change one field of a member's central-directory entry (offsets as in the zip spec)."""
    data = bytearray(data)
    for position, member in _central_entries(bytes(data)):
        if member == name:
            struct.pack_into(fmt, data, position + offset, value)
    return bytes(data)


def _write(tmp_path, data: bytes, name="model.keras"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_valid_archive_is_read(tmp_path):
    loaded = archive.read_archive(_write(tmp_path, _zip(_valid_members())))
    assert loaded.config["class_name"] == "Functional" and loaded.weights.specs == {"w": ((3,), "float32")}


def _symlink_member():
    info = zipfile.ZipInfo("config.json")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize(
    "members, problem",
    [
        ([("/etc/cron.d/evil", b"x")] + _valid_members(), "absolute path"),
        ([("../../evil.py", b"x")] + _valid_members(), "'..' component"),
        ([("assets/../../evil", b"x")] + _valid_members(), "'..' component"),
        ([("C:/evil", b"x")] + _valid_members(), "absolute path"),
        ([("a\\..\\evil", b"x")] + _valid_members(), "backslash"),
        ([(_symlink_member(), b"/etc/passwd")] + _valid_members()[2:], "symbolic link"),
        (_valid_members() + [("config.json", b'{"class_name": "Sequential"}')], "two members named 'config.json'"),
        ([("metadata.json", b"{}"), ("model.safetensors", _weights_bytes())], "has no config.json"),
        ([(f"m{i}", b"") for i in range(70)] + _valid_members(), "at most 64"),
    ],
)
def test_hostile_members_are_refused_and_nothing_is_written(members, problem, tmp_path):
    path = _write(tmp_path, _zip(members))
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(ArchiveError, match=problem):
        loom.models.load_model(path)
    assert sorted(os.listdir(tmp_path)) == before
    assert not os.path.exists(tmp_path.parent / "evil.py")


def test_overlapping_members_are_refused(tmp_path):
    data = _zip(_valid_members(), zipfile.ZIP_STORED)
    entries = dict((name, position) for position, name in _central_entries(data))
    first = struct.unpack("<I", data[entries["metadata.json"] + 42 : entries["metadata.json"] + 46])[0]
    data = _patch(data, "config.json", 42, "<I", first)  # both entries point at one local header
    with pytest.raises(ArchiveError):
        archive.read_archive(_write(tmp_path, data))


def test_compression_bombs_are_refused_before_inflating(tmp_path):
    data = _zip(_valid_members()[:2] + [("model.safetensors", b"\x00" * (16 * 2**20))])  # deflates to ~16 KiB
    assert len(data) < 2**16
    path = _write(tmp_path, data)
    tracemalloc.start()
    try:
        with pytest.raises(ArchiveError, match="zip bomb"):
            archive.read_archive(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


@pytest.mark.parametrize(
    "member, field, value, compression, problem",
    [
        ("config.json", 24, 2**31, zipfile.ZIP_DEFLATED, "declares 2147483648 bytes; the limit"),
        ("metadata.json", 24, 2**21, zipfile.ZIP_DEFLATED, "the limit is 1048576"),
        ("model.safetensors", 20, 2**31, zipfile.ZIP_STORED, "compressed bytes in a"),
        ("model.safetensors", 24, 2**20, zipfile.ZIP_STORED, "declares 1048576 bytes but holds"),
    ],
)
def test_oversized_declared_sizes_are_refused(member, field, value, compression, problem, tmp_path):
    data = _patch(_zip(_valid_members(), compression), member, field, "<I", value)
    with pytest.raises(ArchiveError, match=problem):
        archive.read_archive(_write(tmp_path, data))


def test_encrypted_and_unknown_compression_members_are_refused(tmp_path):
    data = _zip(_valid_members())
    with pytest.raises(ArchiveError, match="encrypted"):
        archive.read_archive(_write(tmp_path, _patch(data, "config.json", 8, "<H", 1), "a.keras"))
    with pytest.raises(ArchiveError, match="unsupported compression"):
        archive.read_archive(_write(tmp_path, _patch(data, "config.json", 10, "<H", 14), "b.keras"))


def test_truncated_and_corrupt_files_raise_archive_errors(tmp_path):
    inputs = loom.Input((3,))
    loom.Model(inputs, loom.layers.Dense(2)(inputs)).save(tmp_path / "good.keras")
    good = (tmp_path / "good.keras").read_bytes()
    for cut in (10, len(good) // 2, len(good) - 10):
        with pytest.raises((ArchiveError, WeightsFileError)):
            loom.models.load_model(_write(tmp_path, good[:cut], "cut.keras"))
    config_at = good.find(b"config.json") + len("config.json")
    corrupt = good[: config_at + 40] + bytes(b ^ 0xFF for b in good[config_at + 40 : config_at + 60]) + good[config_at + 60 :]
    with pytest.raises(ArchiveError):
        loom.models.load_model(_write(tmp_path, corrupt, "corrupt.keras"))
    with pytest.raises(ArchiveError, match="not a zip archive"):
        loom.models.load_model(_write(tmp_path, b"\x89HDF\r\n\x1a\n" + b"\x00" * 100, "keras2.h5"))


@pytest.mark.parametrize("depth", [150, 100_000])
def test_deeply_nested_json_is_refused(depth, tmp_path):
    config = b"[" * depth + b"]" * depth
    path = _write(tmp_path, _zip([("config.json", config)]))
    with pytest.raises(ConfigError, match="nested"):
        archive.read_archive(path)


def test_duplicate_json_keys_and_non_object_configs_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="repeats the key 'class_name'"):
        archive.read_archive(_write(tmp_path, _zip([("config.json", b'{"class_name": "A", "class_name": "B"}')]), "a"))
    with pytest.raises(ConfigError, match="JSON object"):
        archive.read_archive(_write(tmp_path, _zip([("config.json", b"[1, 2]")]), "b"))
    with pytest.raises(ConfigError, match="not valid JSON"):
        archive.read_archive(_write(tmp_path, _zip([("config.json", b"{'single': 'quotes'}")]), "c"))


def test_huge_json_is_refused_by_its_size():
    with pytest.raises(ConfigError, match="the limit is 10"):
        archive.parse_json(b"[" + b"1," * 20 + b"1]", "the test JSON", max_bytes=10)


def test_keras_files_with_hdf5_weights_are_named_as_such(tmp_path):
    members = [
        ("metadata.json", b'{"keras_version": "3.15.1"}'),
        ("config.json", b'{"class_name": "Functional", "config": {}}'),
        ("model.weights.h5", b"\x89HDF\r\n\x1a\n"),
    ]
    with pytest.raises(ArchiveError, match="written by Keras"):
        loom.models.load_model(_write(tmp_path, _zip(members)))
