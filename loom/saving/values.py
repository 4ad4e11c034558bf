"""Plain values in configs: JSON for literals, tagged dicts for tuples, slices, arrays, dtypes.

The tags follow Keras 3 where it has them (``__numpy__``, ``__slice__``,
``__ellipsis__``); loom adds ``__tuple__`` (an op's index ``x[:, 0]`` differs
from ``x[[slice, 0]]``), ``__array__`` (an array kept in the weights file,
referred to by name), ``__variable__`` and ``__dtype__``.
"""

import jax
import numpy as np

from loom.saving import scope as scope_module
from loom.saving.errors import ConfigError, SerializationError
from loom.saving.weights import DTYPES
from loom.state.variable import Variable

VALUE_TAGS = frozenset(
    {"__tuple__", "__slice__", "__ellipsis__", "__numpy__", "__array__", "__variable__", "__dtype__"}
)
_JSON_SCALARS = (str, int, float, bool, type(None))
# Only these dtypes may be named in a config (np.dtype("U999999999") would allocate gigabytes).
_DTYPES_BY_NAME = {dtype.name: dtype for dtype in DTYPES.values()}


def dtype_from_name(name) -> np.dtype:
    """The NumPy dtype a config names, among the numeric dtypes loom stores."""
    dtype = _DTYPES_BY_NAME.get(name) if isinstance(name, str) else None
    if dtype is None:
        raise ConfigError(
            f"Unknown or unsupported dtype {name!r} in the config; expected one of {sorted(_DTYPES_BY_NAME)}."
        )
    return dtype


def _is_dtype_like(value) -> bool:
    return isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic))


def encode_array(value, hint: str = "array") -> dict:
    """An array as a reference into the weights file (while saving) or inline (``to_json``)."""
    array = np.asarray(value)
    scalar = isinstance(value, np.generic)
    saving = scope_module.current_saving()
    if saving is not None and saving.collect_arrays:
        key = saving.add_array(hint, array)
        config = {"key": key, "shape": list(array.shape), "dtype": array.dtype.name}
        if scalar:
            config["scalar"] = True
        return {"class_name": "__array__", "config": config}
    if array.dtype.name not in _DTYPES_BY_NAME or array.dtype.kind == "c":
        raise SerializationError(f"Cannot write an array of dtype {array.dtype.name} inline in JSON.")
    # Through float64, every float dtype (bfloat16 too) gives exact JSON numbers.
    listed = array.astype("float64").tolist() if array.dtype.kind not in "biu" else array.tolist()
    config = {"value": listed, "dtype": array.dtype.name}
    if scalar or array.ndim == 0:
        config["shape"] = list(array.shape)
        config["scalar"] = scalar
    return {"class_name": "__numpy__", "config": config}


def encode_value(value, hint: str = "value", keep_tuples: bool = False, fallback=None):
    """A JSON-ready form of ``value``.

    Args:
        hint: a name for arrays stored in the weights file.
        keep_tuples: tag tuples so they come back as tuples (lists otherwise, as Keras).
        fallback: ``fallback(value, hint)`` for values this module does not know
            (objects with ``get_config``, functions); None raises.
    """
    if isinstance(value, _JSON_SCALARS):
        return value
    if isinstance(value, np.generic) and not isinstance(value, (np.ndarray,)) and not keep_tuples:
        return value.item()
    if isinstance(value, list) or (isinstance(value, tuple) and not keep_tuples):
        return [encode_value(v, f"{hint}_{i}", keep_tuples, fallback) for i, v in enumerate(value)]
    if isinstance(value, tuple):
        items = [encode_value(v, f"{hint}_{i}", keep_tuples, fallback) for i, v in enumerate(value)]
        return {"class_name": "__tuple__", "config": {"value": items}}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise SerializationError(f"Cannot write a dict with non-string keys ({hint}): {list(value)[:5]}.")
        return {k: encode_value(v, f"{hint}_{k}" if hint else k, keep_tuples, fallback) for k, v in value.items()}
    if isinstance(value, slice):
        parts = (value.start, value.stop, value.step)
        start, stop, step = (encode_value(p, hint, keep_tuples, fallback) for p in parts)
        return {"class_name": "__slice__", "config": {"start": start, "stop": stop, "step": step}}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(value, Variable):
        return {
            "class_name": "__variable__",
            "config": {
                "value": encode_array(value.numpy(), hint),
                "name": value.name,
                "trainable": value.trainable,
                "dtype": value.dtype,
            },
        }
    if isinstance(value, (np.ndarray, np.generic, jax.Array)):
        return encode_array(value, hint)
    if _is_dtype_like(value):
        return {"class_name": "__dtype__", "config": {"name": np.dtype(value).name}}
    if fallback is not None:
        return fallback(value, hint)
    raise SerializationError(f"Cannot write {hint}={value!r} ({type(value).__name__}) in a config.")


