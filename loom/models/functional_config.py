"""Functional and Sequential models as configs in Keras 3's format, and back to the same graph.

A functional config lists ``"layers"`` (every operation of the graph, each with
its ``"inbound_nodes"``: the arguments of each of its calls, ``{"args": [...],
"kwargs": {...}}``, where a symbolic tensor is ``{"class_name":
"__keras_tensor__", "config": {"shape", "dtype", "keras_history": [layer name,
node index, tensor index]}}``), then ``"input_layers"`` and ``"output_layers"``
as references of the same kind, shaped like the model's inputs and outputs (a
single reference, a list or a dict). Node indices count only the calls that
belong to this model, so a layer shared with other models keeps its meaning.
Operations recorded by ``loom.ops`` calls (``ops.sum(a * b, -1)``) are entries
with ``"class_name": "FunctionOperation"`` naming the op and keeping the
call's static arguments; arrays in calls (graph constants) and constant
inputs (``Input(tensor=array)``) are stored by name in the weights file.
"""

from loom import ops as loom_ops
from loom.graph.symbolic_tensor import SymbolicTensor
from loom.layers.input_layer import InputLayer
from loom.layers.layer import Layer
from loom.ops.operation import FunctionOperation
from loom.saving import lambda_source, serialization, values
from loom.saving import scope as scope_module
from loom.saving.errors import ConfigError, SerializationError

TENSOR_TAG = "__keras_tensor__"
OPERATION_CLASS = "FunctionOperation"


# --- writing ------------------------------------------------------------------------------
def _model_nodes(model) -> set:
    """Ids of the nodes of this model's graph: its computing nodes and its input nodes."""
    ids = {id(node) for node in model._nodes}
    for tensor in model._inputs:
        if tensor.node is not None:
            ids.add(id(tensor.node))
    return ids


def _check_savable(model) -> None:
    for node in model._nodes:
        if node.parent_node is not None:
            raise SerializationError(
                f"Model '{model.name}' takes a tensor from inside the call of nested model "
                f"'{node.parent_node.operation.name}' (layer '{node.operation.name}'), which a config cannot "
                "describe. Make that tensor an output of the nested model instead."
            )
    names = {}
    for operation in model._operations:
        if operation.name in names:
            raise SerializationError(
                f"Model '{model.name}' has two layers named '{operation.name}' (from different models); "
                "give them unique names (name=...) to save it."
            )
        names[operation.name] = operation
    direct = {id(op) for op in model._operations}
    for operation in model._operations:
        if isinstance(operation, Layer) and hasattr(operation, "_operations"):
            inner = {id(layer) for layer in operation._flatten_layers(include_self=False)}
            shared = [op.name for op in model._operations if id(op) in inner and id(op) in direct]
            if shared:
                raise SerializationError(
                    f"Model '{model.name}' uses layer '{shared[0]}' both directly and inside nested model "
                    f"'{operation.name}'; a saved config would give them separate weights. Call the nested "
                    "model instead of its layer, or build the layer outside it."
                )


def _tensor_reference(tensor: SymbolicTensor, reindex: dict, model) -> list:
    history = tensor._history
    key = None if history is None else (id(history[0]), history[1])
    if key not in reindex:
        raise SerializationError(f"Model '{model.name}': tensor {tensor!r} does not come from a node of the model.")
    return [history[0].name, reindex[key], history[2]]


def _references(structure, reindex, model):
    if isinstance(structure, SymbolicTensor):
        return _tensor_reference(structure, reindex, model)
    if isinstance(structure, dict):
        return {k: _references(v, reindex, model) for k, v in structure.items()}
    return [_references(v, reindex, model) for v in structure]


def _encode_arguments(values_, reindex, model, hint):
    def fallback(value, name):
        if isinstance(value, SymbolicTensor):
            return {
                "class_name": TENSOR_TAG,
                "config": {
                    "shape": list(value.shape),
                    "dtype": value.dtype,
                    "keras_history": _tensor_reference(value, reindex, model),
                },
            }
        return serialization._fallback(value, name)

    return values.encode_value(values_, hint=hint, keep_tuples=True, fallback=fallback)


def _operation_entry(operation) -> dict:
    if isinstance(operation, FunctionOperation):
        public = getattr(loom_ops, operation.function_name, None)
        if public is None or operation.function not in (public, getattr(public, "__wrapped__", None)):
            raise SerializationError(
                f"Operation '{operation.name}' calls {operation.function_name}, which is not a public loom.ops "
                "function, so a file cannot name it."
            )
        return {
            "module": "loom.ops",
            "class_name": OPERATION_CLASS,
            "config": {"name": operation.name, "function": operation.function_name},
            "registered_name": None,
        }
    return serialization.serialize_keras_object(operation)


