"""Model cloning: the same architecture built from new layers, with freshly initialized weights.

A functional model is cloned by walking its graph in topological order and
calling each layer's clone on the tensors the clone graph has computed so far
(what ``Functional`` does with arrays, done with new layers); a Sequential
model by stacking clones of its layers; a subclassed model through
``get_config`` / ``from_config``, as Keras does.
"""

import inspect
import warnings

import jax

from loom.graph.symbolic_tensor import SymbolicTensor
from loom.layers.input_layer import Input, InputLayer
from loom.layers.layer import Layer
from loom.models.functional import Functional
from loom.models.model import Model
from loom.models.sequential import Sequential
from loom.ops.operation import FunctionOperation
from loom.saving import serialization
from loom.training.trainer import Trainer

_ARGUMENTS = "input_tensors, clone_function, call_function and recursive"


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    """A copy of ``model`` made of new layers: same architecture, new (freshly initialized) weights.

    Args:
        model: a functional, Sequential or subclassed ``Model``.
        input_tensors: symbolic tensors to build the clone on, shaped like
            ``model.input``; new ``Input``s (same shapes, dtypes and names) by default.
            A one-tensor list for a one-input functional model is accepted too
            (Keras 3 refuses it). A Sequential clone takes a ``loom.Input`` tensor
            and its layer as the input layer (Keras wraps any tensor in a new
            InputLayer named like the original's).
        clone_function: ``fn(layer) -> layer`` making each layer's copy (Input
            layers excepted); by default ``layer.__class__.from_config(layer.get_config())``.
            A layer called several times (shared) is copied once and stays shared.
            Unlike Keras 3, ``loom.ops`` calls in the graph are not passed to it:
            they hold no weights and are recorded again as they are.
        call_function: ``fn(layer, *args, **kwargs) -> outputs`` calling each
            copied layer (and ``loom.ops`` call) in a functional model, to insert
            layers around it; by default ``layer(*args, **kwargs)``.
        recursive: also clone nested functional and Sequential models with
            ``clone_model`` (and the same functions) instead of ``clone_function``.

    Returns:
        The clone: a model of the same class where its constructor takes
        ``(inputs, outputs, name=...)``, else a ``Functional``; compiled like
        ``model`` (with a new optimizer and metrics) when ``model`` is compiled.

    Raises:
        TypeError: ``model`` is not a loom model, or a function is not callable.
        ValueError: ``input_tensors``, ``clone_function`` or ``call_function``
            given where Keras does not accept them, or ``input_tensors`` not
            shaped like ``model.input``.

    Example:
        >>> model = Sequential([Input((4,)), Dense(8, activation="relu"), Dense(1)])
        >>> copy = clone_model(model)
        >>> copy.set_weights(model.get_weights())
    """
    cache = kwargs.pop("cache", None)  # Keras's private argument: the copies made so far, by id
    if kwargs:
        raise ValueError(f"clone_model() got unexpected keyword arguments {sorted(kwargs)}; it takes {_ARGUMENTS}.")
    _check_arguments(model, clone_function, call_function)
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                f"clone_model: `call_function` works with functional models only; model '{model.name}' is "
                "Sequential, whose layers are listed, not called. Pass clone_function=... to replace layers, "
                "or build the model functionally."
            )
        clone = _wrap_clone_function(clone_function, None, recursive, cache)
        return _copy_compile(model, _clone_sequential(model, clone, input_tensors))
    if isinstance(model, Functional):
        clone = _wrap_clone_function(clone_function, call_function, recursive, cache)
        return _copy_compile(model, _clone_functional(model, clone, input_tensors, call_function))
    if clone_function is not None or input_tensors is not None or call_function is not None:
        raise ValueError(
            f"clone_model: `clone_function`, `input_tensors` and `call_function` need a functional or "
            f"Sequential model; model '{model.name}' is a subclassed {type(model).__name__}, cloned from its "
            "config. Clone it without them, e.g. clone_model(model)."
        )
    return _copy_compile(model, _clone_subclassed(model))


def _check_arguments(model, clone_function, call_function) -> None:
    if not isinstance(model, Model):
        raise TypeError(
            f"clone_model expects a loom Model (functional, Sequential or subclassed); received "
            f"{type(model).__name__} {model!r:.80}. To copy a single layer use "
            "layer.__class__.from_config(layer.get_config())."
        )
    for name, function in (("clone_function", clone_function), ("call_function", call_function)):
        if function is not None and not callable(function):
            raise TypeError(f"clone_model: `{name}` must be callable or None; received {name}={function!r}.")


