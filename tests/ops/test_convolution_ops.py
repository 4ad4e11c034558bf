"""Convolution and pooling ops: values against Keras 3 and NumPy, symbolic shapes, gradients, errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")  # Keras's default backend, TensorFlow, is not installed

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import loom  # noqa: E402
from loom.graph import SymbolicTensor  # noqa: E402
from loom.layers import Input  # noqa: E402
from loom.ops import convolution  # noqa: E402

RNG = np.random.default_rng(7)
# XLA's backend optimizations make most of a small test's compile time; these tests check values.
FAST_COMPILE = {"xla_backend_optimization_level": 0}


def _normal(*shape):
    return RNG.normal(size=shape).astype("float32")


# (op name, args, kwargs): each row is compared with keras.ops.<name> on the same arrays.
CASES = [
    ("conv", (_normal(2, 9, 3), _normal(3, 3, 4)), {"strides": 2, "padding": "same"}),
    ("conv", (_normal(2, 9, 4), _normal(2, 2, 6)), {"dilation_rate": 2}),  # groups = 4 // 2
    ("conv", (_normal(2, 7, 6, 3), _normal(3, 2, 3, 5)), {"strides": (2, 1), "padding": "SAME"}),
    ("conv", (_normal(2, 3, 7, 6), _normal(3, 3, 1, 6)), {"data_format": "channels_first", "dilation_rate": (1, 2)}),
    ("conv", (_normal(1, 4, 5, 3, 2), _normal(2, 2, 2, 2, 3)), {"strides": 2, "padding": "same"}),
    ("depthwise_conv", (_normal(2, 7, 6, 3), _normal(3, 3, 3, 2)), {"padding": "same"}),
    ("separable_conv", (_normal(2, 9, 3), _normal(3, 3, 1), _normal(1, 3, 5)), {"dilation_rate": 2, "padding": "same"}),
    ("conv_transpose", (_normal(2, 5, 3), _normal(3, 4, 3)), {"strides": 2, "padding": "same", "output_padding": 1}),
    ("conv_transpose", (_normal(2, 4, 5, 3), _normal(3, 2, 2, 3)), {"strides": (2, 3), "output_padding": (1, 0)}),
    (
        "conv_transpose",
        (_normal(2, 3, 4, 5), _normal(2, 2, 2, 3)),
        {"strides": 2, "padding": "same", "data_format": "channels_first"},
    ),
    ("conv_transpose", (_normal(2, 4, 4, 3), _normal(3, 3, 2, 3)), {"dilation_rate": 2, "padding": "same"}),
    ("conv_transpose", (_normal(1, 3, 2, 3, 2), _normal(2, 2, 2, 2, 2)), {"strides": 2}),
    ("max_pool", (_normal(2, 9, 3), 2), {}),
    ("max_pool", (_normal(2, 3, 7, 6), 3), {"strides": 2, "padding": "same", "data_format": "channels_first"}),
    ("average_pool", (_normal(2, 7, 6, 3), 3), {"strides": 2, "padding": "same"}),
    ("average_pool", (_normal(2, 3, 7, 6), (2, 3), (1, 2)), {"padding": "same", "data_format": "channels_first"}),
    ("average_pool", (_normal(1, 4, 5, 3, 2), 2), {"padding": "same"}),
]


def _split(args):
    """The array arguments (leading) and the rest (pool sizes, strides)."""
    arrays = tuple(a for a in args if isinstance(a, np.ndarray))
    return arrays, args[len(arrays) :]


def _run(fn, *args):
    """``fn`` compiled once, quickly: far cheaper than compiling each eager op of a new shape."""
    return jax.tree_util.tree_map(np.asarray, jax.jit(fn, compiler_options=FAST_COMPILE)(*args))


@pytest.mark.parametrize("name, args, kwargs", CASES)
def test_convolution_op_matches_keras(name, args, kwargs):
    arrays, rest = _split(args)
    keras_kwargs = dict(kwargs)
    if name.endswith("_pool") and "strides" not in kwargs and len(rest) == 1:
        # Keras 3.15's JAX backend fails on strides=None (it expands pool_size twice);
        # None means strides=pool_size, which loom implements.
        keras_kwargs["strides"] = rest[0]
    ours, theirs = _run(
        lambda *a: (
            getattr(convolution, name)(*a, *rest, **kwargs),
            getattr(keras.ops, name)(*a, *rest, **keras_kwargs),
        ),
        *arrays,
    )
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def _eager_shape(name, args, kwargs):
    arrays, rest = _split(args)
    return jax.eval_shape(lambda *a: getattr(convolution, name)(*a, *rest, **kwargs), *arrays).shape


@pytest.mark.parametrize("name, args, kwargs", CASES)
def test_convolution_op_on_symbolic_tensors_records_a_node_with_eager_shape(name, args, kwargs):
    x = args[0]
    symbolic = getattr(convolution, name)(Input(x.shape[1:]), *args[1:], **kwargs)
    assert isinstance(symbolic, SymbolicTensor)
    assert symbolic.shape == (None,) + _eager_shape(name, args, kwargs)[1:]
    assert symbolic.dtype == "float32"
    assert symbolic.operation.function_name == name


def test_convolution_ops_inside_a_model_replay_on_arrays():
    x, kernel = _normal(2, 7, 6, 3), _normal(3, 3, 3, 4)
    inputs = Input((None, None, 3))
    outputs = convolution.max_pool(convolution.conv(inputs, kernel, padding="same"), 2)
    model = loom.Model(inputs, outputs)
    expected = convolution.max_pool(convolution.conv(x, kernel, padding="same"), 2)
    np.testing.assert_allclose(np.asarray(model(x)), np.asarray(expected), rtol=1e-6)


@pytest.mark.parametrize("name, args, kwargs", [c for c in CASES if c[1][0].ndim == 4])
def test_convolution_op_leaves_unknown_spatial_dims_unknown(name, args, kwargs):
    x = args[0]
    channels_first = kwargs.get("data_format") == "channels_first"
    shape = (x.shape[1], None, None) if channels_first else (None, None, x.shape[3])
    out = getattr(convolution, name)(Input(shape), *args[1:], **kwargs)
    eager = _eager_shape(name, args, kwargs)
    expected = (None, eager[1], None, None) if channels_first else (None, None, None, eager[3])
    assert out.shape == expected


def test_conv_matches_a_numpy_cross_correlation_with_groups():
    x, kernel = _normal(2, 6, 4), _normal(3, 2, 6)  # 2 groups of 2 channels, 3 filters each
    out = np.asarray(convolution.conv(x, kernel, strides=2))
    expected = np.zeros((2, 2, 6), "float32")
    for t in range(2):
        window = x[:, 2 * t : 2 * t + 3]  # (B, 3, 4)
        for g in range(2):
            expected[:, t, 3 * g : 3 * g + 3] = np.einsum(
                "bkc,kcf->bf", window[:, :, 2 * g : 2 * g + 2], kernel[:, :, 3 * g : 3 * g + 3]
            )
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_average_pool_same_excludes_padding_from_the_mean():
    x = np.arange(1, 6, dtype="float32").reshape(1, 5, 1)
    out = np.asarray(convolution.average_pool(x, 2, strides=2, padding="same"))[0, :, 0]
    # Windows [1, 2], [3, 4], [5, <pad>]: the last mean is over the one real value.
    np.testing.assert_allclose(out, [1.5, 3.5, 5.0])
    out = np.asarray(convolution.average_pool(x, 3, strides=1, padding="same"))[0, :, 0]
    np.testing.assert_allclose(out, [1.5, 2.0, 3.0, 4.0, 4.5])


def test_max_pool_same_ignores_padding_and_keeps_integer_dtype():
    x = -np.arange(1, 6, dtype="int32").reshape(1, 5, 1)
    out = convolution.max_pool(x, 2, padding="same")
    assert out.dtype == jnp.int32
    np.testing.assert_array_equal(np.asarray(out)[0, :, 0], [-1, -3, -5])


def test_conv_transpose_is_the_gradient_of_conv():
    x, kernel = _normal(1, 7, 6, 2), _normal(3, 3, 2, 4)
    y, vjp = jax.vjp(lambda x: convolution.conv(x, kernel, strides=2, padding="same"), x)
    cotangent = _normal(*y.shape)
    (grad,) = vjp(cotangent)
    # conv's kernel (k, k, in, out) is conv_transpose's layout (k, k, filters=in, channels=out).
    transposed = convolution.conv_transpose(cotangent, kernel, strides=2, padding="same", output_padding=(0, 1))
    np.testing.assert_allclose(np.asarray(transposed), np.asarray(grad), rtol=1e-5, atol=1e-5)


def test_convolution_ops_under_jit_match_eager():
    x, kernel = _normal(2, 7, 6, 3), _normal(3, 3, 3, 4)
    jitted = jax.jit(lambda x, k: convolution.conv(x, k, strides=2, padding="same"))
    np.testing.assert_allclose(
        np.asarray(jitted(x, kernel)), np.asarray(convolution.conv(x, kernel, strides=2, padding="same")), rtol=1e-6
    )


ERRORS = [
    (
        lambda: convolution.conv(_normal(2, 5, 3), _normal(3, 3, 4), data_format="NHWC"),
        r"ops.conv: `data_format` must be 'channels_last' or 'channels_first'; received data_format='NHWC'",
    ),
    (
        lambda: convolution.conv(_normal(2, 5, 3), _normal(3, 3, 4), padding="causal"),
        r"ops.conv: `padding` must be 'valid' or 'same'; received padding='causal'",
    ),
    (
        lambda: convolution.conv(_normal(5, 3), _normal(3, 3, 4)),
        r"ops.conv: `inputs` must have rank >= 3 .* received shape \(5, 3\)",
    ),
    (
        lambda: convolution.conv(_normal(2, 5, 3), _normal(3, 3, 3, 4)),
        r"ops.conv: `kernel` must have rank 3 .* received kernel.shape=\(3, 3, 3, 4\)",
    ),
    (
        lambda: convolution.conv(_normal(2, 5, 3), _normal(3, 2, 4)),
        r"ops.conv: the input's 3 channels must be a multiple of the kernel's input channels \(kernel.shape\[-2\]=2\)",
    ),
    (
        lambda: convolution.conv(_normal(2, 5, 5, 3), _normal(3, 3, 3, 4), strides=(1, 2, 1)),
        r"ops.conv: `strides` must be an int or 2 ints \(one per spatial axis\); received strides=\(1, 2, 1\)",
    ),
    (
        lambda: convolution.conv(_normal(2, 5, 3), _normal(3, 3, 4), dilation_rate=0),
        r"ops.conv: every entry of `dilation_rate` must be >= 1; received dilation_rate=0",
    ),
    (
        lambda: convolution.depthwise_conv(_normal(2, 5, 3), _normal(3, 2, 2)),
        r"ops.depthwise_conv: kernel.shape\[-2\] must equal the input's 3 channels",
    ),
    (
        lambda: convolution.conv_transpose(_normal(2, 5, 3), _normal(3, 4, 2)),
        r"ops.conv_transpose: kernel.shape\[-1\] must equal the input's 3 channels",
    ),
    (
        lambda: convolution.conv_transpose(_normal(2, 5, 3), _normal(3, 4, 3), strides=2, output_padding=2),
        r"ops.conv_transpose: each entry of `output_padding` must be less than its stride; "
        r"received output_padding=\(2,\), strides=\(2,\)",
    ),
    (
        lambda: convolution.max_pool(_normal(2, 5, 3), 2, padding="full"),
        r"ops.max_pool: `padding` must be 'valid' or 'same'; received padding='full'",
    ),
    (
        lambda: convolution.average_pool(_normal(2, 5, 5, 3), (2, 2, 2)),
        r"ops.average_pool: `pool_size` must be an int or 2 ints",
    ),
]


@pytest.mark.parametrize("make, message", ERRORS)
def test_convolution_op_errors_name_the_op_and_the_fix(make, message):
    with pytest.raises(ValueError, match=message):
        make()
