"""RandomFlip: mirrors each image horizontally and/or vertically with probability 1/2."""

import jax
import jax.numpy as jnp

from loom.layers.image_preprocessing import bounding_boxes as boxes_lib
from loom.layers.image_preprocessing.base import BaseImagePreprocessingLayer

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"


class RandomFlip(BaseImagePreprocessingLayer):
    """Flips each image, independently, with probability 1/2 during training.

    Args:
        mode: "horizontal" (left-right), "vertical" (up-down) or
            "horizontal_and_vertical" (default: one draw flips both ways).
        seed: an int for a reproducible stream of flips.
        data_format: "channels_last" or "channels_first"; None uses the global setting.

    Call arguments:
        data: images of shape ``(batch, height, width, channels)`` or one image
            ``(height, width, channels)``, or a dict with "images", "labels",
            "segmentation_masks" (masks flip with their images) and "bounding_boxes"
            (with ``bounding_box_format`` set).
        training: flip only when True (the default of a direct call; False in ``predict``).
    """

    _USE_BASE_FACTOR = False

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.mode = self._check_choice(mode, "mode", (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL))
        self._make_generator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = (images.shape[0], 1, 1, 1) if images.ndim == 4 else (1, 1, 1)
        flips = jax.random.uniform(self._key(seed), shape) <= 0.5
        return {"flips": flips, "input_shape": tuple(images.shape)}

    def _flip(self, inputs, transformation):
        if transformation is None:
            return inputs
        flips = transformation["flips"]
        height_axis, width_axis, _ = self._image_axes()
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            inputs = jnp.where(flips, jnp.flip(inputs, axis=width_axis), inputs)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            inputs = jnp.where(flips, jnp.flip(inputs, axis=height_axis), inputs)
        return inputs

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        return self._flip(images, transformation) if training else images

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        # Flipping only moves pixels: masks keep their (integer) dtype.
        return self._flip(jnp.asarray(segmentation_masks), transformation) if training else segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        height, width = self._image_size(transformation["input_shape"])
        boxes = boxes_lib.convert_format(bounding_boxes, self.bounding_box_format, "rel_xyxy", height, width)
        flips = jnp.reshape(transformation["flips"], (-1, 1, 1))
        x1, y1, x2, y2 = (boxes["boxes"][..., i : i + 1] for i in range(4))
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            x1, x2 = jnp.where(flips, 1 - x2, x1), jnp.where(flips, 1 - x1, x2)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            y1, y2 = jnp.where(flips, 1 - y2, y1), jnp.where(flips, 1 - y1, y2)
        boxes = boxes_lib.clip_to_image_size({**boxes, "boxes": jnp.concatenate([x1, y1, x2, y2], -1)}, height, width)
        return boxes_lib.convert_format(boxes, "rel_xyxy", self.bounding_box_format, height, width)
