"""Random affine augmentations: RandomRotation, RandomZoom, RandomTranslation, RandomShear.

Each draws per-image parameters, builds Keras's 8-number projective rows
``(a0, a1, a2, b0, b1, b2, c0, c1)`` (output pixel -> input pixel) and samples
the images with ``loom.ops.image.affine_transform``.
"""

import jax
import jax.numpy as jnp

from loom.layers.image_preprocessing.base import BaseImagePreprocessingLayer, is_number
from loom.ops import image as image_ops

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


class _AffineLayer(BaseImagePreprocessingLayer):
    """Shared arguments and sampling of the affine layers."""

    _USE_BASE_FACTOR = False

    def _set_sampling(self, fill_mode, interpolation, fill_value, seed):
        self.fill_mode = self._check_choice(fill_mode, "fill_mode", FILL_MODES)
        self.interpolation = self._check_choice(interpolation, "interpolation", INTERPOLATIONS)
        self.fill_value = fill_value
        self._make_generator(seed)

    def _check_pair(self, factor, name, low, high, low_open=False):
        """``factor`` as ``(lower, upper)``: a number f means (-f, f); each value in [low, high]."""
        values = factor if isinstance(factor, (tuple, list)) else [factor]
        in_range = all(is_number(v) and (low < v if low_open else low <= v) and v <= high for v in values)
        if len(values) not in (1, 2) or not in_range:
            interval = f"({low}, {high}]" if low_open else f"[{low}, {high}]"
            raise ValueError(
                f"{self.describe()}: `{name}` must be a number or a pair of numbers in {interval}; "
                f"received {name}={factor!r}."
            )
        if len(values) == 2:
            return tuple(sorted(float(v) for v in values))
        return -abs(float(factor)), abs(float(factor))

    def _affine(self, images, matrix, interpolation):
        return image_ops.affine_transform(
            images,
            transform=matrix,
            interpolation=interpolation,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        return self._affine(images, self._matrix(transformation, images), interpolation)


class RandomRotation(_AffineLayer):
    """Rotates each image by a random angle during training.

    Args:
        factor: a fraction of a full turn: a number ``f`` rotates by an angle in
            ``[-f * 360, f * 360]`` degrees, a pair ``(lower, upper)`` by one in
            ``[lower * 360, upper * 360]``; positive angles turn counter-clockwise.
        fill_mode: how points outside the image are filled: "reflect" (default),
            "wrap", "constant" (with ``fill_value``) or "nearest".
        interpolation: "bilinear" (default) or "nearest".
        seed: an int for a reproducible stream of angles.
        fill_value: the value outside the image for ``fill_mode="constant"``.
        data_format: "channels_last" or "channels_first"; None uses the global setting.
    """

    _USE_BASE_FACTOR = True

    def __init__(
        self,
        factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        self._set_sampling(fill_mode, interpolation, fill_value, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        height, width = self._image_size(images)
        batch = images.shape[0]
        lower, upper = self.factor[0] * 360.0, self.factor[1] * 360.0
        angle = jax.random.uniform(self._key(seed), (batch,), minval=lower, maxval=upper)
        zeros, ones = jnp.zeros((batch,)), jnp.ones((batch,))
        matrix = self._compute_affine_matrix(0.5, 0.5, angle, zeros, zeros, ones, zeros, zeros, height, width)
        return {
            "angle": angle,
            "rotation_matrix": matrix,
            "image_height": height,
            "image_width": width,
            "batch_size": batch,
        }

    def _matrix(self, transformation, images):
        return transformation["rotation_matrix"]


class RandomZoom(_AffineLayer):
    """Zooms each image in or out by a random amount during training.

    Args:
        height_factor: the vertical zoom as a fraction: a number ``f`` zooms by a
            factor in ``[1 - f, 1 + f]`` of the sampled area; positive values zoom
            out (the image gets smaller), negative values zoom in. Values in (-1, 1].
        width_factor: the horizontal zoom, likewise; None (default) keeps the
            aspect ratio by reusing the vertical zoom.
        fill_mode, interpolation, seed, fill_value, data_format: as for RandomRotation.
    """

    def __init__(
        self,
        height_factor,
        width_factor=None,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = self._check_pair(height_factor, "height_factor", -1, 1, True)
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = self._check_pair(width_factor, "width_factor", -1, 1, True)
        self._set_sampling(fill_mode, interpolation, fill_value, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = (images.shape[0], 1)
        height_key, width_key = jax.random.split(self._key(seed))
        height_zoom = jax.random.uniform(height_key, shape, minval=1 + self.height_lower, maxval=1 + self.height_upper)
        width_zoom = height_zoom
        if self.width_factor is not None:
            width_zoom = jax.random.uniform(width_key, shape, minval=1 + self.width_lower, maxval=1 + self.width_upper)
        return {"height_zoom": height_zoom, "width_zoom": width_zoom, "input_shape": images.shape}

    def _matrix(self, transformation, images):
        height, width = self._image_size(images)
        zoom_x = jnp.asarray(transformation["width_zoom"], "float32")
        zoom_y = jnp.asarray(transformation["height_zoom"], "float32")
        zeros = jnp.zeros_like(zoom_x)
        # Scale about the image centre: [[zx, 0, x_off], [0, zy, y_off]].
        x_offset = (width - 1) / 2.0 * (1.0 - zoom_x)
        y_offset = (height - 1) / 2.0 * (1.0 - zoom_y)
        return jnp.concatenate([zoom_x, zeros, x_offset, zeros, zoom_y, y_offset, zeros, zeros], axis=1)


class RandomTranslation(_AffineLayer):
    """Shifts each image by a random offset during training.

    Args:
        height_factor: the vertical shift as a fraction of the height: a number
            ``f`` shifts by up to ``f * height`` either way, a pair
            ``(lower, upper)`` by an amount in that range (negative is up). In [-1, 1].
        width_factor: the horizontal shift, likewise (negative is left).
        fill_mode, interpolation, seed, fill_value, data_format: as for RandomRotation.
    """

    def __init__(
        self,
        height_factor,
        width_factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = self._check_pair(height_factor, "height_factor", -1, 1)
        self.width_factor = width_factor
        self.width_lower, self.width_upper = self._check_pair(width_factor, "width_factor", -1, 1)
        self._set_sampling(fill_mode, interpolation, fill_value, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        height, width = self._image_size(images)
        shape = (images.shape[0], 1)
        height_key, width_key = jax.random.split(self._key(seed))
        dy = jax.random.uniform(height_key, shape, minval=self.height_lower, maxval=self.height_upper) * height
        dx = jax.random.uniform(width_key, shape, minval=self.width_lower, maxval=self.width_upper) * width
        return {"translations": jnp.concatenate([dx, dy], axis=1), "input_shape": images.shape}

    def _matrix(self, transformation, images):
        translations = jnp.asarray(transformation["translations"], "float32")
        ones, zeros = jnp.ones_like(translations[:, :1]), jnp.zeros_like(translations[:, :1])
        return jnp.concatenate(
            [ones, zeros, -translations[:, 0:1], zeros, ones, -translations[:, 1:], zeros, zeros], axis=1
        )


class RandomShear(_AffineLayer):
    """Shears each image along x and/or y by a random amount during training.

    Args:
        x_factor: the horizontal shear: a number ``f`` draws a shear in
            ``[-f, f]`` (the sign also flips at random), a pair draws in that range. A number
            in [0, 1]; a pair in [-1, 1] (the form a config holds).
        y_factor: the vertical shear, likewise.
        interpolation, fill_mode, fill_value, data_format, seed: as for RandomRotation.
    """

    def __init__(
        self,
        x_factor=0.0,
        y_factor=0.0,
        interpolation="bilinear",
        fill_mode="reflect",
        fill_value=0.0,
        data_format=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.x_factor = self._check_shear(x_factor, "x_factor")
        self.y_factor = self._check_shear(y_factor, "y_factor")
        self._set_sampling(fill_mode, interpolation, fill_value, seed)

    def _check_shear(self, factor, name):
        # A number f resolves to the pair (-f, f), and that pair is what the config holds; Keras
        # refuses it when it reads its own config back (a pair's values must be in [0, 1]), loom
        # takes a pair in [-1, 1] so from_config(get_config()) rebuilds the layer.
        if isinstance(factor, (tuple, list)):
            return self._check_pair(factor, name, -1, 1)
        return self._check_pair(factor, name, 0, 1)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = (images.shape[0], 1)
        sign_key, y_key, x_key = jax.random.split(self._key(seed), 3)
        sign = jnp.where(jax.random.uniform(sign_key, shape) > 0.5, -1.0, 1.0)
        shear_y = jax.random.uniform(y_key, shape, minval=self.y_factor[0], maxval=self.y_factor[1])
        shear_x = jax.random.uniform(x_key, shape, minval=self.x_factor[0], maxval=self.x_factor[1])
        shear = (jnp.concatenate([shear_x, shear_y], axis=1) * sign).astype(self.compute_dtype)
        return {"shear_factor": shear, "input_shape": images.shape}

    def _matrix(self, transformation, images):
        shear = jnp.asarray(transformation["shear_factor"])
        ones, zeros = jnp.ones_like(shear[:, 0]), jnp.zeros_like(shear[:, 0])
        return jnp.stack([ones, shear[:, 0], zeros, shear[:, 1], ones, zeros, zeros, zeros], axis=1)
