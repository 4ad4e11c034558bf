"""Random colour changes through HSV or grayscale: RandomHue, RandomSaturation, RandomGrayscale,
and RandomColorJitter (brightness, contrast, saturation and hue in turn)."""

import jax
import jax.numpy as jnp

from loom.layers.image_preprocessing.base import BaseImagePreprocessingLayer, is_number
from loom.layers.image_preprocessing.color_adjustment import RandomBrightness, RandomContrast, _ColorLayer
from loom.ops import image as image_ops
from loom.ops.config import epsilon


def _replace_channel(layer, images, index, channel):
    """``images`` with HSV channel ``index`` replaced by ``channel``."""
    axis = -3 if layer.data_format == "channels_first" else -1
    planes = [jnp.take(images, i, axis=axis) for i in range(3)]
    planes[index] = channel
    return jnp.stack(planes, axis=axis)


def _channel(layer, images, index):
    return jnp.take(images, index, axis=-3 if layer.data_format == "channels_first" else -1)


class RandomHue(_ColorLayer):
    """Rotates each image's hue by a random amount during training.

    Args:
        factor: a number ``f`` in [0, 1] shifts the hue by up to ``f / 2`` of a
            turn, in a random direction; a pair ``(lower, upper)`` draws the amount from that range.
        value_range: the images' ``(low, high)``.
        data_format: "channels_last" or "channels_first".
        seed: an int for a reproducible stream.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = self._batch_size(data)
        sign_key, factor_key = jax.random.split(self._key(seed))
        sign = jnp.where(jax.random.uniform(sign_key, (batch,)) > 0.5, -1.0, 1.0)
        factor = jax.random.uniform(factor_key, (batch,), minval=self.factor[0], maxval=self.factor[1])
        return {"factor": sign * factor * 0.5}

    def transform_images(self, images, transformation=None, training=True):
        if not training:
            return images
        images = jnp.asarray(images).astype(self.compute_dtype)
        images = self._transform_value_range(images, self.value_range, (0, 1), dtype=self.compute_dtype)
        shift = jnp.reshape(jnp.asarray(transformation["factor"]).astype(images.dtype), (-1, 1, 1))
        hsv = image_ops.rgb_to_hsv(images, data_format=self.data_format)
        hue = _channel(self, hsv, 0) + shift
        hue = jnp.where(hue > 1.0, hue - 1.0, hue)
        hue = jnp.where(hue < 0.0, hue + 1.0, hue)
        images = image_ops.hsv_to_rgb(_replace_channel(self, hsv, 0, hue), data_format=self.data_format)
        images = jnp.clip(images, 0, 1)
        return self._transform_value_range(images, (0, 1), self.value_range, dtype=self.compute_dtype)


class RandomSaturation(_ColorLayer):
    """Scales each image's saturation by a random amount during training.

    A draw ``f`` multiplies the HSV saturation by ``f / (1 - f)``: 0 gives
    grayscale, 0.5 leaves the image unchanged, values near 1 saturate fully.

    Args:
        factor: a number ``f`` draws from ``[-f, f]`` (as Keras resolves it;
            negative draws give grayscale), a pair ``(lower, upper)`` from that range.
        value_range: the images' ``(low, high)``.
        data_format: "channels_last" or "channels_first".
        seed: an int for a reproducible stream.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range=value_range, seed=seed, data_format=data_format, **kwargs)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        factor = self._uniform(seed, (self._batch_size(data),), self.factor[0], self.factor[1])
        return {"factor": factor / (1 - factor + epsilon())}

    def transform_images(self, images, transformation=None, training=True):
        if not training:
            return images
        images = jnp.asarray(images).astype(self.compute_dtype)
        factor = jnp.reshape(jnp.asarray(transformation["factor"]).astype(self.compute_dtype), (-1, 1, 1))
        hsv = image_ops.rgb_to_hsv(images, data_format=self.data_format)
        saturation = jnp.clip(_channel(self, hsv, 1) * factor, self.value_range[0], self.value_range[1])
        return image_ops.hsv_to_rgb(_replace_channel(self, hsv, 1, saturation), data_format=self.data_format)


class RandomGrayscale(BaseImagePreprocessingLayer):
    """Turns each image to grayscale (kept as 3 channels) with probability ``factor`` during training.

    Args:
        factor: the probability, in [0, 1] (default 0.5).
        data_format: "channels_last" or "channels_first".
        seed: an int for a reproducible stream.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if not is_number(factor) or not 0 <= factor <= 1:
            raise ValueError(
                f"{self.describe()}: `factor` must be a probability in [0, 1]; received factor={factor!r}."
            )
        self.factor = float(factor)
        self._make_generator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        draws = jax.random.uniform(self._key(seed), (images.shape[0],))
        return jnp.reshape(draws < self.factor, (-1, 1, 1, 1))

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training:
            return images
        if transformation is None:
            transformation = self.get_random_transformation(images)
        gray = image_ops.rgb_to_grayscale(images, data_format=self.data_format)
        return jnp.where(transformation, gray, images)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks


class RandomColorJitter(BaseImagePreprocessingLayer):
    """Random brightness, contrast, saturation and hue changes, applied in that order during training.

    Each factor left None skips that change; each is as for the layer of that name.

    Args:
        value_range: the images' ``(low, high)``.
        brightness_factor, contrast_factor, saturation_factor, hue_factor: the strengths.
        seed: an int for a reproducible stream.
        data_format: "channels_last" or "channels_first".
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        value_range=(0, 255),
        brightness_factor=None,
        contrast_factor=None,
        saturation_factor=None,
        hue_factor=None,
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self._make_generator(seed)
        kinds = (
            ("random_brightness", RandomBrightness, brightness_factor),
            ("random_contrast", RandomContrast, contrast_factor),
            ("random_saturation", RandomSaturation, saturation_factor),
            ("random_hue", RandomHue, hue_factor),
        )
        self._stages = []
        for name, cls, factor in kinds:
            stage = (
                None
                if factor is None
                else cls(factor, value_range=value_range, seed=seed, data_format=self.data_format)
            )
            setattr(self, name, stage)
            if stage is not None:
                self._stages.append(stage)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training or not self._stages:
            return None
        # One key per stage: each stage's parameters are drawn where it runs, from the images it sees.
        return {"keys": jax.random.split(self._key(seed), len(self._stages))}

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training or transformation is None:
            return images
        for stage, key in zip(self._stages, transformation["keys"]):
            stage_transformation = stage.get_random_transformation(images, seed=key)
            images = stage.transform_images(images, stage_transformation).astype(self.compute_dtype)
        return images

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks
