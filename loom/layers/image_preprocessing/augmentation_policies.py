"""Augmentation policies built from the other layers: RandAugment (random ops in sequence) and AugMix
(random chains of ops, mixed)."""

import jax
import jax.numpy as jnp

from loom.layers.image_preprocessing.base import BaseImagePreprocessingLayer
from loom.layers.image_preprocessing.color_adjustment import (
    RandomBrightness,
    RandomColorDegeneration,
    RandomContrast,
    RandomPosterization,
    RandomSharpness,
)
from loom.layers.image_preprocessing.geometric import RandomRotation, RandomShear, RandomTranslation
from loom.layers.image_preprocessing.intensity_mapping import AutoContrast, Equalization, Solarization


def _build_ops(layer, names, value_range, interpolation, seed, data_format):
    """The policy's operations, as layers held in attributes named as in Keras."""
    factor = layer.factor
    makers = {
        "random_shear": lambda: RandomShear(
            factor, factor, interpolation=interpolation, seed=seed, data_format=data_format
        ),
        "random_translation": lambda: RandomTranslation(
            factor, factor, interpolation=interpolation, seed=seed, data_format=data_format
        ),
        "random_rotation": lambda: RandomRotation(
            factor, interpolation=interpolation, seed=seed, data_format=data_format
        ),
        "random_brightness": lambda: RandomBrightness(
            factor, value_range=value_range, seed=seed, data_format=data_format
        ),
        "random_color_degeneration": lambda: RandomColorDegeneration(
            factor, value_range=value_range, seed=seed, data_format=data_format
        ),
        "random_contrast": lambda: RandomContrast(factor, value_range=value_range, seed=seed, data_format=data_format),
        "random_sharpness": lambda: RandomSharpness(
            factor, value_range=value_range, seed=seed, data_format=data_format
        ),
        "random_posterization": lambda: RandomPosterization(
            max(1, int(8 * factor[1])), value_range=value_range, seed=seed, data_format=data_format
        ),
        "solarization": lambda: Solarization(
            factor, factor, value_range=value_range, seed=seed, data_format=data_format
        ),
        "auto_contrast": lambda: AutoContrast(value_range=value_range, data_format=data_format),
        "equalization": lambda: Equalization(value_range=value_range, data_format=data_format),
    }
    for name in names:
        setattr(layer, name, makers[name]())
    return [getattr(layer, name) for name in names]


def _apply_one(layer, index, key, images, dtype, masks=False):
    """``images`` through ``layer._ops[index]`` with parameters drawn from ``key``; the last index is identity.

    With ``masks``, the operation's mask transform runs instead: the draws depend only on the key and
    the batch and image sizes, so a mask moves exactly as its image did.
    """
    return jax.lax.switch(index, _branches(layer, jnp.dtype(dtype), masks), key, images)


def _branches(layer, dtype, masks):
    """The ``lax.switch`` branches, made once per layer, dtype and kind, so eager calls reuse their traces."""
    cache = layer.__dict__.setdefault("_branch_cache", {})
    if (dtype, masks) not in cache:

        def branch(op):
            def run(key, x):
                transformation = op.get_random_transformation(x, seed=key)
                if masks:
                    return op.transform_segmentation_masks(x, transformation).astype(dtype)
                return op.transform_images(x, transformation).astype(dtype)

            return run

        cache[(dtype, masks)] = [branch(op) for op in layer._ops] + [lambda key, x: x]
    return cache[(dtype, masks)]


