"""Convolution layers: Keras 3 parity on the same weights, a NumPy Conv2D, shapes, configs, gradients, errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")  # Keras's default backend, TensorFlow, is not installed

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import loom  # noqa: E402
from loom.layers import Input, convolutional  # noqa: E402
from loom.layers.convolutional import (  # noqa: E402
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3DTranspose,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
)

RNG = np.random.default_rng(3)
# XLA's backend optimizations make most of a small test's compile time; these tests check values.
FAST_COMPILE = {"xla_backend_optimization_level": 0}
CF = {"data_format": "channels_first"}

# (class name, constructor kwargs, input shape with batch): each runs in loom and Keras 3.
CASES = [
    ("Conv1D", {"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}, (2, 9, 3)),
    ("Conv1D", {"filters": 4, "kernel_size": 2, "strides": 2, "padding": "causal", **CF}, (2, 3, 9)),
    ("Conv2D", {"filters": 5, "kernel_size": (3, 2), "strides": (2, 1), "padding": "same"}, (2, 7, 6, 3)),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "dilation_rate": 2, "use_bias": False}, (2, 7, 6, 3)),
    ("Conv2D", {"filters": 6, "kernel_size": 2, "groups": 3, "activation": "relu", **CF}, (2, 6, 5, 4)),
    ("Conv3D", {"filters": 2, "kernel_size": (2, 1, 2), "strides": 2, "padding": "same"}, (2, 4, 5, 3, 2)),
    (
        "SeparableConv1D",
        {"filters": 4, "kernel_size": 3, "depth_multiplier": 2, "strides": 2, "padding": "same"},
        (2, 9, 3),
    ),
    ("SeparableConv2D", {"filters": 5, "kernel_size": 3, "dilation_rate": 2, **CF}, (2, 3, 7, 6)),
    ("DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": 2, "dilation_rate": 2}, (2, 9, 3)),
    ("DepthwiseConv2D", {"kernel_size": (3, 2), "strides": 2, "padding": "same", **CF}, (2, 3, 7, 6)),
    ("Conv1DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2, "output_padding": 1}, (2, 5, 4)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": (2, 1), "activation": "tanh"}, (2, 4, 5, 3)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (2, 4, 5, 3)),
    (
        "Conv2DTranspose",
        {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same", "output_padding": (1, 0), **CF},
        (2, 3, 4, 5),
    ),
    ("Conv3DTranspose", {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same"}, (1, 2, 3, 2, 3)),
]
IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)]


def _keras_layer(name, kwargs):
    """The Keras twin; zero initializers, since its random ones compile slowly and set_weights replaces them."""
    keras_class = getattr(keras.layers, name)
    zeros = {k: "zeros" for k in ("kernel_initializer", "depthwise_initializer", "pointwise_initializer")}
    return keras_class(**{k: v for k, v in zeros.items() if k in keras_class.__init__.__code__.co_varnames}, **kwargs)


def _run(fn, *args):
    """``fn`` compiled once, quickly: far cheaper than compiling each eager op of a new shape."""
    return jax.tree_util.tree_map(np.asarray, jax.jit(fn, compiler_options=FAST_COMPILE)(*args))


@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=IDS)
def test_convolution_layer_matches_keras_on_the_same_weights(name, kwargs, shape):
    layer = getattr(convolutional, name)(**kwargs)
    symbolic = layer(Input(shape[1:]))  # builds the layer
    theirs = _keras_layer(name, kwargs)
    theirs.build(shape)
    assert [w.shape for w in layer.get_weights()] == [tuple(v.shape) for v in theirs.weights]
    assert [v.name for v in layer.weights] == [v.name for v in theirs.weights]
    theirs.set_weights(layer.get_weights())
    x = RNG.normal(size=shape).astype("float32")
    ours, expected = _run(lambda x: (layer(x), theirs(x)), x)
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)
    assert symbolic.shape == (None,) + ours.shape[1:] and symbolic.dtype == "float32"


@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=IDS)
def test_convolution_layer_leaves_unknown_spatial_dims_unknown_as_keras(name, kwargs, shape):
    rank = len(shape) - 2
    spatial_unknown = (shape[1],) + (None,) * rank if "data_format" in kwargs else (None,) * rank + (shape[-1],)
    out = getattr(convolutional, name)(**kwargs)(Input(spatial_unknown))
    assert out.shape == tuple(_keras_layer(name, kwargs).compute_output_shape((None,) + spatial_unknown))


@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=IDS)
def test_convolution_layer_config_round_trips_with_keras_keys(name, kwargs, shape):
    layer = getattr(convolutional, name)(**kwargs)
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    assert set(config) == set(getattr(keras.layers, name)(**kwargs).get_config())


def _conv2d_numpy(x, kernel, bias, strides, padding):
    """Direct loop: out[b, i, j, f] = sum over (di, dj, c) of xpad[b, i*s+di, j*s+dj, c] * kernel[di, dj, c, f]."""
    kh, kw, _, filters = kernel.shape
    sh, sw = strides
    if padding == "same":
        out_h, out_w = -(-x.shape[1] // sh), -(-x.shape[2] // sw)
        pad_h = max((out_h - 1) * sh + kh - x.shape[1], 0)
        pad_w = max((out_w - 1) * sw + kw - x.shape[2], 0)
        x = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    else:
        out_h, out_w = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
    out = np.zeros((x.shape[0], out_h, out_w, filters), "float64")
    for b in range(x.shape[0]):
        for i in range(out_h):
            for j in range(out_w):
                for f in range(filters):
                    patch = x[b, i * sh : i * sh + kh, j * sw : j * sw + kw, :]
                    out[b, i, j, f] = np.sum(patch * kernel[..., f]) + bias[f]
    return out


@pytest.mark.parametrize("strides, padding", [((1, 1), "valid"), ((2, 1), "same"), ((2, 2), "same")])
def test_conv2d_matches_a_direct_numpy_loop(strides, padding):
    layer = Conv2D(3, (3, 2), strides=strides, padding=padding, bias_initializer="random_normal")
    x = RNG.normal(size=(2, 6, 5, 2)).astype("float32")
    out = np.asarray(layer(x))
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(out, _conv2d_numpy(x, kernel, bias, strides, padding), rtol=1e-5, atol=1e-5)


def test_conv2d_channels_first_equals_channels_last_on_transposed_data():
    x = RNG.normal(size=(2, 5, 6, 3)).astype("float32")
    last = Conv2D(4, 3, padding="same")
    first = Conv2D(4, 3, padding="same", data_format="channels_first")
    out_last = np.asarray(last(x))
    first(np.transpose(x, (0, 3, 1, 2)))
    first.set_weights(last.get_weights())
    out_first = np.asarray(first(np.transpose(x, (0, 3, 1, 2))))
    np.testing.assert_allclose(np.transpose(out_first, (0, 2, 3, 1)), out_last, rtol=1e-5, atol=1e-5)


def test_conv1d_causal_output_never_sees_later_steps():
    layer = Conv1D(2, 3, padding="causal", dilation_rate=2)
    x = RNG.normal(size=(1, 10, 3)).astype("float32")
    changed = x.copy()
    changed[:, 6:] += 1.0
    before, after = np.asarray(layer(x)), np.asarray(layer(changed))
    np.testing.assert_array_equal(before[:, :6], after[:, :6])
    assert not np.allclose(before[:, 6:], after[:, 6:])


def test_convolution_layers_run_inside_a_functional_model():
    inputs = Input((8, 8, 2))
    x = Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = SeparableConv2D(4, 3, strides=2, padding="same")(x)
    x = Conv2DTranspose(2, 2, strides=2)(x)
    model = loom.Model(inputs, x)
    assert model.output_shape == (None, 8, 8, 2)
    data = RNG.normal(size=(2, 8, 8, 2)).astype("float32")
    np.testing.assert_allclose(
        np.asarray(model(data)), np.asarray(model.predict(data, verbose=0)), rtol=1e-5, atol=1e-5
    )


def test_convolution_layer_gradients_are_finite_under_stateless_call():
    layers = [
        Conv1D(3, 3, padding="causal"),
        SeparableConv1D(3, 2, depth_multiplier=2),
        Conv1DTranspose(2, 3, strides=2),
    ]
    x = jnp.asarray(RNG.normal(size=(2, 6, 2)).astype("float32"))
    y = x
    for layer in layers:
        y = layer(y)

    def loss(all_weights, x):
        for layer, weights in zip(layers, all_weights):
            x, _ = layer.stateless_call(weights, [], x)
        return jnp.sum(jnp.tanh(x))

    weights = [[v.value for v in layer.trainable_variables] for layer in layers]
    grads = jax.jit(jax.grad(loss), compiler_options=FAST_COMPILE)(weights, x)
    for layer_grads, layer_weights in zip(grads, weights):
        for grad, weight in zip(layer_grads, layer_weights):
            assert grad.shape == weight.shape and bool(jnp.all(jnp.isfinite(grad)))
    assert any(bool(jnp.any(g != 0)) for g in grads[0])


def test_convolution_weights_take_regularizers_and_constraints():
    layer = Conv2D(2, 2, kernel_regularizer=loom.regularizers.L2(0.5), kernel_constraint="non_neg")
    layer(np.ones((1, 3, 3, 1), "float32"))
    kernel = layer.get_weights()[0]
    np.testing.assert_allclose(float(layer.losses[0]), 0.5 * np.sum(kernel**2), rtol=1e-5)
    projected = np.asarray(layer.kernel.constraint(-np.abs(kernel) - 1.0))
    np.testing.assert_array_equal(projected, np.zeros_like(kernel))


def test_convolution_computes_in_the_mixed_precision_dtype():
    layer = Conv2D(2, 3, padding="same", dtype="mixed_float16")
    out = layer(np.ones((1, 4, 4, 1), "float32"))
    assert out.dtype == jnp.float16 and layer.kernel.dtype == "float32"


def test_keras_aliases_name_the_same_classes():
    assert convolutional.Convolution2D is Conv2D
    assert convolutional.Convolution2DTranspose is Conv2DTranspose
    assert convolutional.SeparableConvolution1D is SeparableConv1D


def test_conv3d_transpose_takes_data_format_before_output_padding_as_keras():
    layer = Conv3DTranspose(2, 2, 2, "same", "channels_first", 1)
    assert layer.data_format == "channels_first" and layer.output_padding == (1, 1, 1)


ERRORS = [
    (lambda: Conv2D(0, 3), r"Layer 'conv2d' \(Conv2D\): `filters` must be a positive integer; received filters=0"),
    (lambda: Conv2D(4, 3, groups=0), r"`groups` must be a positive integer; received groups=0"),
    (lambda: Conv2D(5, 3, groups=2), r"`filters` must be divisible by `groups`; received filters=5, groups=2"),
    (
        lambda: Conv2D(4, 3, groups=2)(Input((5, 5, 3))),
        r"the input's channels must be divisible by `groups`; received 3 channels",
    ),
    (
        lambda: Conv2D(4, (3, 3, 3)),
        r"`kernel_size` must be an int or a tuple of 2 ints; received kernel_size=\(3, 3, 3\)",
    ),
    (lambda: Conv2D(4, 3, strides=(1, 0)), r"every entry of `strides` must be positive; received strides=\(1, 0\)"),
    (
        lambda: Conv2D(4, 3, padding="causal"),
        r"`padding` must be one of 'valid', 'same'; received padding='causal' \('causal' is available in Conv1D only\)",
    ),
    (
        lambda: Conv1D(4, 3, padding="full"),
        r"`padding` must be one of 'valid', 'same', 'causal'; received padding='full'",
    ),
    (
        lambda: Conv2D(4, 3, data_format="NCHW"),
        r"`data_format` must be 'channels_last' or 'channels_first'; received data_format='NCHW'",
    ),
    (lambda: Conv2D(4, 3, strides=2, dilation_rate=2), r"strides > 1 cannot be combined with dilation_rate > 1"),
    (
        lambda: Conv2D(4, 5)(Input((3, 3, 1))),
        r"Layer 'conv2d' \(Conv2D\): kernel_size \(5, 5\) is larger than the input's spatial size \(3, 3\) "
        r"with padding='valid'; use padding='same' or a smaller kernel",
    ),
    (
        lambda: DepthwiseConv2D(3, dilation_rate=2)(Input((None, 4, 2))),
        r"kernel_size \(3, 3\) with dilation_rate \(2, 2\) spans \(5, 5\), which is larger than the input's "
        r"spatial size \(None, 4\)",
    ),
    (
        lambda: Conv2D(4, 3)(Input((28, 28))),
        r"expects inputs of rank 4, \(batch, height, width, channels\); received shape \(None, 28, 28\) \(rank 3\)"
        r"\. For one channel, add a channel axis, e\.g\. Reshape\(\(28, 28, 1\)\)",
    ),
    (
        lambda: Conv1D(4, 3, data_format="channels_first")(Input((None, 8))),
        r"needs the channel dimension of its input \(axis 1, data_format='channels_first'\) to be known",
    ),
    (
        lambda: Conv2DTranspose(4, 3, strides=2, output_padding=2),
        r"each entry of `output_padding` must be less than the matching stride; "
        r"received output_padding=\(2, 2\), strides=\(2, 2\)",
    ),
    (
        lambda: DepthwiseConv2D(3, depth_multiplier=0),
        r"`depth_multiplier` must be a positive integer; received depth_multiplier=0",
    ),
    (lambda: SeparableConv2D(4, 3, padding="causal"), r"`padding` must be one of 'valid', 'same'"),
]


@pytest.mark.parametrize("make, message", ERRORS)
def test_convolution_layer_errors_name_layer_expected_received_and_fix(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_shared_convolution_layer_checks_each_new_input():
    layer = Conv2D(2, 3)
    layer(Input((8, 8, 1)))
    with pytest.raises(ValueError, match=r"kernel_size \(3, 3\) is larger than the input's spatial size \(2, 9\)"):
        layer(Input((2, 9, 1)))
    with pytest.raises(ValueError, match=r"expects axis -1 of its input to have size 1"):
        layer(Input((8, 8, 3)))
