"""tf.keras 2 model configs (an HDF5 file's ``model_config``, an old ``to_json``) in the Keras 3 form loom builds.

tf.keras 2 wrote entries as ``{"class_name", "config"}`` without ``module``,
functional nodes as lists (``[[layer name, node index, tensor index,
kwargs], ...]``, one list per call), an input's shape as
``batch_input_shape``, dtype policies as ``{"class_name": "Policy", ...}``,
and a Lambda's function as marshalled bytecode. ``from_keras2`` rewrites a
model entry into Keras 3's schema, which ``loom.models.functional_config`` reads: nodes
become ``{"args", "kwargs"}`` with ``__keras_tensor__`` references, Keras 1's
``Merge`` layer becomes the merging layer its ``mode`` names, and a Lambda
stored as bytecode is refused, whatever the safe mode: loom never runs
bytecode from a file.
"""

from loom.saving.errors import ConfigError, UnsafeCodeError
from loom.saving.keras_config import drop_keras_only_arguments

MODEL_CLASSES = ("Functional", "Model", "Sequential")
# Keras 1's Merge(mode=...) as the Keras 3 layer computing the same.
_MERGE_MODES = {
    "sum": "Add",
    "mul": "Multiply",
    "ave": "Average",
    "max": "Maximum",
    "concat": "Concatenate",
}
# tf.keras 2 arguments that Keras 3 (and loom) dropped, with the values that keep the computation the same;
# None accepts any value (the argument chose an implementation, not a result).
_DROPPED_ARGUMENTS = {
    "time_major": False,
    "implementation": None,
    "ragged": False,
}
# tf.keras 2 optimizer arguments Keras 3 renamed or dropped.
_OPTIMIZER_RENAMES = {"lr": "learning_rate"}
_OPTIMIZER_DROPPED = {"decay": 0.0}


def is_keras2_config(config) -> bool:
    """Whether a model entry is in tf.keras 2's schema (Keras 3 and loom write a ``module`` on every object)."""
    return (
        isinstance(config, dict)
        and "module" not in config
        and config.get("class_name") in MODEL_CLASSES
        and "config" in config
    )


def _tensor(reference) -> dict:
    if not isinstance(reference, list) or len(reference) < 3 or not isinstance(reference[0], str):
        raise ConfigError(f"A tf.keras 2 node input must be [layer name, node index, tensor index]; got {reference!r}.")
    return {
        "class_name": "__keras_tensor__",
        "config": {"keras_history": list(reference[:3])},
    }


def _node(node) -> dict:
    """``[[name, node, tensor, kwargs], ...]`` (one call) as Keras 3's ``{"args", "kwargs"}``."""
    if isinstance(node, dict):
        return node  # already Keras 3's form
    if not isinstance(node, list) or not node:
        raise ConfigError(f"A tf.keras 2 inbound node must be a non-empty list of inputs; received {node!r:.200}.")
    tensors = [_tensor(reference) for reference in node]
    kwargs = node[-1][3] if len(node[-1]) > 3 and isinstance(node[-1][3], dict) else {}
    return {"args": [tensors[0] if len(tensors) == 1 else tensors], "kwargs": kwargs}


