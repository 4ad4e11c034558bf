"""Topology: which nodes a graph needs, in an order that computes each value once."""

from loom.graph.symbolic_tensor import SymbolicTensor


class DisconnectedError(Exception):
    """Internal: an output depends on an Input that is not among the given inputs."""

    def __init__(self, output, missing_input):
        super().__init__(f"{output!r} needs {missing_input!r}")
        self.output = output
        self.missing_input = missing_input


def nodes_between(inputs: list, outputs: list) -> tuple[list, set]:
    """The nodes computing ``outputs`` from ``inputs``, in topological order.

    Traversal stops at the given input tensors. Constant inputs
    (``Input(tensor=array)``) need no feeding and are included as nodes.

    Returns:
        ``(nodes, used_input_ids)``: the nodes in an order where every node comes
        after the nodes producing its inputs, and the ids of the given inputs that
        some output depends on.

    Raises:
        DisconnectedError: an output depends on an input tensor not given.
    """
    input_ids = {id(t) for t in inputs}
    used_inputs = set()
    ordered, done = [], set()
    for output in outputs:
        # Iterative post-order DFS: deep models must not hit Python's recursion limit.
        stack = [(output, False)]
        while stack:
            tensor, expanded = stack.pop()
            if id(tensor) in input_ids:
                used_inputs.add(id(tensor))
                continue
            node = tensor.node
            if node is None:
                raise DisconnectedError(output, tensor)
            if id(node) in done:
                continue
            if expanded:
                done.add(id(node))
                ordered.append(node)
                continue
            if node.is_input and not getattr(node.operation, "is_constant", False):
                raise DisconnectedError(output, tensor)
            stack.append((tensor, True))
            for parent_tensor in reversed(node.input_tensors):
                stack.append((parent_tensor, False))
    return ordered, used_inputs


def depends_on(tensor: SymbolicTensor, inputs: list) -> bool:
    """Whether ``tensor`` can be computed from ``inputs`` (and constants) alone."""
    try:
        nodes_between(inputs, [tensor])
    except DisconnectedError:
        return False
    return True


def node_depths(nodes: list) -> dict:
    """Depth of each node by id: 0 where nothing in ``nodes`` consumes its outputs,
    else one more than its deepest consumer (Keras orders ``model.layers`` by it)."""
    depths = {id(node): 0 for node in nodes}
    # Reverse topological order: every consumer is seen before its producers.
    for node in reversed(nodes):
        for parent in node.parent_nodes:
            if id(parent) in depths:
                depths[id(parent)] = max(depths[id(parent)], depths[id(node)] + 1)
    return depths
