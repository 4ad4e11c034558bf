"""Checks of the window arguments (sizes, strides, padding, data_format) that spatial layers share.

Each check names the layer and the argument, says what it received and what it
accepts, and returns the value in canonical form (a tuple of ints, a lower-case
string), so that ``get_config`` stores what Keras stores.
"""

import numpy as np

from loom.config.defaults import image_data_format

_DATA_FORMATS = ("channels_last", "channels_first")
_AXIS_NAMES = {1: ("steps",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def data_format(layer, value) -> str:
    """The configured ``image_data_format()`` for None, else the checked lower-cased value.

    Every layer with a ``data_format`` argument resolves it here, once, in its constructor.
    """
    if value is None:
        return image_data_format()
    if not isinstance(value, str) or value.lower() not in _DATA_FORMATS:
        raise ValueError(
            f"{layer.describe()}: `data_format` must be 'channels_last' or 'channels_first'; "
            f"received data_format={value!r}."
        )
    return value.lower()


def padding(layer, value, allowed=("valid", "same")) -> str:
    """The lower-cased padding mode, one of ``allowed``."""
    if not isinstance(value, str) or value.lower() not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        hint = " ('causal' is available in Conv1D only)" if value == "causal" else ""
        raise ValueError(f"{layer.describe()}: `padding` must be one of {choices}; received padding={value!r}{hint}.")
    return value.lower()


def positive_int(layer, value, name: str) -> int:
    if not _is_int(value) or value <= 0:
        raise ValueError(f"{layer.describe()}: `{name}` must be a positive integer; received {name}={value!r}.")
    return int(value)


def int_tuple(layer, value, rank: int, name: str, minimum: int = 1) -> tuple:
    """``value`` (an int, or ``rank`` ints) as a tuple of ``rank`` ints, each >= ``minimum``."""
    values = (value,) * rank if _is_int(value) else value
    if not isinstance(values, (list, tuple)) or len(values) != rank or not all(_is_int(v) for v in values):
        example = ", ".join(["2"] * rank)
        raise ValueError(
            f"{layer.describe()}: `{name}` must be an int or a tuple of {rank} ints; received {name}={value!r}. "
            f"E.g. {name}=2 or {name}=({example}{',' if rank == 1 else ''})."
        )
    if any(v < minimum for v in values):
        bound = "positive" if minimum == 1 else f">= {minimum}"
        raise ValueError(f"{layer.describe()}: every entry of `{name}` must be {bound}; received {name}={value!r}.")
    return tuple(int(v) for v in values)


def pair_tuple(layer, value, rank: int, name: str) -> tuple:
    """``value`` as ``rank`` (before, after) pairs of ints >= 0, Keras style.

    An int applies to both sides of every axis; a sequence gives one entry per
    axis, each an int (both sides) or a pair. With one axis, a bare pair of ints
    is its (before, after), as in Keras's ZeroPadding1D and Cropping1D.
    """
    entries = (value,) * rank if _is_int(value) else value
    if rank == 1 and isinstance(value, (list, tuple)) and len(value) == 2 and all(_is_int(v) for v in value):
        entries = (tuple(value),)
    if not isinstance(entries, (list, tuple)) or len(entries) != rank:
        raise ValueError(
            f"{layer.describe()}: `{name}` must be an int, a tuple of {rank} ints or a tuple of {rank} "
            f"(before, after) pairs; received {name}={value!r}."
        )
    pairs = []
    for entry in entries:
        pair = (entry, entry) if _is_int(entry) else entry
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(_is_int(v) for v in pair):
            raise ValueError(
                f"{layer.describe()}: each entry of `{name}` must be an int or a (before, after) pair of ints; "
                f"received {name}={value!r}."
            )
        if any(v < 0 for v in pair):
            raise ValueError(f"{layer.describe()}: `{name}` cannot be negative; received {name}={value!r}.")
        pairs.append((int(pair[0]), int(pair[1])))
    return tuple(pairs)


def spatial_shape(input_shape, data_format_value: str) -> tuple:
    """The spatial dims of ``input_shape`` (ints, or None where unknown)."""
    dims = tuple(input_shape)[1:-1] if data_format_value == "channels_last" else tuple(input_shape)[2:]
    return tuple(int(d) if _is_int(d) else None for d in dims)


def channel_axis(data_format_value: str) -> int:
    return -1 if data_format_value == "channels_last" else 1


def check_rank(layer, input_shape, rank: int, data_format_value: str) -> None:
    """Raise a ValueError naming the expected layout unless the input has rank ``rank + 2``."""
    input_shape = tuple(input_shape)
    if len(input_shape) == rank + 2:
        return
    axes = _AXIS_NAMES[rank]
    layout = ("batch", *axes, "channels") if data_format_value == "channels_last" else ("batch", "channels", *axes)
    hint = ""
    if len(input_shape) == rank + 1 and data_format_value == "channels_last":
        hint = f" For one channel, add a channel axis, e.g. Reshape({input_shape[1:] + (1,)})."
    raise ValueError(
        f"{layer.describe()} expects inputs of rank {rank + 2}, ({', '.join(layout)}); received shape "
        f"{input_shape} (rank {len(input_shape)}).{hint}"
    )


def check_window_fits(
    layer, input_shape, data_format_value: str, window: tuple, window_name: str, dilation_rate: tuple | None = None
) -> None:
    """With padding='valid', raise a ValueError if the (dilated) window exceeds a known spatial dim."""
    spatial = spatial_shape(input_shape, data_format_value)
    dilation_rate = dilation_rate or (1,) * len(window)
    spans = tuple((w - 1) * d + 1 for w, d in zip(window, dilation_rate))
    if not any(size is not None and span > size for size, span in zip(spatial, spans)):
        return
    what = f"{window_name} {window}"
    if spans != window:
        what += f" with dilation_rate {dilation_rate} spans {spans}, which"
    noun = "kernel" if window_name == "kernel_size" else "window"
    raise ValueError(
        f"{layer.describe()}: {what} is larger than the input's spatial size {spatial} with padding='valid'; "
        f"use padding='same' or a smaller {noun}."
    )
