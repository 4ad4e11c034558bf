"""Random image layers: active only in training, seeded and repeatable, distributions as documented,
dict inputs moving images and masks together, and errors in words."""

import jax
import numpy as np
import pytest

import loom
from loom import layers as L


def images(shape=(64, 6, 7, 3), seed=0):
    return (np.random.default_rng(seed).random(shape) * 255).astype("float32")


RANDOM_LAYERS = {
    "RandomFlip": lambda: L.RandomFlip(seed=1),
    "RandomRotation": lambda: L.RandomRotation(0.2, seed=1),
    "RandomZoom": lambda: L.RandomZoom(0.3, seed=1),
    "RandomTranslation": lambda: L.RandomTranslation(0.2, 0.2, seed=1),
    "RandomShear": lambda: L.RandomShear(0.3, 0.3, seed=1),
    "RandomContrast": lambda: L.RandomContrast(0.5, seed=1),
    "RandomBrightness": lambda: L.RandomBrightness(0.3, seed=1),
    "RandomHue": lambda: L.RandomHue(0.3, seed=1),
    "RandomSaturation": lambda: L.RandomSaturation(0.3, seed=1),
    "RandomGrayscale": lambda: L.RandomGrayscale(0.5, seed=1),
    "RandomColorDegeneration": lambda: L.RandomColorDegeneration(0.5, seed=1),
    "RandomColorJitter": lambda: L.RandomColorJitter(brightness_factor=0.2, hue_factor=0.2, seed=1),
    "RandomInvert": lambda: L.RandomInvert(seed=1),
    "RandomPosterization": lambda: L.RandomPosterization(4, seed=1),
    "RandomSharpness": lambda: L.RandomSharpness(0.9, seed=1),
    "RandomErasing": lambda: L.RandomErasing(seed=1),
    "RandomGaussianBlur": lambda: L.RandomGaussianBlur(seed=1),
    "RandomPerspective": lambda: L.RandomPerspective(seed=1),
    "RandomElasticTransform": lambda: L.RandomElasticTransform(seed=1),
    "Solarization": lambda: L.Solarization(0.5, 0.5, seed=1),
    "Equalization": lambda: L.Equalization(),
    "RandAugment": lambda: L.RandAugment(seed=1),
    "AugMix": lambda: L.AugMix(num_chains=2, chain_depth=2, seed=1),
    "MixUp": lambda: L.MixUp(alpha=1.0, seed=1),
    "CutMix": lambda: L.CutMix(seed=1),
}


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_random_layer_changes_images_in_training_only_and_repeats_with_its_seed(name):
    x = images((8, 12, 12, 3))
    layer = RANDOM_LAYERS[name]()
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    trained = np.asarray(layer(x, training=True))
    assert trained.shape == x.shape and trained.dtype == np.float32
    assert np.abs(trained - x).max() > 1e-3
    again = np.asarray(RANDOM_LAYERS[name]()(x, training=True))
    np.testing.assert_array_equal(trained, again)  # same seed, same first draw
    if name != "Equalization":  # deterministic; the others draw afresh on each call
        assert not np.array_equal(np.asarray(layer(x, training=True)), trained)


def test_random_flip_flips_about_half_the_images():
    x = images((400, 3, 4, 1))
    out = np.asarray(L.RandomFlip("horizontal", seed=5)(x))
    flipped = np.all(out == x[:, :, ::-1], axis=(1, 2, 3))
    kept = np.all(out == x, axis=(1, 2, 3))
    assert np.all(flipped | kept)
    assert 0.4 < flipped.mean() < 0.6


def test_random_brightness_shifts_each_image_within_the_factor():
    x = np.full((300, 4, 4, 3), 100.0, "float32")
    out = np.asarray(L.RandomBrightness((0.1, 0.2), seed=2)(x))
    shift = out[:, 0, 0, 0] - 100.0
    assert np.allclose(out, out[:, :1, :1, :1])  # one offset per image
    assert shift.min() >= 0.1 * 255 - 1e-3 and shift.max() <= 0.2 * 255 + 1e-3
    assert shift.std() > 5


