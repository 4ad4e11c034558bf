"""Objects to configs and back, in Keras's format: ``{"module", "class_name", "config", "registered_name"}``.

``serialize_keras_object`` turns layers, models, initializers, losses,
optimizers, functions (see ``lambda_source``) and plain values (see
``values``) into JSON-ready data; layers also carry ``"build_config"``.
``deserialize_keras_object`` reverses it, finding every class and function
through the registry only. Nested objects inside a config (a custom
initializer in a layer's config, a custom cell in an RNN's) are rebuilt before
the outer ``from_config`` runs when they are custom, so ``custom_objects``
reach them; built-in ones are left as dicts for the outer class, as in Keras.
Layers nested in the config of a user's class (a wrapper whose ``get_config``
returns ``{"layer": self.inner}``) stay dicts, as Keras gives them to its
``from_config`` or ``__init__``: the user's code rebuilds them with
``loom.layers.deserialize``, inside the same loading scope.
"""

import inspect

import numpy as np

from loom.layers.core import Lambda
from loom.layers.input_layer import InputLayer
from loom.layers.layer import Layer
from loom.saving import lambda_source, registry, values
from loom.saving import scope as scope_module
from loom.saving.errors import ConfigError, SavingError, SerializationError, UnknownObjectError

_FUNCTION_TAGS = ("function", lambda_source.SOURCE_TAG, "__lambda__")
# Which built-in module name a family's objects are written with.
_FAMILY_MODULES = (
    ("models", "loom.models"),
    ("layers", "loom.layers"),
    ("initializers", "loom.initializers"),
    ("regularizers", "loom.regularizers"),
    ("constraints", "loom.constraints"),
    ("losses", "loom.losses"),
    ("metrics", "loom.metrics"),
    ("schedules", "loom.optimizers.schedules"),
    ("optimizers", "loom.optimizers"),
    ("policies", "loom.layers"),
)


# --- writing ------------------------------------------------------------------------------
def _builtin_module(cls) -> str | None:
    tables = registry.builtin_tables()
    for category, module in _FAMILY_MODULES:
        if tables[category].get(cls.__name__) is cls:
            return module
    return None


def serialize_function(function, what: str = "A function") -> dict:
    """A function by registered or built-in name, else as source (see ``lambda_source``)."""
    return lambda_source.serialize_function(function, what)


def _fallback(value, hint):
    if hasattr(value, "get_config") and not inspect.isclass(value):
        return serialize_keras_object(value)
    if callable(value) and not inspect.isclass(value):
        return serialize_function(value, f"`{hint}`")
    raise SerializationError(f"Cannot write `{hint}` = {value!r} ({type(value).__name__}) in a config.")


def _encode(value, hint: str, keep_tuples: bool = False):
    return values.encode_value(value, hint=hint, keep_tuples=keep_tuples, fallback=_fallback)


def _lambda_config(layer: Lambda, config: dict) -> dict:
    what = f"{layer.describe()}"
    config = dict(config)
    config["function"] = serialize_function(layer.function, what)
    output_shape = config.get("output_shape")
    if callable(output_shape):
        config["output_shape"] = serialize_function(output_shape, f"{what} (output_shape)")
    config["arguments"] = _encode(layer.arguments, "arguments", keep_tuples=True)
    if callable(layer.mask):
        config["mask"] = serialize_function(layer.mask, f"{what} (mask)")
    elif layer.mask is not None:
        config["mask"] = _encode(layer.mask, "mask", keep_tuples=True)
    return config


def _object_config(obj) -> dict:
    """The inner ``config`` of an object: its ``get_config()``, with special cases and values encoded."""
    try:
        config = obj.get_config()
    except SavingError:
        raise
    except (NotImplementedError, ValueError, TypeError) as err:
        raise SerializationError(f"Cannot save {obj!r}: {err}") from err
    if not isinstance(config, dict):
        kind = type(config).__name__
        raise SerializationError(f"{type(obj).__name__}.get_config() must return a dict; it returned a {kind}.")
    if isinstance(obj, Lambda):
        config = _lambda_config(obj, config)
    elif isinstance(obj, InputLayer) and obj.is_constant:
        config = {**config, "input_tensor": _encode(obj._constant, "input_tensor")}
    return _encode(config, "")


