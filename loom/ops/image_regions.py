"""Regions of images: cropping, padding, and patches gathered into channels."""

import jax
import jax.numpy as jnp
import numpy as np

from loom.ops import image_layout as layout
from loom.ops.core import convert_to_tensor
from loom.ops.operation import symbolic_op


def _resolve_sides(op, verb, size, first, second, target, names):
    """The two margins of one axis from exactly two of (first margin, second margin, target size)."""
    if [first, second, target].count(None) != 1:
        raise ValueError(
            f"ops.image.{op}: give exactly two of `{names[0]}`, `{names[1]}` and `{names[2]}`; received "
            f"{names[0]}={first}, {names[1]}={second}, {names[2]}={target}."
        )
    for name, value in zip(names, (first, second, target)):
        if value is not None and value < 0:
            raise ValueError(f"ops.image.{op}: `{name}` must be >= 0; received {name}={value}.")
    sign = 1 if verb == "pad" else -1  # padding grows the axis, cropping shrinks it
    if first is None:
        first = sign * (target - size) - second
    elif second is None:
        second = sign * (target - size) - first
    for name, value in zip(names[:2], (first, second)):
        if value < 0:
            raise ValueError(
                f"ops.image.{op}: `{names[2]}`={target} leaves `{name}`={value} for an axis of size {size}; "
                f"the {'target must be at least' if verb == 'pad' else 'target must be at most'} the size "
                "plus the given margin."
            )
    return first, second


