"""Random colour adjustments computed pixel by pixel: brightness, contrast, colour degeneration,
inversion, posterization and sharpness."""

import jax
import jax.numpy as jnp

from loom.layers.image_preprocessing.base import BaseImagePreprocessingLayer
from loom.ops import image as image_ops


def _per_image(values, ndim=4):
    """A ``(batch,)`` vector shaped to broadcast over ``(batch, h, w, c)`` images."""
    return jnp.reshape(values, (-1,) + (1,) * (ndim - 1))


class _ColorLayer(BaseImagePreprocessingLayer):
    """A colour layer: ``factor``, ``value_range`` and ``seed``; labels and masks pass through."""

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        self.value_range = self._check_value_range(value_range)
        self._make_generator(seed)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def _uniform(self, seed, shape, low, high, dtype="float32"):
        return jax.random.uniform(self._key(seed), shape, dtype=dtype, minval=low, maxval=high)

    def _batch_size(self, data):
        images = data["images"] if isinstance(data, dict) else data
        return images.shape[0]


class RandomBrightness(_ColorLayer):
    """Adds a random brightness offset to each image during training, then clips to ``value_range``.

    Args:
        factor: the offset as a fraction of the value range: a number ``f``
            draws from ``[-f, f]``, a pair ``(lower, upper)`` from that range. In [-1, 1].
        value_range: the images' ``(low, high)``, e.g. (0, 255) or (0, 1).
        seed: an int for a reproducible stream.

    Example:
        >>> layer = RandomBrightness(0.2, value_range=(0, 1), seed=1)
        >>> out = layer(np.full((2, 4, 4, 3), 0.5))  # each image shifted by up to +-0.2
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(factor, value_range=value_range, seed=seed, **kwargs)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        delta = self._uniform(seed, (self._batch_size(data), 1, 1, 1), self.factor[0], self.factor[1])
        return {"rgb_delta": delta * (self.value_range[1] - self.value_range[0])}

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        images = jnp.asarray(images).astype(self.compute_dtype)
        images = images + jnp.asarray(transformation["rgb_delta"]).astype(images.dtype)
        return jnp.clip(images, self.value_range[0], self.value_range[1])


class RandomContrast(_ColorLayer):
    """Scales each image's deviation from its mean by a random factor during training.

    ``(x - mean) * c + mean`` per channel, with ``c`` drawn from
    ``[1 - lower, 1 + upper]``, then clipped to ``value_range``.

    Args:
        factor: a number ``f`` in [0, 1] (``lower = 0``, ``upper = f``, as Keras
            resolves it) or a pair ``(lower, upper)``.
        value_range: the images' ``(low, high)``.
        seed: an int for a reproducible stream.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(factor, value_range=value_range, seed=seed, **kwargs)
        # Keras keeps value_range as given here, unsorted.
        self.value_range = value_range

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = (self._batch_size(data), 1, 1, 1)
        factor = self._uniform(seed, shape, 1.0 - self.factor[0], 1.0 + self.factor[1], self.compute_dtype)
        return {"contrast_factor": factor}

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        images = jnp.asarray(images).astype(self.compute_dtype)
        height_axis, width_axis, _ = self._image_axes()
        mean = jnp.mean(images, axis=(height_axis, width_axis), keepdims=True)
        outputs = (images - mean) * jnp.asarray(transformation["contrast_factor"], images.dtype) + mean
        return jnp.clip(outputs, self.value_range[0], self.value_range[1])


