"""to_categorical and normalize: numpy maths written here, Keras 3 parity, every error."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import loom
from loom.utils import normalize, to_categorical

keras = pytest.importorskip("keras")


def one_hot_reference(labels, num_classes):
    labels = np.asarray(labels)
    return (labels[..., None] == np.arange(num_classes)).astype("float64")


# --- to_categorical -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "labels, num_classes, shape",
    [
        ([0, 1, 2, 3], 4, (4, 4)),
        ([2, 0], 5, (2, 5)),
        ([[1], [0], [2]], None, (3, 3)),  # a trailing axis of size 1 is dropped
        ([[0, 1], [2, 0]], None, (2, 2, 3)),
        (3, 5, (5,)),
        ([1.0, 2.0], None, (2, 3)),  # whole-number floats are labels
        ([True, False], None, (2, 2)),
        (np.array([1, 2], dtype="uint8"), None, (2, 3)),
        ([], 3, (0, 3)),
        ([0, 1], np.int64(3), (2, 3)),
    ],
)
def test_to_categorical_matches_numpy_and_keras(labels, num_classes, shape):
    result = to_categorical(labels, num_classes)
    flat = np.asarray(labels).reshape(shape[:-1]).astype("int64")
    expected = one_hot_reference(flat, shape[-1])
    assert isinstance(result, np.ndarray) and result.dtype == np.float64 and result.shape == shape
    np.testing.assert_array_equal(result, expected)
    np.testing.assert_array_equal(result, keras.utils.to_categorical(labels, num_classes))


def test_to_categorical_defaults_match_keras_signature():
    assert to_categorical([1, 0]).tolist() == [[0.0, 1.0], [1.0, 0.0]]
    np.testing.assert_array_equal(to_categorical(x=[1], num_classes=3), [[0.0, 1.0, 0.0]])


@pytest.mark.parametrize("labels", [jnp.array([0, 2, 1]), jnp.array([[0], [2], [1]]), jnp.array([0.0, 2.0, 1.0])])
def test_to_categorical_of_a_jax_array_is_a_jax_array_like_keras(labels):
    result = to_categorical(labels, 3)
    assert isinstance(result, jax.Array) and result.dtype == jnp.float32 and result.shape == (3, 3)
    np.testing.assert_array_equal(np.asarray(result), one_hot_reference([0, 2, 1], 3))
    with warnings.catch_warnings():  # jax deprecates the float labels Keras passes on
        warnings.simplefilter("ignore", DeprecationWarning)
        expected = keras.utils.to_categorical(labels, 3)
    np.testing.assert_array_equal(np.asarray(result), np.asarray(expected))


def test_to_categorical_infers_num_classes_of_a_concrete_jax_array():
    # Keras needs num_classes here (jax.nn.one_hot(x, None) fails); the labels are concrete.
    np.testing.assert_array_equal(np.asarray(to_categorical(jnp.array([1, 3]))), one_hot_reference([1, 3], 4))


def test_to_categorical_works_under_jit_with_num_classes():
    result = jax.jit(lambda y: to_categorical(y, 4))(jnp.array([3, 0]))
    np.testing.assert_array_equal(np.asarray(result), one_hot_reference([3, 0], 4))
    floats = jax.jit(lambda y: to_categorical(y, 4))(jnp.array([[3.0], [0.0]]))
    np.testing.assert_array_equal(np.asarray(floats), one_hot_reference([3, 0], 4))
    with pytest.raises(ValueError, match="cannot infer `num_classes` from traced labels"):
        jax.jit(lambda y: to_categorical(y))(jnp.array([3, 0]))


@pytest.mark.parametrize("labels", [[0, 3], np.array([4, 0]), jnp.array([0, 5])])
def test_to_categorical_refuses_a_label_not_below_num_classes(labels):
    with pytest.raises(ValueError, match=r"in \[0, num_classes\) = \[0, 3\); received label [345]"):
        to_categorical(labels, 3)


def test_keras_gives_garbage_or_index_errors_where_loom_refuses():
    # The reasons for loom's checks, pinned: Keras wraps -1 to the last class, truncates
    # 1.7 to 1, zeroes out-of-range rows of JAX labels, and raises a bare IndexError.
    assert keras.utils.to_categorical([-1], 3).tolist() == [[0.0, 0.0, 1.0]]
    assert keras.utils.to_categorical([1.7], 3).tolist() == [[0.0, 1.0, 0.0]]
    assert np.asarray(keras.utils.to_categorical(jnp.array([5]), 3)).tolist() == [[0.0, 0.0, 0.0]]
    with pytest.raises(IndexError):
        keras.utils.to_categorical([5], 3)
    with pytest.raises(ValueError, match="received label -1"):
        to_categorical([-1], 3)
    with pytest.raises(ValueError, match="received label -1"):
        to_categorical(jnp.array([0, -1]), 3)


@pytest.mark.parametrize("labels", [[0.5, 1.0], [np.nan], [np.inf], jnp.array([1.7])])
def test_to_categorical_refuses_fractional_labels(labels):
    with pytest.raises(ValueError, match="not a whole number"):
        to_categorical(labels, 3)


def test_to_categorical_refuses_non_numeric_labels():
    with pytest.raises(TypeError, match="expects integer class labels; received an array of dtype <U1"):
        to_categorical(["a", "b"], 3)


@pytest.mark.parametrize("num_classes, error", [(0, ValueError), (-2, ValueError), (2.0, TypeError), (True, TypeError)])
def test_to_categorical_refuses_a_bad_num_classes(num_classes, error):
    with pytest.raises(error, match=rf"`num_classes` must be a positive int or None.*num_classes={num_classes}"):
        to_categorical([0, 1], num_classes)


def test_to_categorical_cannot_infer_classes_from_no_labels():
    with pytest.raises(ValueError, match="cannot infer `num_classes` from no labels"):
        to_categorical([])


def test_to_categorical_of_a_symbolic_tensor_points_to_ops():
    with pytest.raises(TypeError, match="Use loom.ops"):
        to_categorical(loom.Input((3,), dtype="int32"), 3)


# --- normalize ----------------------------------------------------------------------------
def normalize_reference(x, axis, order):
    norm = np.sum(np.abs(x) ** order, axis=axis, keepdims=True) ** (1.0 / order)
    return x / np.where(norm == 0, 1.0, norm)


@pytest.mark.parametrize("axis, order", [(-1, 2), (1, 2), (-1, 1), (1, 3)])
def test_normalize_numpy_matches_numpy_maths_and_keras(axis, order):
    x = np.random.default_rng(0).normal(size=(4, 3))
    x[2] = 0.0  # a zero vector stays zero
    result = normalize(x, axis=axis, order=order)
    assert isinstance(result, np.ndarray) and result.dtype == np.float64
    np.testing.assert_allclose(result, normalize_reference(x, axis, order), rtol=1e-12)
    np.testing.assert_allclose(result, keras.utils.normalize(x, axis=axis, order=order), rtol=1e-12)


def test_normalize_numpy_along_axis_0():
    # Keras 3.15 divides by norms along the wrong axis here (`axis or -1`, fixed upstream),
    # so this case is checked against numpy only.
    x = np.random.default_rng(1).normal(size=(3, 3))
    np.testing.assert_allclose(normalize(x, axis=0), normalize_reference(x, 0, 2), rtol=1e-12)
    assert not np.allclose(keras.utils.normalize(x, axis=0), normalize_reference(x, 0, 2))


def test_normalize_numpy_integer_input_and_axis_none_follow_keras():
    ints = np.array([[3, 4], [0, 5]])
    np.testing.assert_allclose(normalize(ints), [[0.6, 0.8], [0.0, 1.0]])
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    # axis=None is np.linalg.norm's matrix norm (the largest singular value for order 2).
    np.testing.assert_allclose(normalize(x, axis=None), x / np.linalg.svd(x, compute_uv=False)[0])
    np.testing.assert_allclose(normalize(x, axis=None), keras.utils.normalize(x, axis=None))


@pytest.mark.parametrize("axis, order", [(-1, 2), (0, 2), (-1, 1)])
def test_normalize_jax_array_matches_numpy_maths_and_keras(axis, order):
    x = jnp.asarray(np.random.default_rng(2).normal(size=(4, 3)), dtype="float32")
    result = normalize(x, axis=axis, order=order)
    assert isinstance(result, jax.Array) and result.dtype == jnp.float32
    expected = normalize_reference(np.asarray(x, "float64"), axis, order)
    np.testing.assert_allclose(np.asarray(result), expected, rtol=1e-5)
    keras_result = keras.utils.normalize(x, axis=axis, order=order)
    np.testing.assert_allclose(np.asarray(result), np.asarray(keras_result), rtol=1e-6)


def test_normalize_of_lists_gives_a_jax_array_like_keras():
    result = normalize([[3.0, 4.0], [0.0, 0.0]])
    assert isinstance(result, jax.Array)
    np.testing.assert_allclose(np.asarray(result), [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)
    keras_result = keras.utils.normalize([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(np.asarray(result), np.asarray(keras_result), rtol=1e-6)


def test_normalize_of_integer_lists_works_in_floatx():
    # Keras fails here (rsqrt of int32); loom normalizes in floatx.
    result = normalize([[3, 4]])
    assert result.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(result), [[0.6, 0.8]], rtol=1e-6)


def test_normalize_of_a_symbolic_tensor_records_a_node():
    inputs = loom.Input((3,))
    model = loom.Model(inputs, normalize(inputs))
    x = np.array([[1.0, 2.0, 2.0]], dtype="float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), [[1 / 3, 2 / 3, 2 / 3]], rtol=1e-6)


def test_normalize_refuses_a_bad_axis_or_order():
    with pytest.raises(ValueError, match=r"order=2 along axis=3 of an array of shape \(2, 2\)"):
        normalize(np.ones((2, 2)), axis=3)
    with pytest.raises(ValueError, match="order='x'"):
        normalize(np.ones((2, 2)), order="x")
    with pytest.raises(ValueError, match="`order` must be an int >= 1"):
        normalize(jnp.ones((2, 2)), order=0)
