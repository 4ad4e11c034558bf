"""Model archives are read with suspicion: hostile members, bombs, corrupt and truncated files,
and oversized or deeply nested JSON are refused with clear errors, in bounded memory."""

import io
import json
import os
import stat
import struct
import subprocess
import sys
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest

import loom
import loom.inspect
from loom.saving import ArchiveError, ConfigError, WeightsFileError, archive, weights
from tests.saving.saving_helpers import rewrite_members, rewrite_metadata


def _weights_bytes(arrays=None) -> bytes:
    buffer = io.BytesIO()
    weights.write_safetensors(buffer, arrays if arrays is not None else {"w": np.ones(3, "float32")})
    return buffer.getvalue()


def _zip(members, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of (name, bytes) pairs, or (ZipInfo, bytes) pairs for special members; a
    model.safetensors named by string is stored uncompressed, as loom writes it."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names, which we want here
        with zipfile.ZipFile(buffer, "w", compression) as handle:
            for name, data in members:
                handle.writestr(name, data, compress_type=zipfile.ZIP_STORED if name == "model.safetensors" else None)
    return buffer.getvalue()


def _deflated(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _valid_members(config=None):
    config = config if config is not None else {"class_name": "Functional", "config": {}}
    return [
        ("metadata.json", b"{}"),
        ("config.json", json.dumps(config).encode()),
        ("model.safetensors", _weights_bytes()),
    ]


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


def _write(tmp_path, data: bytes, name="model.loom"):
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
    data = _zip(_valid_members()[:2] + [(_deflated("model.safetensors"), b"\x00" * (16 * 2**20))])  # ~16 KiB
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
        ("metadata.json", 24, 2**25, zipfile.ZIP_DEFLATED, "the limit is 16777216"),
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
        archive.read_archive(_write(tmp_path, _patch(data, "config.json", 8, "<H", 1), "a.loom"))
    with pytest.raises(ArchiveError, match="unsupported compression"):
        archive.read_archive(_write(tmp_path, _patch(data, "config.json", 10, "<H", 14), "b.loom"))


def test_truncated_and_corrupt_files_raise_archive_errors(tmp_path):
    inputs = loom.Input((3,))
    loom.Model(inputs, loom.layers.Dense(2)(inputs)).save(tmp_path / "good.loom")
    good = (tmp_path / "good.loom").read_bytes()
    for cut in (10, len(good) // 2, len(good) - 10):
        with pytest.raises((ArchiveError, WeightsFileError)):
            loom.models.load_model(_write(tmp_path, good[:cut], "cut.loom"))
    config_at = good.find(b"config.json") + len("config.json")
    corrupt = (
        good[: config_at + 40] + bytes(b ^ 0xFF for b in good[config_at + 40 : config_at + 60]) + good[config_at + 60 :]
    )
    with pytest.raises(ArchiveError):
        loom.models.load_model(_write(tmp_path, corrupt, "corrupt.loom"))
    with pytest.raises(ArchiveError, match="not a zip archive"):
        loom.models.load_model(_write(tmp_path, b"PK\x07\x08" + b"\x00" * 100, "other.loom"))
    # Content, not the name, picks the reader: HDF5 bytes are read as a tf.keras 2 model, and these are damaged.
    with pytest.raises(WeightsFileError, match="HDF5"):
        loom.models.load_model(_write(tmp_path, b"\x89HDF\r\n\x1a\n" + b"\x00" * 100, "keras2.loom"))


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


def test_keras_files_with_hdf5_weights_go_to_the_keras_reader(tmp_path):
    members = [
        ("metadata.json", b'{"keras_version": "3.15.1"}'),
        ("config.json", b'{"class_name": "Functional", "config": {}}'),
        ("model.weights.h5", b"\x89HDF\r\n\x1a\n"),
    ]
    # loom's own reader would refuse the members; Keras's reader reads the config (and finds it empty).
    with pytest.raises(ConfigError, match="'layers' list"):
        loom.models.load_model(_write(tmp_path, _zip(members)))


def _tiny_model_file(tmp_path, units=2, name="m.loom"):
    inputs = loom.Input((2,), name="x")
    model = loom.Model(inputs, loom.layers.Dense(units, name="dense")(inputs), name=f"tiny_{units}")
    model.save(tmp_path / name)
    return model, tmp_path / name


@pytest.mark.parametrize("extra", ["assets/model.safetensors", "weights/model.safetensors", "notes.txt", "assets/"])
def test_members_the_format_does_not_define_are_refused(extra, tmp_path):
    _, path = _tiny_model_file(tmp_path)
    rewrite_members(path, lambda members: members.update({extra: members["model.safetensors"]}))
    with pytest.raises(ArchiveError, match=f"holds '{extra}', which a model file does not define"):
        loom.models.load_model(path)


def test_weights_must_be_stored_uncompressed_as_loom_writes_them(tmp_path):
    _, path = _tiny_model_file(tmp_path)
    with zipfile.ZipFile(path) as handle:
        members = [(name, handle.read(name)) for name in handle.namelist()]
    path.write_bytes(_zip([(_deflated(n) if n == "model.safetensors" else n, data) for n, data in members]))
    with pytest.raises(ArchiveError, match=r"'model.safetensors' is compressed \(zip method 8\).*zip -0"):
        loom.models.load_model(path)


def test_loom_and_keras_weights_in_one_file_are_refused(tmp_path):
    _, path = _tiny_model_file(tmp_path)
    rewrite_members(path, lambda members: members.update({"model.weights.h5": b"\x89HDF\r\n\x1a\n"}))
    with pytest.raises(ArchiveError, match="holds both model.safetensors and Keras's model.weights.h5"):
        loom.models.load_model(path)


def test_a_newer_format_version_names_the_loom_that_wrote_it(tmp_path):
    _, path = _tiny_model_file(tmp_path)
    assert archive.FORMAT_VERSION in archive.FORMAT_HISTORY
    newer = archive.FORMAT_VERSION + 1
    # The version is checked first: a newer format may define members this loom does not know.
    rewrite_members(path, lambda members: members.update({"future.bin": b""}))
    rewrite_metadata(path, lambda m: m.update(format_version=newer, loom_version="9.1.0"))
    message = (
        f"format version {newer}, written by loom 9.1.0; this loom reads format versions 1 to "
        rf"{archive.FORMAT_VERSION}\. Upgrade to loom 9\.1\.0 or later"
    )
    with pytest.raises(ConfigError, match=message):
        loom.models.load_model(path)
    rewrite_metadata(path, lambda m: m.pop("loom_version"))
    with pytest.raises(ConfigError, match="written by a newer loom.*Upgrade to a newer loom"):
        loom.inspect.describe(path)


@pytest.mark.parametrize(
    "version, problem",
    [
        ("2", "must be an integer"),
        (True, "must be an integer"),
        (2.0, "must be an integer"),
        (0, "never written by loom"),
    ],
)
def test_a_malformed_format_version_is_refused(version, problem, tmp_path):
    _, path = _tiny_model_file(tmp_path)
    rewrite_metadata(path, lambda m: m.update(format_version=version))
    with pytest.raises(ConfigError, match=problem):
        loom.models.load_model(path)


# Replaces the file as atomic_open does (a temporary file, then os.replace), without its
# fsyncs, so it replaces as often as it can; only the standard library, so it starts at once.
_WRITER = """
import os, sys
target, *sources = sys.argv[1:]
files = [open(source, "rb").read() for source in sources]
print("writing", flush=True)
count = 0
while True:
    temporary = f"{target}.{count % 2}.tmp"
    with open(temporary, "wb") as handle:
        handle.write(files[count % 2])
    os.replace(temporary, target)
    count += 1
"""


def test_loads_racing_a_writer_that_replaces_the_file_each_see_one_whole_file(tmp_path):
    # The second model's weights alone outsize the first file: a reader that measured one file
    # and read another saw "declares N compressed bytes in an M-byte file", 5-9 times in these
    # 2,000 loads when measured (the same loop without the writer takes about a second).
    models, paths = zip(*(_tiny_model_file(tmp_path, units, f"{units}.loom") for units in (1, 300)))
    stored = [archive.read_archive(path).weights.arrays() for path in paths]
    target = tmp_path / "raced.loom"
    target.write_bytes(paths[0].read_bytes())
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(target), *map(str, paths)], stdout=subprocess.PIPE)
    seen = []
    try:
        assert writer.stdout.readline() == b"writing\n"
        for index in range(2000):
            if index % 20:  # the archive as every loader reads it (fast)
                arrays = archive.read_archive(target).weights.arrays()
                matches = [
                    i
                    for i, s in enumerate(stored)
                    if s.keys() == arrays.keys() and all(s[k].tobytes() == arrays[k].tobytes() for k in s)
                ]
            else:  # the whole load_model (slower)
                loaded = loom.models.load_model(target)
                matches = [
                    i
                    for i, m in enumerate(models)
                    if loaded.name == m.name
                    and all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), m.get_weights()))
                ]
            assert len(matches) == 1, f"load {index} equals neither written model"
            seen.append(matches[0])
    finally:
        writer.kill()
        writer.wait()
        writer.stdout.close()
    assert set(seen) == {0, 1}  # the file really was replaced while being read
