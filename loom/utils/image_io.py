"""Images to and from files and arrays through Pillow: ``load_img``, ``save_img``, ``array_to_img``, ``img_to_array``.

Keras 3's functions (``keras.utils.load_img`` ...), with the same arguments and
results. Pillow is an optional dependency (``pip install "loom[image]"``),
imported on first use.
"""

import io
import os
import pathlib
import warnings

import numpy as np

from loom.config.defaults import image_data_format
from loom.utils.dtypes import floatx

DATA_FORMATS = ("channels_last", "channels_first")
COLOR_MODES = ("grayscale", "rgb", "rgba")
# Pillow's resampling filters by Keras's names (load_img's `interpolation`).
PIL_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def pil_image():
    """Pillow's ``PIL.Image`` module, or an ImportError that says how to install it."""
    try:
        from PIL import Image
    except ImportError as err:
        raise ImportError(
            "Loading and saving images needs Pillow, an optional dependency of loom. Install it with "
            "`pip install \"loom[image]\"` (or `pip install pillow`)."
        ) from err
    return Image


def standardize_data_format(data_format) -> str:
    """None -> the configured image layout (``loom.config.image_data_format()``); anything else is checked."""
    if data_format is None:
        return image_data_format()
    if data_format not in DATA_FORMATS:
        raise ValueError(f"`data_format` must be one of {DATA_FORMATS} or None; received data_format={data_format!r}.")
    return data_format


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3D array (height, width, channels) as a Pillow image.

    Args:
        x: the image: anything ``np.asarray`` reads, of rank 3, with 1, 3 or 4 channels.
        data_format: ``"channels_last"`` or ``"channels_first"``; None: ``loom.config.image_data_format()``.
        scale: stretch the values to span 0..255 first.
        dtype: the float dtype to compute in (default floatx).

    Returns:
        A ``PIL.Image.Image`` of mode ``"L"`` (``"I"`` for grayscale values above 255),
        ``"RGB"`` or ``"RGBA"``.
    """
    data_format = standardize_data_format(data_format)
    image_module = pil_image()
    x = np.asarray(x, dtype=dtype or floatx())
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return image_module.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image_module.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return image_module.fromarray(x[:, :, 0].astype("int32"), "I")  # 32-bit grayscale
        return image_module.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}. An image array has 1, 3 or 4 channels.")


def img_to_array(img, data_format=None, dtype=None):
    """A Pillow image as a 3D NumPy array (height, width, channels) of ``dtype`` (default floatx)."""
    data_format = standardize_data_format(data_format)
    x = np.asarray(img, dtype=dtype or floatx())
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x
    if x.ndim == 2:
        return x[None] if data_format == "channels_first" else x[..., None]
    raise ValueError(f"Unsupported image shape: {x.shape}. Expected (height, width) or (height, width, channels).")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save an image array to a path or file object.

    Args:
        path: a path or a file object.
        x: the image array (see ``array_to_img``).
        data_format: ``"channels_last"`` or ``"channels_first"``; None: ``loom.config.image_data_format()``.
        file_format: ``"png"``, ``"jpeg"``, ...; None takes it from the path's extension
            (a file object needs it).
        scale: stretch the values to span 0..255 first.
        **kwargs: passed to ``PIL.Image.Image.save``.
    """
    data_format = standardize_data_format(data_format)
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"  # Pillow's name
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def open_image(path):
    """A Pillow image from a path or an ``io.BytesIO``, the file read whole and closed."""
    image_module = pil_image()
    if isinstance(path, io.BytesIO):
        return image_module.open(path)
    if isinstance(path, (str, bytes, os.PathLike)):
        with open(path, "rb") as handle:
            # Read it whole, so the file is closed when this returns (Pillow opens lazily).
            return image_module.open(io.BytesIO(handle.read()))
    raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")


def convert_color_mode(img, color_mode: str):
    """``img`` in ``"grayscale"`` (8-, 16- and 32-bit grayscale kept), ``"rgb"`` or ``"rgba"``."""
    if color_mode == "grayscale":
        return img if img.mode in ("L", "I;16", "I") else img.convert("L")
    if color_mode == "rgba":
        return img if img.mode == "RGBA" else img.convert("RGBA")
    if color_mode == "rgb":
        return img if img.mode == "RGB" else img.convert("RGB")
    raise ValueError(f'color_mode must be "grayscale", "rgb", or "rgba"; received color_mode={color_mode!r}.')


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """Loads an image file as a Pillow image.

    Args:
        path: a path or an ``io.BytesIO``.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"``.
        target_size: None (the file's size) or ``(height, width)``.
        interpolation: the resampling filter when resizing: ``"nearest"``, ``"bilinear"``,
            ``"bicubic"``, ``"hamming"``, ``"box"`` or ``"lanczos"``.
        keep_aspect_ratio: crop the centre to the target's aspect ratio before resizing.

    Returns:
        A ``PIL.Image.Image``.

    Example:

    >>> image = load_img(image_path, target_size=(224, 224))  # doctest: +SKIP
    >>> batch = img_to_array(image)[None]  # doctest: +SKIP
    """
    img = convert_color_mode(open_image(path), color_mode)
    if target_size is None:
        return img
    width_height = (target_size[1], target_size[0])
    if img.size == width_height:
        return img
    if interpolation not in PIL_INTERPOLATIONS:
        raise ValueError(
            f"Invalid interpolation method {interpolation} specified. Supported methods are "
            f"{', '.join(PIL_INTERPOLATIONS)}"
        )
    resample = getattr(pil_image().Resampling, interpolation.upper())
    if not keep_aspect_ratio:
        return img.resize(width_height, resample)
    width, height = img.size
    target_width, target_height = width_height
    crop_height = min(height, (width * target_height) // target_width)
    crop_width = min(width, (height * target_width) // target_height)
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    return img.resize(width_height, resample, box=(left, top, left + crop_width, top + crop_height))
