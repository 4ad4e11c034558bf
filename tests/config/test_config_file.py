"""keras.json: where loom looks for it, which keys it applies, and that import applies them."""

import json
import os
import subprocess
import sys

import pytest

from loom import config
from loom.config import config_file


def _write(folder, content) -> str:
    path = os.path.join(folder, "keras.json")
    with open(path, "w", encoding="utf-8") as file:
        file.write(content if isinstance(content, str) else json.dumps(content))
    return path


def test_config_path_prefers_loom_home_then_keras_home_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LOOM_HOME", raising=False)
    monkeypatch.delenv("KERAS_HOME", raising=False)
    assert config_file.config_path() == str(tmp_path / "home" / ".keras" / "keras.json")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    assert config_file.config_path() == str(tmp_path / "keras" / "keras.json")
    monkeypatch.setenv("LOOM_HOME", str(tmp_path / "loom"))
    assert config_file.config_path() == str(tmp_path / "loom" / "keras.json")


def test_a_keras_written_file_applies_its_settings_and_ignores_the_backend(tmp_path):
    path = _write(
        tmp_path,
        {"floatx": "float16", "epsilon": 1e-05, "backend": "tensorflow", "image_data_format": "channels_first"},
    )
    applied = config_file.load_config_file(path)
    assert applied == {"floatx": "float16", "epsilon": 1e-05, "image_data_format": "channels_first"}
    assert (config.floatx(), config.epsilon(), config.image_data_format()) == ("float16", 1e-05, "channels_first")
    assert config.backend() == "jax"


@pytest.mark.parametrize("content", ["not json {", "[1, 2]", {}])
def test_missing_unparsable_or_empty_files_change_nothing(tmp_path, content):
    assert config_file.load_config_file(_write(tmp_path, content)) == {}
    assert config_file.load_config_file(str(tmp_path / "absent.json")) == {}
    assert (config.floatx(), config.image_data_format()) == ("float32", "channels_last")


@pytest.mark.parametrize(
    "content, match",
    [
        ({"floatx": "bfloat16"}, "`floatx` must be 'float16', 'float32' or 'float64'; received 'bfloat16'"),
        ({"epsilon": 1}, "`epsilon` must be a non-negative float"),
        ({"image_data_format": "last"}, "`image_data_format` must be 'channels_last' or 'channels_first'"),
    ],
)
def test_bad_entries_name_the_file_and_the_key(tmp_path, content, match):
    path = _write(tmp_path, content)
    with pytest.raises(ValueError, match=match) as info:
        config_file.load_config_file(path)
    assert path in str(info.value) and "Fix or delete the entry" in str(info.value)


def test_importing_loom_reads_loom_home_and_the_run_limit_variables(tmp_path):
    _write(tmp_path, {"epsilon": 0.001, "image_data_format": "channels_first"})
    environment = {**os.environ, "LOOM_HOME": str(tmp_path), "KERAS_MAX_EPOCHS": "3"}
    code = (
        "import loom\n"
        "print(loom.config.epsilon(), loom.config.image_data_format(), loom.config.max_epochs(),"
        " loom.layers.Conv2D(1, 1).data_format)"
    )
    result = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["0.001", "channels_first", "3", "channels_first"]
