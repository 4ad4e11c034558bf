"""CenterCrop and RandomCrop: a ``(height, width)`` window of each image."""

import jax
import jax.numpy as jnp

from loom.layers.image_preprocessing.base import BaseImagePreprocessingLayer
from loom.layers.image_preprocessing.resizing import check_size
from loom.ops import image as image_ops


def _crop(layer, images, top, left):
    """The ``(layer.height, layer.width)`` window of a batch starting at ``(top, left)`` (ints or traced)."""
    height_axis, width_axis, _ = layer._image_axes()
    starts = [0] * images.ndim
    sizes = list(images.shape)
    starts[height_axis], starts[width_axis] = top, left
    sizes[height_axis], sizes[width_axis] = layer.height, layer.width
    return jax.lax.dynamic_slice(images, starts, sizes)


def _resize_to_aspect_ratio(layer, images, interpolation):
    """Images smaller than the target: the largest centred window of the target's aspect ratio, resized."""
    resized = image_ops.resize(
        images,
        size=(layer.height, layer.width),
        interpolation=interpolation,
        crop_to_aspect_ratio=True,
        data_format=layer.data_format,
    )
    return resized.astype(images.dtype)


class CenterCrop(BaseImagePreprocessingLayer):
    """Crops the central ``(height, width)`` window of each image; deterministic (training and inference).

    An image smaller than the target is first cropped to the target's aspect
    ratio and resized, as Keras does, instead of failing.

    Args:
        height, width: the output size.
        data_format: "channels_last" or "channels_first"; None uses the global setting.

    Example:
        >>> CenterCrop(2, 2)(np.arange(16.0).reshape(4, 4, 1))[..., 0]
        Array([[ 5.,  6.],
               [ 9., 10.]], dtype=float32)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        check_size(self, height, width)
        self.height, self.width = height, width

    def _center_crop(self, images, interpolation):
        height, width = self._image_size(images)
        if height < self.height or width < self.width:
            return _resize_to_aspect_ratio(self, images, interpolation)
        return _crop(self, images, (height - self.height) // 2, (width - self.width) // 2)

    def transform_images(self, images, transformation=None, training=True):
        return self._center_crop(jnp.asarray(images).astype(self.compute_dtype), "bilinear")

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        # Class indices: nearest neighbour, in their own dtype.
        return self._center_crop(jnp.asarray(segmentation_masks), "nearest")


class RandomCrop(BaseImagePreprocessingLayer):
    """Crops a random ``(height, width)`` window (one position per batch) during training.

    At inference, and for images not larger than the target in both
    dimensions, it crops the centre to the target aspect ratio and resizes
    instead, as Keras does.

    Args:
        height, width: the output size.
        seed: an int for a reproducible stream of crops.
        data_format: "channels_last" or "channels_first"; None uses the global setting.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        check_size(self, height, width)
        self.height, self.width = height, width
        self._make_generator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        images = data["images"] if isinstance(data, dict) else data
        height, width = self._image_size(images)
        if training and height > self.height and width > self.width:
            top_key, left_key = jax.random.split(self._key(seed))
            top = jax.random.randint(top_key, (), 0, height - self.height + 1)
            left = jax.random.randint(left_key, (), 0, width - self.width + 1)
            return top, left
        return None

    def _random_crop(self, images, transformation, interpolation, training):
        height, width = self._image_size(images)
        if training and height > self.height and width > self.width:
            return _crop(self, images, *transformation)
        if (height, width) == (self.height, self.width):
            return images
        return _resize_to_aspect_ratio(self, images, interpolation)

    # Keras 3's code returns inference inputs uncropped, against its own docstring, so a model's
    # output shape differs between fit and predict; loom resizes and crops the centre, as documented.
    def transform_images(self, images, transformation, training=True):
        return self._random_crop(jnp.asarray(images).astype(self.compute_dtype), transformation, "bilinear", training)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self._random_crop(jnp.asarray(segmentation_masks), transformation, "nearest", training)
