"""MaxNumBoundingBoxes: pads or truncates each sample's bounding boxes to a fixed count."""

import jax.numpy as jnp

from loom.layers.image_preprocessing.base import BaseImagePreprocessingLayer


class MaxNumBoundingBoxes(BaseImagePreprocessingLayer):
    """Gives every sample exactly ``max_number`` boxes: extra boxes are dropped, missing ones padded.

    Works on dict inputs ``{"images": ..., "bounding_boxes": {"boxes": (batch, n, 4),
    "labels": (batch, n)}}``; images, labels and masks pass through unchanged.

    Args:
        max_number: the number of boxes per sample.
        fill_value: the value of padded boxes and labels (default -1).
        bounding_box_format: the boxes' format, e.g. "xyxy" (required with boxes, as in Keras).
    """

    _USE_BASE_FACTOR = False

    def __init__(self, max_number, fill_value=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(max_number, int) or isinstance(max_number, bool) or max_number < 1:
            raise ValueError(
                f"{self.describe()}: `max_number` must be a positive int; received max_number={max_number!r}."
            )
        self.max_number = max_number
        self.fill_value = int(fill_value)

    def transform_images(self, images, transformation=None, training=True):
        return images

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        return segmentation_masks

    def _fit(self, values, axis=1):
        values = jnp.asarray(values)[:, : self.max_number]
        padding = [(0, 0)] * values.ndim
        padding[axis] = (0, self.max_number - values.shape[axis])
        return jnp.pad(values, padding, constant_values=self.fill_value)

    def transform_bounding_boxes(self, bounding_boxes, transformation=None, training=True):
        extra = set(bounding_boxes) - {"boxes", "labels"}
        if extra:
            raise KeyError(
                f"{self.describe()}: unsupported keys in 'bounding_boxes': {sorted(extra)}; only 'boxes' and "
                "'labels' are supported."
            )
        return {key: self._fit(value) for key, value in bounding_boxes.items()}
