"""Reshaping layers: numerics against NumPy and Keras 3, shapes, dtypes, configs and errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import loom  # noqa: E402
from loom.layers import Input  # noqa: E402
from loom.layers.reshaping import Flatten, Permute, RepeatVector, Reshape  # noqa: E402

RNG = np.random.default_rng(2)
X = RNG.normal(size=(4, 2, 3, 5)).astype("float32")

CASES = [
    (lambda: Flatten(), lambda: keras.layers.Flatten(), X, lambda x: x.reshape(4, -1)),
    (
        lambda: Flatten(data_format="channels_first"),
        lambda: keras.layers.Flatten(data_format="channels_first"),
        X,
        lambda x: np.transpose(x, (0, 2, 3, 1)).reshape(4, -1),
    ),
    (lambda: Reshape((5, 6)), lambda: keras.layers.Reshape((5, 6)), X, lambda x: x.reshape(4, 5, 6)),
    (lambda: Reshape((-1, 2)), lambda: keras.layers.Reshape((-1, 2)), X, lambda x: x.reshape(4, 15, 2)),
    (lambda: Permute((3, 1, 2)), lambda: keras.layers.Permute((3, 1, 2)), X, lambda x: np.transpose(x, (0, 3, 1, 2))),
    (lambda: RepeatVector(3), lambda: keras.layers.RepeatVector(3), X[:, 0, 0], lambda x: np.stack([x] * 3, axis=1)),
]


@pytest.mark.parametrize("make, make_keras, x, formula", CASES)
def test_reshaping_layer_matches_numpy_and_keras(make, make_keras, x, formula):
    ours = np.asarray(make()(x))
    np.testing.assert_array_equal(ours, formula(x))
    np.testing.assert_array_equal(ours, np.asarray(make_keras()(x)))


@pytest.mark.parametrize("make, make_keras, x, formula", CASES)
def test_reshaping_layer_symbolic_shape_matches_eager_and_config_round_trips(make, make_keras, x, formula):
    layer = make()
    symbolic = layer(Input(x.shape[1:]))
    assert symbolic.shape[0] is None
    assert (4,) + symbolic.shape[1:] == np.asarray(layer(x)).shape
    assert symbolic.shape == make_keras().compute_output_shape((None,) + x.shape[1:])
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config


def test_flatten_handles_any_rank_and_keeps_integer_dtype():
    assert np.asarray(Flatten()(np.arange(3.0))).shape == (3, 1)
    ints = Input((2, 3), dtype="int32")
    out = Flatten()(ints)
    assert out.shape == (None, 6) and out.dtype == "int32"
    assert Flatten()(Input((None, 4))).shape == (None, None)


def test_reshape_with_unknown_dims_and_inside_a_model():
    assert Reshape((-1, 2))(Input((None, 4))).shape == (None, None, 2)
    inputs = Input((12,))
    model = loom.Model(inputs, Reshape((3, 4))(inputs))
    x = RNG.normal(size=(5, 12)).astype("float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), x.reshape(5, 3, 4))


def test_reshape_rejects_sizes_that_do_not_match():
    with pytest.raises(ValueError, match=r"Layer 'reshape' \(Reshape\) cannot reshape inputs of shape \(None, 12\) "
                       r"\(12 values per sample\) to target_shape=\(5, 2\) \(10 values\)\. Pick sizes whose "
                       r"product is 12, or use -1"):
        Reshape((5, 2))(Input((12,)))
    with pytest.raises(ValueError, match=r"to target_shape=\(5, -1\): 12 is not a multiple of 5"):
        Reshape((5, -1))(Input((12,)))


def test_shared_reshape_checks_later_calls():
    layer = Reshape((3, 4))
    layer(Input((12,)))
    with pytest.raises(ValueError, match=r"cannot reshape inputs of shape \(2, 10\)"):
        layer(np.ones((2, 10)))


def test_reshape_rejects_bad_target_shapes():
    with pytest.raises(ValueError, match=r"`target_shape` takes sizes >= 0 and at most one -1.*\(-1, -1\)"):
        Reshape((-1, -1))
    with pytest.raises(ValueError, match=r"received target_shape=\(3, -2\)"):
        Reshape((3, -2))
    with pytest.raises(TypeError, match=r"`target_shape` must be a tuple of ints.*target_shape='3x4'"):
        Reshape("3x4")


def test_permute_rejects_bad_dims_and_wrong_rank():
    with pytest.raises(ValueError, match=r"Layer 'permute' \(Permute\): `dims` must be a permutation of 1..2 "
                       r"\(axes are 1-indexed"):
        Permute((0, 1))
    with pytest.raises(TypeError, match=r"`dims` must be a tuple of ints; received dims=2"):
        Permute(2)
    with pytest.raises(ValueError, match=r"expects inputs of rank 3; received shape \(None, 4\)"):
        Permute((2, 1))(Input((4,)))


def test_repeat_vector_rejects_bad_n_and_wrong_rank():
    with pytest.raises(ValueError, match=r"Layer 'repeat_vector' \(RepeatVector\): `n` must be a positive int; "
                       r"received n=0"):
        RepeatVector(0)
    with pytest.raises(TypeError, match=r"`n` must be an int; received n=2.0"):
        RepeatVector(2.0)
    with pytest.raises(ValueError, match=r"expects inputs of rank 2; received shape \(None, 2, 3\)"):
        RepeatVector(2)(Input((2, 3)))


def test_flatten_rejects_unknown_data_format():
    with pytest.raises(ValueError, match=r"Layer 'flatten' \(Flatten\): `data_format` must be 'channels_last' or "
                       r"'channels_first'; received data_format='nhwc'"):
        Flatten(data_format="nhwc")