def _clone_from_config(layer):
    """The default ``clone_function``: a new layer with the same config (and new weights)."""
    try:
        return layer.__class__.from_config(layer.get_config())
    except (NotImplementedError, TypeError, ValueError) as err:
        kind = next(k for k in (NotImplementedError, TypeError, ValueError) if isinstance(err, k))
        raise kind(
            f"clone_model cannot rebuild layer '{layer.name}' ({type(layer).__name__}) from its config: {err} "
            "Give the layer a get_config() returning its constructor arguments, or pass clone_function=... "
            "to build its copy yourself."
        ) from err


def _wrap_clone_function(clone_function, call_function, recursive: bool, cache: dict | None):
    """``clone_function`` copying each layer once (so shared layers stay shared), and
    nested models with ``clone_model`` when ``recursive``."""
    clone_layer = clone_function or _clone_from_config
    cache = {} if cache is None else cache

    def wrapped(layer):
        if id(layer) in cache:
            return cache[id(layer)]
        if recursive and isinstance(layer, Sequential):
            copy = clone_model(layer, clone_function=clone_layer, recursive=True, cache=cache)
        elif recursive and isinstance(layer, Functional):
            copy = clone_model(
                layer, clone_function=clone_layer, call_function=call_function, recursive=True, cache=cache
            )
        else:
            copy = clone_layer(layer)
            if not isinstance(copy, Layer):
                raise TypeError(
                    f"clone_model: `clone_function` must return a layer; for layer '{layer.name}' it returned "
                    f"{type(copy).__name__} {copy!r:.80}."
                )
        cache[id(layer)] = copy
        return copy

    return wrapped


def _new_input(tensor: SymbolicTensor) -> SymbolicTensor:
    """A new ``Input`` like the one that produced ``tensor`` (a constant input keeps its value)."""
    layer = tensor.operation
    if not isinstance(layer, InputLayer):  # a model whose inputs are intermediate tensors
        return Input(batch_shape=tensor.shape, dtype=tensor.dtype)
    if layer.is_constant:
        return Input(tensor=layer.constant_value(), dtype=layer._input_dtype, name=layer.name)
    return Input(
        batch_shape=layer.batch_shape,
        dtype=layer._input_dtype,
        sparse=layer.sparse,
        name=layer.name,
        optional=layer.optional,
    )


# --- functional ---------------------------------------------------------------------------
def _given_inputs(model, input_tensors) -> list:
    """``input_tensors`` as a list beside ``model.inputs``, checked to be shaped like ``model.input``."""
    expected = model._inputs_struct
    leaves = jax.tree_util.tree_leaves(input_tensors, is_leaf=lambda x: isinstance(x, SymbolicTensor))
    wrong = [leaf for leaf in leaves if not isinstance(leaf, SymbolicTensor)]
    if wrong or not leaves:
        raise ValueError(
            f"clone_model: every entry of `input_tensors` must be a symbolic tensor (from loom.Input or a layer "
            f"call); received {type(wrong[0]).__name__ if wrong else 'no tensors'}. Pass e.g. "
            "input_tensors=loom.Input(shape=...)."
        )
    if isinstance(expected, dict) and isinstance(input_tensors, dict) and set(input_tensors) == set(expected):
        return [input_tensors[key] for key in expected]
    if not isinstance(expected, dict) and not isinstance(input_tensors, dict) and len(leaves) == len(model._inputs):
        if isinstance(input_tensors, SymbolicTensor) or all(isinstance(t, SymbolicTensor) for t in input_tensors):
            return leaves
    raise ValueError(
        f"clone_model: `input_tensors` must have the structure of model.input; model '{model.name}' expects "
        f"{_describe(expected)}, received {_describe(input_tensors)}."
    )


def _describe(structure) -> str:
    if isinstance(structure, dict):
        return f"a dict with keys {sorted(structure)}"
    if isinstance(structure, (list, tuple)):
        return f"a list of {len(structure)} tensors"
    return "one tensor"


def _mapped(structure, tensors: dict):
    """``structure`` (a tensor, list or dict of the original graph's tensors) in the clone's tensors."""
    if isinstance(structure, SymbolicTensor):
        return tensors[id(structure)]
    if isinstance(structure, dict):
        return {key: _mapped(value, tensors) for key, value in structure.items()}
    return [_mapped(value, tensors) for value in structure]


def _check_cloneable(model) -> None:
    for node in model._nodes:
        if node.parent_node is not None:
            raise ValueError(
                f"clone_model: model '{model.name}' takes a tensor from inside the call of nested model "
                f"'{node.parent_node.operation.name}' (layer '{node.operation.name}'), which a clone cannot "
                "reproduce. Make that tensor an output of the nested model instead."
            )


def _call_clone(node, operation, args, kwargs, call_function) -> list:
    outputs = call_function(operation, *args, **kwargs) if call_function else operation(*args, **kwargs)
    flat = jax.tree_util.tree_leaves(outputs, is_leaf=lambda x: x is None or isinstance(x, SymbolicTensor))
    if len(flat) != len(node.outputs) or not all(isinstance(t, SymbolicTensor) for t in flat):
        raise ValueError(
            f"clone_model: the copy of '{node.operation.name}' returned {len(flat)} value(s) when called in the "
            f"clone, but the original call returned {len(node.outputs)} symbolic tensor(s). `clone_function` and "
            "`call_function` must keep each call's outputs."
        )
    return flat


