"""Configs in Keras 3's own spelling, both ways: loom's configs for Keras, and Keras's configs for loom.

loom already writes Keras 3's schema (``module``, ``class_name``, ``config``,
``registered_name``, ``build_config``; functional ``inbound_nodes`` with
``__keras_tensor__`` references). What differs is the spelling Keras's loader
insists on: module names (``keras.layers`` for ``loom.layers``,
``keras.src.models.functional`` for a functional model), dtype policies as
``{"module": "keras", "class_name": "DTypePolicy", ...}``, functions as
``{"module": "builtins", ..., "registered_name": "function"}``, and a few
arguments one library writes and the other's constructor does not take
(Keras's ``InputLayer(ragged=...)`` and ``Dense(quantization_config=...)``,
loom's ``LSTM(use_cudnn=...)``). ``to_keras`` and ``from_keras`` translate a
whole serialized tree (a model, a layer, an initializer, a compile config).

An argument one side does not have is dropped only while it holds the value
that means "not used"; any other value raises a ``ConfigError`` naming it, so
a translation never silently changes what a model computes. loom-only objects
(``ConvexCombination``, the ``Simplex`` constraint, a Lambda stored as source,
a graph constant) keep loom's module names: loom reads them back, Keras
reports that it cannot locate them.
"""

from loom.saving.errors import ConfigError

# loom's built-in module for each family, and Keras 3's.
_KERAS_MODULES = {
    "loom.layers": "keras.layers",
    "loom.initializers": "keras.initializers",
    "loom.regularizers": "keras.regularizers",
    "loom.constraints": "keras.constraints",
    "loom.losses": "keras.losses",
    "loom.metrics": "keras.metrics",
    "loom.optimizers": "keras.optimizers",
    "loom.optimizers.schedules": "keras.optimizers.schedules",
}
# Keras 3 writes its model classes by where they are defined (Sequential by its public name).
_KERAS_MODEL_ENTRIES = {
    "Functional": ("keras.src.models.functional", "Functional"),
    "Model": (
        "keras.src.models.functional",
        "Functional",
    ),  # a Model(inputs, outputs) is a Functional in Keras
    "Sequential": ("keras", None),
}
_LOOM_MODULES = {"models": "loom.models", "layers": "loom.layers"}
# loom's built-ins that Keras 3 does not have: written with loom's module, so Keras names what it lacks.
LOOM_ONLY = {
    "loom.layers": frozenset({"ConvexCombination", "ElementwiseScale", "ThresholdedReLU", "Merge"}),
    "loom.constraints": frozenset({"Simplex", "simplex"}),
}
# Classes Keras writes by their exported name, which differs from the class's own: Keras defines
# GroupedQueryAttention but exports (and serializes) it as keras.layers.GroupQueryAttention, and
# cannot find the class by its defined name. loom reads either name.
_KERAS_EXPORTED_NAMES = {"loom.layers": {"GroupedQueryAttention": "GroupQueryAttention"}}
# Families whose function entries Keras writes under "builtins" (it finds them by name in its own modules).
_FUNCTION_MODULES = ("loom.activations", "loom.losses", "loom.metrics")

# Arguments Keras 3 writes that loom's classes do not take: {class: {argument: the value meaning "unused"}}.
KERAS_ONLY_ARGUMENTS = {
    "InputLayer": {"ragged": False},
    "Dense": {"quantization_config": None},
    "EinsumDense": {"quantization_config": None},
    "Embedding": {"quantization_config": None},
}
# Arguments loom writes that Keras 3's classes do not take, in the same form.
LOOM_ONLY_ARGUMENTS = {
    "LSTM": {"use_cudnn": "auto"},
    "GRU": {"use_cudnn": "auto"},
    "Embedding": {"input_length": None},
    # Keras's SpatialDropout and Discretization constructors take no `trainable` (layers without weights).
    "Discretization": {"trainable": True},
    "SpatialDropout1D": {"trainable": True},
    "SpatialDropout2D": {"trainable": True},
    "SpatialDropout3D": {"trainable": True},
}


