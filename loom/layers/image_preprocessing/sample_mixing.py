"""Augmentations that mix samples of a batch, labels included: MixUp and CutMix."""

import jax
import jax.numpy as jnp

from loom.layers.image_preprocessing.base import BaseImagePreprocessingLayer, is_number
from loom.layers.image_preprocessing.local_distortion import box_masks, crop_bounds


def _permutation(key, batch):
    # argsort of uniform draws rather than jax.random.permutation: it also traces with an unknown batch size.
    return jnp.argsort(jax.random.uniform(key, (batch,))).astype("int32")


class MixUp(BaseImagePreprocessingLayer):
    """MixUp (Zhang et al., 2018): blends each sample with another of the batch, labels too, in training.

    ``x' = w x + (1 - w) x[perm]`` and ``y' = w y + (1 - w) y[perm]`` with
    ``w ~ Beta(alpha, alpha)`` per sample. Pass ``{"images": x, "labels": y}``
    to mix the (one-hot) labels along.

    Args:
        alpha: the Beta distribution's concentration.
        data_format: "channels_last" or "channels_first".
        seed: an int for a reproducible stream.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if not is_number(alpha) or alpha <= 0:
            raise ValueError(f"{self.describe()}: `alpha` must be a positive number; received alpha={alpha!r}.")
        self.alpha = alpha
        self._make_generator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        batch = images.shape[0]
        order_key, weight_key = jax.random.split(self._key(seed))
        return {
            "mix_weight": jax.random.beta(weight_key, self.alpha, self.alpha, (batch,)),
            "permutation_order": _permutation(order_key, batch),
        }

    def _mix(self, values, transformation, dtype):
        values = jnp.asarray(values).astype(dtype)
        weight = jnp.reshape(jnp.asarray(transformation["mix_weight"]).astype(dtype), (-1,) + (1,) * (values.ndim - 1))
        return weight * values + (1.0 - weight) * jnp.take(values, transformation["permutation_order"], axis=0)

    def transform_images(self, images, transformation=None, training=True):
        if not training or transformation is None:
            return images
        return self._mix(images, transformation, self.compute_dtype)

    def transform_labels(self, labels, transformation, training=True):
        if not training or transformation is None:
            return labels
        return self._mix(labels, transformation, self.compute_dtype)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self.transform_labels(segmentation_masks, transformation, training)


class CutMix(BaseImagePreprocessingLayer):
    """CutMix (Yun et al., 2019): pastes a random box from another sample of the batch, in training.

    Labels mix in proportion to the pasted area: ``y' = w y + (1 - w) y[perm]``
    with ``w`` the fraction of the image kept.

    Args:
        factor: the range of the Beta concentration drawn per call: a number
            ``f`` draws from ``[0, f]``, a pair from that range; in [0, 1].
        seed: an int for a reproducible stream.
        data_format: "channels_last" or "channels_first".
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._check_factor(factor, "factor")
        self._make_generator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        batch, (height, width) = images.shape[0], self._image_size(images)
        keys = jax.random.split(self._key(seed), 5)
        dtype = self.compute_dtype
        alpha = jax.random.uniform(keys[0], (), dtype, self.factor[0], self.factor[1]) + 1e-6
        ratio = jnp.sqrt(1.0 - jax.random.beta(keys[1], alpha, alpha, (batch,), dtype))
        x0, x1 = crop_bounds(self, keys[2], batch, width, ratio)
        y0, y1 = crop_bounds(self, keys[3], batch, height, ratio)
        return {
            "permutation_order": _permutation(keys[4], batch),
            "batch_masks": box_masks(self, images.shape, x0, x1, y0, y1),
            "mix_weight": 1.0 - (x1 - x0) * (y1 - y0) / (width * height),
        }

    def transform_images(self, images, transformation=None, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training or transformation is None:
            return images
        others = jnp.take(images, transformation["permutation_order"], axis=0)
        return jnp.where(transformation["batch_masks"], others, images)

    def transform_labels(self, labels, transformation, training=True):
        if not training or transformation is None:
            return labels
        labels = jnp.asarray(labels)
        weight = jnp.reshape(jnp.asarray(transformation["mix_weight"]).astype(labels.dtype), (-1, 1))
        return weight * labels + (1.0 - weight) * jnp.take(labels, transformation["permutation_order"], axis=0)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        # An exact copy of another sample's box: masks keep their class-index dtype.
        if not training or transformation is None:
            return segmentation_masks
        masks = jnp.asarray(segmentation_masks)
        others = jnp.take(masks, transformation["permutation_order"], axis=0)
        _, _, channel_axis = self._image_axes()
        inside = jnp.take(transformation["batch_masks"], jnp.asarray([0]), axis=channel_axis)  # any channel
        return jnp.where(inside, others, masks)
