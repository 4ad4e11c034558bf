"""The on/off switches of loom.config give the same answers as Keras's after the same calls."""

import keras
import numpy as np
import pytest

import loom
from loom import config
from loom.config import switches

SEQUENCES = {
    "traceback_filtering": (
        "is_traceback_filtering_enabled",
        ["disable_traceback_filtering", "enable_traceback_filtering", "disable_traceback_filtering"],
    ),
    "interactive_logging": (
        "is_interactive_logging_enabled",
        ["disable_interactive_logging", "enable_interactive_logging", "disable_interactive_logging"],
    ),
    "flash_attention": (
        "is_flash_attention_enabled",
        ["disable_flash_attention", "enable_flash_attention", "disable_flash_attention"],
    ),
}


@pytest.mark.parametrize("switch", sorted(SEQUENCES))
def test_switch_answers_as_keras_after_each_call(switch):
    getter, calls = SEQUENCES[switch]
    answers = [getattr(config, getter)()]
    keras_answers = [getattr(keras.config, getter)()]
    for call in calls:
        getattr(config, call)()
        getattr(keras.config, call)()
        answers.append(getattr(config, getter)())
        keras_answers.append(getattr(keras.config, getter)())
    assert answers == keras_answers
    assert len(set(map(repr, answers))) == 2  # the switch did change


def test_defaults_match_keras():
    for getter in ("is_traceback_filtering_enabled", "is_interactive_logging_enabled", "is_flash_attention_enabled"):
        assert getattr(config, getter)() == getattr(keras.config, getter)(), getter
    assert config.is_nnx_enabled() is False is keras.config.is_nnx_enabled()


def test_unsafe_deserialization_is_recorded_for_loom_saving():
    assert not switches.is_unsafe_deserialization_enabled()
    config.enable_unsafe_deserialization()
    assert switches.is_unsafe_deserialization_enabled()
    switches.disable_unsafe_deserialization()
    assert not switches.is_unsafe_deserialization_enabled()


def _doubles(x):
    if True:  # an `if` statement: safe mode refuses to run this stored source
        return x * 2.0
    return x


def test_enable_unsafe_deserialization_lets_load_model_run_stored_code(tmp_path):
    model = loom.Sequential([loom.Input((2,)), loom.layers.Lambda(_doubles)])
    path = str(tmp_path / "lambda.keras")
    model.save(path)
    with pytest.raises(ValueError, match="safe mode refuses"):
        loom.saving.load_model(path)
    config.enable_unsafe_deserialization()
    restored = loom.saving.load_model(path)
    np.testing.assert_allclose(restored.predict(np.ones((1, 2), "float32"), verbose=0), [[2.0, 2.0]])


def test_utils_interactive_logging_is_the_config_switch():
    config.disable_interactive_logging()
    assert loom.utils.is_interactive_logging_enabled() is False
    loom.utils.enable_interactive_logging()
    assert config.is_interactive_logging_enabled() is True