def test_random_rotation_angles_cover_the_factor_range():
    layer = L.RandomRotation((-0.1, 0.25), seed=3)
    angle = np.asarray(layer.get_random_transformation(images((500, 4, 4, 1)))["angle"])
    assert angle.min() >= -36 and angle.max() <= 90 and angle.min() < -30 and angle.max() > 80


def test_random_crop_picks_a_window_of_the_image():
    x = np.arange(2 * 6 * 6).reshape(2, 6, 6, 1).astype("float32")
    out = np.asarray(L.RandomCrop(3, 4, seed=1)(x))
    windows = [x[:, i : i + 3, j : j + 4] for i in range(4) for j in range(3)]
    assert any(np.array_equal(out, w) for w in windows)
    # inference: the centre, resized to the target (documented Keras behaviour)
    assert L.RandomCrop(3, 4)(x, training=False).shape == (2, 3, 4, 1)


def test_random_grayscale_gives_gray_images_at_the_rate_factor():
    out = np.asarray(L.RandomGrayscale(0.3, seed=4)(images((400, 3, 3, 3))))
    gray = np.all(np.abs(out - out[..., :1]) < 1e-4, axis=(1, 2, 3))
    assert 0.2 < gray.mean() < 0.4


def test_dict_inputs_move_masks_with_images_and_keep_labels():
    x = images((16, 5, 6, 3))
    masks = (np.arange(16 * 5 * 6).reshape(16, 5, 6, 1) % 4).astype("int32")
    labels = np.arange(16)
    out = L.RandomFlip(seed=9)({"images": x, "segmentation_masks": masks, "labels": labels})
    assert out["segmentation_masks"].dtype == np.int32
    np.testing.assert_array_equal(np.asarray(out["labels"]), labels)
    for image, mask, source, source_mask in zip(out["images"], out["segmentation_masks"], x, masks):
        same = np.array_equal(np.asarray(image), source)
        assert same == np.array_equal(np.asarray(mask), source_mask)


def test_rotation_moves_masks_with_nearest_sampling():
    masks = np.zeros((1, 9, 9, 1), "float32")
    masks[0, 2:5, 2:7] = 3.0
    out = L.RandomRotation(0.2, seed=1)({"images": masks * 10, "segmentation_masks": masks})
    assert set(np.unique(np.asarray(out["segmentation_masks"]))) <= {0.0, 3.0}


def test_unbatched_image_gives_an_unbatched_result():
    out = L.RandomRotation(0.2, seed=1)(images((5, 5, 3)))
    assert out.shape == (5, 5, 3)


def test_mixup_mixes_labels_with_the_same_weights_as_images():
    x = np.stack([np.full((2, 2, 1), float(i)) for i in range(6)]).astype("float32")
    labels = np.eye(6, dtype="float32")
    out = L.MixUp(alpha=1.0, seed=2)({"images": x, "labels": labels})
    np.testing.assert_allclose(
        np.asarray(out["images"])[:, 0, 0, 0], np.asarray(out["labels"]) @ np.arange(6.0), rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(np.asarray(out["labels"]).sum(1), 1.0, rtol=1e-6)


def test_cutmix_label_weights_equal_the_pasted_area():
    x = np.stack([np.full((8, 8, 1), float(i)) for i in range(5)]).astype("float32")
    out = L.CutMix(seed=3)({"images": x, "labels": np.eye(5, dtype="float32")})
    kept = (np.asarray(out["images"])[..., 0] == np.arange(5.0)[:, None, None]).mean(axis=(1, 2))
    np.testing.assert_allclose(np.diagonal(np.asarray(out["labels"])), kept, atol=0.13)


def test_layers_draw_from_the_training_steps_key_inside_a_compiled_call():
    layer = L.RandomRotation(0.3, seed=1)
    layer.build((None, 6, 6, 3))
    x = images((4, 6, 6, 3))
    with loom.StatelessScope(rng=jax.random.PRNGKey(0)):
        first = np.asarray(layer(x))
    with loom.StatelessScope(rng=jax.random.PRNGKey(0)):
        second = np.asarray(layer(x))
    with loom.StatelessScope(rng=jax.random.PRNGKey(1)):
        third = np.asarray(layer(x))
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, third)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: L.RandomRotation(1.5), "factor"),
        (lambda: L.RandomZoom(-1.0), "height_factor"),
        (lambda: L.RandomFlip("diagonal"), "mode"),
        (lambda: L.RandomRotation(0.1, fill_mode="mirror"), "fill_mode"),
        (lambda: L.Resizing(0, 3), "height"),
        (lambda: L.RandomGaussianBlur(kernel_size=4), "kernel_size"),
        (lambda: L.RandomBrightness(0.1, value_range=(0, 1, 2)), "value_range"),
        (lambda: L.Pipeline("not layers"), "layers"),
    ],
)
def test_bad_arguments_are_named(make, match):
    with pytest.raises((ValueError, TypeError, NotImplementedError), match=match):
        make()