def get_functional_config(model) -> dict:
    """The Keras-3-style config of a functional model (see the module docstring)."""
    _check_savable(model)
    in_model = _model_nodes(model)
    reindex, own_nodes = {}, {}
    for operation in model._operations:
        nodes = [node for node in operation._inbound_nodes if id(node) in in_model]
        own_nodes[id(operation)] = nodes
        for position, node in enumerate(nodes):
            reindex[(id(operation), node.index)] = position
    layers = []
    for operation in model._operations:
        entry = _operation_entry(operation)
        entry["name"] = operation.name
        entry["inbound_nodes"] = []
        if not isinstance(operation, InputLayer):
            for position, node in enumerate(own_nodes[id(operation)]):
                hint = f"{operation.name}/call_{position}"
                arguments = _encode_arguments(
                    {"args": list(node.arguments.args), "kwargs": dict(node.arguments.kwargs)}, reindex, model, hint
                )
                entry["inbound_nodes"].append(arguments)
        layers.append(entry)
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": _references(model._inputs_struct, reindex, model),
        "output_layers": _references(model._outputs_struct, reindex, model),
    }


def get_sequential_config(model) -> dict:
    """Keras 3's Sequential config: its layers (InputLayer first, if any) and build shape."""
    config = {
        "name": model.name,
        "trainable": model.trainable,
        "dtype": model.dtype_policy.name,
        "layers": [serialization.serialize_keras_object(layer) for layer in model._stack],
    }
    if model._has_input:
        config["build_input_shape"] = list(model._tensors[0].shape)
    return config


# --- reading ------------------------------------------------------------------------------
class _NotReady(Exception):
    """A node's input tensor has not been created yet; try the node again later."""


def _check_reference(reference, what: str) -> tuple:
    if (
        not isinstance(reference, list)
        or len(reference) != 3
        or not isinstance(reference[0], str)
        or not all(type(i) is int and i >= 0 for i in reference[1:])
    ):
        raise ConfigError(
            f"{what}: a tensor reference must be [layer name, node index, tensor index]; received {reference!r:.200}."
        )
    return tuple(reference)


def _walk_references(value, found: list) -> None:
    if isinstance(value, list):
        for item in value:
            _walk_references(item, found)
    elif isinstance(value, dict):
        if value.get("class_name") == TENSOR_TAG:
            config = value.get("config")
            history = config.get("keras_history") if isinstance(config, dict) else None
            found.append(_check_reference(history, "A node argument"))
        else:
            for item in value.values():
                _walk_references(item, found)


def _decode_arguments(node_data, tensors: dict, loading):
    def fallback(entry):
        if entry["class_name"] == TENSOR_TAG:
            return tensors[tuple(entry["config"]["keras_history"])]
        if entry["class_name"] in ("function", lambda_source.SOURCE_TAG, "__lambda__"):
            return lambda_source.deserialize_function(entry, "A function argument of a node")
        return serialization.deserialize_entry(entry, loading)

    decoded = values.decode_value(node_data, fallback)
    args, kwargs = decoded.get("args", []), decoded.get("kwargs", {})
    if not isinstance(args, (list, tuple)) or not isinstance(kwargs, dict):
        raise ConfigError("A node's 'args' must be a list and its 'kwargs' an object.")
    return tuple(args), kwargs


def _build_operation(entry: dict, loading):
    name = entry["name"]
    if entry.get("class_name") == OPERATION_CLASS:
        config = entry.get("config")
        function_name = config.get("function") if isinstance(config, dict) else None
        function = getattr(loom_ops, function_name, None) if isinstance(function_name, str) else None
        if function is None or function_name.startswith("_") or not callable(function) or isinstance(function, type):
            raise ConfigError(f"Operation '{name}' names {function_name!r}, which is not a loom.ops function.")
        # The function symbolic_op wraps, as recorded when the graph was first built.
        return FunctionOperation(getattr(function, "__wrapped__", function), name=name)
    operation = serialization.deserialize_entry(entry, loading, build=False)
    if not isinstance(operation, Layer):
        raise ConfigError(f"Layer entry '{name}' builds a {type(operation).__name__}, not a layer.")
    # The entry's name only wires the graph, as in Keras: a custom layer whose get_config
    # omits `name` is rebuilt with a fresh auto-name (my_dense_1), not the entry's.
    return operation


