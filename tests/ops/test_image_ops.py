"""loom.ops.image against keras.ops.image (JAX backend) on the same random inputs, plus numpy references."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
import scipy.ndimage

import loom
from loom import ops
from loom.graph import SymbolicTensor

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

rng = np.random.default_rng(10)
IMAGES = rng.uniform(0, 1, (2, 7, 9, 3)).astype("float32")
IMAGES_CF = np.transpose(IMAGES, (0, 3, 1, 2)).copy()
TRANSFORMS = np.array([[1.3, 0.2, -1.5, -0.1, 0.9, 0.7, 0, 0], [0.8, -0.3, 2.2, 0.25, 1.1, -1.3, 0, 0]], "float32")


def close(actual, expected, rtol=1e-5, atol=1e-5):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


# --- resize -------------------------------------------------------------------------------------
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic", "lanczos3", "lanczos5"])
@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("size", [(4, 5), (11, 13)])
def test_resize_matches_keras_for_every_interpolation(interpolation, antialias, size):
    expected = keras.ops.image.resize(IMAGES, size, interpolation=interpolation, antialias=antialias)
    close(ops.image.resize(IMAGES, size, interpolation=interpolation, antialias=antialias), expected)


@pytest.mark.parametrize("option", ["crop_to_aspect_ratio", "pad_to_aspect_ratio"])
@pytest.mark.parametrize("size", [(4, 8), (8, 3)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("batched", [True, False])
def test_resize_to_aspect_ratio_matches_keras(option, size, data_format, batched):
    x = IMAGES if data_format == "channels_last" else IMAGES_CF
    x = x if batched else x[0]
    kwargs = {option: True, "data_format": data_format, "fill_value": 0.5}
    close(ops.image.resize(x, size, **kwargs), keras.ops.image.resize(x, size, **kwargs))


def _area_reference(image, out_h, out_w):
    """Each output pixel the mean of the input over its box, fractional pixels weighted by their share."""
    h, w = image.shape[:2]
    out = np.zeros((out_h, out_w, image.shape[2]))
    for i in range(out_h):
        for j in range(out_w):
            y0, y1 = i * h / out_h, (i + 1) * h / out_h
            x0, x1 = j * w / out_w, (j + 1) * w / out_w
            total = 0.0
            for y in range(h):
                for x in range(w):
                    share = max(0.0, min(y1, y + 1) - max(y0, y)) * max(0.0, min(x1, x + 1) - max(x0, x))
                    total = total + share * image[y, x].astype("float64")
            out[i, j] = total / ((y1 - y0) * (x1 - x0))
    return out.astype("float32")


@pytest.mark.parametrize("size", [(3, 4), (10, 12)])
def test_resize_area_averages_each_output_box(size):
    got = ops.image.resize(IMAGES, size, interpolation="area")
    close(got, np.stack([_area_reference(im, *size) for im in IMAGES]))
    got_cf = ops.image.resize(IMAGES_CF, size, interpolation="area", data_format="channels_first")
    close(got_cf, np.transpose(np.asarray(got), (0, 3, 1, 2)))


def test_resize_integer_images_round_and_keep_dtype_as_keras():
    x = (IMAGES * 255).astype("uint8")
    close(
        ops.image.resize(x, (4, 5), interpolation="bicubic"), keras.ops.image.resize(x, (4, 5), interpolation="bicubic")
    )
    assert ops.image.resize(x, (4, 5), interpolation="area").dtype == np.uint8


def test_resize_channels_first_and_unbatched_match_keras():
    close(
        ops.image.resize(IMAGES_CF, (5, 4), data_format="channels_first"),
        keras.ops.image.resize(IMAGES_CF, (5, 4), data_format="channels_first"),
    )
    close(ops.image.resize(IMAGES[0], (5, 4)), keras.ops.image.resize(IMAGES[0], (5, 4)))


def test_resize_follows_the_configured_image_data_format():
    loom.config.set_image_data_format("channels_first")
    try:
        assert ops.image.resize(IMAGES_CF, (4, 5)).shape == (2, 3, 4, 5)
    finally:
        loom.config.set_image_data_format("channels_last")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"size": (4,)}, "two positive ints"),
        ({"size": (0, 4)}, "two positive ints"),
        ({"size": (4, 4), "interpolation": "cubic"}, "interpolation"),
        ({"size": (4, 4), "fill_mode": "reflect"}, "fill_mode"),
        ({"size": (4, 4), "crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, "cannot both"),
        ({"size": (4, 4), "data_format": "nhwc"}, "data_format"),
    ],
)
def test_resize_rejects_bad_arguments_in_words(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ops.image.resize(IMAGES, **kwargs)


def test_resize_rejects_images_of_wrong_rank():
    with pytest.raises(ValueError, match=r"rank 3 or 4.*received images.shape=\(7, 9\)"):
        ops.image.resize(IMAGES[0, :, :, 0], (3, 3))


def test_resize_gradient_matches_keras():
    def loss(fn):
        return lambda x: jnp.sum(fn(x, (4, 6), interpolation="bicubic", antialias=True) ** 2)

    close(jax.grad(loss(ops.image.resize))(IMAGES), jax.grad(loss(keras.ops.image.resize))(IMAGES), atol=1e-4)


# --- affine_transform / map_coordinates ---------------------------------------------------------
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
def test_affine_transform_matches_keras_for_every_interpolation_and_fill_mode(interpolation, fill_mode):
    kwargs = {"interpolation": interpolation, "fill_mode": fill_mode, "fill_value": 0.25}
    close(
        ops.image.affine_transform(IMAGES, TRANSFORMS, **kwargs),
        keras.ops.image.affine_transform(IMAGES, TRANSFORMS, **kwargs),
    )


def test_affine_transform_channels_first_unbatched_and_shared_transform_match_keras():
    kwargs = {"data_format": "channels_first"}
    close(
        ops.image.affine_transform(IMAGES_CF, TRANSFORMS, **kwargs),
        keras.ops.image.affine_transform(IMAGES_CF, TRANSFORMS, **kwargs),
    )
    close(
        ops.image.affine_transform(IMAGES[0], TRANSFORMS[0]), keras.ops.image.affine_transform(IMAGES[0], TRANSFORMS[0])
    )
    # One transform for a whole batch (Keras-JAX fails on this; loom applies it to every image).
    shared = np.stack([TRANSFORMS[1], TRANSFORMS[1]])
    close(ops.image.affine_transform(IMAGES, TRANSFORMS[1]), keras.ops.image.affine_transform(IMAGES, shared))


def test_affine_transform_applies_the_projective_terms():
    transform = np.array([1.0, 0.1, 0.5, 0.05, 1.0, -0.3, 0.02, -0.03], "float32")
    got = ops.image.affine_transform(IMAGES[0], transform, interpolation="bilinear")
    rows, cols = np.meshgrid(np.arange(7.0), np.arange(9.0), indexing="ij")
    k = 0.02 * cols - 0.03 * rows + 1
    src = [(0.05 * cols + 1.0 * rows - 0.3) / k, (1.0 * cols + 0.1 * rows + 0.5) / k]
    expected = np.stack(
        [scipy.ndimage.map_coordinates(IMAGES[0, ..., c], src, order=1, mode="grid-constant") for c in range(3)], -1
    )
    close(got, expected.astype("float32"), atol=1e-5)


def test_affine_transform_gradient_flows_to_images_as_in_keras():
    def loss(fn):
        return lambda x: jnp.sum(fn(x, TRANSFORMS, fill_mode="reflect") ** 2)

    close(jax.grad(loss(ops.image.affine_transform))(IMAGES), jax.grad(loss(keras.ops.image.affine_transform))(IMAGES))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"interpolation": "bicubic"}, "interpolation"),
        ({"fill_mode": "edge"}, "fill_mode"),
    ],
)
def test_affine_transform_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ops.image.affine_transform(IMAGES, TRANSFORMS, **kwargs)
    with pytest.raises(ValueError, match=r"shape \(8,\).*received transform.shape=\(2, 6\)"):
        ops.image.affine_transform(IMAGES, TRANSFORMS[:, :6])


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
def test_map_coordinates_matches_keras_and_scipy(order, fill_mode):
    volume = rng.standard_normal((5, 6, 4)).astype("float32")
    coordinates = rng.uniform(-3, 8, (3, 4, 5)).astype("float32")
    got = ops.image.map_coordinates(volume, coordinates, order, fill_mode=fill_mode, fill_value=-1.0)
    close(got, keras.ops.image.map_coordinates(volume, coordinates, order, fill_mode=fill_mode, fill_value=-1.0))
    # JAX's "constant" and "wrap" are scipy's "grid-constant" and "grid-wrap".
    scipy_mode = {"constant": "grid-constant", "wrap": "grid-wrap"}.get(fill_mode, fill_mode)
    expected = scipy.ndimage.map_coordinates(volume, coordinates, order=order, mode=scipy_mode, cval=-1.0)
    close(got, expected.astype("float32"), atol=1e-5)


def test_map_coordinates_rejects_bad_arguments():
    volume = np.zeros((3, 4), "float32")
    with pytest.raises(ValueError, match="one row per axis"):
        ops.image.map_coordinates(volume, np.zeros((3, 5), "float32"), 1)
    with pytest.raises(ValueError, match="order"):
        ops.image.map_coordinates(volume, np.zeros((2, 5), "float32"), 3)
    with pytest.raises(ValueError, match="fill_mode"):
        ops.image.map_coordinates(volume, np.zeros((2, 5), "float32"), 1, fill_mode="edge")


# --- colour ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["rgb_to_grayscale", "rgb_to_hsv", "hsv_to_rgb"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("batched", [True, False])
def test_colour_conversions_match_keras(name, data_format, batched):
    x = IMAGES if data_format == "channels_last" else IMAGES_CF
    x = x if batched else x[0]
    close(getattr(ops.image, name)(x, data_format), getattr(keras.ops.image, name)(x, data_format))


def test_hsv_round_trip_and_known_colours():
    hsv = ops.image.rgb_to_hsv(IMAGES)
    close(ops.image.hsv_to_rgb(hsv), IMAGES, atol=1e-5)
    colours = np.array([[[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.5, 0.5, 0.5]]], "float32")
    expected = np.array([[[0, 1, 1], [1 / 3, 1, 1], [2 / 3, 1, 1], [0, 0, 0.5]]], "float32")
    close(ops.image.rgb_to_hsv(colours), expected, atol=1e-6)


def test_grayscale_uses_luma_weights_and_keeps_integer_dtype():
    x = (IMAGES * 255).astype("uint8")
    close(ops.image.rgb_to_grayscale(x), keras.ops.image.rgb_to_grayscale(x))
    expected = IMAGES @ np.array([0.2989, 0.5870, 0.1140], "float32")
    close(ops.image.rgb_to_grayscale(IMAGES)[..., 0], expected)
    one_channel = IMAGES[..., :1]
    assert ops.image.rgb_to_grayscale(one_channel) is not None
    close(ops.image.rgb_to_grayscale(one_channel), one_channel)


def test_colour_ops_reject_bad_inputs():
    with pytest.raises(ValueError, match="3 \\(RGB\\) or 1"):
        ops.image.rgb_to_grayscale(IMAGES[..., :2])
    with pytest.raises(ValueError, match="float tensor.*ops.cast"):
        ops.image.rgb_to_hsv((IMAGES * 255).astype("uint8"))
    with pytest.raises(ValueError, match="3 channels.*channels_first"):
        ops.image.hsv_to_rgb(IMAGES_CF)


def test_hsv_gradients_match_keras():
    def loss(fn):
        return lambda x: jnp.sum(jnp.sin(fn(x)))

    close(jax.grad(loss(ops.image.rgb_to_hsv))(IMAGES), jax.grad(loss(keras.ops.image.rgb_to_hsv))(IMAGES), atol=1e-4)
    close(jax.grad(loss(ops.image.hsv_to_rgb))(IMAGES), jax.grad(loss(keras.ops.image.hsv_to_rgb))(IMAGES), atol=1e-4)


# --- crop / pad / patches ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {"top_cropping": 1, "bottom_cropping": 2, "left_cropping": 3, "right_cropping": 0},
        {"top_cropping": 2, "target_height": 3, "right_cropping": 1, "target_width": 5},
        {"bottom_cropping": 1, "target_height": 4, "left_cropping": 2, "target_width": 6},
    ],
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_crop_images_matches_keras(kwargs, data_format):
    x = IMAGES if data_format == "channels_last" else IMAGES_CF
    close(
        ops.image.crop_images(x, data_format=data_format, **kwargs),
        keras.ops.image.crop_images(x, data_format=data_format, **kwargs),
    )
    close(
        ops.image.crop_images(x[0], data_format=data_format, **kwargs),
        keras.ops.image.crop_images(x[0], data_format=data_format, **kwargs),
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"top_padding": 1, "bottom_padding": 2, "left_padding": 3, "right_padding": 0},
        {"top_padding": 2, "target_height": 10, "right_padding": 1, "target_width": 12},
        {"bottom_padding": 1, "target_height": 8, "left_padding": 2, "target_width": 11},
    ],
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_pad_images_matches_keras(kwargs, data_format):
    x = IMAGES if data_format == "channels_last" else IMAGES_CF
    close(
        ops.image.pad_images(x, data_format=data_format, **kwargs),
        keras.ops.image.pad_images(x, data_format=data_format, **kwargs),
    )
    close(
        ops.image.pad_images(x[0], data_format=data_format, **kwargs),
        keras.ops.image.pad_images(x[0], data_format=data_format, **kwargs),
    )


def test_crop_and_pad_reject_inconsistent_margins():
    with pytest.raises(ValueError, match="exactly two of `top_cropping`"):
        ops.image.crop_images(
            IMAGES, top_cropping=1, bottom_cropping=1, target_height=3, left_cropping=0, right_cropping=0
        )
    with pytest.raises(ValueError, match="`left_padding` must be >= 0"):
        ops.image.pad_images(IMAGES, top_padding=0, bottom_padding=0, left_padding=-1, right_padding=0)
    with pytest.raises(ValueError, match="target_height`=5 leaves `top_padding`=-3"):
        ops.image.pad_images(IMAGES, bottom_padding=1, target_height=5, left_padding=0, right_padding=0)


@pytest.mark.parametrize(
    "size, kwargs",
    [
        ((2, 3), {}),
        (3, {"strides": 1, "padding": "same"}),
        ((2, 2), {"strides": (1, 2), "dilation_rate": 1}),
        ((2, 2), {"strides": 1, "dilation_rate": 2}),
    ],
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_extract_patches_matches_keras(size, kwargs, data_format):
    x = IMAGES if data_format == "channels_last" else IMAGES_CF
    close(
        ops.image.extract_patches(x, size, data_format=data_format, **kwargs),
        keras.ops.image.extract_patches(x, size, data_format=data_format, **kwargs),
    )
    close(
        ops.image.extract_patches(x[0], size, data_format=data_format, **kwargs),
        keras.ops.image.extract_patches(x[0], size, data_format=data_format, **kwargs),
    )


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_extract_patches_3d_matches_keras(data_format):
    volumes = rng.standard_normal((2, 4, 5, 6, 2)).astype("float32")
    if data_format == "channels_first":
        volumes = np.moveaxis(volumes, -1, 1).copy()
    for op in ("extract_patches", "extract_patches_3d"):
        close(
            getattr(ops.image, op)(volumes, (2, 2, 3), data_format=data_format),
            getattr(keras.ops.image, op)(volumes, (2, 2, 3), data_format=data_format),
        )
    close(
        ops.image.extract_patches_3d(volumes[0], 2, strides=1, data_format=data_format),
        keras.ops.image.extract_patches_3d(volumes[0], 2, strides=1, data_format=data_format),
    )


def test_extract_patches_rejects_bad_size():
    with pytest.raises(ValueError, match="an int or a tuple of 2 or 3"):
        ops.image.extract_patches(IMAGES, (1, 2, 3, 4))
    with pytest.raises(ValueError, match="rank 3 \\(one\\) or 4"):
        ops.image.extract_patches(IMAGES[0, 0], 2)


# --- filters and other warps ------------------------------------------------------------------------------
@pytest.mark.parametrize("kernel_size, sigma", [((3, 3), (1.0, 1.0)), ((5, 3), (2.0, 0.7))])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_gaussian_blur_matches_keras(kernel_size, sigma, data_format):
    x = IMAGES if data_format == "channels_last" else IMAGES_CF
    for images in (x, x[0]):
        close(
            ops.image.gaussian_blur(images, kernel_size, sigma, data_format=data_format),
            keras.ops.image.gaussian_blur(images, kernel_size, sigma, data_format=data_format),
        )


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_sobel_edges_match_keras(data_format):
    x = IMAGES if data_format == "channels_last" else IMAGES_CF
    close(ops.image.sobel_edges(x, data_format=data_format), keras.ops.image.sobel_edges(x, data_format=data_format))


def test_ssim_matches_keras_and_is_one_for_equal_images():
    a = rng.uniform(0, 1, (2, 16, 14, 3)).astype("float32")
    b = np.clip(a + rng.normal(0, 0.1, a.shape), 0, 1).astype("float32")
    close(ops.image.ssim(a, b), keras.ops.image.ssim(a, b))
    close(ops.image.ssim(a[0], b[0], filter_size=5), keras.ops.image.ssim(a[0], b[0], filter_size=5))
    close(ops.image.ssim(a, a), np.ones(2, "float32"), atol=1e-5)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_perspective_transform_matches_keras(interpolation, data_format):
    x = IMAGES if data_format == "channels_last" else IMAGES_CF
    start = np.array([[0, 0], [8, 0], [0, 6], [8, 6]], "float32")
    end = np.array([[[1, 0], [8, 1], [0, 5], [7, 6]], [[0, 1], [7, 0], [1, 6], [8, 5]]], "float32")
    starts = np.stack([start, start])
    kwargs = {"interpolation": interpolation, "fill_value": 0.5, "data_format": data_format}
    close(
        ops.image.perspective_transform(x, starts, end, **kwargs),
        keras.ops.image.perspective_transform(x, starts, end, **kwargs),
        atol=1e-4,
    )
    close(
        ops.image.perspective_transform(x[0], start, end[0], **kwargs),
        keras.ops.image.perspective_transform(x[0], start, end[0], **kwargs),
        atol=1e-4,
    )


def test_perspective_transform_rejects_bad_points():
    with pytest.raises(ValueError, match="4 \\(x, y\\) corners"):
        ops.image.perspective_transform(IMAGES, np.zeros((3, 2)), np.zeros((3, 2)))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_elastic_transform_displaces_by_blurred_independent_noise(data_format):
    x = IMAGES if data_format == "channels_last" else IMAGES_CF
    alpha, sigma = 3.0, 1.0
    got = ops.image.elastic_transform(x, alpha, sigma, seed=7, data_format=data_format, fill_mode="nearest")
    # The documented recipe: two independent normal fields from the split key, blurred, scaled.
    key_x, key_y = jax.random.split(jax.random.PRNGKey(7))
    fields = []
    for key in (key_x, key_y):
        noise = np.asarray(jax.random.normal(key, (2, 7, 9, 1), "float32")) * sigma
        fields.append(
            alpha * np.asarray(keras.ops.image.gaussian_blur(noise, (7, 7), (sigma, sigma), "channels_last"))[..., 0]
        )
    rows, cols = np.meshgrid(np.arange(7.0), np.arange(9.0), indexing="ij")
    channels_last = IMAGES
    expected = np.stack(
        [
            np.stack(
                [
                    scipy.ndimage.map_coordinates(
                        channels_last[b, ..., c], [rows + fields[1][b], cols + fields[0][b]], order=1, mode="nearest"
                    )
                    for c in range(3)
                ],
                -1,
            )
            for b in range(2)
        ]
    ).astype("float32")
    if data_format == "channels_first":
        expected = np.transpose(expected, (0, 3, 1, 2))
    close(got, expected, atol=1e-4)
    assert not np.allclose(fields[0], fields[1])


def test_elastic_transform_repeats_with_an_int_seed_and_varies_with_a_generator():
    a = ops.image.elastic_transform(IMAGES, seed=3)
    close(ops.image.elastic_transform(IMAGES, seed=3), a)
    generator = loom.random.SeedGenerator(3)
    first = ops.image.elastic_transform(IMAGES, seed=generator)
    second = ops.image.elastic_transform(IMAGES, seed=generator)
    assert not np.allclose(first, second)


@pytest.mark.parametrize("method", ["linear", "cubic", "lanczos3", "lanczos5"])
def test_scale_and_translate_matches_keras(method):
    args = (IMAGES, (2, 10, 6, 3), np.array([1.4, 0.7], "float32"), np.array([0.5, -1.0], "float32"), (1, 2), method)
    close(ops.image.scale_and_translate(*args), keras.ops.image.scale_and_translate(*args))


def test_scale_and_translate_rejects_bad_arguments():
    with pytest.raises(ValueError, match="method"):
        ops.image.scale_and_translate(IMAGES, (2, 4, 4, 3), [1.0, 1.0], [0.0, 0.0], (1, 2), "area")
    with pytest.raises(ValueError, match="one value per spatial dim"):
        ops.image.scale_and_translate(IMAGES, (2, 4, 4, 3), [1.0], [0.0], (1, 2), "linear")


# --- symbolic use and jit ----------------------------------------------------------------------------------
SYMBOLIC_CASES = [
    ("resize", lambda x: ops.image.resize(x, (4, 5), interpolation="bicubic"), (7, 9, 3)),
    ("resize_area", lambda x: ops.image.resize(x, (4, 5), interpolation="area"), (7, 9, 3)),
    ("resize_crop", lambda x: ops.image.resize(x, (4, 8), crop_to_aspect_ratio=True), (7, 9, 3)),
    ("affine", lambda x: ops.image.affine_transform(x, TRANSFORMS[0]), (7, 9, 3)),
    ("grayscale", ops.image.rgb_to_grayscale, (7, 9, 3)),
    ("hsv", ops.image.rgb_to_hsv, (7, 9, 3)),
    ("rgb", ops.image.hsv_to_rgb, (7, 9, 3)),
    ("crop", lambda x: ops.image.crop_images(x, 1, 2, target_height=4, target_width=5), (7, 9, 3)),
    ("pad", lambda x: ops.image.pad_images(x, 1, 2, target_height=9, target_width=12), (7, 9, 3)),
    ("patches", lambda x: ops.image.extract_patches(x, (2, 3)), (7, 9, 3)),
    ("patches_3d", lambda x: ops.image.extract_patches_3d(x, 2), (4, 5, 6, 2)),
    ("blur", lambda x: ops.image.gaussian_blur(x, (3, 5)), (7, 9, 3)),
    ("sobel", ops.image.sobel_edges, (7, 9, 3)),
    ("perspective", lambda x: ops.image.perspective_transform(x, np.eye(4, 2, dtype="float32") * 4,
                                                              np.eye(4, 2, dtype="float32") * 5), (7, 9, 3)),
    ("elastic", lambda x: ops.image.elastic_transform(x, seed=1), (7, 9, 3)),
]  # fmt: skip


@pytest.mark.parametrize("name, fn, shape", SYMBOLIC_CASES, ids=[c[0] for c in SYMBOLIC_CASES])
def test_image_ops_in_a_functional_model_have_the_eager_shapes_and_values(name, fn, shape):
    inputs = loom.Input(shape)
    outputs = fn(inputs)
    assert isinstance(outputs, SymbolicTensor)
    x = rng.uniform(0, 1, (2, *shape)).astype("float32")
    eager = fn(x)
    assert outputs.shape == (None, *eager.shape[1:])
    model = loom.Model(inputs, outputs)
    close(model.predict(x, verbose=0), eager, atol=1e-5)


@pytest.mark.parametrize("name, fn, shape", SYMBOLIC_CASES, ids=[c[0] for c in SYMBOLIC_CASES])
def test_image_ops_compile_to_the_eager_values(name, fn, shape):
    x = rng.uniform(0, 1, (2, *shape)).astype("float32")
    close(jax.jit(fn)(x), fn(x), atol=1e-5)


def test_symbolic_errors_name_the_op_and_the_fix():
    with pytest.raises(ValueError, match="ops.image.rgb_to_grayscale"):
        ops.image.rgb_to_grayscale(loom.Input((4, 4, 2)))
    with pytest.raises(ValueError, match="ops.image.resize"):
        ops.image.resize(loom.Input((4, 4, 3)), (2, 2), interpolation="box")


def test_public_names_of_ops_image_are_kerass():
    names = sorted(n for n in dir(keras.ops.image) if not n.startswith("_"))
    assert all(hasattr(ops.image, n) for n in names), [n for n in names if not hasattr(ops.image, n)]
