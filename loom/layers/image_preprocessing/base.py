"""The shared behaviour of image preprocessing layers: one random transformation per call, applied to
images, labels and segmentation masks alike."""

import math

import jax
import jax.numpy as jnp
import numpy as np

from loom.layers.convolutional import arguments
from loom.layers.image_preprocessing import bounding_boxes
from loom.layers.layer import Layer
from loom.state.seed_generator import SeedGenerator, draw_key

# The keys Keras's image layers read from a dict input; any other key passes through unchanged.
_DATA_KEYS = ("images", "labels", "bounding_boxes", "segmentation_masks")


def is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


class BaseImagePreprocessingLayer(Layer):
    """Base of the image preprocessing and augmentation layers (Keras 3's BaseImagePreprocessingLayer).

    A call draws one transformation for the batch (``get_random_transformation``)
    and applies it with ``transform_images``, ``transform_labels`` and
    ``transform_segmentation_masks``, so an image and its mask move together.
    Inputs are a rank-4 batch or a rank-3 single image, or a dict with
    ``"images"`` and optionally ``"labels"``, ``"segmentation_masks"`` and
    ``"bounding_boxes"`` (a dict of dense ``"boxes"`` and ``"labels"``).
    Random layers change their inputs only when ``training`` is True, which is
    the default of a direct call (as in Keras); ``predict`` and ``evaluate``
    pass images through. Draws come from the layer's seed generator, or from
    the training step's key inside ``fit``.

    Args:
        factor: the layer's strength, a number or a ``(lower, upper)`` pair
            within the class's ``_FACTOR_BOUNDS``; a number ``f`` means
            ``(max(-f, lower bound), f)``.
        bounding_box_format: the format of "bounding_boxes" in dict inputs
            ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw" or their
            "rel_" forms). RandomFlip, Resizing and MaxNumBoundingBoxes move
            boxes; the other layers raise NotImplementedError when given boxes.
        data_format: "channels_last" or "channels_first"; None uses
            ``loom.config.image_data_format()``.
    """

    _USE_BASE_FACTOR = True
    _FACTOR_BOUNDS = (-1, 1)

    def __init__(self, factor=None, bounding_box_format=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.bounding_box_format = bounding_boxes.check_format(self, bounding_box_format)
        self.data_format = arguments.data_format(self, data_format)
        if self._USE_BASE_FACTOR:
            self.factor = self._check_factor(factor or 0.0, "factor")
        elif factor is not None:
            raise ValueError(
                f"{self.describe()} does not take a `factor` argument; received factor={factor!r}. Remove it."
            )
        self.interpolation = getattr(self, "interpolation", "bilinear")

    # --- argument checks ----------------------------------------------------------------
    def _check_factor(self, factor, name, bounds=None):
        """``factor`` as a sorted ``(lower, upper)`` pair inside ``bounds``."""
        low, high = bounds or self._FACTOR_BOUNDS
        message = (
            f"{self.describe()}: `{name}` must be a number or a pair of numbers in [{low}, {high}]; "
            f"received {name}={factor!r}."
        )
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or not all(is_number(f) for f in factor):
                raise ValueError(message)
            if factor[0] > high or factor[1] < low:
                raise ValueError(message)
            lower, upper = sorted(float(f) for f in factor)
            return lower, upper
        if not is_number(factor):
            raise ValueError(message)
        if not low <= factor <= high:
            raise ValueError(message)
        factor = abs(float(factor))
        return max(-factor, low), factor

    def _check_value_range(self, value_range):
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(
                f"{self.describe()}: `value_range` must be a pair of numbers (low, high), e.g. (0, 255); "
                f"received value_range={value_range!r}."
            )
        return sorted(value_range)

    def _check_choice(self, value, name, choices):
        if value not in choices:
            raise NotImplementedError(
                f"{self.describe()}: unknown `{name}` {value!r}; expected one of {tuple(choices)}."
            )
        return value

    def _make_generator(self, seed):
        if seed is not None and not (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
            raise TypeError(f"{self.describe()}: `seed` must be an int or None; received seed={seed!r}.")
        self.seed = seed
        self.generator = SeedGenerator(seed)

    # --- randomness -----------------------------------------------------------------------
    def _key(self, seed=None):
        """A jax.random key: the given one (int, key or SeedGenerator), else the next of the layer's stream."""
        if seed is None:
            return self.generator.next()
        return draw_key(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        """The random parameters of one call (a dict of arrays), or None for none."""
        return

    # --- transforms -----------------------------------------------------------------------
    def _transform_images(self, images, transformation, interpolation):
        raise NotImplementedError(f"{type(self).__name__} must implement transform_images().")

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if training:
            images = self._transform_images(images, transformation, self.interpolation)
        return images

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if training:
            segmentation_masks = self._transform_images(segmentation_masks, transformation, "nearest")
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        raise NotImplementedError(
            f"{self.describe()} received 'bounding_boxes', which loom's {type(self).__name__} does not transform "
            "yet (loom moves boxes in RandomFlip, Resizing and MaxNumBoundingBoxes). Remove the key, or "
            "transform the boxes outside the model."
        )

    # --- calling --------------------------------------------------------------------------
    def _image_axes(self):
        """(height axis, width axis, channel axis) counted from the end."""
        if self.data_format == "channels_first":
            return -2, -1, -3
        return -3, -2, -1

    def _image_size(self, images):
        """(height, width) of an image batch, or of a shape tuple."""
        shape = images if isinstance(images, tuple) else images.shape
        height_axis, width_axis, _ = self._image_axes()
        return shape[height_axis], shape[width_axis]

    def _check_rank(self, images) -> bool:
        """Whether ``images`` is a batch (rank 4) rather than one image (rank 3)."""
        if images.ndim not in (3, 4):
            raise ValueError(
                f"{self.describe()} expects images of rank 3 (one image) or 4 (a batch); received shape "
                f"{tuple(images.shape)}."
            )
        return images.ndim == 4

    def call(self, data, training=True):
        images = data["images"] if isinstance(data, dict) else data
        if isinstance(data, dict) and "bounding_boxes" in data:
            self._check_bounding_boxes(data)
        batched = self._check_rank(images)
        batch = data if batched else jax.tree_util.tree_map(lambda x: jnp.expand_dims(x, 0), data)
        transformation = self.get_random_transformation(batch, training=training)
        if not isinstance(batch, dict):
            outputs = self.transform_images(batch, transformation, training=training)
        else:
            outputs = dict(batch)
            outputs["images"] = self.transform_images(batch["images"], transformation, training=training)
            if "labels" in batch:
                outputs["labels"] = self.transform_labels(batch["labels"], transformation, training=training)
            if "segmentation_masks" in batch:
                outputs["segmentation_masks"] = self.transform_segmentation_masks(
                    batch["segmentation_masks"], transformation, training=training
                )
            if "bounding_boxes" in batch:
                outputs["bounding_boxes"] = self.transform_bounding_boxes(
                    batch["bounding_boxes"], transformation, training=training
                )
        if batched:
            return outputs
        return jax.tree_util.tree_map(lambda x: jnp.squeeze(x, 0), outputs)

    def _check_bounding_boxes(self, data):
        if type(self).transform_bounding_boxes is BaseImagePreprocessingLayer.transform_bounding_boxes:
            self.transform_bounding_boxes(data["bounding_boxes"], None)  # raises: not supported
        if not self.bounding_box_format:
            raise ValueError(
                f"{self.describe()} received 'bounding_boxes' but no `bounding_box_format`; pass one, e.g. "
                f"{type(self).__name__}(..., bounding_box_format='xyxy')."
            )

    # --- helpers shared by several layers -------------------------------------------------------
    def _transform_value_range(self, images, original_range, target_range, dtype="float32"):
        """Map values linearly from ``original_range`` to ``target_range``."""
        if original_range[0] == target_range[0] and original_range[1] == target_range[1]:
            return images
        images = images.astype(dtype)
        low, high = (jnp.asarray(v, dtype) for v in original_range)
        new_low, new_high = (jnp.asarray(v, dtype) for v in target_range)
        return (images - low) / (high - low) * (new_high - new_low) + new_low

    def _compute_affine_matrix(
        self, center_x, center_y, angle, translate_x, translate_y, scale, shear_x, shear_y, height, width
    ):
        """Per-image rows ``(a0, a1, a2, b0, b1, b2, 0, 0)`` mapping output to input pixel positions.

        ``angle`` and shears in degrees; the centre as a fraction of the image size.
        """
        to_radians = math.pi / 180.0
        angle = angle * to_radians
        dtype = angle.dtype
        cx = center_x * (jnp.asarray(width, dtype) - 1)
        cy = center_y * (jnp.asarray(height, dtype) - 1)
        cos, sin = jnp.cos(angle), jnp.sin(angle)
        shear_x, shear_y = jnp.tan(shear_x * to_radians), jnp.tan(shear_y * to_radians)
        a0 = scale * (cos + shear_x * sin)
        a1 = scale * (-sin + shear_x * cos)
        a2 = translate_x + cx - cx * a0 - cy * a1
        b0 = scale * (shear_y * cos + sin)
        b1 = scale * (shear_y * -sin + cos)
        b2 = translate_y + cy - cx * b0 - cy * b1
        zeros = jnp.zeros_like(a0)
        return jnp.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)

    # --- configuration --------------------------------------------------------------------
    def get_config(self) -> dict:
        # Keras writes each argument as its layer keeps it: factors resolved to a (lower, upper)
        # tuple, some value ranges sorted into a list, the rest as the user passed them. loom's
        # layers keep each argument under its own name in the same form, so the config takes the
        # attribute where there is one and the argument as given where there is not.
        config = Layer.get_config(self)
        for key, value in (self._init_arguments or {}).items():
            config.setdefault(key, getattr(self, key, value))
        config["data_format"] = self.data_format
        if config.get("bounding_box_format", 0) is None:
            config.pop("bounding_box_format")
        return config
