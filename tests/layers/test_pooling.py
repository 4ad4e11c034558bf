"""Pooling layers: Keras 3 parity, NumPy means and maxima, masks, shapes, configs, gradients, errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")  # Keras's default backend, TensorFlow, is not installed

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import loom  # noqa: E402
from loom.layers import Embedding, Input, Masking, pooling  # noqa: E402
from loom.layers.pooling import (  # noqa: E402
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalMaxPooling2D,
    MaxPooling2D,
)

RNG = np.random.default_rng(5)
# XLA's backend optimizations make most of a small test's compile time; these tests check values.
FAST_COMPILE = {"xla_backend_optimization_level": 0}
CF = {"data_format": "channels_first"}

CASES = [
    ("MaxPooling1D", {}, (2, 9, 3)),
    ("MaxPooling1D", {"pool_size": 3, "strides": 2, "padding": "same", **CF}, (2, 3, 8)),
    ("MaxPooling2D", {"pool_size": (3, 2), "strides": (2, 1), "padding": "same"}, (2, 7, 6, 3)),
    ("MaxPooling2D", {"pool_size": 2, **CF}, (2, 3, 7, 6)),
    ("MaxPooling3D", {"pool_size": 2, "padding": "same"}, (1, 3, 5, 4, 2)),
    ("AveragePooling1D", {"pool_size": 3, "strides": 1, "padding": "same"}, (2, 7, 3)),
    ("AveragePooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 6, 3)),
    ("AveragePooling2D", {"pool_size": (2, 3), **CF}, (2, 3, 7, 6)),
    ("AveragePooling3D", {"pool_size": (2, 2, 1), "strides": 1, "padding": "same", **CF}, (1, 2, 3, 4, 5)),
    ("GlobalMaxPooling1D", {}, (2, 7, 3)),
    ("GlobalMaxPooling2D", {"keepdims": True, **CF}, (2, 3, 5, 4)),
    ("GlobalMaxPooling3D", {}, (1, 2, 3, 4, 5)),
    ("GlobalAveragePooling1D", {"keepdims": True, **CF}, (2, 3, 7)),
    ("GlobalAveragePooling2D", {}, (2, 5, 4, 3)),
    ("GlobalAveragePooling3D", {"keepdims": True}, (1, 2, 3, 4, 5)),
]
IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)]


def _keras_kwargs(name, kwargs):
    # Keras 3 requires AveragePooling's pool_size; loom defaults it to 2 (as Keras 2 did).
    return {"pool_size": 2, **kwargs} if name.startswith("AveragePooling") else kwargs


def _run(fn, *args):
    """``fn`` compiled once, quickly: far cheaper than compiling each eager op of a new shape."""
    return jax.tree_util.tree_map(np.asarray, jax.jit(fn, compiler_options=FAST_COMPILE)(*args))


@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=IDS)
def test_pooling_layer_matches_keras_and_its_symbolic_shape(name, kwargs, shape):
    layer = getattr(pooling, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**_keras_kwargs(name, kwargs))
    symbolic = layer(Input(shape[1:]))
    ours, expected = _run(lambda x: (layer(x), theirs(x)), RNG.normal(size=shape).astype("float32"))
    assert ours.shape == expected.shape and symbolic.shape == (None,) + ours.shape[1:]
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=IDS)
def test_pooling_layer_leaves_unknown_spatial_dims_unknown_as_keras(name, kwargs, shape):
    layer = getattr(pooling, name)(**kwargs)
    rank = len(shape) - 2
    spatial_unknown = (shape[1],) + (None,) * rank if "data_format" in kwargs else (None,) * rank + (shape[-1],)
    keras_layer = getattr(keras.layers, name)(**_keras_kwargs(name, kwargs))
    assert layer(Input(spatial_unknown)).shape == tuple(keras_layer.compute_output_shape((None,) + spatial_unknown))


@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=IDS)
def test_pooling_layer_config_round_trips_with_keras_keys(name, kwargs, shape):
    layer = getattr(pooling, name)(**kwargs)
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    assert set(config) == set(getattr(keras.layers, name)(**_keras_kwargs(name, kwargs)).get_config())


def test_max_and_average_pooling_match_numpy_windows():
    x = RNG.normal(size=(2, 6, 4, 3)).astype("float32")
    windows = x.reshape(2, 3, 2, 2, 2, 3)  # (B, H/2, 2, W/2, 2, C)
    np.testing.assert_allclose(np.asarray(MaxPooling2D()(x)), windows.max(axis=(2, 4)), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(AveragePooling2D()(x)), windows.mean(axis=(2, 4)), rtol=1e-5)


def test_average_pooling_same_divides_by_the_real_values_only():
    x = np.arange(1.0, 6.0, dtype="float32").reshape(1, 5, 1)
    out = np.asarray(AveragePooling1D(2, padding="same")(x))[0, :, 0]
    np.testing.assert_allclose(out, [1.5, 3.5, 5.0])


def test_pooling_keeps_strides_equal_to_pool_size_by_default():
    layer = MaxPooling2D((3, 2))
    assert layer.strides == (3, 2)
    assert layer(Input((9, 8, 1))).shape == (None, 3, 4, 1)


def test_global_average_pooling_1d_averages_unmasked_steps_as_keras():
    x = RNG.normal(size=(2, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 0, 0, 1], [1, 0, 0, 0, 0]], bool)
    last, first = GlobalAveragePooling1D(), GlobalAveragePooling1D(data_format="channels_first", keepdims=True)
    theirs = keras.layers.GlobalAveragePooling1D()
    ours, cf, expected_keras = _run(
        lambda x, m: (last(x, mask=m), first(jnp.swapaxes(x, 1, 2), mask=m), theirs(x, mask=m)), x, mask
    )
    expected = np.stack([x[0, [0, 1, 4]].mean(0), x[1, [0]].mean(0)])
    np.testing.assert_allclose(ours, expected, rtol=1e-5)
    np.testing.assert_allclose(ours, expected_keras, rtol=1e-5)
    np.testing.assert_allclose(cf[:, :, 0], expected, rtol=1e-5)


def test_global_average_pooling_1d_takes_the_mask_of_a_model_and_drops_it():
    tokens = Input((4,), dtype="int32")
    pooled = GlobalAveragePooling1D()(Embedding(10, 3, mask_zero=True)(tokens))
    assert pooled.shape == (None, 3) and getattr(pooled, "_keras_mask", None) is None
    model = loom.Model(tokens, pooled)
    ids = np.array([[1, 2, 0, 0], [3, 0, 0, 0]], "int32")
    table = model.layers[1].get_weights()[0]
    expected = np.stack([table[[1, 2]].mean(0), table[[3]].mean(0)])
    np.testing.assert_allclose(np.asarray(model(ids)), expected, rtol=1e-5)
    masked = GlobalAveragePooling1D()(Masking()(Input((None, 8))))
    assert masked.shape == (None, 8)


def test_global_max_pooling_keeps_integer_dtype():
    out = GlobalMaxPooling2D()(Input((4, 4, 2), dtype="int32"))
    assert out.shape == (None, 2) and out.dtype == "int32"


def test_pooling_gradients_are_finite_under_stateless_call():
    layers = [MaxPooling2D(2, padding="same"), AveragePooling2D(3, 1, "same"), GlobalAveragePooling1D()]
    x = jnp.asarray(RNG.normal(size=(2, 5, 4, 3)).astype("float32"))
    layers[2](layers[1](layers[0](x)).reshape(2, -1, 3))  # builds them (no weights)

    def loss(x):
        y, _ = layers[0].stateless_call([], [], x)
        y, _ = layers[1].stateless_call([], [], y)
        y, _ = layers[2].stateless_call([], [], jnp.reshape(y, (2, -1, 3)))
        return jnp.sum(jnp.tanh(y))

    grad = jax.jit(jax.grad(loss), compiler_options=FAST_COMPILE)(x)
    assert grad.shape == x.shape and bool(jnp.all(jnp.isfinite(grad))) and bool(jnp.any(grad != 0))


ERRORS = [
    (
        lambda: MaxPooling2D(pool_size=(2, 0)),
        r"Layer 'max_pooling2d' \(MaxPooling2D\): every entry of `pool_size` must be positive; "
        r"received pool_size=\(2, 0\)",
    ),
    (
        lambda: MaxPooling2D(strides=(1, 2, 3)),
        r"`strides` must be an int or a tuple of 2 ints; received strides=\(1, 2, 3\)",
    ),
    (
        lambda: AveragePooling1D(padding="causal"),
        r"`padding` must be one of 'valid', 'same'; received padding='causal'",
    ),
    (
        lambda: MaxPooling2D(data_format="NHWC"),
        r"`data_format` must be 'channels_last' or 'channels_first'; received data_format='NHWC'",
    ),
    (
        lambda: MaxPooling2D(3)(Input((2, 8, 1))),
        r"pool_size \(3, 3\) is larger than the input's spatial size \(2, 8\) with padding='valid'; "
        r"use padding='same' or a smaller window",
    ),
    (
        lambda: MaxPooling2D()(Input((8, 8))),
        r"expects inputs of rank 4, \(batch, height, width, channels\); received shape \(None, 8, 8\)",
    ),
    (
        lambda: pooling.GlobalMaxPooling1D(data_format="channels_middle"),
        r"`data_format` must be 'channels_last' or 'channels_first'",
    ),
    (lambda: pooling.GlobalAveragePooling2D()(Input((8, 8))), r"expects inputs of rank 4"),
]


@pytest.mark.parametrize("make, message", ERRORS)
def test_pooling_layer_errors_name_layer_expected_received_and_fix(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_shared_pooling_layer_checks_each_new_input():
    layer = MaxPooling2D(4)
    layer(Input((8, 8, 1)))
    with pytest.raises(ValueError, match=r"pool_size \(4, 4\) is larger than the input's spatial size \(3, 8\)"):
        layer(Input((3, 8, 1)))


def test_keras_aliases_name_the_same_pooling_classes():
    assert pooling.MaxPool2D is MaxPooling2D and pooling.AvgPool1D is AveragePooling1D
    assert pooling.GlobalAvgPool1D is GlobalAveragePooling1D and pooling.GlobalMaxPool2D is GlobalMaxPooling2D
