"""Model summaries: a table of layers, output shapes, parameter counts and connections, sized as Keras sizes it.

The layout follows Keras 3's ``summary_utils``: a chain of layers gets three
columns in 88 characters, a graph with several inputs, merges or shared layers
adds "Connected to" in 108, ``show_trainable`` adds 12; the default is capped
at the terminal's width less 4 (80 columns when the output is no terminal), and
a captured summary (``print_fn``, or logging) is cropped at the width rich finds.
"""

import math
import re
import shutil

import jax.numpy as jnp
import numpy as np
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from loom.utils import interactive_logging

# Keras's palette (xterm colours), seen only when printing to a colour terminal.
_NUMBER_STYLE, _CLASS_STYLE = "color(34)", "color(33)"


def count_params(weights) -> int:
    return int(sum(math.prod(w.shape) for w in weights))


def weight_memory_size(weights) -> int:
    """Bytes held by ``weights``, each counted once."""
    unique = {id(w): w for w in weights}.values()
    return int(sum(math.prod(w.shape) * jnp.dtype(w.dtype).itemsize for w in unique))


def readable_memory_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


# --- what the table shows -----------------------------------------------------------
def _is_functional(model) -> bool:
    return hasattr(model, "_nodes") and not hasattr(model, "_stack")


def _nodes_in(model, layer) -> list:
    return [node for node in getattr(model, "_nodes", ()) if node.operation is layer]


def _node_inputs(node) -> list:
    """The arguments of ``node`` that are tensors: symbolic ones and constants."""
    return [leaf for leaf in _leaves((node.arguments.args, node.arguments.kwargs)) if hasattr(leaf, "shape")]


def _leaves(structure) -> list:
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _leaves(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in _leaves(item)]
    return [structure]


def _is_sequential_like(model) -> bool:
    """Whether the model is a plain chain (no "Connected to" column), as Keras decides:
    one node per depth, each node fed one tensor, no layer called twice."""
    if not _is_functional(model):
        return True
    _, nodes_per_depth = _graph_order(model)
    if any(count > 1 for count in nodes_per_depth.values()):
        return False
    if any(len(_node_inputs(node)) > 1 for node in model._nodes):
        return False
    operations = [id(node.operation) for node in model._nodes]
    return len(set(operations)) == len(operations)


def _graph_order(model) -> tuple[list, dict]:
    """``(operations, nodes_per_depth)``: the model's operations in Keras's order (by
    decreasing depth, then in the order a depth-first walk from the outputs meets them;
    loom's ``model.layers`` lists the inputs first) and how many nodes each depth holds."""
    input_ids = {id(t) for t in model.inputs}
    input_nodes = [t.node for t in model.inputs if t.node is not None and t.node.is_input]
    in_graph = {id(node) for node in model._nodes}
    nodes = [node for node in input_nodes if id(node) not in in_graph] + list(model._nodes)
    in_graph.update(id(node) for node in input_nodes)
    node_depth, operation_depth = {}, {}
    for node in reversed(nodes):  # consumers before producers
        depth = max(node_depth.get(id(node), 0), operation_depth.get(id(node.operation), 0))
        node_depth[id(node)] = operation_depth[id(node.operation)] = depth
        for parent in node.parent_nodes:
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    first_met, seen, stack = {}, set(), list(reversed(model.outputs))
    while stack:
        tensor = stack.pop()
        node = tensor.node
        if node is None or id(node) in seen or id(node) not in in_graph:
            continue
        seen.add(id(node))
        first_met.setdefault(id(node.operation), len(first_met))
        if id(tensor) not in input_ids:
            stack.extend(reversed(node.input_tensors))
    operations = sorted(
        model._operations, key=lambda op: (-operation_depth.get(id(op), 0), first_met.get(id(op), -1))
    )
    nodes_per_depth = {}
    for depth in node_depth.values():
        nodes_per_depth[depth] = nodes_per_depth.get(depth, 0) + 1
    return operations, nodes_per_depth


def _format_shape(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def _is_shape(value) -> bool:
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int) for d in value)


def _format_structure(shapes) -> str:
    """One shape as ``(None, 4)``; several as Keras writes them: ``[(None, 4), (None, 2)]``."""
    if _is_shape(shapes):
        return _format_shape(shapes)
    if isinstance(shapes, dict):
        return "{" + ", ".join(f"{key}: {_format_structure(value)}" for key, value in shapes.items()) + "}"
    parts = [_format_structure(value) for value in shapes]
    return ("[{}]" if isinstance(shapes, list) else "({})").format(", ".join(parts))


