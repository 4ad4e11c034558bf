"""layout_summary: where each variable of a model lives under a distribution, as a table."""

import math


def _shard_shape(value) -> tuple:
    shards = getattr(value, "addressable_shards", None)
    return tuple(shards[0].data.shape) if shards else tuple(value.shape)


def layout_summary(model, print_fn=None, include_optimizer: bool = True) -> str:
    """Print (and return) one line per variable: path, shape, mesh axes per dimension,
    the shape each device holds, and on how many devices.

    Args:
        model: a built model (its optimizer's variables follow when it has one).
        print_fn: called with the table's text; default ``print``.
        include_optimizer: also list the optimizer's variables.
    """
    variables = list(model.variables)
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None:
        variables += list(optimizer.variables)
    rows = [("variable", "shape", "layout", "per device", "devices")]
    held = 0
    for variable in variables:
        value = variable._value
        sharding = getattr(value, "sharding", None)
        spec = getattr(sharding, "spec", None)
        axes = tuple(spec) + (None,) * (len(variable.shape) - len(tuple(spec))) if spec is not None else ()
        layout = "(" + ", ".join("-" if a is None else str(a) for a in axes) + ")" if axes else "replicated"
        if all(a is None for a in axes):
            layout = "replicated"
        per_device = _shard_shape(value)
        held += math.prod(per_device) * value.dtype.itemsize
        devices = len(sharding.device_set) if sharding is not None else 1
        rows.append((variable.path, str(tuple(variable.shape)), layout, str(per_device), str(devices)))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.append(f"bytes held by each device: {held:,}")
    text = "\n".join(lines)
    (print_fn or print)(text)
    return text
