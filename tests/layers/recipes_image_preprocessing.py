"""Conformance recipes of the image preprocessing layers (merged into tests/layers/test_conformance.py).

The table compares an eager call (training=True, these layers' default, as in
Keras) with the jitted inference form, so a random layer's recipe uses settings
under which its training draw cannot change the data (factor 0, a width-1 flip,
...): the table then checks shapes, config, save/load and strict dtypes, and the
random paths are tested in tests/layers/image_preprocessing/.
"""

from loom import layers as L

WIDE = (-10, 10)  # value_range holding the table's standard-normal data, so no clipping

RECIPES = {
    "AugMix": None,  # mixes augmented copies whatever its settings; covered in test_image_policies.py
    "AutoContrast": (lambda: L.AutoContrast(value_range=(0, 255)), (4, 4, 3), "int32"),
    "CenterCrop": (lambda: L.CenterCrop(2, 2), (4, 4, 3)),
    "ContrastLimitedAdaptiveHistogramEqualization": (
        lambda: L.ContrastLimitedAdaptiveHistogramEqualization(clip_limit=2.0, tile_grid_size=(2, 2)),
        (4, 6, 3),
    ),
    "CutMix": None,  # swaps boxes between samples whatever its settings; covered in test_image_mixing.py
    "Equalization": (lambda: L.Equalization(bins=1), (4, 4, 3), "int32"),
    "MaxNumBoundingBoxes": (lambda: L.MaxNumBoundingBoxes(3), (4, 4, 3)),
    "MixUp": None,  # blends samples whatever its settings; covered in test_image_mixing.py
    "Pipeline": (lambda: L.Pipeline([L.Resizing(3, 3), L.CenterCrop(2, 2)]), (4, 4, 3)),
    "RandAugment": (lambda: L.RandAugment(num_ops=0, seed=1), (4, 4, 3)),
    "RandomBrightness": (lambda: L.RandomBrightness(0.0, value_range=WIDE, seed=1), (4, 4, 3)),
    "RandomColorDegeneration": (lambda: L.RandomColorDegeneration(0.0, value_range=WIDE, seed=1), (4, 4, 3)),
    "RandomColorJitter": (lambda: L.RandomColorJitter(WIDE, brightness_factor=0.0, seed=1), (4, 4, 3)),
    "RandomContrast": (lambda: L.RandomContrast(0.0, value_range=WIDE, seed=1), (4, 4, 3)),
    "RandomCrop": (lambda: L.RandomCrop(2, 4, seed=1), (4, 4, 3)),
    "RandomElasticTransform": (lambda: L.RandomElasticTransform(factor=0.0, seed=1), (6, 6, 3)),
    "RandomErasing": (lambda: L.RandomErasing(factor=0.0, seed=1), (4, 4, 3)),
    "RandomFlip": (lambda: L.RandomFlip("horizontal", seed=1), (3, 1, 2)),
    "RandomGaussianBlur": (lambda: L.RandomGaussianBlur(factor=0.0, value_range=WIDE, seed=1), (4, 4, 3)),
    "RandomGrayscale": (lambda: L.RandomGrayscale(factor=0.0, seed=1), (4, 4, 3)),
    "RandomHue": (lambda: L.RandomHue(0.0, value_range=(0, 255), seed=1), (4, 4, 3), "int32"),
    "RandomInvert": (lambda: L.RandomInvert(factor=0.0, seed=1), (4, 4, 3)),
    "RandomPerspective": (lambda: L.RandomPerspective(factor=0.0, seed=1), (4, 4, 3)),
    "RandomPosterization": (lambda: L.RandomPosterization((8, 8), seed=1), (4, 4, 3), "int32"),
    "RandomRotation": (lambda: L.RandomRotation(0.0, seed=1), (4, 4, 3)),
    "RandomSaturation": (lambda: L.RandomSaturation((0.5, 0.5), seed=1), (4, 4, 3), "int32"),
    "RandomSharpness": (lambda: L.RandomSharpness((0.5, 0.5), value_range=WIDE, seed=1), (4, 4, 3)),
    "RandomShear": (lambda: L.RandomShear(0.0, 0.0, seed=1), (4, 4, 3)),
    "RandomTranslation": (lambda: L.RandomTranslation(0.0, 0.0, seed=1), (4, 4, 3)),
    "RandomZoom": (lambda: L.RandomZoom(0.0, seed=1), (4, 4, 3)),
    "Resizing": (lambda: L.Resizing(3, 5), (4, 4, 3)),
    "Solarization": (
        lambda: L.Solarization(threshold_factor=(1.0, 1.0), value_range=(0, 100000), seed=1),
        (4, 4, 3),
        "int32",
    ),
}