def _object_entry(value) -> bool:
    return isinstance(value, dict) and isinstance(value.get("class_name"), str) and "config" in value


def _drop_arguments(class_name: str, config: dict, table: dict, side: str, other: str) -> dict:
    """``config`` without ``side``-only arguments at their neutral values; a ConfigError for any other value."""
    arguments = table.get(class_name, {})
    present = [key for key in arguments if key in config]
    if not present:
        return config
    config = dict(config)
    for key in present:
        value = config.pop(key)
        if value != arguments[key]:
            name = config.get("name")
            layer = f"{class_name} '{name}'" if isinstance(name, str) else class_name
            raise ConfigError(
                f"{layer} sets {key}={value!r}, which {side} supports and {other} does not; "
                f"{other} can only take this config with {key}={arguments[key]!r}. Rebuild the layer "
                f"without {key!r} to exchange it."
            )
    return config


# --- loom -> Keras ------------------------------------------------------------------------
def _keras_policy(dtype):
    if isinstance(dtype, str):
        return {
            "module": "keras",
            "class_name": "DTypePolicy",
            "config": {"name": dtype},
            "registered_name": None,
        }
    return to_keras(dtype)


def _keras_function(entry: dict) -> dict:
    module = entry.get("module")
    if module in _FUNCTION_MODULES:
        return {
            "module": "builtins",
            "class_name": "function",
            "config": entry["config"],
            "registered_name": "function",
        }
    if module == "loom.ops":
        return {**entry, "module": "keras.ops"}
    return dict(entry)


def _is_layer_module(module) -> bool:
    return module in ("loom.layers", "loom.models", "keras.layers") or (
        isinstance(module, str) and module.startswith("keras.src.models")
    )


def _keras_layer_config(class_name: str, config: dict) -> dict:
    config = _drop_arguments(class_name, config, LOOM_ONLY_ARGUMENTS, "loom", "Keras")
    if "dtype" in config and class_name != "InputLayer":
        config["dtype"] = _keras_policy(config["dtype"])
    if class_name == "InputLayer":
        config.setdefault("ragged", False)
        return config
    if class_name == "Sequential":
        return _keras_sequential_config(config)
    if class_name in ("Functional", "Model") and isinstance(config.get("layers"), list):
        config["layers"] = [_keras_graph_entry(entry) for entry in config["layers"]]
    # Keras 3's Layer refuses `batch_input_shape`; inside a model the InputLayer holds the shape.
    config.pop("batch_input_shape", None)
    return config


def _keras_graph_entry(entry: dict) -> dict:
    """A layer entry of a functional config: the entry itself plus its ``name`` and ``inbound_nodes``."""
    translated = to_keras({k: v for k, v in entry.items() if k not in ("name", "inbound_nodes")})
    translated["name"] = entry.get("name")
    translated["inbound_nodes"] = to_keras(entry.get("inbound_nodes", []))
    return translated


def _keras_sequential_config(config: dict) -> dict:
    """Keras's Sequential refuses a first layer's ``batch_input_shape``: an InputLayer entry says it."""
    layers = config.get("layers")
    if not isinstance(layers, list) or not layers:
        return config
    first = layers[0]
    shape = first.get("config", {}).get("batch_input_shape") if _object_entry(first) else None
    if first.get("class_name") != "InputLayer" and isinstance(shape, list):
        dtype = first["config"].get("dtype", "float32")
        input_entry = {
            "module": "loom.layers",
            "class_name": "InputLayer",
            "config": {
                "batch_shape": shape,
                "dtype": dtype if isinstance(dtype, str) else "float32",
                "sparse": False,
            },
            "registered_name": None,
        }
        layers = [input_entry, *layers]
    return {**config, "layers": [to_keras(entry) for entry in layers]}


