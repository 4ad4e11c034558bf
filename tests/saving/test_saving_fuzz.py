"""Fuzzing: valid model files mutated (zip bytes, config JSON, metadata JSON with its format
version and digests, safetensors header) make the loader raise only loom's documented saving
errors, never anything else."""

import io
import json
import os
import struct
import tempfile
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import loom
from loom import layers, ops
from loom.saving import SavingError

WEIGHT = np.array([0.5, -1.0, 2.0, 1.5], dtype="float32")
INTERESTING_STRINGS = [
    "os", "system", "subprocess", "Popen", "builtins", "eval", "function", "__lambda__", "__lambda_source__",
    "__keras_tensor__", "__array__", "__numpy__", "Dense", "Functional", "Sequential", "InputLayer", "loom.layers",
    "keras.layers", "lambda t: t", "float16", "int64", "x", "dense", "../x", "/etc/passwd", "",
]  # fmt: skip


def _model_file() -> bytes:
    inputs = loom.Input((3,), name="x")
    table = loom.Input(tensor=np.ones((2, 4), "float32"), name="table")
    hidden = layers.Dense(4, activation="relu", name="dense")(inputs)
    scaled = layers.Lambda(lambda t: t * WEIGHT, name="scale")(hidden)
    mixed = ops.sum(ops.matmul(scaled, ops.transpose(table)), axis=-1, keepdims=True)
    model = loom.Model([inputs, table], mixed, name="fuzzed")
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "m.loom")
        model.save(path)
        with open(path, "rb") as handle:
            return handle.read()


@pytest.fixture(scope="module")
def valid_file():
    return _model_file()


def _members(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members: dict) -> bytes:
    """The members zipped as loom writes them (weights stored), so only the mutation differs."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED if name == "model.safetensors" else None)
    return buffer.getvalue()


def _load_only_raises_documented_errors(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "fuzzed.loom")
        with open(path, "wb") as handle:
            handle.write(data)
        try:
            # allow_nonfinite=False: a reinterpreted dtype may make NaNs, refused with an error, not a warning.
            model = loom.models.load_model(path, allow_nonfinite=False)
        except SavingError:
            return
        assert isinstance(model, loom.Model)
        assert sorted(os.listdir(folder)) == ["fuzzed.loom"]  # loading never writes anything


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(INTERESTING_STRINGS),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def _mutate_json(value, data, depth=0):
    """Replace, delete or keep one randomly chosen part of a JSON value."""
    containers = isinstance(value, (dict, list)) and len(value) > 0
    if not containers or depth > 12 or data.draw(st.integers(0, 4)) == 0:
        return data.draw(JSON_VALUES)
    keys = list(value) if isinstance(value, dict) else list(range(len(value)))
    key = data.draw(st.sampled_from(keys))
    value = dict(value) if isinstance(value, dict) else list(value)
    if data.draw(st.integers(0, 9)) == 0:
        del value[key]
    else:
        value[key] = _mutate_json(value[key], data, depth + 1)
    return value


def _fuzz_zip_bytes(valid, data):
    mutated = bytearray(valid)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(mutated) - 1))
        mutated[position] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        mutated = mutated[: data.draw(st.integers(0, len(mutated)))]
    _load_only_raises_documented_errors(bytes(mutated))


def _fuzz_config(valid, data):
    members = _members(valid)
    config = json.loads(members["config.json"])
    for _ in range(data.draw(st.integers(1, 3))):
        config = _mutate_json(config, data)
    members["config.json"] = json.dumps(config).encode()
    _load_only_raises_documented_errors(_zip(members))


def _fuzz_safetensors_header(valid, data):
    members = _members(valid)
    stored = members["model.safetensors"]
    (length,) = struct.unpack("<Q", stored[:8])
    header = json.loads(stored[8 : 8 + length])
    header = _mutate_json(header, data)
    text = json.dumps(header).encode()
    claimed = len(text) if data.draw(st.integers(0, 4)) else data.draw(st.integers(0, 2**64 - 1))
    members["model.safetensors"] = struct.pack("<Q", claimed) + text + stored[8 + length :]
    _load_only_raises_documented_errors(_zip(members))


def _mutate_digests(digests: dict, data) -> dict:
    """One kind of damage to the digest table: a digest altered, swapped, dropped, or added."""
    digests, keys = dict(digests), sorted(digests)
    key = data.draw(st.sampled_from(keys))
    damage = data.draw(st.sampled_from(["alter", "swap", "drop", "add", "json"]))
    if damage == "alter":
        digests[key] = data.draw(st.text("0123456789abcdefABCDEF", min_size=62, max_size=66) | JSON_VALUES)
    elif damage == "swap":
        other = data.draw(st.sampled_from(keys))
        digests[key], digests[other] = digests[other], digests[key]
    elif damage == "drop":
        del digests[key]
    elif damage == "add":
        digests[data.draw(st.text(max_size=12) | st.sampled_from(INTERESTING_STRINGS))] = digests[key]
    else:
        return _mutate_json(digests, data)
    return digests


def _fuzz_metadata(valid, data):
    members = _members(valid)
    metadata = json.loads(members["metadata.json"])
    target = data.draw(st.sampled_from(["format_version", "weights_sha256", "anything"]))
    if target == "format_version":
        metadata["format_version"] = data.draw(st.integers(-2, 2**70) | JSON_VALUES)
        if data.draw(st.booleans()):
            metadata["loom_version"] = data.draw(JSON_VALUES)
    elif target == "weights_sha256":
        metadata["weights_sha256"] = _mutate_digests(metadata["weights_sha256"], data)
    else:
        for _ in range(data.draw(st.integers(1, 3))):
            metadata = _mutate_json(metadata, data)
    members["metadata.json"] = json.dumps(metadata).encode()
    _load_only_raises_documented_errors(_zip(members))


FUZZERS = {
    "zip_bytes": _fuzz_zip_bytes,
    "config_json": _fuzz_config,
    "metadata_json": _fuzz_metadata,
    "safetensors_header": _fuzz_safetensors_header,
}
_SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]}


@pytest.mark.parametrize("target", list(FUZZERS))
@settings(max_examples=35, **_SETTINGS)
@given(data=st.data())
def test_mutated_model_files_raise_only_documented_errors(target, valid_file, data):
    FUZZERS[target](valid_file, data)


@pytest.mark.slow
@pytest.mark.parametrize("target", list(FUZZERS))
@settings(max_examples=400, **_SETTINGS)
@given(data=st.data())
def test_mutated_model_files_raise_only_documented_errors_at_length(target, valid_file, data):
    FUZZERS[target](valid_file, data)


def test_the_unmutated_file_loads(valid_file):
    _load_only_raises_documented_errors(valid_file)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "m.loom")
        with open(path, "wb") as handle:
            handle.write(valid_file)
        assert loom.models.load_model(path).name == "fuzzed"