def serialize_keras_object(obj):
    """A JSON-ready description of ``obj`` that ``deserialize_keras_object`` rebuilds.

    Args:
        obj: a layer, model, initializer, regularizer, constraint, loss,
            metric, optimizer, schedule, function, array or plain value.

    Returns:
        Plain values unchanged (lists for tuples), arrays as ``__numpy__``
        (or, while saving a model file, as references into its weights),
        functions as ``{"class_name": "function", ...}`` or their source, and
        objects as ``{"module", "class_name", "config", "registered_name"}``
        (plus ``"build_config"`` for built layers).

    Example:
        >>> serialize_keras_object(loom.initializers.Zeros())["class_name"]
        'Zeros'
    """
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple, dict, np.ndarray, np.generic)) or not (
        hasattr(obj, "get_config") or callable(obj)
    ):
        return _encode(obj, "value")
    if not hasattr(obj, "get_config") or inspect.isclass(obj):
        return serialize_function(obj)
    cls = type(obj)
    module = _builtin_module(cls)
    registered = None if module is not None else registry.get_registered_name(cls)
    saving = scope_module.current_saving()
    name = getattr(obj, "name", None) if isinstance(obj, Layer) else None
    if saving is not None and name:
        with saving.naming(name):
            config = _object_config(obj)
    else:
        config = _object_config(obj)
    result = {
        "module": module or cls.__module__,
        "class_name": cls.__name__,
        "config": config,
        "registered_name": registered,
    }
    if isinstance(obj, Layer):
        build_config = obj.get_build_config()
        if build_config is not None:
            result["build_config"] = _encode(build_config, "build_config")
    return result