class RandAugment(BaseImagePreprocessingLayer):
    """Applies ``num_ops`` operations chosen at random from 11 (geometric and colour) during training.

    The operations: shear, translation, rotation, brightness, colour
    degeneration, contrast, sharpness, posterization, solarization,
    auto-contrast and equalization, each with strength ``factor``. Only the
    chosen operation runs (``lax.switch``), inside a compiled step too.

    Args:
        value_range: the images' ``(low, high)``.
        num_ops: how many operations to apply in sequence.
        factor: the strength of every operation, a number or pair in [0, 1].
        interpolation: "bilinear" (default) or "nearest", for the geometric operations.
        seed: an int for a reproducible stream.
        data_format: "channels_last" or "channels_first".
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)
    _AUGMENT_LAYERS = (
        "random_shear",
        "random_translation",
        "random_rotation",
        "random_brightness",
        "random_color_degeneration",
        "random_contrast",
        "random_sharpness",
        "random_posterization",
        "solarization",
        "auto_contrast",
        "equalization",
    )

    def __init__(
        self,
        value_range=(0, 255),
        num_ops=2,
        factor=0.5,
        interpolation="bilinear",
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        if not isinstance(num_ops, int) or isinstance(num_ops, bool) or num_ops < 0:
            raise ValueError(f"{self.describe()}: `num_ops` must be a non-negative int; received num_ops={num_ops!r}.")
        self.value_range = value_range
        self.num_ops = num_ops
        self.factor = self._check_factor(factor, "factor")
        self.interpolation = interpolation
        self._make_generator(seed)
        self._ops = _build_ops(self, self._AUGMENT_LAYERS, value_range, interpolation, seed, self.data_format)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        index_key, op_key = jax.random.split(self._key(seed))
        indices = jax.random.randint(index_key, (self.num_ops,), 0, len(self._ops))
        return {"layer_idxes": indices, "keys": jax.random.split(op_key, max(self.num_ops, 1))}

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training or transformation is None:
            return images
        for step in range(self.num_ops):
            index, key = transformation["layer_idxes"][step], transformation["keys"][step]
            images = _apply_one(self, index, key, images, self.compute_dtype)
        return images

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        # Geometric operations move masks (nearest neighbour); colour operations leave them as they are.
        if not training or transformation is None:
            return segmentation_masks
        masks = jnp.asarray(segmentation_masks)
        for step in range(self.num_ops):
            index, key = transformation["layer_idxes"][step], transformation["keys"][step]
            masks = _apply_one(self, index, key, masks, masks.dtype, masks=True)
        return masks


class AugMix(BaseImagePreprocessingLayer):
    """AugMix (Hendrycks et al., 2020): several random chains of operations, mixed with the original.

    ``num_chains`` chains each apply up to ``chain_depth`` random operations
    (each step may also do nothing); the chains are averaged with Dirichlet
    weights, and the average is blended with the original image by a Beta draw.

    Args:
        value_range: the images' ``(low, high)``.
        num_chains: the number of chains.
        chain_depth: the steps per chain.
        factor: the strength of every operation, a number or pair in [0, 1].
        alpha: the Dirichlet and Beta concentration.
        all_ops: use all 11 operations (True) or only the 7 that do not
            overlap the usual test-time corruptions (False).
        interpolation: "bilinear" (default) or "nearest".
        seed: an int for a reproducible stream.
        data_format: "channels_last" or "channels_first".
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)
    _LAYERS_ALL = (
        "random_shear",
        "random_translation",
        "random_rotation",
        "random_posterization",
        "solarization",
        "auto_contrast",
        "equalization",
        "random_brightness",
        "random_color_degeneration",
        "random_contrast",
        "random_sharpness",
    )

    def __init__(
        self,
        value_range=(0, 255),
        num_chains=3,
        chain_depth=3,
        factor=0.3,
        alpha=1.0,
        all_ops=True,
        interpolation="bilinear",
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        for name, value in (("num_chains", num_chains), ("chain_depth", chain_depth)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{self.describe()}: `{name}` must be a positive int; received {name}={value!r}.")
        self.value_range = value_range
        self.num_chains, self.chain_depth = num_chains, chain_depth
        self.factor = self._check_factor(factor, "factor")
        self.alpha = alpha
        self.all_ops = bool(all_ops)
        self.interpolation = interpolation
        self._make_generator(seed)
        names = self._LAYERS_ALL if self.all_ops else self._LAYERS_ALL[:7]
        self._ops = _build_ops(self, names, value_range, interpolation, seed, self.data_format)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        keys = jax.random.split(self._key(seed), 4)
        gamma = jax.random.gamma(keys[0], self.alpha, (self.num_chains,))
        steps = (self.num_chains, self.chain_depth)
        return {
            "chain_mixing_weights": gamma / jnp.sum(gamma),
            "weight_sample": jax.random.beta(keys[1], self.alpha, self.alpha),
            # One choice per step among the operations and "none" (index len(ops)), as Keras's choice.
            "layer_idxes": jax.random.randint(keys[2], steps, 0, len(self._ops) + 1),
            "keys": jax.random.split(keys[3], steps),
        }

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training or transformation is None:
            return images
        weights = jnp.asarray(transformation["chain_mixing_weights"]).astype(self.compute_dtype)
        mixed = jnp.zeros_like(images)
        for chain in range(self.num_chains):
            chained = images
            for depth in range(self.chain_depth):
                index = transformation["layer_idxes"][chain, depth]
                chained = _apply_one(self, index, transformation["keys"][chain, depth], chained, self.compute_dtype)
            mixed = mixed + chained * weights[chain]
        blend = jnp.asarray(transformation["weight_sample"]).astype(self.compute_dtype)
        images = blend * images + (1 - blend) * mixed
        return jnp.clip(images, self.value_range[0], self.value_range[1])

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        # Keras blends masks like images, which turns class indices into fractions; loom keeps them.
        return segmentation_masks
