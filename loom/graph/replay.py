"""Replay: run a graph's nodes on values (arrays, tracers, or new symbolic tensors)."""

import jax

from loom.graph.symbolic_tensor import SymbolicTensor


def replay(nodes: list, values: dict, masks: dict | None = None) -> tuple[dict, dict]:
    """Compute every node's outputs from the values of the graph's inputs.

    Args:
        nodes: nodes in topological order (see ``topology.nodes_between``).
        values: ``{id(input tensor): value}`` for the fed inputs.
        masks: ``{id(input tensor): mask}`` for inputs that carry a mask.

    Returns:
        ``(values, masks)`` extended with every node output, keyed the same way.
        Each operation is called through its ``_replay`` hook, which receives the
        masks of its inputs and returns the masks of its outputs.
    """
    values = dict(values)
    masks = dict(masks or {})
    for node in nodes:
        if node.is_input:
            # Constant inputs (Input(tensor=array)) provide their own value.
            tensor = node.outputs[0]
            if id(tensor) not in values:
                values[id(tensor)] = node.operation.constant_value()
            continue
        args, kwargs = node.arguments.fill(values)
        input_masks = [masks.get(id(t)) for t in node.input_tensors]
        outputs, output_masks = node.operation._replay(args, kwargs, node, input_masks)
        flat_outputs = jax.tree_util.tree_leaves(outputs, is_leaf=lambda x: x is None or isinstance(x, SymbolicTensor))
        if len(flat_outputs) != len(node.outputs):
            raise RuntimeError(
                f"'{node.operation.name}' returned {len(flat_outputs)} outputs when run, but "
                f"{len(node.outputs)} when the graph was built; a layer must return the same "
                "structure every time it is called."
            )
        flat_masks = output_masks if isinstance(output_masks, (list, tuple)) else [output_masks] * len(flat_outputs)
        for tensor, value, mask in zip(node.outputs, flat_outputs, flat_masks):
            values[id(tensor)] = value
            if mask is not None:
                masks[id(tensor)] = mask
    return values, masks
