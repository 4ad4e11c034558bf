"""Questions about symbolic tensors asked from outside the graph: ``is_keras_tensor``, ``get_source_inputs``.

Both read a tensor's recorded history by attribute (``_history``, the node's
``input_tensors``) rather than importing loom.graph, which sits above
loom.utils in the import order.
"""


def is_keras_tensor(x) -> bool:
    """Whether ``x`` is a symbolic tensor (``loom.KerasTensor``), as opposed to an array.

    Example:

    >>> import loom, numpy as np
    >>> is_keras_tensor(loom.Input((3,))), is_keras_tensor(np.zeros(3))
    (True, False)
    """
    from loom.graph.symbolic_tensor import SymbolicTensor  # above loom.utils; see the module docstring

    return isinstance(x, SymbolicTensor)


def get_source_inputs(tensor) -> list:
    """The input tensors (``Input(...)`` results) that ``tensor`` is computed from.

    Args:
        tensor: a symbolic tensor. Anything without a graph history is returned unchanged,
            as in Keras.

    Returns:
        A list of symbolic tensors, each once, in the order the graph reaches them.

    Example:

    >>> import loom
    >>> a, b = loom.Input((2,)), loom.Input((2,))
    >>> get_source_inputs(loom.layers.Add()([a, loom.layers.Dense(2)(b)])) == [a, b]
    True
    """
    if not hasattr(tensor, "_history"):
        return tensor
    sources = []
    stack = [tensor]
    visited = set()
    while stack:  # depth-first, left to right, without recursion (deep graphs)
        current = stack.pop()
        if id(current) in visited:
            continue
        visited.add(id(current))
        node = current.node
        if node is None or node.is_input:
            if all(current is not source for source in sources):
                sources.append(current)
            continue
        stack.extend(reversed(node.input_tensors))
    return sources
