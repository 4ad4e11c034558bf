"""Colour-space conversions of images: RGB to grayscale, RGB to HSV and back."""

import jax.numpy as jnp

from loom.ops import image_layout as layout
from loom.ops.operation import symbolic_op
from loom.utils.dtypes import is_float

# ITU-R 601 luma weights, as tf.image.rgb_to_grayscale and Keras use.
_LUMA = (0.2989, 0.5870, 0.1140)


@symbolic_op
def rgb_to_grayscale(images, data_format=None):
    """One luma channel from RGB images: ``0.2989 R + 0.5870 G + 0.1140 B``; grayscale input passes through.

    Args:
        images: an image (rank 3) or a batch (rank 4) with 3 (or 1) channels.
        data_format: "channels_last" or "channels_first"; None uses ``loom.config.image_data_format()``.

    Returns:
        The images with one channel, in the input's dtype.
    """
    data_format = layout.data_format(data_format, "rgb_to_grayscale")
    images = layout.images(images, "rgb_to_grayscale")
    axis = layout.channels_axis(data_format)
    if images.shape[axis] not in (1, 3):
        raise ValueError(
            "ops.image.rgb_to_grayscale: `images` must have 3 (RGB) or 1 (grayscale) channels on axis "
            f"{axis} for data_format={data_format!r}; received images.shape={tuple(images.shape)}."
        )
    if images.shape[axis] == 1:
        return images
    compute_dtype = jnp.result_type(images.dtype, jnp.float32) if not is_float(images.dtype) else images.dtype
    weights = jnp.asarray(_LUMA, compute_dtype)
    gray = jnp.tensordot(images.astype(compute_dtype), weights, axes=((images.ndim + axis,), (0,)))
    return jnp.expand_dims(gray, axis).astype(images.dtype)


def _float_images(images, op: str):
    images = layout.images(images, op)
    if not is_float(images.dtype):
        raise ValueError(
            f"ops.image.{op}: `images` must be a float tensor with values in [0, 1]; received dtype "
            f"{images.dtype}. Cast first, e.g. ops.cast(images, 'float32') / 255."
        )
    return images


def _split_planes(images, axis: int, op: str):
    if images.shape[axis] != 3:
        raise ValueError(
            f"ops.image.{op}: `images` must have 3 channels on axis {axis}; received images.shape="
            f"{tuple(images.shape)}. Pass data_format='channels_first' if the channels come first."
        )
    return [jnp.take(images, i, axis=axis) for i in range(3)]


@symbolic_op
def rgb_to_hsv(images, data_format=None):
    """HSV (hue, saturation, value, each in [0, 1]) from RGB images with values in [0, 1].

    Args:
        images: float RGB images, rank 3 or 4.
        data_format: "channels_last" or "channels_first"; None uses ``loom.config.image_data_format()``.
    """
    data_format = layout.data_format(data_format, "rgb_to_hsv")
    images = _float_images(images, "rgb_to_hsv")
    axis = layout.channels_axis(data_format)
    # Values within float epsilon of 0 count as 0, so rounding noise cannot produce a hue.
    images = jnp.where(jnp.abs(images) < jnp.finfo(images.dtype).eps, jnp.zeros_like(images), images)
    red, green, blue = _split_planes(images, axis, "rgb_to_hsv")
    value = jnp.maximum(jnp.maximum(red, green), blue)
    chroma = value - jnp.minimum(jnp.minimum(red, green), blue)
    # Safe divisors keep the unused branch of each `where` finite, so gradients stay finite too.
    saturation = jnp.where(value > 0, chroma / jnp.where(value > 0, value, 1.0), 0.0)
    scale = 1.0 / (6.0 * jnp.where(chroma > 0, chroma, 1.0))
    hue = jnp.where(value == green, scale * (blue - red) + 2.0 / 6.0, scale * (red - green) + 4.0 / 6.0)
    hue = jnp.where(value == red, scale * (green - blue), hue)
    hue = jnp.where(chroma > 0, hue, 0.0) + (hue < 0.0).astype(hue.dtype)  # wrap negative hues into [0, 1)
    return jnp.stack([hue, saturation, value], axis=axis).astype(images.dtype)


@symbolic_op
def hsv_to_rgb(images, data_format=None):
    """RGB from HSV images (hue, saturation, value in [0, 1]); the inverse of ``rgb_to_hsv``.

    Args:
        images: float HSV images, rank 3 or 4.
        data_format: "channels_last" or "channels_first"; None uses ``loom.config.image_data_format()``.
    """
    data_format = layout.data_format(data_format, "hsv_to_rgb")
    images = _float_images(images, "hsv_to_rgb")
    axis = layout.channels_axis(data_format)
    hue, saturation, value = _split_planes(images, axis, "hsv_to_rgb")
    sector = jnp.mod(hue, 1.0) * 6.0  # position on the colour wheel, in [0, 6)
    red = jnp.clip(jnp.abs(sector - 3.0) - 1.0, 0.0, 1.0)
    green = jnp.clip(2.0 - jnp.abs(sector - 2.0), 0.0, 1.0)
    blue = jnp.clip(2.0 - jnp.abs(sector - 4.0), 0.0, 1.0)
    planes = [value * (1.0 - saturation + saturation * c) for c in (red, green, blue)]
    return jnp.stack(planes, axis=axis).astype(images.dtype)
