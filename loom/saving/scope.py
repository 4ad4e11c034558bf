"""The context of one save or load: where arrays go or come from, safe mode, custom objects.

``serialize_keras_object`` and ``deserialize_keras_object`` recurse through
``get_config`` / ``from_config`` of classes that know nothing about files; the
innermost calls still need to know where an array is stored and whether code
may run. As in Keras (``SafeModeScope``, ``CustomObjectScope``), that context
lives in a thread-local stack for the duration of the outer call.
"""

import contextlib
import math
import threading

import numpy as np

from loom.config import switches
from loom.saving.errors import ConfigError
from loom.state import variable as variable_module

_local = threading.local()


def _stack(kind: str) -> list:
    if not hasattr(_local, kind):
        setattr(_local, kind, [])
    return getattr(_local, kind)


class SavingScope:
    """Collects the arrays a config refers to (graph constants, Lambda captures).

    Args:
        collect_arrays: True to store arrays under names (written to the
            weights file); False to write them inline in the JSON (``to_json``).
    """

    def __init__(self, collect_arrays: bool):
        self.collect_arrays = collect_arrays
        self.arrays = {}
        self._path = []

    def add_array(self, hint: str, value) -> str:
        """Store ``value`` under a unique name built from the current path and ``hint``."""
        base = "/".join(["__arrays__", *self._path, hint])
        key, suffix = base, 1
        while key in self.arrays:
            key, suffix = f"{base}_{suffix}", suffix + 1
        self.arrays[key] = np.asarray(value)
        return key

    @contextlib.contextmanager
    def naming(self, part: str):
        """Arrays stored inside the block get ``part`` in their names."""
        self._path.append(str(part).replace("/", "_") or "_")
        try:
            yield
        finally:
            self._path.pop()


class LoadingScope:
    """What deserialization may use: stored arrays, safe mode, custom objects.

    Args:
        arrays: a ``SafetensorsFile`` (or mapping name -> array) holding the
            arrays the config refers to, or None when the config is self-contained.
        safe_mode: refuse code stored in the file unless False.
        custom_objects: ``{name: class or function}`` the caller allows.
    """

    def __init__(self, arrays=None, safe_mode: bool = True, custom_objects: dict | None = None):
        self._arrays = arrays
        # keras.config.enable_unsafe_deserialization() turns safe mode off everywhere, as in Keras.
        self.safe_mode = bool(safe_mode) and not switches.is_unsafe_deserialization_enabled()
        self.custom_objects = dict(custom_objects or {})
        self.used_keys = set()
        # Bytes of variables the model being built may still create (None: no limit).
        self.variable_budget = None

    def charge(self, shape, dtype, name: str) -> None:
        """Count a new variable against the budget; refuse it when the file cannot fill it."""
        if self.variable_budget is None:
            return
        self.variable_budget -= math.prod(shape) * np.dtype(dtype).itemsize
        if self.variable_budget < 0:
            raise ConfigError(
                f"The config describes more weights than the file holds: creating variable '{name}' of "
                f"shape {tuple(shape)} ({dtype}) exceeds the weights stored in the file. Refusing to allocate "
                "memory for a model the file cannot fill (a damaged or hostile file)."
            )

    def array(self, key, shape=None, dtype=None) -> np.ndarray:
        if not isinstance(key, str):
            raise ConfigError(f"An array reference must name its tensor with a string; received {key!r}.")
        if self._arrays is None or key not in self._arrays:
            raise ConfigError(f"The config refers to the stored array {key!r}, which the weights file does not hold.")
        value = self._arrays.array(key) if hasattr(self._arrays, "array") else np.asarray(self._arrays[key])
        if shape is not None and list(value.shape) != list(shape) or dtype is not None and value.dtype.name != dtype:
            raise ConfigError(
                f"The stored array {key!r} has shape {tuple(value.shape)} and dtype {value.dtype.name}; the config "
                f"declares shape {shape} and dtype {dtype}."
            )
        self.used_keys.add(key)
        # A copy: a view would keep the whole file's bytes alive as long as the model.
        return np.array(value)


@contextlib.contextmanager
def saving(collect_arrays: bool):
    scope = SavingScope(collect_arrays)
    _stack("saving").append(scope)
    try:
        yield scope
    finally:
        _stack("saving").pop()


@contextlib.contextmanager
def loading(arrays=None, safe_mode: bool = True, custom_objects: dict | None = None):
    scope = LoadingScope(arrays, safe_mode, custom_objects)
    _stack("loading").append(scope)
    try:
        yield scope
    finally:
        _stack("loading").pop()


def current_saving() -> SavingScope | None:
    stack = _stack("saving")
    return stack[-1] if stack else None


def current_loading() -> LoadingScope | None:
    stack = _stack("loading")
    return stack[-1] if stack else None


@contextlib.contextmanager
def ensure_loading(safe_mode: bool = True, custom_objects: dict | None = None):
    """The active loading scope (with ``custom_objects`` added), or a new one."""
    scope = current_loading()
    if scope is None:
        with loading(None, safe_mode, custom_objects) as scope:
            yield scope
        return
    previous = scope.custom_objects
    scope.custom_objects = {**previous, **(custom_objects or {})}
    try:
        yield scope
    finally:
        scope.custom_objects = previous


def _check_variable_creation(shape, dtype, name: str) -> None:
    loading = current_loading()
    if loading is not None:
        loading.charge(shape, dtype, name)


variable_module.creation_check = _check_variable_creation