class RandomColorDegeneration(_ColorLayer):
    """Blends each image with its grayscale version by a random amount during training.

    ``x + f * (gray(x) - x)`` with ``f`` drawn per image, clipped to ``value_range``.

    Args:
        factor: a number ``f`` draws from ``[-f, f]``, a pair from that range; in [-1, 1].
        value_range: the images' ``(low, high)``.
        data_format: "channels_last" or "channels_first".
        seed: an int for a reproducible stream.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range=value_range, seed=seed, data_format=data_format, **kwargs)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = (self._batch_size(data), 1, 1, 1)
        return {"factor": self._uniform(seed, shape, self.factor[0], self.factor[1])}

    def transform_images(self, images, transformation=None, training=True):
        if not training:
            return images
        images = jnp.asarray(images).astype(self.compute_dtype)
        factor = jnp.asarray(transformation["factor"]).astype(self.compute_dtype)
        gray = image_ops.rgb_to_grayscale(images, data_format=self.data_format)
        images = images + factor * (gray - images)
        return jnp.clip(images, self.value_range[0], self.value_range[1])


class RandomInvert(_ColorLayer):
    """Inverts each image (``high - x``) with a random probability during training.

    Args:
        factor: the probability of inversion: a number ``f`` draws the
            probability from ``[0, f]`` per image, a pair from that range (default 1.0).
        value_range: the images' ``(low, high)``; inversion is ``high - x``.
        seed: an int for a reproducible stream.
        data_format: "channels_last" or "channels_first".
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(factor, value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = self._batch_size(data)
        probability_key, threshold_key = jax.random.split(self._key(seed))
        probability = jax.random.uniform(probability_key, (batch,), minval=self.factor[0], maxval=self.factor[1])
        threshold = jax.random.uniform(threshold_key, (batch,))
        return {"apply_inversion": threshold < probability}

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        images = jnp.asarray(images).astype(self.compute_dtype)
        apply = _per_image(transformation["apply_inversion"])
        return jnp.where(apply, self.value_range[1] - images, images)


class RandomPosterization(_ColorLayer):
    """Keeps only the top ``factor`` bits of each 8-bit colour value, ``factor`` drawn per image in training.

    Args:
        factor: the number of bits kept, in [1, 8]: a number ``f`` draws from
            ``[1, f)``, a pair ``(lower, upper)`` from ``[lower, upper)``;
            equal bounds always keep that many.
        value_range: the images' ``(low, high)``; values are mapped to [0, 255] to be cut.
        data_format: "channels_last" or "channels_first".
        seed: an int for a reproducible stream.
    """

    _FACTOR_BOUNDS = (1, 8)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range=value_range, seed=seed, data_format=data_format, **kwargs)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = self._batch_size(data)
        low, high = int(self.factor[0]), int(self.factor[1])
        if low != high:
            bits = jax.random.randint(self._key(seed), (batch,), low, high, dtype="int32").astype("uint8")
        else:
            bits = jnp.full((batch,), low, "uint8")
        return {"shift_factor": jnp.uint8(8) - bits}

    def transform_images(self, images, transformation=None, training=True):
        if not training:
            return images
        shift = _per_image(jnp.asarray(transformation["shift_factor"], "uint8"))
        images = self._transform_value_range(images, self.value_range, (0, 255), dtype=self.compute_dtype)
        images = jnp.asarray(images).astype("uint8")
        images = jnp.left_shift(jnp.right_shift(images, shift), shift).astype(self.compute_dtype)
        return self._transform_value_range(images, (0, 255), self.value_range, dtype=self.compute_dtype)


class RandomSharpness(_ColorLayer):
    """Sharpens or blurs each image by a random amount during training.

    Blends the image with a 3x3 smoothed copy: ``x + (1 - 2f) * (smooth(x) - x)``,
    ``f`` drawn per image (``f = 0.5`` leaves the image unchanged; below blurs, above sharpens).

    Args:
        factor: a number ``f`` in [0, 1] draws from ``[0, f]``, a pair from that range.
        value_range: the images' ``(low, high)``; results are clipped to it.
        data_format: "channels_last" or "channels_first".
        seed: an int for a reproducible stream.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range=value_range, seed=seed, data_format=data_format, **kwargs)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        return {"factor": self._uniform(seed, (self._batch_size(data),), self.factor[0], self.factor[1])}

    def transform_images(self, images, transformation=None, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training:
            return images
        if self.data_format == "channels_first":
            images = jnp.swapaxes(images, -3, -1)
        sharpness = _per_image(jnp.asarray(transformation["factor"] * 2).astype(self.compute_dtype))
        channels = images.shape[-1]
        a, b = 1.0 / 13.0, 5.0 / 13.0
        kernel = jnp.asarray([[a, a, a], [a, b, a], [a, a, a]], self.compute_dtype)
        kernel = jnp.tile(kernel[:, :, None, None], (1, 1, 1, channels))  # HWIO, one filter per channel
        smoothed = jax.lax.conv_general_dilated(
            images, kernel, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=channels
        )
        images = images + (1.0 - sharpness) * (smoothed - images)
        images = jnp.clip(images, self.value_range[0], self.value_range[1])
        if self.data_format == "channels_first":
            images = jnp.swapaxes(images, -3, -1)
        return images
