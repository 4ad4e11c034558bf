"""Fixed-kernel image filters: Gaussian blur, Sobel edges, and SSIM built on a Gaussian window."""

import jax
import jax.numpy as jnp

from loom.ops import image_layout as layout
from loom.ops.operation import symbolic_op


def _gaussian_1d(size: int, sigma, dtype):
    x = jnp.arange(size, dtype=dtype) - (size - 1) / 2
    kernel = jnp.exp(-0.5 * (x / sigma) ** 2)
    return kernel / jnp.sum(kernel)


def _per_channel_conv(x, kernel, padding: str):
    """Each channel of batched channels-last ``x`` convolved with the 2-D ``kernel``."""
    channels = x.shape[-1]
    weights = jnp.broadcast_to(kernel[:, :, None, None], (*kernel.shape, 1, channels)).astype(x.dtype)
    return jax.lax.conv_general_dilated(
        x, weights, (1, 1), padding, dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=channels
    )


def _pair(value, op: str, name: str) -> tuple:
    values = (value, value) if isinstance(value, (int, float)) else tuple(value)
    if len(values) != 2:
        raise ValueError(f"ops.image.{op}: `{name}` must be one number or two; received {name}={value!r}.")
    return values


@symbolic_op
def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Images blurred by a Gaussian kernel, zero-padded to keep their size.

    As in Keras, ``kernel_size[0]`` and ``sigma[0]`` act along the width and
    ``kernel_size[1]``, ``sigma[1]`` along the height.

    Args:
        images: an image (rank 3) or a batch (rank 4).
        kernel_size: two ints, the kernel's extent.
        sigma: two floats, the Gaussian's standard deviations.
        data_format: "channels_last" or "channels_first"; None uses ``loom.config.image_data_format()``.
    """
    kernel_size = _pair(kernel_size, "gaussian_blur", "kernel_size")
    sigma = _pair(sigma, "gaussian_blur", "sigma")
    data_format = layout.data_format(data_format, "gaussian_blur")
    images = layout.images(images, "gaussian_blur")
    x, unbatched = layout.to_batched_channels_last(images, data_format)
    dtype = x.dtype if jnp.issubdtype(x.dtype, jnp.floating) else jnp.float32
    kernel = jnp.outer(_gaussian_1d(kernel_size[1], sigma[1], dtype), _gaussian_1d(kernel_size[0], sigma[0], dtype))
    out = _per_channel_conv(x.astype(dtype), kernel, "SAME")
    if not jnp.issubdtype(x.dtype, jnp.floating):
        out = jnp.round(out)
    return layout.from_batched_channels_last(out.astype(x.dtype), data_format, unbatched)


_SOBEL_ROWS = ((-1.0, -2.0, -1.0), (0.0, 0.0, 0.0), (1.0, 2.0, 1.0))  # d/dy; its transpose is d/dx


@symbolic_op
def sobel_edges(images, data_format=None):
    """Sobel gradients of a batch of images: shape ``images.shape + (2,)``, last axis ``(dy, dx)``.

    Args:
        images: a batch (rank 4); the border is zero-padded.
        data_format: "channels_last" or "channels_first"; None uses ``loom.config.image_data_format()``.
    """
    data_format = layout.data_format(data_format, "sobel_edges")
    images = layout.images(images, "sobel_edges", ranks=(4,))
    x, _ = layout.to_batched_channels_last(images, data_format)
    dy_kernel = jnp.asarray(_SOBEL_ROWS, x.dtype)
    edges = [_per_channel_conv(x, k, "SAME") for k in (dy_kernel, dy_kernel.T)]
    edges = [layout.from_batched_channels_last(e, data_format, False) for e in edges]
    return jnp.stack(edges, axis=-1)


@symbolic_op
def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03, data_format=None):
    """Structural similarity of two images (or batches), averaged over pixels and channels.

    Local means, variances and covariance come from a ``filter_size`` Gaussian
    window (no padding); ``SSIM = (2 mu1 mu2 + C1)(2 cov + C2) / ((mu1^2 + mu2^2 + C1)(var1 + var2 + C2))``
    with ``C1 = (k1 max_val)^2`` and ``C2 = (k2 max_val)^2``.

    Args:
        image1, image2: images of equal shape, rank 3 or 4.
        max_val: the dynamic range of the pixel values (1.0 for [0, 1], 255 for bytes).
        filter_size, filter_sigma: the Gaussian window.
        k1, k2: the stabilising constants.
        data_format: "channels_last" or "channels_first"; None uses ``loom.config.image_data_format()``.

    Returns:
        A scalar for one image, shape ``(batch,)`` for a batch.
    """
    data_format = layout.data_format(data_format, "ssim")
    image1 = layout.images(image1, "ssim", "image1")
    image2 = layout.images(image2, "ssim", "image2")
    if image1.shape != image2.shape:
        raise ValueError(
            f"ops.image.ssim: `image1` and `image2` must have equal shapes; received {tuple(image1.shape)} "
            f"and {tuple(image2.shape)}."
        )
    dtype = jnp.result_type(image1.dtype, jnp.float32)
    a, unbatched = layout.to_batched_channels_last(image1.astype(dtype), data_format)
    b, _ = layout.to_batched_channels_last(image2.astype(dtype), data_format)
    window = _gaussian_1d(filter_size, filter_sigma, dtype)
    kernel = jnp.outer(window, window)

    def local_mean(x):
        return _per_channel_conv(x, kernel, "VALID")

    mu_a, mu_b = local_mean(a), local_mean(b)
    var_a = local_mean(a * a) - mu_a * mu_a
    var_b = local_mean(b * b) - mu_b * mu_b
    cov = local_mean(a * b) - mu_a * mu_b
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    result = jnp.mean(ssim_map, axis=(1, 2, 3))
    return (result[0] if unbatched else result).astype(image1.dtype)
