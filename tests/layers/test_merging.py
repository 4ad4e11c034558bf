"""Merge layers: numerics against NumPy and Keras 3, shapes, configs, constants and errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import loom  # noqa: E402
from loom.layers import Input  # noqa: E402
from loom.layers.core import Dense  # noqa: E402
from loom.layers.merging import (  # noqa: E402
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)

RNG = np.random.default_rng(0)
X1, X2, X3 = (RNG.normal(size=(4, 3, 5)).astype("float32") for _ in range(3))

ELEMENTWISE = [
    (Add, keras.layers.Add, 3, lambda xs: xs[0] + xs[1] + xs[2]),
    (Subtract, keras.layers.Subtract, 2, lambda xs: xs[0] - xs[1]),
    (Multiply, keras.layers.Multiply, 3, lambda xs: xs[0] * xs[1] * xs[2]),
    (Average, keras.layers.Average, 3, lambda xs: (xs[0] + xs[1] + xs[2]) / 3),
    (Maximum, keras.layers.Maximum, 3, lambda xs: np.maximum(np.maximum(xs[0], xs[1]), xs[2])),
    (Minimum, keras.layers.Minimum, 3, lambda xs: np.minimum(np.minimum(xs[0], xs[1]), xs[2])),
]
FUNCTIONAL = {Add: add, Subtract: subtract, Multiply: multiply, Average: average, Maximum: maximum, Minimum: minimum}


@pytest.mark.parametrize("cls, keras_cls, count, formula", ELEMENTWISE, ids=lambda v: getattr(v, "__name__", ""))
def test_elementwise_merge_matches_numpy_and_keras(cls, keras_cls, count, formula):
    xs = [X1, X2, X3][:count]
    ours = np.asarray(cls()(xs))
    np.testing.assert_allclose(ours, formula(xs), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours, np.asarray(keras_cls()(xs)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cls, keras_cls, count, formula", ELEMENTWISE, ids=lambda v: getattr(v, "__name__", ""))
def test_elementwise_merge_symbolic_shape_matches_eager_and_config_round_trips(cls, keras_cls, count, formula):
    inputs = [Input((3, 5)) for _ in range(count)]
    layer = cls(name="merge")
    symbolic = layer(inputs)
    assert symbolic.shape == (None, 3, 5)
    assert (4,) + symbolic.shape[1:] == np.asarray(layer([X1, X2, X3][:count])).shape
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    functional = FUNCTIONAL[cls](inputs, name="functional_form")
    assert functional.shape == (None, 3, 5) and functional.operation.name == "functional_form"


def test_lower_rank_input_gets_axes_after_the_batch_axis_as_in_keras():
    small = RNG.normal(size=(4, 5)).astype("float32")
    ours = np.asarray(Add()([X1, small]))
    np.testing.assert_allclose(ours, X1 + small[:, None, :], rtol=1e-6)
    np.testing.assert_allclose(ours, np.asarray(keras.layers.Add()([X1, small])), rtol=1e-5)
    assert Add()([Input((3, 5)), Input((5,))]).shape == (None, 3, 5)
    assert Multiply()([Input((3, 5)), Input((1, 5))]).shape == (None, 3, 5)
    assert Add()([Input((3, 5)), Input((3, None))]).shape == (None, 3, None)


def test_int_inputs_keep_their_dtype_symbolically_and_eagerly():
    ints = np.arange(6, dtype="int32").reshape(2, 3)
    assert Add()([Input((3,), dtype="int32"), Input((3,), dtype="int32")]).dtype == "int32"
    assert str(Add()([ints, ints]).dtype) == "int32"
    assert Add()([Input((3,), dtype="int32"), Input((3,))]).dtype == "float32"


def test_numpy_constant_in_the_list_is_a_graph_constant():
    # Seed 004: per-class weights of an ensemble member as a constant.
    weights = np.array([[0.91855, 0.99485, 0.89065]], np.float32)
    inputs = Input((3,))
    probabilities = Dense(3, activation="softmax")(inputs)
    weighted = Multiply()([probabilities, weights])
    assert weighted.shape == (None, 3)
    model = loom.Model(inputs, [probabilities, weighted])
    x = RNG.normal(size=(5, 3)).astype("float32")
    p, w = model.predict(x, verbose=0)
    np.testing.assert_allclose(w, p * weights, rtol=1e-6)


def test_constant_without_batch_axis_broadcasts_like_numpy():
    inputs = Input((2, 3))
    row = np.array([1.0, 2.0, 3.0], np.float32)
    out = multiply([inputs, row])
    assert out.shape == (None, 2, 3)
    x = RNG.normal(size=(4, 2, 3)).astype("float32")
    np.testing.assert_allclose(loom.Model(inputs, out).predict(x, verbose=0), x * row, rtol=1e-6)


def test_concatenate_matches_numpy_and_keras():
    other = RNG.normal(size=(4, 2, 5)).astype("float32")
    ours = np.asarray(Concatenate(axis=1)([X1, other]))
    np.testing.assert_allclose(ours, np.concatenate([X1, other], axis=1))
    np.testing.assert_allclose(ours, np.asarray(keras.layers.Concatenate(axis=1)([X1, other])))
    last = np.asarray(Concatenate()([X1, X2]))
    np.testing.assert_allclose(last, np.asarray(keras.layers.Concatenate()([X1, X2])))


def test_concatenate_shapes_config_and_functional_form():
    a, b = Input((3, 5)), Input((None, 5))
    layer = Concatenate(axis=1)
    out = layer([a, b])
    assert out.shape == (None, None, 5)
    assert Concatenate()([a, Input((3, 2))]).shape == (None, 3, 7)
    assert concatenate([a, a], axis=-1).shape == (None, 3, 10)
    assert np.asarray(layer([X1, X2])).shape == (4, 6, 5)
    config = layer.get_config()
    assert config["axis"] == 1 and Concatenate.from_config(config).get_config() == config


def test_concatenate_broadcasts_a_constant_row_over_the_batch():
    inputs = Input((2,))
    row = np.array([[7.0, 8.0, 9.0]], np.float32)
    model = loom.Model(inputs, Concatenate()([inputs, row]))
    x = RNG.normal(size=(3, 2)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), np.concatenate([x, np.repeat(row, 3, 0)], axis=1))


DOT_CASES = [
    ((4, 6), (4, 6), 1),
    ((4, 6), (4, 6), -1),
    ((4, 3, 5), (4, 5, 2), (2, 1)),
    ((4, 3, 5), (4, 3, 2), 1),
    ((4, 5), (4, 3, 5), (1, 2)),
    ((4, 3, 5), (4, 5), (2, 1)),
    ((4, 2, 3, 5), (4, 5, 6), (3, 1)),
]


def _numpy_batch_dot(x, y, axes):
    ax, ay = (axes, axes) if isinstance(axes, int) else axes
    ax, ay = ax % x.ndim, ay % y.ndim
    out = np.stack([np.tensordot(x[i], y[i], axes=(ax - 1, ay - 1)) for i in range(x.shape[0])])
    return out.reshape(out.shape[0], 1) if out.ndim == 1 else out


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("shape_x, shape_y, axes", DOT_CASES)
def test_dot_matches_numpy_batch_dot_and_keras(shape_x, shape_y, axes, normalize):
    x = RNG.normal(size=shape_x).astype("float32")
    y = RNG.normal(size=shape_y).astype("float32")
    ours = np.asarray(Dot(axes=axes, normalize=normalize)([x, y]))
    if normalize:
        ax, ay = (axes, axes) if isinstance(axes, int) else axes
        x = x / np.linalg.norm(x, axis=ax, keepdims=True)
        y = y / np.linalg.norm(y, axis=ay, keepdims=True)
    np.testing.assert_allclose(ours, _numpy_batch_dot(x, y, axes), rtol=1e-5, atol=1e-5)
    theirs = keras.layers.Dot(axes=axes, normalize=normalize)([x, y])
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-5, atol=1e-5)
    symbolic = Dot(axes=axes, normalize=normalize)([Input(shape_x[1:]), Input(shape_y[1:])])
    assert (4,) + symbolic.shape[1:] == ours.shape and symbolic.shape[0] is None


def test_dot_config_round_trip_and_functional_form():
    layer = Dot(axes=(1, 2), normalize=True, name="cosine")
    config = layer.get_config()
    assert config["axes"] == [1, 2] and config["normalize"] is True
    assert Dot.from_config(config).get_config() == config
    assert dot([Input((8,)), Input((8,))], axes=1).shape == (None, 1)


def test_dot_inside_a_model_scores_two_towers():
    # Seed 000: the dot product of two projections of the inputs.
    g, d = Input((6,)), Input((4,))
    score = Dot(axes=1)([Dense(5, name="w2")(g), Dense(5, name="w1")(d)])
    model = loom.Model([g, d], score)
    xg, xd = RNG.normal(size=(3, 6)).astype("float32"), RNG.normal(size=(3, 4)).astype("float32")
    w2, b2 = model.get_layer("w2").get_weights()
    w1, b1 = model.get_layer("w1").get_weights()
    expected = np.sum((xg @ w2 + b2) * (xd @ w1 + b1), axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict([xg, xd], verbose=0), expected, rtol=1e-5, atol=1e-5)


def test_maximum_and_multiply_skip_masked_positions_as_keras():
    x = np.array([[[1.0], [5.0]], [[3.0], [-1.0]]], np.float32)
    y = np.array([[[4.0], [2.0]], [[0.0], [-2.0]]], np.float32)
    mask_x = np.array([[True, False], [True, True]])
    mask_y = np.array([[False, True], [True, True]])
    out = np.asarray(Maximum()([x, y], mask=[mask_x, mask_y]))
    np.testing.assert_allclose(out[..., 0], [[1.0, 2.0], [3.0, -1.0]])
    product = np.asarray(Multiply()([x, y], mask=[mask_x, mask_y]))
    np.testing.assert_allclose(product[..., 0], [[1.0, 2.0], [0.0, 2.0]])
    merged_mask = np.asarray(Add().compute_mask([x, y], [mask_x, mask_y]))
    np.testing.assert_array_equal(merged_mask, mask_x | mask_y)
    assert Add().compute_mask([x, y], [mask_x, None]) is None


def test_concatenate_mask_treats_unmasked_inputs_as_all_true():
    x = np.ones((2, 3, 4), np.float32)
    mask = np.array([[True, False, False], [False, False, False]])
    out = np.asarray(Concatenate(axis=1).compute_mask([x, x], [mask, None]))
    np.testing.assert_array_equal(out, np.concatenate([mask, np.ones((2, 3), bool)], axis=1))
    assert Concatenate().compute_mask([x, x], None) is None


# --- errors -----------------------------------------------------------------------------


def test_dot_rejects_mismatched_axes():
    a, b = Input((128,)), Input((300,))
    with pytest.raises(ValueError, match=r"Layer 'dot' \(Dot\) needs equal sizes along axes=\(1, 1\); received "
                       r"shapes \(None, 128\) and \(None, 300\)\. Project one input first, e\.g\. Dense\(128\)"):
        Dot(axes=1)([a, b])


def test_dot_rejects_batch_axis_low_rank_and_bad_axes():
    with pytest.raises(ValueError, match=r"cannot sum over axis 0, the batch axis"):
        Dot(axes=0)([Input((3,)), Input((3,))])
    with pytest.raises(ValueError, match=r"needs inputs of rank 2 or more"):
        Dot(axes=1)([np.ones(3), np.ones(3)])
    with pytest.raises(ValueError, match=r"axes=\[1, 5\] is out of range"):
        Dot(axes=(1, 5))([Input((3,)), Input((3,))])
    with pytest.raises(ValueError, match=r"`axes` must be an int or a pair of ints"):
        Dot(axes=(1, 2, 3))
    with pytest.raises(TypeError, match=r"`axes` must be an int or a pair of ints"):
        Dot(axes="last")
    with pytest.raises(ValueError, match=r"Layer 'dot_\d+' \(Dot\) needs exactly 2 inputs; received 3"):
        Dot(axes=1)([Input((3,))] * 3)


def test_merge_rejects_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"Layer 'add' \(Add\) needs inputs of the same shape, or shapes that "
                       r"broadcast along the non-batch axes; received shapes \(None, 3\) and \(None, 4\)"):
        Add()([Input((3,)), Input((4,))])
    with pytest.raises(ValueError, match=r"received shapes \(None, 3\), \(None, 3\) and \(None, 4\).*Dense\(3\)"):
        Average()([Input((3,)), Input((3,)), Input((4,))])


def test_merge_rejects_different_batch_sizes_and_scalars():
    with pytest.raises(ValueError, match=r"needs inputs with the same batch size; received shapes "
                       r"\(2, 3\) and \(5, 3\)"):
        Add()([np.ones((2, 3)), np.ones((5, 3))])
    with pytest.raises(ValueError, match=r"merges tensors with a batch axis"):
        Add()([np.ones(()), np.ones(())])


def test_merge_rejects_fewer_than_two_tensors_and_a_single_tensor():
    x = Input((3,))
    with pytest.raises(ValueError, match=r"Layer 'maximum' \(Maximum\) needs a list of at least 2 tensors to "
                       r"merge; received 1"):
        Maximum()([x])
    with pytest.raises(ValueError, match=r"Layer 'add' \(Add\) merges a list of tensors; received a single "
                       r"tensor of shape \(None, 3\)\. Pass a list, e\.g\. Add\(\)\(\[x1, x2\]\)"):
        Add()(x)


def test_subtract_needs_exactly_two_inputs():
    with pytest.raises(ValueError, match=r"Layer 'subtract' \(Subtract\) needs exactly 2 inputs; received 3"):
        Subtract()([Input((3,))] * 3)


def test_shared_merge_layer_checks_every_call():
    layer = Add()
    layer([Input((3,)), Input((3,))])
    with pytest.raises(ValueError, match=r"sizes 3 and 4 do not broadcast"):
        layer([Input((3,)), Input((4,))])


def test_merge_build_validates_shapes_directly():
    with pytest.raises(ValueError, match=r"received shapes \(None, 3\) and \(None, 4\)"):
        Multiply().build([(None, 3), (None, 4)])
    with pytest.raises(ValueError, match=r"is built from a list of input shapes"):
        Multiply().build((None, 3))


def test_concatenate_errors_name_the_axis_and_shapes():
    with pytest.raises(ValueError, match=r"Layer 'concatenate' \(Concatenate\) needs inputs of equal shapes except "
                       r"along axis=-1; received shapes \(None, 3, 5\) and \(None, 4, 5\), which differ at axis 1"):
        Concatenate()([Input((3, 5)), Input((4, 5))])
    with pytest.raises(ValueError, match=r"needs inputs of the same rank; received shapes "
                       r"\(None, 3, 5\) and \(None, 5\)"):
        Concatenate()([Input((3, 5)), Input((5,))])
    with pytest.raises(ValueError, match=r"axis=3 is out of range for inputs of rank 2"):
        Concatenate(axis=3)([Input((3,)), Input((3,))])
    with pytest.raises(TypeError, match=r"`axis` must be an int; received axis=1.5"):
        Concatenate(axis=1.5)


def test_merge_rejects_a_layer_object_in_the_list():
    dense = Dense(3)
    with pytest.raises(TypeError, match=r"a Dense object \('dense'\) instead of a tensor"):
        Add()([Input((3,)), dense])
    with pytest.raises(TypeError, match=r"merges a flat list of tensors; received a list at position 1"):
        Add()([Input((3,)), [Input((3,)), Input((3,))]])