def _node_output_shapes(node):
    leaves = node.outputs
    if len(leaves) == 1:
        return leaves[0].shape
    return _map_tensors(node.output_structure)


def _map_tensors(structure):
    if isinstance(structure, dict):
        return {key: _map_tensors(value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map_tensors(value) for value in structure)
    return structure.shape


def _output_shape(context, layer) -> str:
    """The layer's output shape within ``context`` (the model whose table this is)."""
    # Only the calls made inside this model: the layer may also serve other models.
    nodes = _nodes_in(context, layer) if hasattr(context, "_nodes") else list(getattr(layer, "_inbound_nodes", ()))
    if not nodes and getattr(layer, "is_input_layer", False):
        return _format_shape(layer.output.shape)
    texts = {_format_structure(_node_output_shapes(node)) for node in nodes}
    if len(texts) == 1:
        return texts.pop()
    if texts:
        return "multiple"  # a shared layer called on different shapes (Keras 2's word; Keras 3 shows the last)
    return _built_output_shape(layer)


def _built_output_shape(layer) -> str:
    """For a layer that only ran eagerly (inside a subclassed model): the output shape
    for the shape it was built on. Fit builds on a one-row probe, so the batch axis of
    that shape means nothing and is shown as None, as for functional models."""
    graph_outputs = getattr(layer, "_outputs", None)  # a nested Functional or Sequential knows its own
    if graph_outputs:
        return _format_structure([t.shape for t in graph_outputs] if len(graph_outputs) > 1 else graph_outputs[0].shape)
    shapes = getattr(layer, "_build_shapes", None)
    if not getattr(layer, "built", False) or shapes is None:
        return "?"
    if _is_shape(shapes) and shapes:
        shapes = (None,) + tuple(shapes[1:])
    try:
        return _format_structure(layer.compute_output_shape(shapes))
    except Exception:  # noqa: BLE001 - a layer whose shape needs more than its first input's: Keras shows "?" too
        return "?"


def _connections(model, layer, names: dict) -> str:
    parts = []
    for node in _nodes_in(model, layer):
        for value in _node_inputs(node):
            history = getattr(value, "_history", None)
            if history is not None:
                producer, node_index, tensor_index = history
                parts.append(f"{names.get(id(producer), producer.name)}[{node_index}][{tensor_index}]")
            else:  # loom keeps arrays met in the graph as constants of its nodes
                parts.append(f"constant {tuple(np.shape(value))}")
    return ", ".join(parts) or "-"


def _layers_of(model) -> list:
    if _is_functional(model):
        return _graph_order(model)[0]
    return list(model.layers)


def _display_names(model) -> dict:
    names = model._layer_names() if hasattr(model, "_layer_names") else {}
    names.update(getattr(model, "_display_names", {}))
    return names


def _row(context, layer, names: dict, columns: list, prefix: str) -> list:
    kind = type(layer).__name__
    if kind == "FunctionOperation":
        kind = f"ops.{layer.function_name}"
    cells = [Text(f"{prefix}{names.get(id(layer), layer.name)} (").append(kind, _CLASS_STYLE).append(")")]
    cells.append(Text(_output_shape(context, layer)))
    weights = getattr(layer, "weights", [])
    if not getattr(layer, "built", True):
        cells.append(Text("0", _NUMBER_STYLE).append(" (unbuilt)"))
    else:
        cells.append(Text(f"{count_params(weights):,}", _NUMBER_STYLE))
    if "Connected to" in columns:
        cells.append(Text(_connections(context, layer, names)))
    if "Trainable" in columns:
        if not weights:
            cells.append(Text("-", "bold"))
        else:
            cells.append(Text("Y", "bold color(34)") if layer.trainable else Text("N", "bold color(9)"))
    return cells


def _rows(context, layers, columns: list, expand_nested: bool, level: int = 0) -> list:
    names = _display_names(context)
    prefix = "   " * level + "└ " if level else ""
    rows = []
    for layer in layers:
        rows.append(_row(context, layer, names, columns, prefix))
        inner = getattr(layer, "layers", None) if expand_nested else None
        if inner and getattr(layer, "built", True):
            rows.extend(_rows(layer, _layers_of(layer), columns, expand_nested, level + 1))
    return rows


def _layer_range_bounds(layers, layer_range) -> tuple[int, int]:
    """``[start, stop)`` of the top-level layers from the first matching ``layer_range[0]``
    to the last matching ``layer_range[1]`` (names or regular expressions, as Keras)."""
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2 or not all(isinstance(name, str) for name in layer_range):
        raise ValueError(
            f"layer_range must be two layer names (or regular expressions), [first, last]; received {layer_range!r}."
        )
    names = [layer.name for layer in layers]
    lower = [i for i, name in enumerate(names) if re.match(layer_range[0], name)]
    upper = [i for i, name in enumerate(names) if re.match(layer_range[1], name)]
    if not lower or not upper:
        raise ValueError(f"layer_range {list(layer_range)!r} names a layer not in the summary; its layers: {names}.")
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


# --- the table's geometry -------------------------------------------------------------
def _columns(sequential_like: bool, show_trainable: bool, line_length, positions) -> tuple[int, list]:
    """``(line_length, [Column])``: Keras's headers, alignments and widths."""
    if sequential_like:
        default_length, default_positions = 88, [0.45, 0.80, 1.0]
        headers, justify = ["Layer (type)", "Output Shape", "Param #"], ["left", "left", "right"]
    else:
        default_length, default_positions = 108, [0.3, 0.56, 0.74, 1.0]
        headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        justify = ["left", "left", "right", "left"]
    positions = list(positions or default_positions)
    if len(positions) != len(headers):
        raise ValueError(
            f"positions needs one end position per column {headers}; received {len(positions)}: {positions}."
        )
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        headers, justify = headers + ["Trainable"], justify + ["center"]
    # Not wider than the terminal (80 columns when stdout is no terminal), as Keras.
    line_length = line_length or min(default_length, shutil.get_terminal_size().columns - 4)
    if positions[-1] <= 1:  # relative ends; absolute ones (Keras 2) are used as given
        positions = [int(p * line_length) for p in positions]
    columns, start = [], 0
    for header, align, end in zip(headers, justify, positions):
        width = int(end) - start
        if width < 4:
            raise ValueError(
                f"The summary's column '{header}' would be {width} characters wide at line_length={line_length}; "
                "each column needs at least 4. Pass a larger line_length (or positions further apart)."
            )
        columns.append(Column(header, justify=align, width=width))
        start += width
    return line_length, columns


def _totals(model) -> list:
    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    lines = [
        ("Trainable params", count_params(trainable), weight_memory_size(trainable)),
        ("Non-trainable params", count_params(non_trainable), weight_memory_size(non_trainable)),
    ]
    optimizer = getattr(model, "optimizer", None)
    if getattr(model, "compiled", False) and optimizer is not None and getattr(optimizer, "built", False):
        lines.append(("Optimizer params", count_params(optimizer.variables), weight_memory_size(optimizer.variables)))
    total = ("Total params", sum(line[1] for line in lines), sum(line[2] for line in lines))
    return [
        Text.assemble((f" {label}: ", "bold"), (f"{count:,}", _NUMBER_STYLE), f" ({readable_memory_size(size)})")
        for label, count, size in [total, *lines]
    ]


def print_summary(
    model,
    line_length: int | None = None,
    positions=None,
    print_fn=None,
    expand_nested: bool = False,
    show_trainable: bool = False,
    layer_range=None,
) -> None:
    """Print the summary table of ``model``; see ``Model.summary``.

    Args:
        line_length: the table's width; by default 88 (108 with a "Connected to"
            column, 12 more with ``show_trainable``), at most the terminal's width less 4.
        positions: where each column ends, as fractions of ``line_length`` (or absolute).
        print_fn: called once with the whole summary text instead of printing it.
        expand_nested: also list the layers of nested models, indented.
        show_trainable: add a column saying whether each layer's weights train.
        layer_range: ``[first, last]`` layer names (or regular expressions) to list.
    """
    # An unbuilt model is listed as Keras lists it: shapes "?", parameters "0 (unbuilt)".
    line_length, columns = _columns(_is_sequential_like(model), show_trainable, line_length, positions)
    headers = [str(column.header) for column in columns]
    layers = _layers_of(model)
    start, stop = _layer_range_bounds(layers, layer_range)
    table = Table(*columns, width=line_length, show_lines=True)
    for row in _rows(model, layers[start:stop], headers, expand_nested):
        table.add_row(*row)

    if print_fn is None and not interactive_logging.is_interactive_logging_enabled():
        print_fn = interactive_logging.print_msg
    if print_fn is None:
        console = Console(highlight=False)
    else:  # plain text, as wide as rich finds the terminal (80 columns when there is none)
        console = Console(highlight=False, force_terminal=False, color_system=None)
        console.begin_capture()
    console.print(Text(f'Model: "{model.name}"', "bold"))
    console.print(table)
    for line in _totals(model):
        console.print(line)
    if print_fn is interactive_logging.print_msg:
        print_fn(console.end_capture(), line_break=False)
    elif print_fn is not None:
        print_fn(console.end_capture())