def _check_entries(config) -> list:
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ConfigError("A functional model's config needs a 'layers' list.")
    for position, entry in enumerate(config["layers"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ConfigError(f"Entry {position} of 'layers' must be an object with a string 'name'.")
        if not isinstance(entry.get("inbound_nodes", []), list):
            raise ConfigError(f"Layer entry '{entry['name']}': 'inbound_nodes' must be a list.")
    return config["layers"]


def _connect(operation, name: str, node_data, tensors: dict, loading, count: int) -> None:
    if not isinstance(node_data, dict):
        raise ConfigError(f"Layer '{name}': each inbound node must be an object with 'args' and 'kwargs'.")
    references = []
    _walk_references(node_data, references)
    if any(reference not in tensors for reference in references):
        raise _NotReady()
    args, kwargs = _decode_arguments(node_data, tensors, loading)
    serialization.build_guarded(lambda: operation(*args, **kwargs), f"the call {count} of layer '{name}'")
    for index, tensor in enumerate(operation._inbound_nodes[-1].outputs):
        tensors[(name, count, index)] = tensor


def _resolve_references(structure, tensors: dict, what: str):
    if isinstance(structure, dict):
        return {k: _resolve_references(v, tensors, what) for k, v in structure.items()}
    if isinstance(structure, list) and structure and isinstance(structure[0], str):
        reference = _check_reference(structure, what)
        if reference not in tensors:
            raise ConfigError(f"{what} refers to {list(reference)}, which no layer of the config produces.")
        return tensors[reference]
    if isinstance(structure, list):
        return [_resolve_references(v, tensors, what) for v in structure]
    raise ConfigError(f"{what} must be tensor references; received {structure!r:.200}.")


def functional_from_config(cls, config: dict, custom_objects: dict | None = None):
    """Rebuild a functional model (of class ``cls``) and its graph from ``get_functional_config``'s output.

    Tensor references name layers by their entry's ``"name"``, whatever name the
    rebuilt layer takes (one whose ``get_config`` omits ``name`` gets an auto-name).
    """
    with scope_module.ensure_loading(custom_objects=custom_objects) as loading:
        entries = _check_entries(config)
        operations, pending, counts, tensors = {}, {}, {}, {}
        for entry in entries:
            name = entry["name"]
            if name in operations:
                raise ConfigError(f"The config lists two layers named '{name}'.")
            operation = serialization.build_guarded(lambda e=entry: _build_operation(e, loading), f"layer '{name}'")
            operations[name] = operation
            pending[name] = list(entry.get("inbound_nodes", []))
            counts[name] = 0
            if isinstance(operation, InputLayer):
                if pending[name]:
                    raise ConfigError(f"InputLayer '{name}' cannot have inbound nodes.")
                tensors[(name, 0, 0)] = operation.output
                counts[name] = 1
        while any(pending.values()):
            progress = False
            for name, operation in operations.items():
                while pending[name]:
                    try:
                        _connect(operation, name, pending[name][0], tensors, loading, counts[name])
                    except _NotReady:
                        break
                    pending[name].pop(0)
                    counts[name] += 1
                    progress = True
            if not progress:
                stuck = next(name for name, nodes in pending.items() if nodes)
                references = []
                _walk_references(pending[stuck][0], references)
                missing = [list(r) for r in references if r not in tensors]
                raise ConfigError(
                    f"Layer '{stuck}' is called on tensors {missing} that no layer of the config produces "
                    "(a broken or circular config)."
                )
        inputs = _resolve_references(config.get("input_layers"), tensors, "'input_layers'")
        outputs = _resolve_references(config.get("output_layers"), tensors, "'output_layers'")
        return serialization.build_guarded(
            lambda: cls(inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True)),
            f"model '{config.get('name')}'",
        )


def sequential_from_config(cls, config: dict, custom_objects: dict | None = None):
    """Rebuild a Sequential model from ``get_sequential_config``'s output (or Keras's)."""
    with scope_module.ensure_loading(custom_objects=custom_objects) as loading:
        entries = config.get("layers") if isinstance(config, dict) else None
        if not isinstance(entries, list):
            raise ConfigError("A Sequential model's config needs a 'layers' list.")
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for position, entry in enumerate(entries):
            layer = serialization.build_guarded(
                lambda e=entry: serialization.deserialize_entry(e, loading, build=False), f"layer {position}"
            )
            if not isinstance(layer, Layer):
                kind = type(layer).__name__
                raise ConfigError(f"Entry {position} of a Sequential config builds a {kind}, not a layer.")
            serialization.build_guarded(lambda layer=layer: model.add(layer), f"layer '{layer.name}'")
        shape = config.get("build_input_shape")
        if not model._has_input and isinstance(shape, list):
            serialization.build_guarded(lambda: model.build(tuple(shape)), f"model '{model.name}'")
        return model
