"""A fixture for test folders whose tests change global settings of loom and Keras
(floatx, policies, run limits, switches): each test gets them back afterwards.
A folder's conftest.py imports ``restore_global_config`` to use it."""

import types

import pytest
from keras.src.backend import config as keras_config
from keras.src.backend.common import global_state as keras_global_state

from loom.config import defaults, dtype_policies, run_limits, switches

_LOOM_MODULES = (defaults, dtype_policies, run_limits, switches)
_KERAS_CONFIG = ("_FLOATX", "_EPSILON", "_IMAGE_DATA_FORMAT", "_MAX_EPOCHS", "_MAX_STEPS_PER_EPOCH")
_KERAS_GLOBALS = ("dtype_policy", "flash_attention", "traceback_filtering", "interactive_logging", "safe_mode_saving")


def _settings(module) -> dict:
    return {
        name: value
        for name, value in vars(module).items()
        if name.startswith("_") and not name.startswith("__") and not callable(value)
        and not isinstance(value, types.ModuleType)
    }


@pytest.fixture(autouse=True)
def restore_global_config():
    loom_saved = {module: _settings(module) for module in _LOOM_MODULES}
    keras_saved = {name: getattr(keras_config, name) for name in _KERAS_CONFIG}
    keras_globals = {name: keras_global_state.get_global_attribute(name) for name in _KERAS_GLOBALS}
    yield
    for module, saved in loom_saved.items():
        vars(module).update(saved)
    for name, value in keras_saved.items():
        setattr(keras_config, name, value)
    for name, value in keras_globals.items():
        keras_global_state.set_global_attribute(name, value)