def _clone_functional(model, clone, input_tensors, call_function):
    _check_cloneable(model)
    if input_tensors is None:
        new_inputs = [_new_input(tensor) for tensor in model._inputs]
    else:
        new_inputs = _given_inputs(model, input_tensors)
    tensors = {id(old): new for old, new in zip(model._inputs, new_inputs)}
    for node in model._nodes:
        if node.is_input:  # a constant input that is not among the model's inputs
            tensors.setdefault(id(node.outputs[0]), _new_input(node.outputs[0]))
            continue
        args, kwargs = node.arguments.fill(tensors)
        operation = node.operation
        if isinstance(operation, FunctionOperation):
            # A loom.ops call has no state: a new operation records the call in the clone.
            operation = FunctionOperation(operation.function)
        else:
            operation = clone(operation)
        for old, new in zip(node.outputs, _call_clone(node, operation, args, kwargs, call_function)):
            tensors[id(old)] = new
    inputs = _mapped(model._inputs_struct, tensors)
    outputs = _mapped(model._outputs_struct, tensors)
    model_class = type(model) if _functional_like_constructor(type(model)) else Functional
    # As Keras, only the name carries over: the layers' configs hold their `trainable` flags.
    return model_class(inputs, outputs, name=model.name)


def _functional_like_constructor(cls) -> bool:
    """Whether ``cls(inputs, outputs, name=...)`` builds a model (else the clone is a Functional)."""
    try:
        inspect.signature(cls.__init__).bind(None, [], [], name="model")
    except TypeError:
        return False
    return True


# --- Sequential and subclassed ------------------------------------------------------------
def _clone_sequential(model, clone, input_tensors):
    new_layers = [clone(layer) for layer in model.layers]
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError(
                    f"clone_model: a Sequential model has one input, so `input_tensors` must be one tensor; "
                    f"received {len(input_tensors)}."
                )
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, SymbolicTensor) or not isinstance(input_tensors.operation, InputLayer):
            raise ValueError(
                f"clone_model: `input_tensors` of a Sequential model must be a loom.Input(...) tensor; received "
                f"{input_tensors!r:.80}. To run the clone on another tensor, call it: clone_model(model)(tensor)."
            )
        new_layers.insert(0, input_tensors)
    elif model._has_input:
        new_layers.insert(0, _new_input(model._stack[0].output))
    return Sequential(new_layers, name=model.name, trainable=model.trainable)


def _clone_subclassed(model):
    """A subclassed model rebuilt from its config (and build config), as Keras does."""
    cls = type(model)
    try:
        config = serialization.serialize_keras_object(model)
        return serialization.deserialize_keras_object(config, custom_objects={cls.__name__: cls})
    except (NotImplementedError, TypeError, ValueError) as err:
        kind = next(k for k in (NotImplementedError, TypeError, ValueError) if isinstance(err, k))
        raise kind(
            f"clone_model rebuilds subclassed model '{model.name}' ({cls.__name__}) from get_config(), which "
            f"failed: {err} Give {cls.__name__} a get_config() returning its constructor arguments (and a "
            "from_config() if they need converting)."
        ) from err


def _fresh(value):
    """``value`` with every configurable object (optimizer, loss, metric) replaced by a new one."""
    if isinstance(value, (list, tuple)):
        return type(value)(_fresh(item) for item in value)
    if isinstance(value, dict):
        return {key: _fresh(item) for key, item in value.items()}
    if not isinstance(value, type) and hasattr(value, "get_config") and hasattr(type(value), "from_config"):
        return type(value).from_config(value.get_config())
    return value  # names and functions hold no state


def _copy_compile(model, clone):
    """``clone`` compiled like ``model`` (new optimizer, losses and metrics), as Keras's compile_from_config."""
    if not getattr(model, "compiled", False):
        return clone
    if type(clone).compile is not Trainer.compile:
        warnings.warn(
            f"clone_model: the clone of '{model.name}' is not compiled because {type(clone).__name__} overrides "
            "compile(); call clone.compile(...) yourself.",
            stacklevel=3,
        )
        return clone
    arguments = model._compile_args
    clone.compile(
        optimizer=_fresh(model.optimizer),
        loss=_fresh(arguments["loss"]),
        loss_weights=arguments["loss_weights"],
        metrics=_fresh(arguments["metrics"]),
        weighted_metrics=_fresh(arguments["weighted_metrics"]),
        run_eagerly=model.run_eagerly,
        steps_per_execution=model.steps_per_execution,
        jit_compile=model.jit_compile,
    )
    return clone