def _keras_entry(entry: dict) -> dict:
    class_name, module = entry["class_name"], entry.get("module")
    if class_name == "function":
        return _keras_function(entry)
    result = dict(entry)
    if module == "loom.models" and class_name in _KERAS_MODEL_ENTRIES:
        result["module"], registered = _KERAS_MODEL_ENTRIES[class_name]
        result["class_name"] = "Functional" if class_name == "Model" else class_name
        result["registered_name"] = registered
    elif module in _KERAS_MODULES and class_name not in LOOM_ONLY.get(module, ()):
        result["module"] = _KERAS_MODULES[module]
        result["class_name"] = _KERAS_EXPORTED_NAMES.get(module, {}).get(class_name, class_name)
    if isinstance(entry.get("compile_config"), dict):
        result["compile_config"] = compile_config_to_keras(entry["compile_config"])
    config = entry.get("config")
    if isinstance(config, dict):
        if _is_layer_module(module):
            config = _keras_layer_config(class_name, config)
            if class_name in ("Sequential", "Functional", "Model"):
                result["config"] = config
                return result
        result["config"] = {k: to_keras(v) for k, v in config.items()}
    return result


def to_keras(value):
    """A serialized loom object (or any part of a config) in Keras 3's spelling.

    Raises:
        ConfigError: an argument loom supports and Keras does not is set (e.g.
            ``LSTM(use_cudnn=False)``), so Keras could not rebuild the same object.
    """
    if isinstance(value, list):
        return [to_keras(v) for v in value]
    if not isinstance(value, dict):
        return value
    if _object_entry(value):
        return _keras_entry(value)
    return {k: to_keras(v) for k, v in value.items()}


def compile_config_to_keras(config: dict) -> dict:
    """loom's ``compile_config`` as Keras's ``compile(**config)`` takes it (loom's training seed goes elsewhere)."""
    config = {k: v for k, v in config.items() if k != "training_seed"}
    if not isinstance(config.get("steps_per_execution", 1), int):
        # loom's "auto" sizes its compiled chunks itself; Keras takes a count, and 1 is its default.
        config["steps_per_execution"] = 1
    return to_keras(config)


# --- Keras -> loom ------------------------------------------------------------------------
def drop_keras_only_arguments(class_name: str, config: dict) -> dict:
    """A Keras layer's config without the arguments loom's class does not take (see ``KERAS_ONLY_ARGUMENTS``)."""
    return _drop_arguments(class_name, config, KERAS_ONLY_ARGUMENTS, "Keras", "loom")


def _loom_entry(entry: dict) -> dict:
    result = dict(entry)
    config = entry.get("config")
    if isinstance(config, dict):
        if isinstance(entry.get("module"), str) and entry["module"].startswith("keras"):
            config = drop_keras_only_arguments(entry["class_name"], config)
        if isinstance(config.get("layers"), list) and entry["class_name"] != "Sequential":
            config = {
                **config,
                "layers": [_loom_graph_entry(e) for e in config["layers"]],
            }
            result["config"] = {k: (from_keras(v) if k != "layers" else v) for k, v in config.items()}
            return result
        result["config"] = {k: from_keras(v) for k, v in config.items()}
    return result


def _loom_graph_entry(entry):
    if not isinstance(entry, dict):
        return entry
    translated = from_keras({k: v for k, v in entry.items() if k not in ("name", "inbound_nodes")})
    if "name" in entry:
        translated["name"] = entry["name"]
    if "inbound_nodes" in entry:
        translated["inbound_nodes"] = from_keras(entry["inbound_nodes"])
    return translated


def from_keras(value):
    """A config written by Keras 3 (``to_json``, ``config.json`` of a ``.keras`` file) in the form loom builds.

    Keras's module names and dtype policies are read by loom's registry as
    they are; what changes are the arguments loom's classes do not take.

    Raises:
        ConfigError: Keras's config uses a feature loom does not implement
            (a ragged input, a quantized layer), naming the layer and argument.
    """
    if isinstance(value, list):
        return [from_keras(v) for v in value]
    if not isinstance(value, dict):
        return value
    if _object_entry(value):
        return _loom_entry(value)
    return {k: from_keras(v) for k, v in value.items()}
