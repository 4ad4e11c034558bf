"""Keras parity of the image layers: the same transformation applied by loom and by Keras 3 gives the
same images (Keras's random draws cannot be matched, so loom's draw is handed to both)."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import keras
import numpy as np
import pytest

from loom import layers as L

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def images(shape=(3, 8, 10, 3), seed=0):
    return (np.random.default_rng(seed).random(shape) * 255).astype("float32")


def to_numpy(transformation):
    return jax.tree_util.tree_map(np.asarray, transformation)


# name -> constructor arguments shared by loom and Keras
TRANSFORM_CASES = {
    "RandomFlip": {"mode": "horizontal_and_vertical"},
    "RandomRotation": {"factor": 0.2, "fill_mode": "reflect"},
    "RandomRotation-constant": {
        "factor": (-0.3, 0.1),
        "fill_mode": "constant",
        "fill_value": 7.0,
        "interpolation": "nearest",
    },
    "RandomZoom": {"height_factor": 0.3, "width_factor": (-0.2, 0.4), "fill_mode": "wrap"},
    "RandomTranslation": {"height_factor": 0.2, "width_factor": 0.3, "fill_mode": "nearest"},
    "RandomShear": {"x_factor": 0.3, "y_factor": 0.2},
    "RandomContrast": {"factor": 0.5},
    "RandomBrightness": {"factor": 0.3},
    "RandomHue": {"factor": 0.4},
    "RandomSaturation": {"factor": 0.4},
    "RandomGrayscale": {"factor": 0.5},
    "RandomColorDegeneration": {"factor": 0.6},
    "RandomInvert": {"factor": 0.7},
    "RandomPosterization": {"factor": (2, 6)},
    "RandomSharpness": {"factor": 0.8},
    "RandomErasing": {"factor": 1.0, "fill_value": 3.0},
    "RandomGaussianBlur": {"factor": 1.0, "kernel_size": 3, "sigma": (0.5, 1.5)},
    "RandomPerspective": {"factor": 1.0, "scale": 0.5},
    "Solarization": {"addition_factor": 0.3, "threshold_factor": 0.6},
    "MixUp": {"alpha": 0.4},
    "CutMix": {"factor": 1.0},
    "RandomCrop": {"height": 5, "width": 6},
}


@pytest.mark.parametrize("case", sorted(TRANSFORM_CASES))
def test_transform_images_matches_keras_for_the_same_transformation(case):
    name = case.split("-")[0]
    kwargs = TRANSFORM_CASES[case]
    x = images()
    ours = getattr(L, name)(seed=3, **kwargs)
    theirs = getattr(keras.layers, name)(seed=3, **kwargs)
    transformation = to_numpy(ours.get_random_transformation(x, training=True))
    expected = np.asarray(theirs.transform_images(x, transformation, training=True))
    got = np.asarray(ours.transform_images(x, transformation, training=True))
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=2e-3)


@pytest.mark.parametrize("name", ["MixUp", "CutMix"])
def test_mixed_labels_match_keras(name):
    x = images()
    labels = np.eye(3, dtype="float32")
    ours, theirs = getattr(L, name)(seed=2), getattr(keras.layers, name)(seed=2)
    transformation = to_numpy(ours.get_random_transformation(x, training=True))
    np.testing.assert_allclose(
        np.asarray(ours.transform_labels(labels, transformation)),
        np.asarray(theirs.transform_labels(labels, transformation)),
        rtol=1e-5,
        atol=1e-6,
    )


DETERMINISTIC_CASES = {
    "Resizing": {"height": 5, "width": 4},
    "Resizing-crop": {"height": 4, "width": 4, "crop_to_aspect_ratio": True, "interpolation": "nearest"},
    "Resizing-pad": {"height": 6, "width": 4, "pad_to_aspect_ratio": True, "fill_value": 1.0},
    "CenterCrop": {"height": 4, "width": 6},
    "CenterCrop-upscale": {"height": 12, "width": 9},
    "AutoContrast": {"value_range": (0, 255)},
    "Equalization": {"value_range": (0, 255), "bins": 256},
    "Equalization-bins": {"value_range": (0, 255), "bins": 16},
    "ContrastLimitedAdaptiveHistogramEqualization": {},
    "ContrastLimitedAdaptiveHistogramEqualization-tiles": {"clip_limit": 2.0, "tile_grid_size": (3, 4)},
    "ContrastLimitedAdaptiveHistogramEqualization-unclipped": {"clip_limit": 0.0, "tile_grid_size": (2, 2)},
}


@pytest.mark.parametrize("case", sorted(DETERMINISTIC_CASES))
def test_deterministic_layers_match_keras(case):
    name = case.split("-")[0]
    kwargs = DETERMINISTIC_CASES[case]
    x = images()
    got = np.asarray(getattr(L, name)(**kwargs)(x))
    expected = np.asarray(getattr(keras.layers, name)(**kwargs)(x))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-3)


def test_resizing_keeps_integer_dtype_like_keras():
    x = images().astype("uint8")
    got = L.Resizing(4, 5)(x)
    expected = np.asarray(keras.layers.Resizing(4, 5)(x))
    assert got.dtype == expected.dtype == np.uint8
    np.testing.assert_allclose(np.asarray(got, "int32"), expected.astype("int32"), atol=1)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("RandomRotation", {"factor": 0.3}),
        ("RandomZoom", {"height_factor": 0.3}),
        ("RandomContrast", {"factor": 0.3}),
        ("RandomSaturation", {"factor": 0.3}),
        ("RandomErasing", {}),
        ("RandAugment", {}),
        ("Solarization", {"addition_factor": 0.5}),
    ],
)
def test_symbolic_output_shape_and_config_match_keras(name, kwargs):
    ours, theirs = getattr(L, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    assert ours.compute_output_shape((None, 8, 10, 3)) == tuple(theirs.compute_output_shape((None, 8, 10, 3)))
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert set(theirs_config) - {"dtype"} <= set(ours_config)
    # Keras stores some factors resolved to (lower, upper) pairs, loom as given; both rebuild the layer.
    for key in set(theirs_config) - {"name", "dtype", "trainable", "seed", "factor", "scale"}:
        if key.endswith("_factor"):
            continue
        value = theirs_config[key]
        mine = ours_config[key]
        assert (list(mine) if isinstance(mine, tuple) else mine) == (
            list(value) if isinstance(value, tuple) else value
        ), key


def test_a_keras_config_builds_the_loom_layer():
    config = keras.layers.RandomZoom(0.2, fill_mode="constant", seed=4).get_config()
    config.pop("dtype")
    layer = L.RandomZoom.from_config(config)
    assert layer.fill_mode == "constant" and (layer.height_lower, layer.height_upper) == (-0.2, 0.2)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("RandomFlip", {}),
        ("RandomRotation", {"factor": 0.2}),
        ("RandomZoom", {"height_factor": 0.3}),
        ("RandomContrast", {"factor": 0.5}),
        ("RandomHue", {"factor": 0.4}),
        ("RandomSaturation", {"factor": 0.4}),
        ("RandomSharpness", {"factor": 0.8}),
        ("RandomErasing", {"fill_value": 9.0}),
        ("RandomGaussianBlur", {"sigma": (0.5, 1.5)}),
        ("CutMix", {}),
    ],
)
def test_channels_first_matches_keras(name, kwargs):
    x = np.moveaxis(images(), -1, 1)  # (batch, channels, height, width)
    ours = getattr(L, name)(seed=3, data_format="channels_first", **kwargs)
    theirs = getattr(keras.layers, name)(seed=3, data_format="channels_first", **kwargs)
    transformation = to_numpy(ours.get_random_transformation(x, training=True))
    np.testing.assert_allclose(
        np.asarray(ours.transform_images(x, transformation)),
        np.asarray(theirs.transform_images(x, transformation)),
        rtol=1e-4,
        atol=2e-3,
    )


def test_channels_first_center_crop_and_clahe_match_keras():
    x = np.moveaxis(images(), -1, 1)
    for name, kwargs in (
        ("CenterCrop", {"height": 4, "width": 6}),
        ("ContrastLimitedAdaptiveHistogramEqualization", {}),
    ):
        got = np.asarray(getattr(L, name)(data_format="channels_first", **kwargs)(x))
        expected = np.asarray(getattr(keras.layers, name)(data_format="channels_first", **kwargs)(x))
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-3)


BOX_FORMATS = [
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
]


def boxes_in(bounding_box_format):
    rng = np.random.default_rng(1)
    corner = rng.random((3, 4, 2)) * 6
    size = rng.random((3, 4, 2)) * 5 + 0.5
    xyxy = np.concatenate([corner, corner + size], -1).astype("float32")
    xyxy[0, 3] = -1  # a padding row
    converted = keras.utils.bounding_boxes.convert_format(
        xyxy, source="xyxy", target=bounding_box_format, height=8, width=10
    )
    return {"boxes": np.asarray(converted), "labels": np.arange(12, dtype="int32").reshape(3, 4)}


@pytest.mark.parametrize("bounding_box_format", BOX_FORMATS)
def test_random_flip_moves_bounding_boxes_like_keras(bounding_box_format):
    x = images()
    ours = L.RandomFlip(bounding_box_format=bounding_box_format, seed=1)
    theirs = keras.layers.RandomFlip(bounding_box_format=bounding_box_format)
    transformation = to_numpy(ours.get_random_transformation(x))
    transformation["input_shape"] = x.shape
    got = ours.transform_bounding_boxes(boxes_in(bounding_box_format), transformation)
    expected = theirs.transform_bounding_boxes(boxes_in(bounding_box_format), dict(transformation))
    np.testing.assert_allclose(np.asarray(got["boxes"]), np.asarray(expected["boxes"]), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(np.asarray(got["labels"]), np.asarray(expected["labels"]))


@pytest.mark.parametrize("bounding_box_format", BOX_FORMATS)
@pytest.mark.parametrize("mode", ["stretch", "crop_to_aspect_ratio", "pad_to_aspect_ratio"])
def test_resizing_moves_bounding_boxes_like_keras(bounding_box_format, mode):
    kwargs = {} if mode == "stretch" else {mode: True}
    x = images()
    got = L.Resizing(5, 6, bounding_box_format=bounding_box_format, **kwargs)(
        {"images": x, "bounding_boxes": boxes_in(bounding_box_format)}
    )
    expected = keras.layers.Resizing(5, 6, bounding_box_format=bounding_box_format, **kwargs)(
        {"images": x, "bounding_boxes": boxes_in(bounding_box_format)}
    )
    np.testing.assert_allclose(np.asarray(got["images"]), np.asarray(expected["images"]), rtol=1e-4, atol=1e-3)
    for key in ("boxes", "labels"):
        np.testing.assert_allclose(
            np.asarray(got["bounding_boxes"][key]), np.asarray(expected["bounding_boxes"][key]), rtol=1e-5, atol=1e-5
        )


def test_one_image_with_its_boxes():
    x = images()[0]
    data = {"images": x, "bounding_boxes": {"boxes": boxes_in("xyxy")["boxes"][1], "labels": np.arange(4)}}
    out = L.Resizing(4, 5, bounding_box_format="xyxy")(data)
    assert out["images"].shape == (4, 5, 3) and out["bounding_boxes"]["boxes"].shape == (4, 4)
    np.testing.assert_allclose(
        np.asarray(out["bounding_boxes"]["boxes"]),
        np.clip(data["bounding_boxes"]["boxes"] * np.asarray([0.5, 0.5, 0.5, 0.5], "float32"), 0, [5, 4, 5, 4]),
        rtol=1e-6,
    )
