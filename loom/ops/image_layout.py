"""Image layout for the ``loom.ops.image`` functions: argument checks and a batched channels-last view.

Every image op takes one image ``(height, width, channels)`` or a batch
``(batch, height, width, channels)`` (channels first when ``data_format`` says
so). Ops compute on the batched channels-last form and convert back at the end.
"""

import jax.numpy as jnp

from loom.config.defaults import standardize_data_format
from loom.ops.core import convert_to_tensor


def data_format(value, op: str) -> str:
    """``loom.config.image_data_format()`` for None, else the checked value."""
    return standardize_data_format(value, f"ops.image.{op}")


def images(value, op: str, name: str = "images", ranks: tuple = (3, 4)):
    """``value`` as an array, checked to have one of ``ranks``."""
    value = convert_to_tensor(value)
    if value.ndim not in ranks:
        wanted = " or ".join(str(r) for r in ranks)
        kinds = {3: "one image (height, width, channels)", 4: "a batch (batch, height, width, channels)"}
        examples = "; ".join(kinds[r] for r in ranks if r in kinds)
        raise ValueError(
            f"ops.image.{op}: `{name}` must have rank {wanted} ({examples}, or channels first); "
            f"received {name}.shape={tuple(value.shape)}."
        )
    return value


def choice(value, allowed, op: str, name: str) -> str:
    """``value`` checked to be one of ``allowed``."""
    if value not in allowed:
        raise ValueError(
            f"ops.image.{op}: `{name}` must be one of {', '.join(repr(a) for a in allowed)}; received {name}={value!r}."
        )
    return value


def to_batched_channels_last(x, data_format_: str):
    """``(x as (batch, height, width, channels), whether a batch axis was added)``."""
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    if data_format_ == "channels_first":
        x = jnp.transpose(x, (0, 2, 3, 1))
    return x, unbatched


def from_batched_channels_last(x, data_format_: str, unbatched: bool):
    """Undo ``to_batched_channels_last``."""
    if data_format_ == "channels_first":
        x = jnp.moveaxis(x, 3, 1)
    return x[0] if unbatched else x


def spatial_axes(data_format_: str) -> tuple:
    """The (height, width) axes of an image or a batch, as negative indices."""
    return (-3, -2) if data_format_ == "channels_last" else (-2, -1)


def channels_axis(data_format_: str) -> int:
    return -1 if data_format_ == "channels_last" else -3
