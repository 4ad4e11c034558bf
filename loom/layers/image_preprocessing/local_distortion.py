"""Random local distortions: RandomErasing (a filled rectangle), RandomGaussianBlur,
RandomPerspective (moved corners), RandomElasticTransform (a smooth random warp)."""

import jax
import jax.numpy as jnp
import numpy as np

from loom.layers.image_preprocessing.base import BaseImagePreprocessingLayer, is_number
from loom.layers.image_preprocessing.geometric import FILL_MODES, INTERPOLATIONS
from loom.ops import image as image_ops


def _apply_draws(layer, key, batch):
    """Per-image booleans: apply the change with a probability drawn from ``layer.factor``."""
    probability_key, threshold_key = jax.random.split(key)
    probability = jax.random.uniform(probability_key, (batch,), minval=layer.factor[0], maxval=layer.factor[1])
    return jax.random.uniform(threshold_key, (batch,)) < probability


def box_masks(layer, shape, x0, x1, y0, y1):
    """Boolean masks of ``shape`` (a batch) that are True inside each image's box ``[x0, x1) x [y0, y1)``."""
    height_axis, width_axis, channel_axis = layer._image_axes()
    height, width = shape[height_axis], shape[width_axis]
    rows = jnp.arange(height, dtype=layer.compute_dtype)[:, None]
    cols = jnp.arange(width, dtype=layer.compute_dtype)[None, :]
    corner = [c[:, None, None] for c in (x0, x1, y0, y1)]
    inside = (cols >= corner[0]) & (cols < corner[1]) & (rows >= corner[2]) & (rows < corner[3])  # (B, H, W)
    inside = jnp.expand_dims(inside, channel_axis)
    return jnp.broadcast_to(inside, shape)


def crop_bounds(layer, key, batch, length, ratio):
    """Start and end of a random span of ``ratio * length`` inside ``[0, length)``."""
    span = (ratio * length).astype(layer.compute_dtype)
    start = jax.random.uniform(key, (batch,), layer.compute_dtype) * (length - span)
    return start, start + span


