"""The ``keras.json`` file of defaults, read once when loom is imported.

loom reads the same file as Keras, so a user's Keras settings carry over to
``import loom as keras``: ``$LOOM_HOME/keras.json`` if ``LOOM_HOME`` is set (a
loom-only folder), else ``$KERAS_HOME/keras.json`` if ``KERAS_HOME`` is set, else
``~/.keras/keras.json``. Keys read: ``floatx``, ``epsilon``,
``image_data_format``. ``backend`` is ignored (Keras writes "tensorflow" there
by default; loom always runs on JAX), as is ``nnx_enabled``. Unlike Keras,
loom never creates or writes the file.
"""

import json
import os

from loom.config import defaults

_FILE_NAME = "keras.json"


def config_path() -> str:
    """Where loom looks for ``keras.json`` (the file need not exist)."""
    for variable in ("LOOM_HOME", "KERAS_HOME"):
        folder = os.environ.get(variable)
        if folder:
            return os.path.join(os.path.expanduser(folder), _FILE_NAME)
    return os.path.join(os.path.expanduser("~"), ".keras", _FILE_NAME)


def read_config_file(path: str) -> dict:
    """The settings ``path`` holds, checked: ``{"floatx": ..., "epsilon": ..., "image_data_format": ...}``
    (only the keys present). A missing or unparsable file gives ``{}``, as in Keras."""
    try:
        with open(path, encoding="utf-8") as file:
            config = json.load(file)
    except (OSError, ValueError):
        return {}
    if not isinstance(config, dict):
        return {}
    settings = {}
    if "floatx" in config:
        # Keras's file accepts these three (not bfloat16).
        if config["floatx"] not in ("float16", "float32", "float64"):
            raise ValueError(
                f"{path}: `floatx` must be 'float16', 'float32' or 'float64'; received {config['floatx']!r}. "
                "Fix or delete the entry."
            )
        settings["floatx"] = config["floatx"]
    if "epsilon" in config:
        if not isinstance(config["epsilon"], float) or config["epsilon"] < 0:
            raise ValueError(
                f"{path}: `epsilon` must be a non-negative float such as 1e-07; received {config['epsilon']!r}. "
                "Fix or delete the entry."
            )
        settings["epsilon"] = config["epsilon"]
    if "image_data_format" in config:
        if config["image_data_format"] not in ("channels_last", "channels_first"):
            raise ValueError(
                f"{path}: `image_data_format` must be 'channels_last' or 'channels_first'; received "
                f"{config['image_data_format']!r}. Fix or delete the entry."
            )
        settings["image_data_format"] = config["image_data_format"]
    return settings


def load_config_file(path: str | None = None) -> dict:
    """Apply the settings of ``path`` (default ``config_path()``); returns what was applied."""
    settings = read_config_file(config_path() if path is None else path)
    if "floatx" in settings:
        defaults.set_floatx(settings["floatx"])
    if "epsilon" in settings:
        defaults.set_epsilon(settings["epsilon"])
    if "image_data_format" in settings:
        defaults.set_image_data_format(settings["image_data_format"])
    return settings