def _references(value):
    """Keras 2's ``input_layers`` / ``output_layers``: a list of references, one reference unwrapped."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
        return value[0]
    return value


def _policy_name(dtype):
    if isinstance(dtype, dict) and dtype.get("class_name") in ("Policy", "DTypePolicy"):
        inner = dtype.get("config")
        return inner.get("name") if isinstance(inner, dict) else None
    return dtype


def _lambda_config(name: str, config: dict) -> dict:
    function_type = config.pop("function_type", None)
    function = config.get("function")
    if function_type == "lambda" or isinstance(function, list):
        raise UnsafeCodeError(
            f"Lambda layer '{name}' of this tf.keras 2 model is stored as Python bytecode. loom never runs "
            "bytecode from a file, in any safe mode (it is tied to one Python version and can do anything). "
            "Rebuild the model in code with the Lambda's function and load only the weights "
            "(model.load_weights), or register the function and replace the Lambda by a custom layer."
        )
    if (
        config.get("output_shape_type") == "lambda"
        or isinstance(config.get("output_shape"), list)
        and any(isinstance(part, str) for part in config["output_shape"])
    ):
        raise UnsafeCodeError(
            f"Lambda layer '{name}' of this tf.keras 2 model stores its output_shape function as Python bytecode, "
            "which loom never runs. Rebuild the model in code and load only the weights (model.load_weights)."
        )
    if isinstance(function, str):  # a named function (function_type "function"): found by name when loading
        config["function"] = {
            "class_name": "function",
            "config": function,
            "module": config.get("module"),
        }
    for key in ("module", "output_shape_type", "output_shape_module"):
        config.pop(key, None)
    return config


def _merge_entry(name: str, config: dict) -> tuple:
    mode = config.get("mode", "sum")
    if mode in _MERGE_MODES:
        class_name = _MERGE_MODES[mode]
        merged = {"name": name, "trainable": config.get("trainable", True)}
        if mode == "concat":
            merged["axis"] = config.get("concat_axis", -1)
        return class_name, merged
    if mode in ("dot", "cos"):
        return "Dot", {
            "name": name,
            "axes": config.get("dot_axes", -1),
            "normalize": mode == "cos",
        }
    raise UnsafeCodeError(
        f"Merge layer '{name}' (Keras 1) uses mode={mode!r}: a function stored as bytecode, or a mode loom "
        "does not know. Rebuild that merge in code (e.g. with a Lambda over the inputs) and load the weights."
    )


def _layer_config(class_name: str, config: dict) -> dict:
    name = config.get("name", class_name)
    # Keras 3's HDF5 writer uses this schema with Keras 3's arguments (quantization_config).
    config = drop_keras_only_arguments(class_name, config)
    if class_name == "Lambda":
        config = _lambda_config(name, config)
    if class_name == "InputLayer" and "batch_input_shape" in config:
        config["batch_shape"] = config.pop("batch_input_shape")
    if isinstance(config.get("axis"), list) and len(config["axis"]) == 1:
        config["axis"] = config["axis"][0]  # tf.keras 2 listed BatchNormalization's one axis
    if "dtype" in config:
        config["dtype"] = _policy_name(config["dtype"])
    for key, neutral in _DROPPED_ARGUMENTS.items():
        if key in config and neutral is not None and config[key] != neutral:
            raise ConfigError(
                f"Layer '{name}' ({class_name}) sets {key}={config[key]!r}, a tf.keras 2 feature Keras 3 and "
                f"loom dropped; only {key}={neutral!r} can be read."
            )
        config.pop(key, None)
    return config


def _layer_entry(entry) -> dict:
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise ConfigError(f"A tf.keras 2 layer entry needs 'class_name' and 'config'; received {entry!r:.200}.")
    class_name = entry["class_name"]
    if class_name in MODEL_CLASSES:
        result = from_keras2(entry)
    else:
        config = entry.get("config")
        if not isinstance(config, dict):
            raise ConfigError(f"Layer entry {class_name!r} needs a 'config' object.")
        if class_name == "Merge":
            class_name, config = _merge_entry(config.get("name", entry.get("name", "merge")), config)
        result = {
            "class_name": class_name,
            "config": _nested(_layer_config(class_name, config)),
        }
    if "name" in entry:
        result["name"] = entry["name"]
    if "inbound_nodes" in entry:
        result["inbound_nodes"] = [_node(node) for node in entry["inbound_nodes"]]
    return result


def _nested(value):
    """Objects inside a layer's config (initializers, wrapped layers, RNN cells), translated too."""
    if isinstance(value, list):
        return [_nested(v) for v in value]
    if not isinstance(value, dict):
        return value
    class_name = value.get("class_name")
    if isinstance(class_name, str) and isinstance(value.get("config"), dict) and "module" not in value:
        if class_name in MODEL_CLASSES:
            return from_keras2(value)
        if class_name in ("Policy", "DTypePolicy"):
            return _policy_name(value)
        return {
            "class_name": class_name,
            "config": _nested(_layer_config(class_name, value["config"])),
        }
    return {k: _nested(v) for k, v in value.items()}


def from_keras2(config: dict) -> dict:
    """A tf.keras 2 model entry (``{"class_name", "config"}``) in Keras 3's schema.

    Raises:
        UnsafeCodeError: a Lambda (or Keras 1 Merge) is stored as bytecode.
        ConfigError: the config is malformed or uses a feature loom cannot read.
    """
    class_name = config.get("class_name")
    inner = config.get("config")
    if class_name == "Sequential":
        if isinstance(inner, list):  # Keras 1 and early tf.keras 2 wrote the layers alone
            inner = {"layers": inner}
        if not isinstance(inner, dict) or not isinstance(inner.get("layers"), list):
            raise ConfigError("A tf.keras 2 Sequential config needs a 'layers' list.")
        layers = [_layer_entry(entry) for entry in inner["layers"]]
        result = {k: v for k, v in inner.items() if k in ("name", "trainable")}
        return {"class_name": "Sequential", "config": {**result, "layers": layers}}
    if not isinstance(inner, dict) or not isinstance(inner.get("layers"), list):
        raise ConfigError(f"A tf.keras 2 {class_name} config needs a 'layers' list.")
    return {
        "class_name": "Functional",
        "config": {
            "name": inner.get("name"),
            "trainable": inner.get("trainable", True),
            "layers": [_layer_entry(entry) for entry in inner["layers"]],
            "input_layers": _references(inner.get("input_layers")),
            "output_layers": _references(inner.get("output_layers")),
        },
    }


def compile_config_from_training_config(training: dict) -> dict:
    """An HDF5 file's ``training_config`` (tf.keras 2) as Keras 3's ``compile_config``."""
    optimizer = training.get("optimizer_config")
    if isinstance(optimizer, dict) and isinstance(optimizer.get("config"), dict):
        settings = {}
        for key, value in optimizer["config"].items():
            key = _OPTIMIZER_RENAMES.get(key, key)
            if key in _OPTIMIZER_DROPPED:
                if value not in (_OPTIMIZER_DROPPED[key], None):
                    raise ConfigError(
                        f"The saved optimizer sets {key}={value!r}, a tf.keras 2 argument Keras 3 and loom dropped "
                        "(use a learning-rate schedule); load with compile=False and compile again."
                    )
                continue
            settings[key] = value
        optimizer = {"class_name": optimizer.get("class_name"), "config": settings}
    return {
        "optimizer": optimizer,
        "loss": training.get("loss"),
        "loss_weights": training.get("loss_weights"),
        "metrics": training.get("metrics"),
        "weighted_metrics": training.get("weighted_metrics"),
    }