def _decode_array(config: dict) -> np.ndarray:
    if config.get("class_name") == "__numpy__":
        inner = config.get("config")
        if not isinstance(inner, dict) or "value" not in inner:
            raise ConfigError(f"A '__numpy__' entry needs config.value; received {config!r:.200}.")
        dtype = dtype_from_name(inner.get("dtype", "float32"))
        try:
            array = np.asarray(inner["value"], dtype=dtype)
        except (TypeError, ValueError, OverflowError) as err:
            raise ConfigError(f"Cannot read an inline array: {err}") from None
        if "shape" in inner and list(array.shape) != list(inner["shape"]):
            raise ConfigError(f"An inline array has shape {array.shape}, not the declared {inner['shape']}.")
        return array[()] if inner.get("scalar") else array
    inner = config.get("config")
    if not isinstance(inner, dict):
        raise ConfigError("An '__array__' entry needs a config with 'key', 'shape' and 'dtype'.")
    loading = scope_module.current_loading()
    if loading is None:
        raise ConfigError(f"The config refers to the stored array {inner.get('key')!r}, but no weights file is open.")
    array = loading.array(inner.get("key"), inner.get("shape"), inner.get("dtype"))
    return array[()] if inner.get("scalar") else array


def decode_value(value, fallback=None):
    """Inverse of ``encode_value``; ``fallback(dict)`` handles other tagged dicts (objects)."""
    if isinstance(value, list):
        return [decode_value(v, fallback) for v in value]
    if not isinstance(value, dict):
        return value
    tag = value.get("class_name")
    if tag in VALUE_TAGS and set(value) <= {"class_name", "config", "module", "registered_name"}:
        return _decode_tagged(tag, value, fallback)
    if fallback is not None and isinstance(tag, str) and "config" in value:
        return fallback(value)
    return {k: decode_value(v, fallback) for k, v in value.items()}


def _decode_tagged(tag: str, value: dict, fallback):
    config = value.get("config")
    if tag in ("__numpy__", "__array__"):
        return _decode_array(value)
    if not isinstance(config, dict):
        raise ConfigError(f"A '{tag}' entry needs a config object; received {config!r:.200}.")
    if tag == "__tuple__":
        items = config.get("value")
        if not isinstance(items, list):
            raise ConfigError("A '__tuple__' entry needs config.value, a list.")
        return tuple(decode_value(v, fallback) for v in items)
    if tag == "__slice__":
        parts = [decode_value(config.get(k), fallback) for k in ("start", "stop", "step")]
        if not all(p is None or isinstance(p, (int, np.integer)) for p in parts):
            raise ConfigError(f"Slice bounds must be integers or null; received {parts}.")
        return slice(*parts)
    if tag == "__ellipsis__":
        return Ellipsis
    if tag == "__dtype__":
        return dtype_from_name(config.get("name")).type
    array = decode_value(config.get("value"), fallback)  # __variable__
    if not isinstance(array, np.ndarray) or not isinstance(config.get("name"), str):
        raise ConfigError("A '__variable__' entry needs an array value and a name.")
    dtype = dtype_from_name(config.get("dtype", array.dtype.name))
    return Variable(array, dtype=dtype.name, trainable=bool(config.get("trainable", True)), name=config["name"])
