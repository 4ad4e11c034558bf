"""python -m loom.inspect: summary and metadata of a model file, without building any of it."""

import json
import re
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import loom
from loom import inspect as loom_inspect
from loom import layers, ops
from tests.saving.saving_helpers import rewrite_members, rewrite_metadata, tensor_span


def _saved(tmp_path):
    inputs = loom.Input((3,), name="x")
    hidden = layers.Dense(4, name="hidden")(inputs)
    scaled = layers.Lambda(lambda t: t * np.float32(2.0), name="double")(hidden)
    model = loom.Model(inputs, ops.sum(scaled, axis=-1), name="inspected")
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)
    path = tmp_path / "m.loom"
    model.save(path)
    return path


def test_describe_lists_metadata_layers_parameters_and_source(tmp_path):
    text = loom_inspect.describe(_saved(tmp_path), show_source=True)
    assert "format: loom.model" in text and "model: Functional 'inspected'" in text
    assert "compiled: optimizer=Adam" in text
    assert re.search(r"hidden \(Dense\)\s+\(None, 4\)\s+16\s+x\[0\]\[0\]", text)
    assert re.search(r"sum \(ops.sum\)\s+\S+\s+0\s+double\[0\]\[0\]", text)
    assert "Weights: 2 tensors, 16 parameters" in text
    assert "Optimizer state: 6 tensors" in text
    assert "lambda t: t * np.float32(2.0)" in text


def test_inspecting_never_builds_or_runs_anything(tmp_path, monkeypatch):
    path = _saved(tmp_path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["class_name"] = "Popen"
    config["config"]["layers"][1]["module"] = "subprocess"
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)

    def refuse(*args, **kwargs):
        raise AssertionError("the inspector must not resolve or build anything")

    monkeypatch.setattr(loom.saving.registry, "resolve", refuse)
    assert "hidden (Popen)" in loom_inspect.describe(path)


def test_command_line_prints_the_report_and_fails_cleanly_on_bad_files(tmp_path):
    path = _saved(tmp_path)
    done = subprocess.run([sys.executable, "-m", "loom.inspect", str(path)], capture_output=True, text=True)
    assert done.returncode == 0 and "Model file:" in done.stdout
    assert loom_inspect.main([str(tmp_path / "missing.loom")]) == 1
    (tmp_path / "bad.loom").write_bytes(b"not a zip")
    assert loom_inspect.main([str(tmp_path / "bad.loom")]) == 1


def test_describe_shows_each_tensors_sha256_and_verifies_it(tmp_path):
    path = _saved(tmp_path)
    with zipfile.ZipFile(path) as archive:
        digests = json.loads(archive.read("metadata.json"))["weights_sha256"]
    text = loom_inspect.describe(path)
    assert "Weights SHA-256 (recorded when written; all 8 verified):" in text
    assert re.search(rf"hidden/kernel\s+\(3, 4\)\s+float32\s+{digests['hidden/kernel']}\s+ok", text)
    assert "NaN/Inf: none" in text
    assert loom_inspect.main([str(path)]) == 0


def test_a_tampered_file_is_reported_tensor_by_tensor_and_fails_the_command(tmp_path, capsys):
    path = _saved(tmp_path)

    def flip(members):
        data = bytearray(members["model.safetensors"])
        start = tensor_span(bytes(data), "hidden/bias").start
        data[start + 2 : start + 4] = b"\xc0\x7f"  # the first bias, 0.0, becomes a NaN (little-endian)
        members["model.safetensors"] = bytes(data)

    rewrite_members(path, flip)
    text, intact = loom_inspect.report(path)
    assert not intact and "1 of 8 DO NOT MATCH" in text
    assert re.search(r"hidden/bias\s+\(4,\)\s+float32\s+[0-9a-f]{64}\s+MISMATCH \(file holds [0-9a-f]{16}", text)
    assert re.search(r"hidden/kernel\s.*\sok", text)
    assert "NaN/Inf in 1 tensor(s): hidden/bias (1 NaN, 0 Inf)" in text
    assert loom_inspect.main([str(path)]) == 1
    assert "differ from the SHA-256" in capsys.readouterr().err


def test_a_file_written_before_digests_is_described_as_unverifiable(tmp_path):
    path = _saved(tmp_path)
    rewrite_metadata(path, lambda m: m.update(format_version=1) or m.pop("weights_sha256"))
    text = loom_inspect.describe(path)
    assert "format_version: 1" in text and "Weights SHA-256: none recorded (format version 1" in text


def _keras_format_model():
    inputs = loom.Input((3,), name="x")
    hidden = layers.Dense(4, name="hidden")(inputs)
    model = loom.Model(inputs, layers.Dense(2, name="out")(hidden), name="exchanged")
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)
    return model


def test_a_keras_format_file_is_described_from_its_config_and_hdf5_structure(tmp_path):
    path = tmp_path / "m.keras"
    _keras_format_model().save(path)
    text, intact = loom_inspect.report(path)
    assert intact
    assert "format: Keras 3 (.keras: config.json, model.weights.h5)" in text
    assert re.search(r"^hidden \(Dense\) +\(None, 4\) +16 +x\[0\]\[0\] *$", text, re.MULTILINE), text
    assert re.search(r"^out \(Dense\) +\S+ +10 +hidden\[0\]\[0\] *$", text, re.MULTILINE), text
    assert "Weights: 4 tensors, 26 parameters (104 bytes)" in text
    assert "Optimizer state: 10 tensors" in text
    assert re.search(r"recorded when loom wrote it\): [0-9a-f]{64}  ok$", text, re.MULTILINE)


def test_a_keras_format_file_with_edited_weights_fails_the_command(tmp_path, capsys):
    path = tmp_path / "m.keras"
    _keras_format_model().save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    weights = bytearray(members["model.weights.h5"])
    weights[-8] ^= 0xFF  # a byte of the last dataset's data
    members["model.weights.h5"] = bytes(weights)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    assert loom_inspect.main([str(path)]) == 1
    captured = capsys.readouterr()
    assert "MISMATCH" in captured.out and "load_model will refuse it" in captured.out


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_a_file_written_by_keras_is_described_as_unverifiable(tmp_path):
    import keras

    inputs = keras.Input((3,), name="x")
    model = keras.Model(inputs, keras.layers.Dense(2, name="out")(inputs))
    path = tmp_path / "from_keras.keras"
    model.save(path)
    text, intact = loom_inspect.report(path)
    assert intact and "none recorded (written by Keras)" in text
    assert re.search(r"^out \(Dense\) +\S+ +8 +x\[0\]\[0\] *$", text, re.MULTILINE), text
