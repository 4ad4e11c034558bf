"""Functional: a model defined by a graph from input tensors to output tensors.

Its call replays the graph's nodes in topological order. Called on new
symbolic tensors, it replays the graph symbolically: every inner layer gets a
new node (so ``inner_layer.get_output_at(1)`` is the tensor in the outer graph)
and the model itself gets one node in the outer graph, sharing its weights.
"""

import collections
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from loom import ops
from loom.graph import topology
from loom.graph.call_arguments import any_symbolic
from loom.graph.node import Node, collect_nodes
from loom.graph.replay import replay
from loom.graph.symbolic_tensor import SymbolicTensor
from loom.layers import call_context, host_prefix
from loom.layers.input_layer import InputLayer
from loom.layers.layer import Layer
from loom.models import functional_config
from loom.models.model import Model


def _flatten(structure, what: str) -> list:
    if isinstance(structure, SymbolicTensor):
        return [structure]
    if isinstance(structure, dict):
        values = list(structure.values())
    elif isinstance(structure, (list, tuple)):
        values = list(structure)
    else:
        values = [structure]
    for position, value in enumerate(values):
        if not isinstance(value, SymbolicTensor):
            hint = (
                " For a constant input use loom.Input(tensor=array)."
                if what == "inputs" and hasattr(value, "shape")
                else ""
            )
            raise TypeError(
                f"Model {what} must be symbolic tensors (from loom.Input or layer calls); received "
                f"{type(value).__name__} at position {position}.{hint}"
            )
    return values


def _check_input_shape(model, tensor: SymbolicTensor, value, check_batch_dim: bool = True, given=None) -> None:
    """Raise unless ``value`` fits ``tensor``; ``given`` is the shape the caller passed,
    when ``value`` is its rank-adjusted version."""
    shape = getattr(value, "shape", None)
    if shape is None:
        return
    shape = tuple(d if isinstance(d, int) else None for d in shape)
    expected = tensor.shape
    if not check_batch_dim and expected:
        expected = (None,) + tuple(expected[1:])
    # A Sequential runs its layers on any shape they accept, as Keras's does (its first
    # layer's own checks still apply): only the rank must match there.
    dims_checked = getattr(model, "_checks_input_dims", True)
    if len(shape) != len(expected) or dims_checked and any(
        e is not None and d is not None and e != d for e, d in zip(expected, shape)
    ):
        given = shape if given is None else tuple(d if isinstance(d, int) else None for d in given)
        raise ValueError(
            f"Model '{model.name}' expects input '{tensor.name}' of shape {expected}; received "
            f"shape {given}. Reshape the data, or build the model with Input(shape={given[1:]})."
        )


def _as_input_dtype(tensor: SymbolicTensor, value):
    """``value`` in its Input's dtype, as Keras converts a functional model's inputs (the
    model's own dtype policy does not cast them: a first layer kept in float32 under a
    mixed policy sees float32 data)."""
    if isinstance(value, SymbolicTensor) or getattr(value, "dtype", None) is None or value.dtype == tensor.dtype:
        return value
    if tensor.dtype == "string":  # only host layers read strings (see host_prefix)
        return value
    return jnp.asarray(value, dtype=tensor.dtype)


def _adjust_rank(tensor: SymbolicTensor, value):
    """``value`` with a trailing size-1 axis dropped or added where that gives it the
    rank of ``tensor``, as Keras's ``_adjust_input_rank`` does: data of shape
    ``(N, 28, 28)`` feeds ``Input((28, 28, 1))`` and ``(N, 28, 28, 1)`` feeds
    ``Input((28, 28))``. Any other rank is left for ``_check_input_shape`` to report."""
    shape, expected = getattr(value, "shape", None), tensor.shape
    if shape is None or len(shape) == len(expected):
        return value
    # NumPy data stays on the host (a view, no copy); arrays and symbolic tensors go through ops.
    library = np if isinstance(value, np.ndarray) else ops
    if len(shape) == len(expected) + 1 and shape[-1] == 1:
        return library.squeeze(value, axis=-1)
    if len(shape) == len(expected) - 1 and expected[-1] == 1:
        return library.expand_dims(value, axis=-1)
    return value


