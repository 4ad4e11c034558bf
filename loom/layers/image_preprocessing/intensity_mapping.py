"""Intensity remappings: AutoContrast (stretch to the full range), Solarization (invert the bright
values), Equalization (flatten the histogram)."""

import jax
import jax.numpy as jnp

from loom.layers.image_preprocessing.base import BaseImagePreprocessingLayer, is_number


class AutoContrast(BaseImagePreprocessingLayer):
    """Stretches each image's channels to span ``value_range``; deterministic (training and inference).

    Per image and channel: ``(x - min) / (max - min)`` mapped onto the range. A
    constant channel (max == min) is left as it was.

    Args:
        value_range: the images' ``(low, high)``, e.g. (0, 255) or (0, 1).
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = self._check_value_range(value_range)

    def transform_images(self, images, transformation=None, training=True):
        original = jnp.asarray(images)
        images = self._transform_value_range(original, self.value_range, (0, 255), dtype=self.compute_dtype)
        images = images.astype(self.compute_dtype)
        height_axis, width_axis, _ = self._image_axes()
        low = jnp.min(images, axis=(height_axis, width_axis), keepdims=True)
        high = jnp.max(images, axis=(height_axis, width_axis), keepdims=True)
        scale = 255.0 / (high - low)
        results = jnp.clip(images * scale - low * scale, 0.0, 255.0)
        results = self._transform_value_range(results, (0, 255), self.value_range, dtype=self.compute_dtype)
        # A constant channel divides 0 by 0; keep its values.
        return jnp.where(jnp.isnan(results), original.astype(results.dtype), results)

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        return segmentation_masks


class Solarization(BaseImagePreprocessingLayer):
    """Adds a random amount to each image, then inverts the values at or above a random threshold.

    Values are taken to [0, 255]: ``y = clip(x + a, 0, 255)``, output
    ``y if y < t else 255 - y``, mapped back to ``value_range``. Applied in
    training only, as in Keras.

    Args:
        addition_factor: ``a`` as a fraction of 255: a number ``f`` draws ``a``
            from ``[0, 255 f]``, a pair ``(lower, upper)`` from ``[lower, 255 upper]``. In [0, 1].
        threshold_factor: ``t``, likewise.
        value_range: the images' ``(low, high)``.
        seed: an int for a reproducible stream.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self._make_generator(seed)
        self.addition_factor = self._check_unit_factor(addition_factor, "addition_factor")
        self.threshold_factor = self._check_unit_factor(threshold_factor, "threshold_factor")
        self.value_range = self._check_value_range(value_range)

    def _check_unit_factor(self, factor, name):
        values = factor if isinstance(factor, (tuple, list)) else [factor]
        if len(values) not in (1, 2) or not all(is_number(v) and 0 <= v <= 1 for v in values):
            raise ValueError(
                f"{self.describe()}: `{name}` must be a number or a pair of numbers in [0, 1]; "
                f"received {name}={factor!r}."
            )
        return tuple(sorted(float(v) for v in values)) if len(values) == 2 else (0.0, float(factor))

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = (images.shape[0], 1, 1, 1)
        addition_key, threshold_key = jax.random.split(self._key(seed))
        dtype = self.compute_dtype
        # As Keras: the lower bound is not scaled by 255, the upper one is.
        low, high = self.addition_factor
        additions = jax.random.uniform(addition_key, shape, dtype, minval=low, maxval=high * 255)
        low, high = self.threshold_factor
        thresholds = jax.random.uniform(threshold_key, shape, dtype, minval=low, maxval=high * 255)
        return {"additions": additions, "thresholds": thresholds}

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training or transformation is None:
            return images
        images = self._transform_value_range(images, self.value_range, (0, 255), dtype=self.compute_dtype)
        results = jnp.clip(images + jnp.asarray(transformation["additions"], images.dtype), 0, 255)
        thresholds = jnp.asarray(transformation["thresholds"], images.dtype)
        results = jnp.where(results < thresholds, results, 255 - results)
        return self._transform_value_range(results, (0, 255), self.value_range, dtype=self.compute_dtype)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks


class Equalization(BaseImagePreprocessingLayer):
    """Histogram equalization per channel (over the whole batch), in training only, as in Keras.

    Each channel's values are binned into ``bins`` levels, and each level is
    mapped through the cumulative histogram so the levels spread evenly over
    [0, 255] (then back to ``value_range``). A channel with a single level is unchanged.

    Args:
        value_range: the images' ``(low, high)``.
        bins: the number of histogram bins (256 for 8-bit images).
        data_format: "channels_last" or "channels_first".
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if not isinstance(bins, int) or isinstance(bins, bool) or bins < 1:
            raise ValueError(f"{self.describe()}: `bins` must be a positive int; received bins={bins!r}.")
        self.bins = bins
        self.value_range = self._check_value_range(value_range)

    def _scale(self, values, source, target):
        scale = (target[1] - target[0]) / (source[1] - source[0])
        return values * scale + (target[0] - source[0] * scale)

    def _equalize_channel(self, channel):
        channel = self._scale(channel, self.value_range, (0, 255))
        levels = jnp.clip((channel.astype("float32") * (self.bins - 1) / 255.0).astype("int32"), 0, self.bins - 1)
        histogram = jnp.bincount(jnp.ravel(levels), length=self.bins)
        cdf = jnp.cumsum(histogram)
        cdf_min = cdf[jnp.argmax(cdf > 0)]
        denominator = cdf[-1] - cdf_min
        denominator = jnp.where(denominator == 0, 1, denominator)
        table = jnp.clip(jnp.round((cdf - cdf_min) * 255 / denominator), 0, 255).astype(channel.dtype)
        indices = jnp.clip(channel / 255.0 * (self.bins - 1), 0, self.bins - 1).astype("int32")
        equalized = jnp.where(jnp.count_nonzero(histogram) <= 1, channel, jnp.take(table, indices))
        return self._scale(equalized, (0, 255), self.value_range)

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training:
            return images
        _, _, channel_axis = self._image_axes()
        channels = [
            self._equalize_channel(jnp.take(images, i, axis=channel_axis)) for i in range(images.shape[channel_axis])
        ]
        return jnp.stack(channels, axis=channel_axis).astype(self.compute_dtype)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks
