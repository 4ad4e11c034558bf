"""Resampling images to a new size: ``resize`` and ``scale_and_translate``."""

import jax
import jax.numpy as jnp
import numpy as np

from loom.ops import image_layout as layout
from loom.ops.operation import symbolic_op
from loom.utils.dtypes import is_int

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")
SCALE_AND_TRANSLATE_METHODS = (
    "linear", "bilinear", "trilinear", "cubic", "bicubic", "tricubic", "lanczos3", "lanczos5",
)  # fmt: skip


def _check_size(size) -> tuple:
    if (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in size)
        or min(size) <= 0
    ):
        raise ValueError(
            "ops.image.resize: `size` must be two positive ints (height, width), e.g. size=(224, 224); "
            f"received size={size!r}."
        )
    return int(size[0]), int(size[1])


def _crop_to_aspect_ratio(images, size, axes):
    """The largest centred window of ``images`` with the aspect ratio of ``size``."""
    height, width = images.shape[axes[0]], images.shape[axes[1]]
    target_height, target_width = size
    crop_height = max(min(height, int(width * target_height / target_width)), 1)
    crop_width = max(min(width, int(height * target_width / target_height)), 1)
    top, left = int((height - crop_height) / 2), int((width - crop_width) / 2)
    images = jax.lax.slice_in_dim(images, top, top + crop_height, axis=images.ndim + axes[0])
    return jax.lax.slice_in_dim(images, left, left + crop_width, axis=images.ndim + axes[1])


def _pad_to_aspect_ratio(images, size, axes, fill_value):
    """``images`` padded evenly on the short side (with ``fill_value``) to the aspect ratio of ``size``."""
    height, width = images.shape[axes[0]], images.shape[axes[1]]
    target_height, target_width = size
    # The same integer arithmetic as Keras, so outputs match pixel for pixel.
    pad_top = int((max(height, int(width * target_height / target_width)) - height) / 2)
    pad_left = int((max(width, int(height * target_width / target_height)) - width) / 2)
    pad_width = [(0, 0)] * images.ndim
    if pad_top > 0:
        pad_width[images.ndim + axes[0]] = (pad_top, pad_top)
    elif pad_left > 0:
        pad_width[images.ndim + axes[1]] = (pad_left, pad_left)
    return jnp.pad(images, pad_width, constant_values=jnp.asarray(fill_value, images.dtype))


def _area_weights(in_size: int, out_size: int) -> np.ndarray:
    """(out, in) weights: the share of each input pixel inside each output pixel's box, as TF's area resize."""
    scale = in_size / out_size
    starts = np.arange(out_size)[:, None] * scale
    pixels = np.arange(in_size)[None, :]
    overlap = np.minimum(starts + scale, pixels + 1) - np.maximum(starts, pixels)
    return np.clip(overlap, 0.0, None) / scale


def _resize_area(images, size, axes):
    dtype = images.dtype if jnp.issubdtype(images.dtype, jnp.floating) else jnp.float32
    out = images.astype(dtype)
    for axis, out_size in zip(axes, size):
        weights = jnp.asarray(_area_weights(images.shape[axis], out_size), dtype)
        out = jnp.moveaxis(jnp.tensordot(weights, jnp.moveaxis(out, axis, 0), axes=1), 0, axis)
    return out


@symbolic_op
def resize(
    images,
    size,
    interpolation="bilinear",
    antialias=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    fill_mode="constant",
    fill_value=0.0,
    data_format=None,
):
    """Images resampled to ``size = (height, width)``.

    Args:
        images: an image (rank 3) or a batch (rank 4).
        size: the output ``(height, width)``.
        interpolation: "bilinear" (default), "nearest", "bicubic", "lanczos3",
            "lanczos5" or "area" (each output pixel is the mean of the input pixels
            its box covers, as TensorFlow's; Keras offers it on TensorFlow only).
        antialias: low-pass filter the image when downsampling (not for
            "nearest" and "area", which need none).
        crop_to_aspect_ratio: first crop the largest centred window with the
            target's aspect ratio, so nothing is stretched.
        pad_to_aspect_ratio: first pad the short side evenly with ``fill_value``
            to the target's aspect ratio.
        fill_mode: how padding is filled; only "constant" (``fill_value``).
        fill_value: the padding value for ``pad_to_aspect_ratio``.
        data_format: "channels_last" or "channels_first"; None uses ``loom.config.image_data_format()``.

    Returns:
        The resized images, in the input's dtype (integers rounded and clipped to the dtype's range).

    Example:
        >>> resize(jnp.ones((2, 4, 4, 3)), (2, 6)).shape
        (2, 2, 6, 3)
    """
    size = _check_size(size)
    layout.choice(interpolation, RESIZE_INTERPOLATIONS, "resize", "interpolation")
    layout.choice(fill_mode, ("constant",), "resize", "fill_mode")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            "ops.image.resize: `crop_to_aspect_ratio` and `pad_to_aspect_ratio` cannot both be True; "
            "choose whether to crop or to pad to the target aspect ratio."
        )
    data_format = layout.data_format(data_format, "resize")
    images = layout.images(images, "resize")
    axes = layout.spatial_axes(data_format)
    if crop_to_aspect_ratio:
        images = _crop_to_aspect_ratio(images, size, axes)
    elif pad_to_aspect_ratio:
        images = _pad_to_aspect_ratio(images, size, axes, fill_value)
    if interpolation == "area":
        resized = _resize_area(images, size, axes)
    else:
        shape = list(images.shape)
        shape[axes[0]], shape[axes[1]] = size
        resized = jax.image.resize(images, tuple(shape), method=interpolation, antialias=antialias)
    if resized.dtype == images.dtype:
        return resized
    if is_int(images.dtype):
        info = jnp.iinfo(images.dtype)
        resized = jnp.clip(jnp.round(resized), info.min, info.max)
    return resized.astype(images.dtype)


@symbolic_op
def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method, antialias=True):
    """Images scaled and shifted along ``spatial_dims`` into an array of ``output_shape`` (``jax.image``'s op).

    An output pixel ``y`` samples the input at ``(y + 0.5 - translation) / scale - 0.5``.

    Args:
        images: an array of any rank.
        output_shape: the output's full shape.
        scale, translation: one value per entry of ``spatial_dims``.
        spatial_dims: the axes that are resampled.
        method: "linear"/"bilinear"/"trilinear", "cubic"/"bicubic"/"tricubic", "lanczos3" or "lanczos5".
        antialias: low-pass filter when downsampling.
    """
    layout.choice(method, SCALE_AND_TRANSLATE_METHODS, "scale_and_translate", "method")
    images = jnp.asarray(images)
    scale, translation = jnp.asarray(scale), jnp.asarray(translation)
    if scale.shape != (len(spatial_dims),) or translation.shape != (len(spatial_dims),):
        raise ValueError(
            "ops.image.scale_and_translate: `scale` and `translation` need one value per spatial dim "
            f"({len(spatial_dims)} for spatial_dims={tuple(spatial_dims)}); received shapes "
            f"{tuple(scale.shape)} and {tuple(translation.shape)}."
        )
    return jax.image.scale_and_translate(
        images, tuple(output_shape), tuple(spatial_dims), scale, translation, method, antialias
    )