def _origin(tensor: SymbolicTensor) -> SymbolicTensor:
    return getattr(tensor, "_origin", None) or tensor


class Functional(Model):
    """A model built from a graph: ``Functional(inputs, outputs, name=None)``.

    Args:
        inputs: an Input tensor, a list of them, or a dict of them.
        outputs: a tensor, a list, or a dict of tensors computed from ``inputs``.
        name: the model's name.
        trainable: whether the model's weights are trainable.
    """

    # Inputs are converted to each Input's dtype in ``_feed``, not to the model's compute dtype.
    _convert_input_args = False
    # The host layers at the start of the graph and where the compiled part starts (see host_prefix).
    _host_prefix = None

    def __init__(self, inputs, outputs, name: str | None = None, trainable: bool = True, **kwargs):
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        self._init_graph(inputs, outputs)

    def _init_graph(self, inputs, outputs) -> None:
        self._inputs_struct = list(inputs) if isinstance(inputs, tuple) else inputs
        self._outputs_struct = list(outputs) if isinstance(outputs, tuple) else outputs
        self._inputs = _flatten(inputs, "inputs")
        output_list = _flatten(outputs, "outputs")
        if len({id(t) for t in self._inputs}) != len(self._inputs):
            raise ValueError(f"Model '{self.name}': the same tensor appears twice in `inputs`.")
        output_list = [self._connect(output, index) for index, output in enumerate(output_list)]
        self._outputs = output_list
        if isinstance(self._outputs_struct, dict):
            self._outputs_struct = dict(zip(self._outputs_struct, output_list))
        elif isinstance(self._outputs_struct, list):
            self._outputs_struct = list(output_list)
        else:
            self._outputs_struct = output_list[0]
        # Inputs that no output needs are accepted, as in Keras (`Model(model.inputs,
        # layer.output)` reads an intermediate layer): they are fed and ignored.
        self._nodes, _ = topology.nodes_between(self._inputs, self._outputs)
        # Host layers (strings, lookups) at the start run in NumPy before the compiled part.
        self._host_prefix = host_prefix.find_host_prefix(self.name, self._nodes, self._fed_inputs, self._outputs)
        self._operations = self._order_operations()
        self._check_names()
        for tensor in self._inputs:
            if not hasattr(tensor, "_models"):
                tensor._models = weakref.WeakSet()
            tensor._models.add(self)
        for layer in self.layers:
            if getattr(layer, "_home_model", None) is None or layer._home_model() is None:
                layer._home_model = weakref.ref(self)
        self.built = True

    # --- construction checks --------------------------------------------------------
    def _connect(self, output: SymbolicTensor, index: int) -> SymbolicTensor:
        """``output`` itself, or its version computed from this model's inputs when
        it belongs to a nested model's graph (where Keras says "not connected")."""
        try:
            topology.nodes_between(self._inputs, [output])
            return output
        except topology.DisconnectedError as err:
            missing = err.missing_input
        candidates = [
            t for t in getattr(_origin(output), "_derived", []) if topology.depends_on(t, self._inputs)
        ]
        if _origin(output) is not output and topology.depends_on(_origin(output), self._inputs):
            candidates.append(_origin(output))
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:
            options = ", ".join(f"get_output_at({t._history[1]})" for t in candidates)
            raise ValueError(
                f"Model '{self.name}': output {index} comes from a model that is called {len(candidates)} "
                f"times on these inputs, so which call is meant is ambiguous. Take it from layer "
                f"'{output.operation.name}' with one of: {options}."
            )
        raise ValueError(self._disconnected_message(output, index, missing))

    def _disconnected_message(self, output, index, missing) -> str:
        given = [t.name for t in self._inputs]
        if missing.node is None:
            return (
                f"Model '{self.name}': output {index} ({output!r}) is not computed by layers from "
                f"symbolic inputs. Build outputs by calling layers on loom.Input tensors."
            )
        message = (
            f"Model '{self.name}': output {index} ({output!r}) cannot be computed from the given inputs: "
            f"it needs Input '{missing.name}' (shape {missing.shape}), which is not among the model's "
            f"inputs {given}."
        )
        owners = sorted(m.name for m in getattr(missing, "_models", ()))
        if owners:
            message += (
                f" That Input belongs to model '{owners[0]}': call that model on your tensors "
                f"(y = {owners[0]}(x)) and take intermediate outputs from the call, e.g. "
                "layer.get_output_at(node_index)."
            )
        else:
            message += " Add it to `inputs`."
        return message

    def _order_operations(self) -> list:
        """Fed input layers first, then operations by decreasing depth (as Keras)."""
        depths = topology.node_depths(self._nodes)
        first_depth, order = {}, []
        for position, node in enumerate(self._nodes):
            operation = node.operation
            if id(operation) not in first_depth:
                order.append(operation)
                first_depth[id(operation)] = (-depths[id(node)], position)
            else:
                first_depth[id(operation)] = min(first_depth[id(operation)], (-depths[id(node)], position))
        inputs = []
        for tensor in self._inputs:
            operation = tensor.operation
            if isinstance(operation, InputLayer) and all(op is not operation for op in inputs):
                inputs.append(operation)
        rest = sorted((op for op in order if all(op is not i for i in inputs)), key=lambda op: first_depth[id(op)])
        return inputs + rest

    def _check_names(self) -> None:
        by_name = collections.defaultdict(list)
        for operation in self._operations:
            by_name[operation.name].append(operation)
        self._display_names = {id(op): op.name for op in self._operations}
        for name, operations in by_name.items():
            if len(operations) == 1:
                continue
            homes = [getattr(op, "_home_model", None) for op in operations]
            homes = [home() if home is not None else None for home in homes]
            home_names = [home.name if home is not None and home is not self else None for home in homes]
            if None in home_names or len(set(home_names)) != len(home_names):
                raise ValueError(
                    f"Model '{self.name}': the name '{name}' is used by {len(operations)} different layers. "
                    "Every layer in a model needs a unique name; pass name=... to one of them."
                )
            # Layers of different models built by one function: keep them apart as model/layer.
            for operation, home_name in zip(operations, home_names):
                self._display_names[id(operation)] = f"{home_name}/{name}"

    # --- structure ------------------------------------------------------------------
    @property
    def _layers(self) -> list:
        return [op for op in self.__dict__.get("_operations", ()) if isinstance(op, Layer)]

    def _layer_names(self) -> dict:
        return {id(layer): self._display_names.get(id(layer), layer.name) for layer in self.layers}

    @property
    def operations(self) -> list:
        return list(self._operations)

    @property
    def inputs(self) -> list:
        return list(self._inputs)

    @property
    def outputs(self) -> list:
        return list(self._outputs)

    @property
    def input(self):
        return self._inputs_struct if not isinstance(self._inputs_struct, SymbolicTensor) else self._inputs[0]

    @property
    def output(self):
        return self._outputs_struct

    @property
    def input_shape(self):
        shapes = [t.shape for t in self._inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self._outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def input_names(self) -> list:
        if isinstance(self._inputs_struct, dict):
            return list(self._inputs_struct)
        return [t.name for t in self._inputs]

    @property
    def output_names(self) -> list:
        if isinstance(self._outputs_struct, dict):
            return list(self._outputs_struct)
        return [t.operation.name for t in self._outputs]

    @property
    def _fed_inputs(self) -> list:
        """Inputs the caller supplies (constant inputs supply themselves)."""
        return [t for t in self._inputs if not getattr(t.operation, "is_constant", False)]

    @property
    def _fed_input_names(self) -> list:
        names = self.input_names
        return [name for name, t in zip(names, self._inputs) if not getattr(t.operation, "is_constant", False)]

    # --- running --------------------------------------------------------------------
    def _pair_inputs(self, inputs) -> tuple[list, list]:
        """``(tensors, values)``: each given value beside the model input it feeds.

        Raises:
            ValueError: a wrong number of values, or unknown or missing dict keys.
        """
        fed, names = self._fed_inputs, self._fed_input_names
        constant_note = (
            f" (constant inputs made with Input(tensor=...) are not fed: {len(self._inputs) - len(fed)})"
            if len(fed) != len(self._inputs)
            else ""
        )
        if isinstance(inputs, dict):
            unknown = sorted(set(inputs) - set(self.input_names))
            if unknown:
                raise ValueError(
                    f"Model '{self.name}' received inputs for unknown names {unknown}; its inputs are "
                    f"named {names}."
                )
            missing = [name for name in names if name not in inputs]
            if missing:
                raise ValueError(f"Model '{self.name}' is missing inputs {missing} (expected keys {names}).")
            values = [inputs[name] for name in names]
        elif isinstance(inputs, (list, tuple)):
            values = list(inputs)
        else:
            values = [inputs]
        if len(values) == len(self._inputs) != len(fed):
            fed = self._inputs  # the caller also gave values for the constant inputs
        if len(values) != len(fed):
            raise ValueError(
                f"Model '{self.name}' expects {len(fed)} input array(s) {names}{constant_note}; "
                f"received {len(values)}."
            )
        return fed, values

    def _check_inputs(self, inputs, check_batch_dim: bool = True) -> tuple[list, list]:
        """``(tensors, values)`` of the fed inputs, ranks fitted, after checking their number
        and shapes (``check_batch_dim=False`` for whole datasets, batched later)."""
        if isinstance(inputs, host_prefix.HostEncoded):
            tensors, values = self._encoded_prefix().tensors(), jax.tree_util.tree_leaves(tuple(inputs))
            for tensor, value in zip(tensors, values):
                _check_input_shape(self, tensor, value, check_batch_dim)
            return tensors, values
        fed, given = self._pair_inputs(inputs)
        values = [_adjust_rank(tensor, value) for tensor, value in zip(fed, given)]
        for tensor, value, original in zip(fed, values, given):
            _check_input_shape(self, tensor, value, check_batch_dim, getattr(original, "shape", None))
        return fed, values

    def _feed(self, inputs, check_batch_dim: bool = True) -> dict:
        """Map the model's input tensors to the given values (checked as ``_check_inputs``
        does) and the constant inputs to their values."""
        if self._host_prefix is not None and not any_symbolic(inputs):
            inputs = self._encode_on_host(inputs)
        if isinstance(inputs, host_prefix.HostEncoded):
            self._check_inputs(inputs, check_batch_dim)
            mapping = self._encoded_prefix().feed(inputs)
            for tensor in self._inputs:
                if getattr(tensor.operation, "is_constant", False):
                    mapping[id(tensor)] = tensor.operation.constant_value()
            return mapping
        fed, values = self._check_inputs(inputs, check_batch_dim)
        mapping = {id(t): _as_input_dtype(t, v) for t, v in zip(fed, values)}
        for tensor in self._inputs:
            if id(tensor) not in mapping:
                mapping[id(tensor)] = tensor.operation.constant_value()
        return mapping

    def _convert_inputs(self, args, kwargs):
        # Raw data (strings) cannot become JAX arrays: the host prefix encodes it first.
        if self._host_prefix is not None and args and not any_symbolic(args[0]):
            args = (self._encode_on_host(args[0]),) + tuple(args[1:])
        return super()._convert_inputs(args, kwargs)

    def _encoded_prefix(self) -> "host_prefix.HostPrefix":
        if self._host_prefix is None:
            raise ValueError(f"Model '{self.name}' has no host layers, so it takes its inputs as arrays, not encoded.")
        return self._host_prefix

    def _encode_on_host(self, inputs) -> "host_prefix.HostEncoded":
        """Raw inputs (strings and numbers) run through the model's host prefix; already
        encoded inputs are returned as they are."""
        if isinstance(inputs, host_prefix.HostEncoded):
            return inputs
        fed, values = self._check_inputs(inputs, check_batch_dim=False)
        return self._host_prefix.encode(fed, values)

    def _adjust_input_ranks(self, inputs):
        """``inputs`` in the same structure, each array's rank fitted to its input as
        ``_feed`` does (so data adapters batch arrays of the model's shapes). Inputs
        that do not pair up are returned as given, for ``_feed`` to report."""
        if isinstance(inputs, host_prefix.HostEncoded):
            return inputs
        try:
            tensors, values = self._pair_inputs(inputs)
        except ValueError:
            return inputs
        adjusted = [_adjust_rank(tensor, value) for tensor, value in zip(tensors, values)]
        if isinstance(inputs, dict):
            return {**inputs, **dict(zip(self._fed_input_names, adjusted))}
        if isinstance(inputs, (list, tuple)):
            return type(inputs)(adjusted)
        return adjusted[0]

    def _pack(self, values: list):
        if isinstance(self._outputs_struct, dict):
            return dict(zip(self._outputs_struct, values))
        if isinstance(self._outputs_struct, list):
            return list(values)
        return values[0]

    def _run(self, inputs, input_masks=None):
        values = self._feed(inputs)
        masks = {}
        if input_masks is not None:
            masks = {id(t): m for t, m in zip(self._fed_inputs, input_masks) if m is not None}
        # With a host prefix, _feed has run it: the compiled part's nodes remain.
        nodes = self._nodes if self._host_prefix is None else self._host_prefix.compiled_nodes
        values, masks = replay(nodes, values, masks)
        outputs = [values[id(t)] for t in self._outputs]
        output_masks = [masks.get(id(t)) for t in self._outputs]
        return self._pack(outputs), output_masks

    def call(self, inputs, training=None, mask=None):
        masks = None if mask is None else (mask if isinstance(mask, (list, tuple)) else [mask])
        return self._run(inputs, masks)[0]

    def _replay(self, args, kwargs, node, input_masks):
        if any_symbolic((args, kwargs)):
            return super()._replay(args, kwargs, node, input_masks)
        training = self._resolve_training(kwargs)
        with call_context.enter(self, training):
            outputs, output_masks = self._run(args[0] if args else kwargs["inputs"], input_masks)
        return outputs, output_masks

    def _symbolic_call(self, args, kwargs, call_kwargs, training):
        inputs = args[0] if args else kwargs.get("inputs")
        with collect_nodes() as created, call_context.enter(self, training):
            values, _ = replay(self._nodes, self._feed(inputs))
        replayed = [values[id(t)] for t in self._outputs]
        outputs = [SymbolicTensor(t.shape, t.dtype, name=f"{self.name}/{t.name}") for t in replayed]
        for output, inner in zip(outputs, replayed):
            output._keras_mask = inner._keras_mask
        node = Node(self, args, kwargs, self._pack(outputs))
        for inner in created:
            if inner.parent_node is None:
                inner.parent_node = node
        for inner_node in self._nodes:
            for tensor in inner_node.outputs:
                derived = values.get(id(tensor))
                if isinstance(derived, SymbolicTensor) and derived is not tensor:
                    origin = _origin(tensor)
                    derived._origin = origin
                    if not hasattr(origin, "_derived"):
                        origin._derived = []
                    origin._derived.append(derived)
        return node.output_structure

    def get_config(self) -> dict:
        """Keras 3's functional config: layers with their inbound nodes, input and output layers."""
        return functional_config.get_functional_config(self)

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        """Rebuild the model and its graph (with fresh weights) from ``get_config()``."""
        return functional_config.functional_from_config(cls, config, custom_objects)
