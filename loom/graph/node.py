"""Node: one call of an operation (a layer or an op) on symbolic tensors."""

import threading

import jax

from loom.graph.call_arguments import CallArguments
from loom.graph.symbolic_tensor import SymbolicTensor

_local = threading.local()


class Node:
    """Records ``outputs = operation(*args, **kwargs)`` in a graph.

    Attributes:
        operation: the layer or op called.
        arguments: the call's arguments, symbolic tensors and constants included.
        input_tensors: the symbolic tensors among the arguments, in order.
        outputs: the flat list of symbolic tensors produced.
        output_structure: the structure the call returned (a tensor, tuple, dict).
        parent_node: for a node created while a model replayed its graph on new
            tensors, the node of that model call; None for a direct call.
        derived_tensors: for a model call, a map from the id of each tensor of
            the model's own graph to the tensor it became in this call.
    """

    def __init__(self, operation, args=(), kwargs=None, outputs=None):
        self.operation = operation
        self.arguments = CallArguments(args, kwargs or {})
        self.output_structure = outputs
        self.outputs = [
            x for x in jax.tree_util.tree_leaves(outputs, is_leaf=lambda x: isinstance(x, SymbolicTensor))
            if isinstance(x, SymbolicTensor)
        ]
        self.parent_node = None
        self.derived_tensors = {}
        operation._inbound_nodes.append(self)
        self.index = len(operation._inbound_nodes) - 1
        for i, tensor in enumerate(self.outputs):
            tensor._history = (operation, self.index, i)
        for tensor in self.input_tensors:
            if tensor.operation is not None:
                tensor.operation._outbound_nodes.append(self)
        for collector in getattr(_local, "collectors", ()):
            collector.append(self)

    @property
    def input_tensors(self) -> list:
        return self.arguments.tensors

    @property
    def is_input(self) -> bool:
        return not self.input_tensors and getattr(self.operation, "is_input_layer", False)

    @property
    def parent_nodes(self) -> list:
        return [t.node for t in self.input_tensors if t.node is not None]

    def __repr__(self):
        return f"<Node {self.operation.name}[{self.index}]>"


class collect_nodes:
    """Context manager listing every Node created inside it (for model replays)."""

    def __enter__(self):
        self.nodes = []
        if not hasattr(_local, "collectors"):
            _local.collectors = []
        _local.collectors.append(self.nodes)
        return self.nodes

    def __exit__(self, *exc):
        _local.collectors.pop()