class RandomErasing(BaseImagePreprocessingLayer):
    """Fills a random rectangle of each image (with probability ``factor``) during training.

    Args:
        factor: the probability of erasing: a number ``f`` draws the
            probability from ``[0, f]`` per image, a pair from that range.
        scale: the range of the box's side lengths as fractions of the image's
            (squared-root of the drawn area fraction).
        fill_value: a number or one value per channel; None fills with Gaussian
            noise scaled to the range.
        value_range: the images' ``(low, high)``; the fill is clipped to it.
        seed: an int for a reproducible stream.
        data_format: "channels_last" or "channels_first".
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor=1.0,
        scale=(0.02, 0.33),
        fill_value=None,
        value_range=(0, 255),
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._check_factor(factor, "factor")
        self.scale = self._check_factor(scale, "scale")
        if not (
            fill_value is None
            or is_number(fill_value)
            or (
                isinstance(fill_value, (tuple, list)) and len(fill_value) == 3 and all(is_number(v) for v in fill_value)
            )
        ):
            raise ValueError(
                f"{self.describe()}: `fill_value` must be None, a number or three numbers (one per channel); "
                f"received fill_value={fill_value!r}."
            )
        self.fill_value = fill_value
        self.value_range = value_range
        self._make_generator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        batch, (height, width) = images.shape[0], self._image_size(images)
        keys = jax.random.split(self._key(seed), 5)
        ratios = jnp.sqrt(jax.random.uniform(keys[0], (batch, 2), self.compute_dtype, self.scale[0], self.scale[1]))
        x0, x1 = crop_bounds(self, keys[1], batch, width, ratios[:, 0])
        y0, y1 = crop_bounds(self, keys[2], batch, height, ratios[:, 1])
        return {
            "apply_erasing": _apply_draws(self, keys[3], batch),
            "batch_masks": box_masks(self, images.shape, x0, x1, y0, y1),
            "fill_value": self._fill(images.shape, keys[4]),
        }

    def _fill(self, shape, key):
        if self.fill_value is None:
            fill = jax.random.normal(key, shape, self.compute_dtype) * self.value_range[1]
        elif isinstance(self.fill_value, (tuple, list)):
            _, _, channel_axis = self._image_axes()
            per_channel = [1] * len(shape)
            per_channel[channel_axis] = 3
            values = jnp.reshape(jnp.asarray(self.fill_value, self.compute_dtype), per_channel)
            fill = jnp.broadcast_to(values, shape)
        else:
            fill = jnp.full(shape, self.fill_value, self.compute_dtype)
        return jnp.clip(fill, self.value_range[0], self.value_range[1])

    def transform_images(self, images, transformation=None, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training or transformation is None:
            return images
        erased = jnp.where(
            transformation["batch_masks"], jnp.asarray(transformation["fill_value"], images.dtype), images
        )
        return jnp.where(jnp.reshape(transformation["apply_erasing"], (-1, 1, 1, 1)), erased, images)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks


class RandomGaussianBlur(BaseImagePreprocessingLayer):
    """Blurs each image (with probability ``factor``) with a Gaussian of random width during training.

    Args:
        factor: the probability of blurring, as for RandomErasing (default 1.0).
        kernel_size: an odd int, or a pair of odd ints (height, width).
        sigma: the blur's standard deviation: a number ``s`` draws from
            ``[0, s]``, a pair from that range (one draw for x, one for y, per batch).
        value_range: the images' ``(low, high)``; results are clipped to it.
        data_format: "channels_last" or "channels_first".
        seed: an int for a reproducible stream.
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255), data_format=None, seed=None, **kwargs
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._check_factor(factor, "factor")
        sizes = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
        if len(sizes) != 2 or not all(isinstance(k, int) and k > 0 and k % 2 == 1 for k in sizes):
            raise ValueError(
                f"{self.describe()}: `kernel_size` must be an odd int or a pair of odd ints; "
                f"received kernel_size={kernel_size!r}."
            )
        self.kernel_size = tuple(sizes)
        self.sigma = self._check_factor(sigma, "sigma")
        self.value_range = value_range
        self._make_generator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        apply_key, sigma_key = jax.random.split(self._key(seed))
        sigma = jax.random.uniform(sigma_key, (2,), self.compute_dtype, self.sigma[0], self.sigma[1]) + 1e-6
        return {"should_apply_blur": _apply_draws(self, apply_key, images.shape[0]), "blur_factor": sigma}

    def transform_images(self, images, transformation=None, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training or transformation is None:
            return images
        blurred = image_ops.gaussian_blur(
            images, kernel_size=self.kernel_size, sigma=transformation["blur_factor"], data_format=self.data_format
        )
        apply = jnp.reshape(transformation["should_apply_blur"], (-1, 1, 1, 1))
        images = jnp.where(apply, blurred.astype(images.dtype), images)
        return jnp.clip(images, self.value_range[0], self.value_range[1])

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks


class RandomPerspective(BaseImagePreprocessingLayer):
    """Moves each image's corners by random amounts (with probability ``factor``) during training.

    Each corner moves by up to ``scale / 2`` of its coordinates; the image is
    resampled through the perspective transform that maps the old corners to the new.

    Args:
        factor: the probability of distorting, as for RandomErasing (default 1.0).
        scale: the strength, in [0, 1].
        interpolation: "bilinear" (default) or "nearest".
        fill_value: the value outside the image.
        seed: an int for a reproducible stream.
        data_format: "channels_last" or "channels_first".
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor=1.0,
        scale=1.0,
        interpolation="bilinear",
        fill_value=0.0,
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._check_factor(factor, "factor")
        if not is_number(scale) or not 0 <= scale <= 1:
            raise ValueError(f"{self.describe()}: `scale` must be a number in [0, 1]; received scale={scale!r}.")
        self.scale = scale
        self.interpolation = self._check_choice(interpolation, "interpolation", INTERPOLATIONS)
        self.fill_value = fill_value
        self._make_generator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        batch, (height, width) = images.shape[0], self._image_size(images)
        apply_key, corner_key = jax.random.split(self._key(seed))
        apply = _apply_draws(self, apply_key, batch)
        half = 0.5 * self.scale
        moves = jax.random.uniform(corner_key, (batch, 4, 2), self.compute_dtype, -half, half)
        corners = jnp.asarray(
            [[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1], [width - 1, height - 1]], self.compute_dtype
        )
        start = jnp.broadcast_to(corners, (batch, 4, 2))
        end = jnp.where(apply[:, None, None], start + start * moves, start)
        return {"apply_perspective": apply, "start_points": start, "end_points": end, "input_shape": images.shape}

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        outputs = image_ops.perspective_transform(
            images,
            transformation["start_points"],
            transformation["end_points"],
            interpolation=interpolation,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )
        apply = jnp.reshape(transformation["apply_perspective"], (-1, 1, 1, 1))
        return jnp.where(apply, outputs.astype(images.dtype), images)


class RandomElasticTransform(BaseImagePreprocessingLayer):
    """Warps each image (with probability ``factor``) by a smooth random displacement field in training.

    The displacement is Gaussian noise blurred by ``sigma = 0.05 s min(h, w)``
    and scaled by ``alpha = 0.1 s max(h, w)``, with ``s`` drawn from ``scale``
    and rounded to one of 8 evenly spaced strengths (so the blur kernel has a
    static size inside compiled steps; Keras uses the exact draw eagerly).

    Args:
        factor: the probability of warping, as for RandomErasing (default 1.0).
        scale: the strength: a number ``s`` draws from ``[0, s]``, a pair from that range; in [0, 1].
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: "reflect" (default), "wrap", "constant", "nearest" or "mirror".
        fill_value: the value outside the image for "constant".
        value_range: the images' ``(low, high)``; results are clipped to it.
        seed: an int for a reproducible stream.
        data_format: "channels_last" or "channels_first".
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)
    _LEVELS = 8

    def __init__(
        self,
        factor=1.0,
        scale=1.0,
        interpolation="bilinear",
        fill_mode="reflect",
        fill_value=0.0,
        value_range=(0, 255),
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._check_factor(factor, "factor")
        self.scale = self._check_factor(scale, "scale")
        self.interpolation = self._check_choice(interpolation, "interpolation", INTERPOLATIONS)
        self.fill_mode = self._check_choice(fill_mode, "fill_mode", FILL_MODES + ("mirror",))
        self.fill_value = fill_value
        self.value_range = value_range
        self._make_generator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        images = data["images"] if isinstance(data, dict) else data
        apply_key, scale_key, field_key = jax.random.split(self._key(seed), 3)
        strength = jax.random.uniform(scale_key, (), self.compute_dtype, self.scale[0], self.scale[1])
        return {
            "apply_transform": _apply_draws(self, apply_key, images.shape[0]),
            "distortion_factor": strength,
            "seed": field_key,
        }

    def _levels(self):
        # The warp's kernel size follows sigma, so each strength must be a Python number: a drawn
        # strength is rounded to one of _LEVELS values and lax.switch picks that warp (traceable).
        if self.scale[0] == self.scale[1]:
            return np.asarray([self.scale[1]], "float32")
        return np.linspace(self.scale[0], self.scale[1], self._LEVELS).astype("float32")

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        height, width = self._image_size(images)
        levels = self._levels()
        span = max(float(levels[-1] - levels[0]), 1e-12)
        position = (jnp.asarray(transformation["distortion_factor"], "float32") - levels[0]) / span
        index = jnp.clip(jnp.round(position * (len(levels) - 1)), 0, len(levels) - 1).astype("int32")

        def warp(strength):
            if strength <= 0:
                return lambda x: x
            return lambda x: image_ops.elastic_transform(
                x,
                alpha=max(height, width) * 0.1 * strength,
                sigma=min(height, width) * 0.05 * strength,
                interpolation=interpolation,
                fill_mode=self.fill_mode,
                fill_value=self.fill_value,
                seed=transformation["seed"],
                data_format=self.data_format,
            ).astype(x.dtype)

        warped = jax.lax.switch(index, [warp(float(level)) for level in levels], images)
        apply = jnp.reshape(transformation["apply_transform"], (-1, 1, 1, 1))
        images = jnp.where(apply, warped, images)
        return jnp.clip(images, self.value_range[0], self.value_range[1])
