"""Model summaries: a rich table of layers, output shapes, parameters and connections."""

import io

import jax
import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table


def _format_shape(shapes) -> str:
    if shapes is None:
        return "?"
    if isinstance(shapes, list):
        return ", ".join(_format_shape(s) for s in shapes) if len(shapes) < 4 else "multiple"
    return "(" + ", ".join("None" if d is None else str(d) for d in shapes) + (",)" if len(shapes) == 1 else ")")


def _param_count(variables) -> int:
    return int(sum(np.prod(v.shape, dtype=np.int64) for v in variables))


def _format_size(count_bytes: int) -> str:
    size = float(count_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} GB"


def _bytes(variables) -> int:
    return int(sum(np.prod(v.shape, dtype=np.int64) * np.dtype(v.dtype).itemsize for v in variables))


def _nodes_in_model(model, operation) -> list:
    nodes = getattr(model, "_nodes", None)
    if nodes is None:
        return []
    return [node for node in nodes if node.operation is operation]


def _output_shapes(model, operation):
    nodes = _nodes_in_model(model, operation)
    if not nodes and getattr(operation, "is_input_layer", False):
        return operation.output.shape
    shapes = [[t.shape for t in node.outputs] for node in nodes]
    shapes = [s[0] if len(s) == 1 else s for s in shapes]
    if not shapes:
        return None
    if all(s == shapes[0] for s in shapes):
        return shapes[0]
    return "multiple"


def _connections(model, operation, names: dict) -> str:
    lines = []
    for node in _nodes_in_model(model, operation):
        parts = []
        for value in _flat_arguments(node):
            if hasattr(value, "_history") and value._history is not None:
                producer, node_index, tensor_index = value._history
                label = names.get(id(producer), producer.name)
                parts.append(f"{label}[{node_index}][{tensor_index}]")
            elif hasattr(value, "shape"):
                parts.append(f"constant {tuple(np.shape(value))}")
        lines.append(", ".join(parts) if parts else "-")
    return "\n".join(lines) if lines else "-"


def _flat_arguments(node) -> list:
    return [
        leaf
        for leaf in jax.tree_util.tree_leaves(
            (node.arguments.args, node.arguments.kwargs), is_leaf=lambda x: hasattr(x, "_history")
        )
        if hasattr(leaf, "shape")
    ]


def _rows(model, expand_nested: bool, show_trainable: bool, prefix: str = "") -> list:
    functional = hasattr(model, "_nodes")
    operations = list(getattr(model, "_operations", None) or model.layers) if functional else list(model.layers)
    if type(model).__name__ == "Sequential" or hasattr(model, "_stack"):
        operations = list(model.layers)
    names = model._layer_names() if hasattr(model, "_layer_names") else {}
    if functional:
        names.update(getattr(model, "_display_names", {}))
    rows = []
    for operation in operations:
        kind = type(operation).__name__
        if kind == "FunctionOperation":
            kind = f"ops.{operation.function_name}"
        name = names.get(id(operation), operation.name)
        weights = getattr(operation, "weights", [])
        row = {
            "layer": f"{prefix}{name} ({kind})",
            "shape": _format_shape(_output_shapes(model, operation)) if functional else _subclassed_shape(operation),
            "params": f"{_param_count(weights):,}" if getattr(operation, "built", True) else "0 (unbuilt)",
            "connected": _connections(model, operation, names) if functional else None,
            "trainable": ("Y" if operation.trainable else "N") if hasattr(operation, "trainable") else "-",
        }
        rows.append(row)
        if expand_nested and hasattr(operation, "layers") and hasattr(operation, "_nodes"):
            rows.extend(_rows(operation, expand_nested, show_trainable, prefix=prefix + " └ "))
    return rows


def _subclassed_shape(layer) -> str:
    try:
        return _format_shape(layer.output_shape)
    except (AttributeError, RuntimeError):
        return "?"


def summary_text(model, line_length=None, expand_nested=False, show_trainable=False, layer_range=None) -> str:
    """The summary table of ``model`` as plain text."""
    if not model.built:
        raise ValueError(
            f"Model '{model.name}' has not been built yet, so its layers have no weights or shapes. "
            "Build it by calling it on data, by calling build(input_shape), or by starting it with Input."
        )
    functional = hasattr(model, "_nodes") and not hasattr(model, "_stack")
    rows = _rows(model, expand_nested, show_trainable)
    if layer_range is not None:
        start, stop = _layer_range_indices(rows, layer_range)
        rows = rows[start:stop]
    table = Table(title=f'Model: "{model.name}"', box=box.HEAVY_HEAD, show_lines=True, title_justify="left")
    table.add_column("Layer (type)", overflow="fold")
    table.add_column("Output Shape", overflow="fold")
    table.add_column("Param #", justify="right")
    if functional:
        table.add_column("Connected to", overflow="fold")
    if show_trainable:
        table.add_column("Trainable", justify="center")
    for row in rows:
        cells = [row["layer"], row["shape"], row["params"]]
        if functional:
            cells.append(row["connected"])
        if show_trainable:
            cells.append(row["trainable"])
        table.add_row(*cells)
    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    total = trainable + non_trainable
    width = line_length or (120 if functional else 90)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False, highlight=False)
    console.print(table)
    console.print(f" Total params: {_param_count(total):,} ({_format_size(_bytes(total))})")
    console.print(f" Trainable params: {_param_count(trainable):,} ({_format_size(_bytes(trainable))})")
    console.print(f" Non-trainable params: {_param_count(non_trainable):,} ({_format_size(_bytes(non_trainable))})")
    return buffer.getvalue()


def _layer_range_indices(rows, layer_range):
    names = [row["layer"].split(" (")[0].strip() for row in rows]
    if len(layer_range) != 2:
        raise ValueError(f"layer_range must be [first_name, last_name]; received {layer_range!r}.")
    try:
        return names.index(layer_range[0]), names.index(layer_range[1]) + 1
    except ValueError:
        raise ValueError(f"layer_range {layer_range!r} names a layer not in the summary: {names}.") from None


def print_summary(model, line_length=None, print_fn=None, expand_nested=False, show_trainable=False, layer_range=None):
    text = summary_text(model, line_length, expand_nested, show_trainable, layer_range)
    if print_fn is None:
        print(text, end="")
    else:
        print_fn(text)