# --- reading ------------------------------------------------------------------------------
def _to_shapes(value):
    """JSON lists back to the tuples build() expects: a list of ints/None is one shape."""
    if isinstance(value, list):
        if all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in value):
            return tuple(value)
        return [_to_shapes(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_shapes(v) for k, v in value.items()}
    return value


def _is_custom(entry: dict, loading) -> bool:
    """Whether a nested entry names a custom object (rebuilt here) rather than a built-in one."""
    if registry.builtin_named(entry.get("class_name"), entry.get("module"), entry.get("registered_name")) is not None:
        return False  # a built-in stays one, whatever custom_objects name (see registry.builtin_named)
    names = [n for n in (entry.get("registered_name"), entry.get("class_name")) if isinstance(n, str)]
    caller = {**registry.scoped_objects(), **loading.custom_objects}
    if any(n in caller for n in names):
        return True
    if registry.find_registered(entry.get("class_name"), entry.get("registered_name")) is not None:
        return True
    return registry.category_of(entry.get("module")) is None


def _names_a_layer(entry: dict, loading) -> bool:
    """Whether a nested entry names a layer (or model) class."""
    try:
        cls = registry.resolve(
            entry.get("class_name"), entry.get("module"), entry.get("registered_name"), loading.custom_objects
        )
    except UnknownObjectError:
        return False  # left to _deserialize, which names the problem
    return inspect.isclass(cls) and issubclass(cls, Layer)


def _has_own_from_config(cls) -> bool:
    """Whether ``cls`` is the user's class (defined outside loom): its ``from_config``, its
    own or Keras's default ``cls(**config)``, receives nested layers as Keras's dicts."""
    return not cls.__module__.startswith("loom.")


def _decode_nested(value, loading, what: str = "A function in the config", keep_layers: bool = False):
    """Values, functions and custom objects inside a config; built-in object entries stay dicts,
    and with ``keep_layers`` so do layer entries, exactly as stored."""

    def fallback(entry):
        tag = entry["class_name"]
        if tag in _FUNCTION_TAGS:
            return lambda_source.deserialize_function(entry, what)
        if tag == "__keras_tensor__":
            raise ConfigError("A symbolic tensor ('__keras_tensor__') appears outside a functional model's nodes.")
        if keep_layers and _names_a_layer(entry, loading):
            return entry
        if _is_custom(entry, loading):
            return _deserialize(entry, loading)
        return {k: (_decode_nested(v, loading, what) if k == "config" else v) for k, v in entry.items()}

    return values.decode_value(value, fallback)


def _call_from_config(cls, config: dict, loading):
    from_config = getattr(cls, "from_config", None)
    if from_config is None:
        return cls(**config)
    try:
        parameters = inspect.signature(from_config).parameters
    except (TypeError, ValueError):
        parameters = {}
    if "custom_objects" in parameters:
        return from_config(config, custom_objects=registry.custom_objects_with(loading.custom_objects))
    return from_config(config)


def _deserialize(config, loading, build: bool = True):
    if config is None or isinstance(config, (int, float, bool)):
        return config
    if isinstance(config, str):
        found = {**registry.custom_objects_with(None), **loading.custom_objects}.get(config)
        return found if found is not None else config
    if isinstance(config, list):
        return [_deserialize(c, loading, build) for c in config]
    if not isinstance(config, dict):
        raise ConfigError(f"Unexpected value in a config: {config!r:.200}.")
    tag = config.get("class_name")
    if not isinstance(tag, str):
        return {k: _deserialize(v, loading, build) for k, v in config.items()}
    if tag in values.VALUE_TAGS:
        return values.decode_value(config)
    if tag in _FUNCTION_TAGS:
        return lambda_source.deserialize_function(config, "A function in the config")
    cls = registry.resolve(tag, config.get("module"), config.get("registered_name"), loading.custom_objects)
    inner = config.get("config", {})
    if inner is None:
        inner = {}
    if not isinstance(inner, dict):
        raise ConfigError(f"The config of {tag!r} must be an object; received {type(inner).__name__}.")
    if not inspect.isclass(cls):
        if inner:
            raise ConfigError(f"{tag!r} resolves to {cls!r}, which is not a class, but the entry has a config.")
        return cls
    # A model's config lists layer entries that its own from_config rebuilds, in graph order.
    if not issubclass(cls, registry.builtin_model_classes()["Functional"]):
        name = inner.get("name")
        what = f"{tag} '{name}'" if isinstance(name, str) else f"A {tag}"
        inner = _decode_nested(inner, loading, what, keep_layers=_has_own_from_config(cls))
    obj = _call_from_config(cls, inner, loading)
    build_config = config.get("build_config")
    if build and isinstance(obj, Layer) and isinstance(build_config, dict) and not obj.built:
        obj.build_from_config(_to_shapes(build_config))
    return obj


def deserialize_keras_object(config, custom_objects: dict | None = None, safe_mode: bool = True, **kwargs):
    """Rebuild an object from ``serialize_keras_object``'s output (Keras's files work too).

    Args:
        config: the serialized object (a dict, a name, a list, or a plain value).
        custom_objects: ``{name: class or function}`` for names that are not
            loom built-ins or registered; used before both.
        safe_mode: refuse code stored in the config (a Lambda's source runs in
            the restricted evaluator); ``False`` runs it with Python.
        **kwargs: Keras's ``module_objects`` / ``printable_module_name`` are
            accepted and ignored: loom never looks names up in modules.

    Raises:
        UnknownObjectError: a name resolves to nothing loom will build.
        UnsafeCodeError: safe mode refuses stored code.
        ConfigError: the config is malformed or the object cannot be built from it.
    """
    with scope_module.ensure_loading(safe_mode, custom_objects) as loading:
        return build_guarded(lambda: _deserialize(config, loading), "the object")


def build_guarded(build, what: str):
    """Run ``build``; errors from classes' own code become a ConfigError naming ``what``."""
    try:
        return build()
    except SavingError:
        raise
    except RecursionError:
        raise ConfigError(f"Building {what} from its config recursed too deeply.") from None
    except Exception as err:  # noqa: BLE001 - any failure of user or layer code while rebuilding
        raise ConfigError(f"Cannot rebuild {what} from its config: {type(err).__name__}: {err}") from err


def serialize_layer(layer) -> dict:
    """``loom.layers.serialize``: a layer as ``{"module", "class_name", "config", "registered_name"}``
    (plus ``"build_config"`` once built), as ``serialize_keras_object`` writes it."""
    return serialize_keras_object(layer)


def deserialize_layer(config, custom_objects: dict | None = None):
    """``loom.layers.deserialize``: the layer a ``serialize_layer`` dict describes (``deserialize_keras_object``)."""
    layer = deserialize_keras_object(config, custom_objects=custom_objects)
    if not isinstance(layer, Layer):
        raise ValueError(
            f"loom.layers.deserialize was given a config that builds a {type(layer).__name__}, not a layer: "
            f"{config!r:.200}. Pass the dict loom.layers.serialize(layer) returns, or use "
            "loom.saving.deserialize_keras_object for other objects."
        )
    return layer


def deserialize_entry(config, loading, build: bool = True):
    """``_deserialize`` for callers that manage the loading scope (functional configs, the API)."""
    return _deserialize(config, loading, build)
