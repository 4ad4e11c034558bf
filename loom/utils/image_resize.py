"""Resizing one image in NumPy, with the kernels and sample grid of ``jax.image.resize`` (no antialiasing).

``image_dataset_from_directory`` resizes every file it reads. Keras (JAX
backend) calls ``jax.image.resize`` per image, which compiles once per input
shape (about 0.25 s on a CPU): a folder of photos of many sizes would spend
most of its time compiling. The same arithmetic as NumPy matrix products has
no compile step: per spatial axis, a weight matrix over half-pixel-centred
samples, each output's weights normalised to sum to 1, and outputs whose
sample falls outside the input set to zero.
"""

import numpy as np

# Kernel radius and function of |distance| in input pixels, as jax.image names them.
_KERNELS = {
    "bilinear": lambda x: np.maximum(0.0, 1.0 - x),
    "bicubic": lambda x: np.where(  # Keys cubic, a = -0.5
        x >= 2.0, 0.0, np.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, ((1.5 * x - 2.5) * x) * x + 1.0)
    ),
    "lanczos3": lambda x: _lanczos(3.0, x),
    "lanczos5": lambda x: _lanczos(5.0, x),
}
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")


def _lanczos(radius: float, x):
    with np.errstate(divide="ignore", invalid="ignore"):
        y = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius) / np.where(x != 0, np.pi**2 * x**2, 1)
    return np.where(x > radius, 0.0, np.where(x > 1e-3, y, 1.0))


def _weights(input_size: int, output_size: int, kernel) -> np.ndarray:
    """(input_size, output_size) weights mapping one axis of the input to the output."""
    inv_scale = np.float32(input_size / output_size)
    samples = (np.arange(output_size, dtype=np.float32) + 0.5) * inv_scale - 0.5
    weights = kernel(np.abs(samples[None, :] - np.arange(input_size, dtype=np.float32)[:, None]))
    totals = weights.sum(axis=0, keepdims=True)
    usable = np.abs(totals) > 1000.0 * np.finfo(np.float32).eps
    weights = np.where(usable, weights / np.where(totals != 0, totals, 1), 0.0)
    inside = (samples >= -0.5) & (samples <= input_size - 0.5)
    return np.where(inside[None, :], weights, 0.0).astype(np.float32)


def _nearest_indices(input_size: int, output_size: int) -> np.ndarray:
    offsets = (np.arange(output_size, dtype=np.float32) + 0.5) * np.float32(input_size) / np.float32(output_size)
    return np.floor(offsets.astype(np.float32)).astype(np.int64)


def _crop_to_aspect_ratio(image, size):
    height, width = image.shape[:2]
    target_height, target_width = size
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    top, left = int(float(height - crop_height) / 2), int(float(width - crop_width) / 2)
    return image[top : top + crop_height, left : left + crop_width]


def _pad_to_aspect_ratio(image, size, fill_value):
    height, width, channels = image.shape
    target_height, target_width = size
    pad_top = int(float(max(height, int(float(width * target_height) / target_width)) - height) / 2)
    pad_left = int(float(max(width, int(float(height * target_width) / target_height)) - width) / 2)
    # As Keras: the same band on both sides (one of them is zero).
    if pad_top > 0:
        band = np.full((pad_top, width, channels), fill_value, image.dtype)
        return np.concatenate([band, image, band], axis=0)
    if pad_left > 0:
        band = np.full((height, pad_left, channels), fill_value, image.dtype)
        return np.concatenate([band, image, band], axis=1)
    return image


def resize_image(
    image, size, interpolation="bilinear", crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, fill_value=0.0
) -> np.ndarray:
    """Resize a (height, width, channels) float32 image to ``size = (height, width)``.

    Args:
        image: a NumPy array, channels last.
        size: ``(height, width)`` of the result.
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"``, ``"lanczos3"`` or ``"lanczos5"``.
        crop_to_aspect_ratio: first crop the centre to the target's aspect ratio.
        pad_to_aspect_ratio: first pad with ``fill_value`` to the target's aspect ratio.

    Returns:
        A float32 array of shape ``(size[0], size[1], channels)``.
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"`interpolation` must be one of {INTERPOLATIONS}; received interpolation={interpolation!r}.")
    image = np.asarray(image, dtype=np.float32)
    if crop_to_aspect_ratio:
        image = _crop_to_aspect_ratio(image, size)
    elif pad_to_aspect_ratio:
        image = _pad_to_aspect_ratio(image, size, fill_value)
    height, width = image.shape[:2]
    target_height, target_width = size
    if interpolation == "nearest":
        if height != target_height:
            image = image[_nearest_indices(height, target_height)]
        if width != target_width:
            image = image[:, _nearest_indices(width, target_width)]
        return image
    kernel = _KERNELS[interpolation]
    if height != target_height:
        image = np.einsum("hwc,ho->owc", image, _weights(height, target_height, kernel))
    if width != target_width:
        image = np.einsum("hwc,wo->hoc", image, _weights(width, target_width, kernel))
    return np.ascontiguousarray(image, dtype=np.float32)
