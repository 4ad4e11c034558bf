"""Zero padding, cropping and upsampling layers: Keras 3 parity, NumPy formulas, shapes, configs, errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")  # Keras's default backend, TensorFlow, is not installed

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from loom.layers import Input, spatial_reshaping  # noqa: E402
from loom.layers.spatial_reshaping import (  # noqa: E402
    Cropping1D,
    Cropping2D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)

RNG = np.random.default_rng(11)
# XLA's backend optimizations make most of a small test's compile time; these tests check values.
FAST_COMPILE = {"xla_backend_optimization_level": 0}
CF = {"data_format": "channels_first"}

CASES = [
    ("ZeroPadding1D", {}, (2, 5, 3)),
    ("ZeroPadding1D", {"padding": (1, 2), **CF}, (2, 3, 5)),
    ("ZeroPadding2D", {"padding": ((1, 0), (2, 3))}, (2, 4, 5, 3)),
    ("ZeroPadding2D", {"padding": (1, 2), **CF}, (2, 3, 4, 5)),
    ("ZeroPadding3D", {"padding": ((0, 1), 2, (1, 0)), **CF}, (1, 2, 2, 3, 2)),
    ("Cropping1D", {"cropping": (0, 2)}, (2, 5, 3)),
    ("Cropping2D", {"cropping": ((1, 2), (0, 1))}, (2, 6, 5, 3)),
    ("Cropping2D", {"cropping": 1, **CF}, (2, 3, 4, 5)),
    ("Cropping3D", {}, (1, 3, 4, 5, 2)),
    ("Cropping3D", {"cropping": ((0, 1), (1, 0), 1), **CF}, (1, 2, 3, 4, 5)),
    ("UpSampling1D", {"size": 3}, (2, 4, 3)),
    ("UpSampling2D", {"size": (2, 3)}, (2, 3, 4, 2)),
    ("UpSampling2D", {"size": (2, 3), "interpolation": "bilinear"}, (2, 3, 4, 2)),
    ("UpSampling2D", {"size": (3, 2), "interpolation": "bilinear", **CF}, (2, 2, 3, 4)),
    ("UpSampling2D", {"size": 2, "interpolation": "bicubic"}, (1, 3, 3, 2)),
    ("UpSampling3D", {"size": (1, 2, 3)}, (1, 2, 2, 3, 2)),
    ("UpSampling3D", {"size": 2, **CF}, (1, 2, 2, 3, 2)),
]
IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)]


def _run(fn, *args):
    """``fn`` compiled once, quickly: far cheaper than compiling each eager op of a new shape."""
    return jax.tree_util.tree_map(np.asarray, jax.jit(fn, compiler_options=FAST_COMPILE)(*args))


@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=IDS)
def test_spatial_reshaping_layer_matches_keras_and_its_symbolic_shape(name, kwargs, shape):
    layer = getattr(spatial_reshaping, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    symbolic = layer(Input(shape[1:]))
    ours, expected = _run(lambda x: (layer(x), theirs(x)), RNG.normal(size=shape).astype("float32"))
    assert ours.shape == expected.shape and symbolic.shape == (None,) + ours.shape[1:]
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=IDS)
def test_spatial_reshaping_layer_leaves_unknown_spatial_dims_unknown_as_keras(name, kwargs, shape):
    layer = getattr(spatial_reshaping, name)(**kwargs)
    rank = len(shape) - 2
    spatial_unknown = (shape[1],) + (None,) * rank if "data_format" in kwargs else (None,) * rank + (shape[-1],)
    expected = getattr(keras.layers, name)(**kwargs).compute_output_shape((None,) + spatial_unknown)
    assert layer(Input(spatial_unknown)).shape == tuple(expected)


@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=IDS)
def test_spatial_reshaping_layer_config_round_trips_as_keras(name, kwargs, shape):
    layer = getattr(spatial_reshaping, name)(**kwargs)
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    keras_config = getattr(keras.layers, name)(**kwargs).get_config()
    assert set(config) == set(keras_config)
    for key in ("padding", "cropping", "size", "data_format", "interpolation"):
        if key in config:
            assert config[key] == keras_config[key], key


def test_zero_padding_and_cropping_match_numpy():
    x = RNG.normal(size=(2, 4, 5, 3)).astype("float32")
    padded = np.asarray(ZeroPadding2D(((1, 0), (2, 3)))(x))
    np.testing.assert_array_equal(padded, np.pad(x, ((0, 0), (1, 0), (2, 3), (0, 0))))
    np.testing.assert_array_equal(np.asarray(Cropping2D(((1, 2), (0, 1)))(x)), x[:, 1:2, 0:4])
    np.testing.assert_array_equal(np.asarray(ZeroPadding1D(2)(x[:, 0])), np.pad(x[:, 0], ((0, 0), (2, 2), (0, 0))))
    np.testing.assert_array_equal(np.asarray(Cropping1D((0, 3))(x[:, 0])), x[:, 0][:, :2])


def test_upsampling_nearest_repeats_rows_and_columns():
    x = RNG.normal(size=(2, 3, 4, 2)).astype("float32")
    np.testing.assert_array_equal(np.asarray(UpSampling2D((2, 3))(x)), x.repeat(2, axis=1).repeat(3, axis=2))
    np.testing.assert_array_equal(np.asarray(UpSampling1D(2)(x[:, 0])), x[:, 0].repeat(2, axis=1))


def _bilinear_half_pixel(x, factor_h, factor_w):
    """Keras/TF2 bilinear upsampling: source coordinate (i + 0.5) / factor - 0.5, clamped to the edges."""

    def axis_weights(size, factor):
        source = np.clip((np.arange(size * factor) + 0.5) / factor - 0.5, 0, size - 1)
        low = np.floor(source).astype(int)
        high = np.minimum(low + 1, size - 1)
        matrix = np.zeros((size * factor, size))
        matrix[np.arange(size * factor), low] += 1 - (source - low)
        matrix[np.arange(size * factor), high] += source - low
        return matrix

    rows, cols = axis_weights(x.shape[1], factor_h), axis_weights(x.shape[2], factor_w)
    return np.einsum("ih,jw,bhwc->bijc", rows, cols, x)


def test_upsampling_bilinear_follows_the_half_pixel_convention():
    x = RNG.normal(size=(2, 3, 4, 2)).astype("float32")
    ours = np.asarray(UpSampling2D((2, 3), interpolation="bilinear")(x))
    np.testing.assert_allclose(ours, _bilinear_half_pixel(x, 2, 3), rtol=1e-5, atol=1e-5)


def test_spatial_reshaping_keeps_integer_dtype():
    layers = (ZeroPadding2D(), Cropping2D(1), UpSampling2D())
    assert [layer(Input((4, 4, 1), dtype="int32")).dtype for layer in layers] == ["int32"] * 3
    outputs = _run(lambda x: [layer(x) for layer in layers], np.ones((1, 4, 4, 1), "int32"))
    assert [out.dtype for out in outputs] == [np.int32] * 3


def test_spatial_reshaping_gradients_are_finite_under_stateless_call():
    layers = [ZeroPadding2D(1), UpSampling2D(2, interpolation="bilinear"), Cropping2D(((1, 2), (2, 1)))]
    x = jnp.asarray(RNG.normal(size=(1, 3, 3, 2)).astype("float32"))
    y = x
    for layer in layers:
        y = layer(y)

    def loss(x):
        for layer in layers:
            x, _ = layer.stateless_call([], [], x)
        return jnp.sum(jnp.tanh(x) * jnp.arange(x.size, dtype=x.dtype).reshape(x.shape))

    grad = jax.jit(jax.grad(loss), compiler_options=FAST_COMPILE)(x)
    assert grad.shape == x.shape and bool(jnp.all(jnp.isfinite(grad))) and bool(jnp.any(grad != 0))


ERRORS = [
    (
        lambda: ZeroPadding2D(-1),
        r"Layer 'zero_padding2d' \(ZeroPadding2D\): `padding` cannot be negative; received padding=-1",
    ),
    (lambda: ZeroPadding1D((1, -2)), r"`padding` cannot be negative; received padding=\(1, -2\)"),
    (
        lambda: ZeroPadding2D((1, 2, 3)),
        r"`padding` must be an int, a tuple of 2 ints or a tuple of 2 \(before, after\) pairs; "
        r"received padding=\(1, 2, 3\)",
    ),
    (
        lambda: ZeroPadding3D(((1, 2, 3), 1, 1)),
        r"each entry of `padding` must be an int or a \(before, after\) pair of ints",
    ),
    (lambda: Cropping2D(((1, 1), (-1, 0))), r"`cropping` cannot be negative"),
    (
        lambda: Cropping2D(((2, 2), (0, 0)))(Input((4, 6, 1))),
        r"cropping=\(\(2, 2\), \(0, 0\)\) removes all of the input's spatial size \(4, 6\) "
        r"\(input shape \(None, 4, 6, 1\)\); crop less",
    ),
    (lambda: Cropping1D((3, 3))(Input((5, 2))), r"cropping=\(3, 3\) removes all of the input's spatial size \(5,\)"),
    (lambda: UpSampling2D((2, 0)), r"every entry of `size` must be positive; received size=\(2, 0\)"),
    (
        lambda: UpSampling2D(interpolation="area"),
        r"`interpolation` must be one of 'nearest', 'bilinear', 'bicubic', 'lanczos3', 'lanczos5'; "
        r"received interpolation='area'",
    ),
    (lambda: UpSampling3D(data_format="NDHWC"), r"`data_format` must be 'channels_last' or 'channels_first'"),
    (lambda: UpSampling1D(0), r"`size` must be a positive integer; received size=0"),
    (lambda: ZeroPadding2D()(Input((4, 4))), r"expects inputs of rank 4, \(batch, height, width, channels\)"),
]


@pytest.mark.parametrize("make, message", ERRORS)
def test_spatial_reshaping_errors_name_layer_expected_received_and_fix(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_upsampling1d_rejects_a_non_integer_size():
    with pytest.raises(TypeError, match=r"`size` must be a positive int; received size=2.0"):
        UpSampling1D(2.0)


def test_shared_cropping_layer_checks_each_new_input():
    layer = Cropping2D(2)
    layer(Input((8, 8, 1)))
    with pytest.raises(ValueError, match=r"removes all of the input's spatial size \(4, 8\)"):
        layer(Input((4, 8, 1)))
