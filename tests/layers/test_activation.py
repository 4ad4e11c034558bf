"""Activation layers: numerics against NumPy and Keras 3, shapes, configs, masks and errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import loom  # noqa: E402
from loom.layers import Input  # noqa: E402
from loom.layers.activation import ELU, Activation, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU  # noqa: E402

RNG = np.random.default_rng(1)
X = (RNG.normal(size=(4, 3, 5)) * 3).astype("float32")


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


CASES = [
    (lambda: Activation("tanh"), lambda: keras.layers.Activation("tanh"), np.tanh),
    (lambda: ReLU(), lambda: keras.layers.ReLU(), lambda x: np.maximum(x, 0)),
    (
        lambda: ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5),
        lambda: keras.layers.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5),
        lambda x: np.where(x >= 2.0, 2.0, np.where(x > 0.5, x, 0.1 * (x - 0.5))),
    ),
    (lambda: LeakyReLU(), lambda: keras.layers.LeakyReLU(), lambda x: np.where(x >= 0, x, 0.3 * x)),
    (lambda: LeakyReLU(0.05), lambda: keras.layers.LeakyReLU(0.05), lambda x: np.where(x >= 0, x, 0.05 * x)),
    (lambda: ELU(alpha=0.7), lambda: keras.layers.ELU(alpha=0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x))),
    (lambda: Softmax(), lambda: keras.layers.Softmax(), _softmax),
    (lambda: Softmax(axis=1), lambda: keras.layers.Softmax(axis=1), lambda x: _softmax(x, axis=1)),
    (lambda: Softmax(axis=(1, 2)), lambda: keras.layers.Softmax(axis=(1, 2)), lambda x: _softmax(x, axis=(1, 2))),
]


@pytest.mark.parametrize("make, make_keras, formula", CASES)
def test_activation_layer_matches_numpy_and_keras(make, make_keras, formula):
    ours = np.asarray(make()(X))
    np.testing.assert_allclose(ours, formula(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours, np.asarray(make_keras()(X)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("make, make_keras, formula", CASES)
def test_activation_layer_shapes_and_config_round_trip(make, make_keras, formula):
    layer = make()
    symbolic = layer(Input((3, 5)))
    assert symbolic.shape == (None, 3, 5) and symbolic.dtype == "float32"
    assert np.asarray(layer(X)).shape == (4,) + symbolic.shape[1:]
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config


def test_leaky_relu_default_slope_is_keras_3s_and_accepts_tf_keras_alpha():
    assert LeakyReLU().negative_slope == keras.layers.LeakyReLU().negative_slope == 0.3
    legacy = LeakyReLU(alpha=0.2)
    assert legacy.negative_slope == 0.2
    np.testing.assert_allclose(np.asarray(legacy(np.array([-1.0, 2.0]))), [-0.2, 2.0])


def test_elu_config_keeps_alpha():
    assert ELU.from_config(ELU(alpha=0.5).get_config()).alpha == 0.5


def test_prelu_matches_numpy_and_keras_with_shared_axes():
    layer = PReLU(alpha_initializer="random_normal", shared_axes=[1])
    ours = np.asarray(layer(X))
    (alpha,) = layer.get_weights()
    assert alpha.shape == (1, 5)
    np.testing.assert_allclose(ours, np.where(X >= 0, X, alpha * X), rtol=1e-6)
    theirs = keras.layers.PReLU(shared_axes=[1])
    theirs.build(X.shape)
    theirs.set_weights([alpha])
    np.testing.assert_allclose(ours, np.asarray(theirs(X)), rtol=1e-5, atol=1e-6)


def test_prelu_shapes_config_and_input_spec():
    layer = PReLU(alpha_regularizer="l2", alpha_constraint="non_neg")
    assert layer(Input((3, 5))).shape == (None, 3, 5)
    assert [w.shape for w in layer.get_weights()] == [(3, 5)]
    config = layer.get_config()
    assert config["alpha_initializer"]["class_name"] == "Zeros"
    assert PReLU.from_config(config).get_config() == config
    with pytest.raises(ValueError, match=r"expects axis 2 of its input to have size 5"):
        layer(Input((3, 6)))


def test_prelu_errors():
    with pytest.raises(ValueError, match=r"Layer 'p_re_lu' \(PReLU\): `shared_axes` must be axes >= 1"):
        PReLU(shared_axes=[0])
    with pytest.raises(ValueError, match=r"shared_axes=\[3\] names axis 3, but its inputs have shape \(None, 4\)"):
        PReLU(shared_axes=3)(Input((4,)))
    with pytest.raises(ValueError, match=r"needs every non-batch dim to be known"):
        PReLU()(Input((None, 4)))
    assert PReLU(shared_axes=[1])(Input((None, 4))).shape == (None, None, 4)


def test_thresholded_relu_zeroes_values_at_or_below_theta():
    x = np.array([[-2.0, 0.5, 1.0, 1.5, 3.0]], np.float32)
    out = np.asarray(ThresholdedReLU(theta=1.0)(x))
    np.testing.assert_array_equal(out, np.where(x > 1.0, x, 0.0))
    layer = ThresholdedReLU(theta=0.25)
    assert layer(Input((5,))).shape == (None, 5)
    assert ThresholdedReLU.from_config(layer.get_config()).theta == 0.25


def test_softmax_gives_masked_positions_zero_probability():
    logits = RNG.normal(size=(2, 4)).astype("float32")
    mask = np.array([[True, True, False, True], [False, False, False, False]])
    out = np.asarray(Softmax()(logits, mask=mask))
    expected = np.where(mask[0], np.exp(logits[0]), 0.0)
    np.testing.assert_allclose(out[0], expected / expected.sum(), rtol=1e-6)
    np.testing.assert_array_equal(out[1], 0.0)  # a fully masked row: zeros, not NaN
    np.testing.assert_allclose(out, np.asarray(keras.layers.Softmax()(logits, mask=mask)), atol=1e-6)


def test_softmax_mask_in_a_functional_model():
    logits, mask = Input((4,)), Input((4,), dtype="bool")
    model = loom.Model([logits, mask], Softmax()(logits, mask=mask))
    x = RNG.normal(size=(3, 4)).astype("float32")
    m = np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 1]], bool)
    out = model.predict([x, m], verbose=0)
    e = np.where(m, np.exp(x), 0.0)
    np.testing.assert_allclose(out, e / e.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-7)


def test_softmax_rejects_a_mask_that_does_not_broadcast():
    with pytest.raises(ValueError, match=r"Layer 'softmax' \(Softmax\) needs a mask broadcastable to its input; "
                       r"received mask shape \(2, 3\) for inputs of shape \(2, 4\)"):
        Softmax()(np.ones((2, 4)), mask=np.ones((2, 3), bool))


def test_argument_errors_name_the_layer_and_value():
    with pytest.raises(ValueError, match=r"Layer 're_lu' \(ReLU\): `max_value` must be >= 0.0; received max_value=-1"):
        ReLU(max_value=-1)
    with pytest.raises(ValueError, match=r"`negative_slope` must be >= 0.0; received negative_slope=-0.1"):
        ReLU(negative_slope=-0.1)
    with pytest.raises(ValueError, match=r"`threshold` must be >= 0.0; received threshold=-2"):
        ReLU(threshold=-2)
    with pytest.raises(TypeError, match=r"`threshold` must be a number; received threshold=None"):
        ReLU(threshold=None)
    with pytest.raises(ValueError, match=r"Layer 'leaky_re_lu' \(LeakyReLU\): `negative_slope` must be >= 0.0"):
        LeakyReLU(-0.3)
    with pytest.raises(TypeError, match=r"Layer 'elu' \(ELU\): `alpha` must be a number; received alpha='1'"):
        ELU(alpha="1")
    with pytest.raises(ValueError, match=r"Layer 'thresholded_re_lu' \(ThresholdedReLU\): `theta` must be >= 0.0; "
                       r"received theta=-1.0"):
        ThresholdedReLU(theta=-1.0)
    with pytest.raises(ValueError, match=r"Unknown activation: 'rellu'"):
        Activation("rellu")