def test_wrong_rank_and_bounding_boxes_are_reported():
    with pytest.raises(ValueError, match="rank 3"):
        L.RandomFlip()(np.zeros((2, 2)))
    with pytest.raises(NotImplementedError, match="bounding_boxes"):
        L.RandomRotation(0.1, bounding_box_format="xyxy")({"images": np.zeros((1, 4, 4, 3)), "bounding_boxes": {}})
    with pytest.raises(ValueError, match="bounding_box_format"):
        L.RandomFlip()({"images": np.zeros((1, 4, 4, 3)), "bounding_boxes": {"boxes": np.zeros((1, 2, 4))}})
    with pytest.raises(ValueError, match="bounding_box_format"):
        L.RandomFlip(bounding_box_format="xyz")


def test_max_num_bounding_boxes_pads_and_truncates():
    boxes = {"boxes": np.ones((2, 3, 4), "float32"), "labels": np.ones((2, 3), "int32")}
    layer = L.MaxNumBoundingBoxes(5, bounding_box_format="xyxy")
    out = layer({"images": np.zeros((2, 4, 4, 3), "float32"), "bounding_boxes": boxes})
    assert out["bounding_boxes"]["boxes"].shape == (2, 5, 4) and out["bounding_boxes"]["labels"].shape == (2, 5)
    assert float(out["bounding_boxes"]["labels"][0, 4]) == -1
    short = L.MaxNumBoundingBoxes(2, bounding_box_format="xyxy")(
        {"images": np.zeros((2, 4, 4, 3)), "bounding_boxes": boxes}
    )
    assert short["bounding_boxes"]["boxes"].shape == (2, 2, 4)


def test_pipeline_applies_layers_in_order_and_round_trips_its_config():
    pipeline = L.Pipeline([L.Resizing(4, 4), L.RandomFlip("horizontal", seed=1)])
    x = images((2, 8, 8, 3))
    out = np.asarray(pipeline(x, training=False))
    np.testing.assert_allclose(out, np.asarray(L.Resizing(4, 4)(x)), rtol=1e-6)
    clone = L.Pipeline.from_config(pipeline.get_config())
    assert [type(layer).__name__ for layer in clone.layers] == ["Resizing", "RandomFlip"]


def test_rand_augment_moves_masks_and_keeps_their_classes():
    x = np.zeros((4, 9, 9, 3), "float32")
    x[:, 2:6, 3:7] = 200
    masks = (x[..., :1] > 0).astype("int32") * 2
    layer = L.RandAugment(num_ops=3, factor=0.5, seed=4)
    moved = False
    for _ in range(4):
        out = layer({"images": x, "segmentation_masks": masks})
        assert out["segmentation_masks"].dtype == np.int32
        assert set(np.unique(np.asarray(out["segmentation_masks"]))) <= {0, 2}
        moved |= not np.array_equal(np.asarray(out["segmentation_masks"]), masks)
    assert moved


def test_symbolic_dict_inputs_give_dict_outputs():
    data = {"images": loom.Input((6, 6, 3)), "labels": loom.Input((2,))}
    out = L.RandomFlip(seed=1)(data)
    assert out["images"].shape == (None, 6, 6, 3) and out["labels"].shape == (None, 2)
