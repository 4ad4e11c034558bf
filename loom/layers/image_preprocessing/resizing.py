"""Resizing: every image to a fixed height and width, optionally keeping its aspect ratio."""

import jax.numpy as jnp

from loom.layers.image_preprocessing import bounding_boxes as boxes_lib
from loom.layers.image_preprocessing.base import BaseImagePreprocessingLayer
from loom.ops import image as image_ops

_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5", "area")


def saturate_cast(values, dtype):
    """``values`` in ``dtype``, integer targets rounded and clipped to their range first (no wrap-around)."""
    dtype = jnp.dtype(dtype)
    if values.dtype == dtype:
        return values
    if jnp.issubdtype(dtype, jnp.integer):
        info = jnp.iinfo(dtype)
        values = jnp.clip(jnp.round(values), info.min, info.max)
    return values.astype(dtype)


def check_size(layer, height, width):
    for name, value in (("height", height), ("width", width)):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{layer.describe()}: `{name}` must be a positive int; received {name}={value!r}.")


class Resizing(BaseImagePreprocessingLayer):
    """Resizes images to ``(height, width)``; deterministic, so it runs in training and inference alike.

    Args:
        height, width: the output size.
        interpolation: "bilinear" (default), "nearest", "bicubic", "lanczos3", "lanczos5" or "area".
        crop_to_aspect_ratio: crop the largest centred window of the target aspect ratio first,
            so images are not distorted.
        pad_to_aspect_ratio: pad the short side evenly instead (with ``fill_value``).
        fill_mode: how padding is filled; only "constant".
        fill_value: the padding value.
        antialias: low-pass filter when downsampling.
        data_format: "channels_last" or "channels_first"; None uses the global setting.

    Integer images come back in their own dtype (rounded and clipped), as in Keras.
    Dict inputs may carry "bounding_boxes" (give ``bounding_box_format``); they
    are scaled (and cropped or padded) with the images.

    Example:
        >>> Resizing(2, 2)(np.ones((4, 4, 3))).shape
        (2, 2, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        height,
        width,
        interpolation="bilinear",
        crop_to_aspect_ratio=False,
        pad_to_aspect_ratio=False,
        fill_mode="constant",
        fill_value=0.0,
        antialias=False,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        check_size(self, height, width)
        self.height, self.width = height, width
        self.interpolation = self._check_choice(interpolation, "interpolation", _INTERPOLATIONS)
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        if self.crop_to_aspect_ratio and self.pad_to_aspect_ratio:
            raise ValueError(
                f"{self.describe()}: only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be True."
            )
        self.fill_mode = self._check_choice(fill_mode, "fill_mode", ("constant",))
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def _resize(self, images, interpolation):
        resized = image_ops.resize(
            images,
            size=(self.height, self.width),
            interpolation=interpolation,
            antialias=self.antialias,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )
        return saturate_cast(resized, images.dtype)

    def transform_images(self, images, transformation=None, training=True):
        return self._resize(images, self.interpolation)

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        return self._resize(segmentation_masks, "nearest")

    def get_random_transformation(self, data, training=True, seed=None):
        images = data["images"] if isinstance(data, dict) else data
        return self._image_size(images)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        height, width = transformation
        original = jnp.asarray(bounding_boxes["boxes"])
        # Padding rows (all -1 or all 0) stay zero boxes.
        empty = jnp.all(original == -1, axis=-1) | jnp.all(original == 0, axis=-1)
        boxes = boxes_lib.convert_format(bounding_boxes, self.bounding_box_format, "xyxy", height, width)
        x1, y1, x2, y2 = (boxes["boxes"][..., i] for i in range(4))
        if self.pad_to_aspect_ratio:
            ratio = min(self.height / height, self.width / width)
            x_offset, y_offset = (self.width - width * ratio) // 2, (self.height - height * ratio) // 2
            x1, x2, y1, y2 = x1 * ratio + x_offset, x2 * ratio + x_offset, y1 * ratio + y_offset, y2 * ratio + y_offset
        elif self.crop_to_aspect_ratio:
            wider = width / height > self.width / self.height
            new_width = self.height * width / height if wider else self.width
            new_height = self.height if wider else self.width * height / width
            scale_x, scale_y = new_width / width, new_height / height
            left, top = (new_width - self.width) // 2, (new_height - self.height) // 2
            x1, x2, y1, y2 = x1 * scale_x - left, x2 * scale_x - left, y1 * scale_y - top, y2 * scale_y - top
        else:
            scale_x, scale_y = self.width / width, self.height / height
            x1, x2, y1, y2 = x1 * scale_x, x2 * scale_x, y1 * scale_y, y2 * scale_y
        boxes = {**boxes, "boxes": jnp.stack([x1, y1, x2, y2], axis=-1).astype(boxes["boxes"].dtype)}
        boxes = boxes_lib.clip_to_image_size(boxes, self.height, self.width)
        boxes["boxes"] = jnp.where(empty[..., None], 0.0, boxes["boxes"]).astype(boxes["boxes"].dtype)
        return boxes_lib.convert_format(boxes, "xyxy", self.bounding_box_format, self.height, self.width)