@symbolic_op
def pad_images(
    images,
    top_padding=None,
    left_padding=None,
    bottom_padding=None,
    right_padding=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    """Images zero-padded; per axis, give two of the two margins and the target size.

    Args:
        images: an image (rank 3) or a batch (rank 4).
        top_padding, bottom_padding, target_height: rows added above, below, and the resulting height.
        left_padding, right_padding, target_width: columns added left, right, and the resulting width.
        data_format: "channels_last" or "channels_first"; None uses ``loom.config.image_data_format()``.
    """
    data_format = layout.data_format(data_format, "pad_images")
    images = layout.images(images, "pad_images")
    axes = layout.spatial_axes(data_format)
    height, width = images.shape[axes[0]], images.shape[axes[1]]
    names_h = ("top_padding", "bottom_padding", "target_height")
    names_w = ("left_padding", "right_padding", "target_width")
    top, bottom = _resolve_sides("pad_images", "pad", height, top_padding, bottom_padding, target_height, names_h)
    left, right = _resolve_sides("pad_images", "pad", width, left_padding, right_padding, target_width, names_w)
    pad_width = [(0, 0)] * images.ndim
    pad_width[images.ndim + axes[0]] = (top, bottom)
    pad_width[images.ndim + axes[1]] = (left, right)
    return jnp.pad(images, pad_width)


@symbolic_op
def crop_images(
    images,
    top_cropping=None,
    left_cropping=None,
    bottom_cropping=None,
    right_cropping=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    """Images cropped; per axis, give two of the two margins and the target size.

    Args:
        images: an image (rank 3) or a batch (rank 4).
        top_cropping, bottom_cropping, target_height: rows removed above, below, and the resulting height.
        left_cropping, right_cropping, target_width: columns removed left, right, and the resulting width.
        data_format: "channels_last" or "channels_first"; None uses ``loom.config.image_data_format()``.
    """
    data_format = layout.data_format(data_format, "crop_images")
    images = layout.images(images, "crop_images")
    axes = layout.spatial_axes(data_format)
    height, width = images.shape[axes[0]], images.shape[axes[1]]
    names_h = ("top_cropping", "bottom_cropping", "target_height")
    names_w = ("left_cropping", "right_cropping", "target_width")
    top, bottom = _resolve_sides("crop_images", "crop", height, top_cropping, bottom_cropping, target_height, names_h)
    left, right = _resolve_sides("crop_images", "crop", width, left_cropping, right_cropping, target_width, names_w)
    images = jax.lax.slice_in_dim(images, top, height - bottom, axis=images.ndim + axes[0])
    return jax.lax.slice_in_dim(images, left, width - right, axis=images.ndim + axes[1])


def _int_tuple(value, rank: int, op: str, name: str) -> tuple:
    values = (value,) * rank if isinstance(value, (int, np.integer)) else value
    if (
        not isinstance(values, (tuple, list))
        or len(values) != rank
        or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in values)
    ):
        raise ValueError(
            f"ops.image.{op}: `{name}` must be a positive int or {rank} positive ints; received {name}={value!r}."
        )
    return tuple(int(v) for v in values)


def _patches(x, size, strides, dilation_rate, padding, data_format, op):
    """Patches of a batched ``x`` (any spatial rank); features ordered (*size, channels) as Keras's."""
    rank = len(size)
    layout.choice(padding, ("valid", "same"), op, "padding")
    if data_format == "channels_last":
        x = jnp.moveaxis(x, -1, 1)
    channels = x.shape[1]
    patches = jax.lax.conv_general_dilated_patches(
        x, size, strides, padding.upper(), rhs_dilation=_int_tuple(dilation_rate, rank, op, "dilation_rate")
    )  # (batch, channels * prod(size), *out_spatial), channel-major features
    spatial = patches.shape[2:]
    patches = patches.reshape(patches.shape[0], channels, -1, *spatial)
    patches = jnp.moveaxis(patches, 1, 2).reshape(patches.shape[0], -1, *spatial)  # window-major features
    return jnp.moveaxis(patches, 1, -1) if data_format == "channels_last" else patches


def _extract(images, size, strides, dilation_rate, padding, data_format, rank: int, op: str):
    data_format = layout.data_format(data_format, op)
    images = convert_to_tensor(images)
    if images.ndim not in (rank + 1, rank + 2):
        raise ValueError(
            f"ops.image.{op}: `{'images' if rank == 2 else 'volumes'}` must have rank {rank + 1} (one) or "
            f"{rank + 2} (a batch) for {rank}-D patches; received shape {tuple(images.shape)}."
        )
    size = _int_tuple(size, rank, op, "size")
    strides = size if not strides else _int_tuple(strides, rank, op, "strides")
    unbatched = images.ndim == rank + 1
    out = _patches(images[None] if unbatched else images, size, strides, dilation_rate, padding, data_format, op)
    return out[0] if unbatched else out


@symbolic_op
def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Patches of ``size`` gathered into the channel axis; 3-D patches when ``size`` has three entries.

    Args:
        images: ``(height, width, channels)`` or a batch of them; for 3-D
            patches ``(depth, height, width, channels)`` or a batch.
        size: an int (2-D, square), or 2 or 3 ints.
        strides: the step between patches; None means ``size`` (no overlap).
        dilation_rate: the spacing of the pixels inside a patch.
        padding: "valid" (patches inside the image) or "same".
        data_format: "channels_last" or "channels_first"; None uses ``loom.config.image_data_format()``.

    Returns:
        ``(..., out_height, out_width, prod(size) * channels)`` (channels last), each
        patch's values in (row, column, channel) order.
    """
    if not isinstance(size, (int, np.integer)) and (not isinstance(size, (tuple, list)) or len(size) not in (2, 3)):
        raise ValueError(
            f"ops.image.extract_patches: `size` must be an int or a tuple of 2 or 3 ints; received size={size!r}."
        )
    rank = 2 if isinstance(size, (int, np.integer)) else len(size)
    return _extract(images, size, strides, dilation_rate, padding, data_format, rank, "extract_patches")


@symbolic_op
def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """3-D patches of ``size`` from volumes gathered into the channel axis; see ``extract_patches``."""
    return _extract(volumes, size, strides, dilation_rate, padding, data_format, 3, "extract_patches_3d")
