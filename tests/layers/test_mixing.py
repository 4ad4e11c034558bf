"""ConvexCombination and ElementwiseScale: the mixtures of seeds 002 and 001, checked against NumPy."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import loom
from loom.layers import Input
from loom.layers.activation import Activation
from loom.layers.core import Dense, Lambda
from loom.layers.mixing import ConvexCombination, ElementwiseScale

RNG = np.random.default_rng(5)
XS = [RNG.normal(size=(4, 10)).astype("float32") for _ in range(3)]


def _softmax0(logits):
    e = np.exp(logits - logits.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def test_convex_combination_starts_as_the_average():
    layer = ConvexCombination()
    out = np.asarray(layer(XS))
    np.testing.assert_allclose(layer.mixture_weights, [1 / 3] * 3, rtol=1e-6)
    np.testing.assert_allclose(out, sum(XS) / 3, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("per_feature", [False, True])
def test_convex_combination_weights_are_positive_sum_to_one_and_mix_as_numpy(per_feature):
    layer = ConvexCombination(per_feature=per_feature)
    layer(XS)
    logits = RNG.normal(size=layer.get_weights()[0].shape).astype("float32") * 5
    layer.set_weights([logits])
    weights = layer.mixture_weights
    assert weights.shape == ((3, 10) if per_feature else (3,))
    assert np.all(weights > 0)
    np.testing.assert_allclose(weights.sum(axis=0), 1.0, rtol=1e-6)
    np.testing.assert_allclose(weights, _softmax0(logits), rtol=1e-5)
    expected = sum(w * x for w, x in zip(_softmax0(logits), XS))
    np.testing.assert_allclose(np.asarray(layer(XS)), expected, rtol=1e-5, atol=1e-6)


def test_convex_combination_gradient_is_finite_and_training_keeps_a_convex_mixture():
    # Branch 1 is the target, so gradient descent on the logits should favour it.
    layer = ConvexCombination()
    layer(XS)
    (logits,) = [v.value for v in layer.trainable_variables]

    def loss(logits):
        out, _ = layer.stateless_call([logits], [], XS)
        return jnp.mean((out - XS[1]) ** 2)

    gradient = jax.jit(jax.grad(loss))
    grad = gradient(logits)
    assert grad.shape == (3,) and np.all(np.isfinite(np.asarray(grad))) and np.any(np.asarray(grad) != 0)
    start = float(loss(logits))
    for _ in range(50):
        logits = logits - 1.0 * gradient(logits)
    layer.set_weights([np.asarray(logits)])
    weights = layer.mixture_weights
    assert float(loss(logits)) < start
    assert np.argmax(weights) == 1 and np.all(weights > 0)
    np.testing.assert_allclose(weights.sum(), 1.0, rtol=1e-6)


def test_convex_combination_mixes_three_mlps_in_a_model():
    # Seed 002: Out = W1 * Out_MLP1 + W2 * Out_MLP2 + W3 * Out_MLP3 with W1 + W2 + W3 = 1.
    inputs = [Input((6,)) for _ in range(3)]
    branches = [Dense(10, name=f"mlp_{i}")(Dense(8, activation="relu")(x)) for i, x in enumerate(inputs)]
    mix = ConvexCombination(name="mix")
    out = mix(branches)
    assert out.shape == (None, 10)
    model = loom.Model(inputs, [out] + branches)
    mix.set_weights([np.array([0.5, -1.0, 2.0], np.float32)])
    data = [RNG.normal(size=(5, 6)).astype("float32") for _ in range(3)]
    mixed, *parts = model.predict(data, verbose=0)
    w = _softmax0(np.array([0.5, -1.0, 2.0]))
    np.testing.assert_allclose(mixed, sum(wi * p for wi, p in zip(w, parts)), rtol=1e-5, atol=1e-6)


def test_convex_combination_symbolic_shape_matches_eager_and_config_round_trips():
    layer = ConvexCombination(per_feature=True, logits_initializer="random_normal", logits_regularizer="l2")
    symbolic = layer([Input((10,)), Input((10,))])
    assert symbolic.shape == (None, 10)
    assert np.asarray(layer(XS[:2])).shape == (4, 10)
    assert len(layer.losses) == 1  # the logits regularizer
    config = layer.get_config()
    assert config["per_feature"] is True and config["logits_initializer"]["class_name"] == "RandomNormal"
    assert ConvexCombination.from_config(config).get_config() == config


def test_convex_combination_errors():
    with pytest.raises(ValueError, match=r"Layer 'convex_combination' \(ConvexCombination\) needs a list of at "
                       r"least 2 tensors to merge; received 1"):
        ConvexCombination()([Input((3,))])
    with pytest.raises(ValueError, match=r"needs inputs of the same shape.*received shapes "
                       r"\(None, 10\) and \(None, 8\)"):
        ConvexCombination()([Input((10,)), Input((8,))])
    with pytest.raises(ValueError, match=r"with per_feature=True needs the size of the last axis"):
        ConvexCombination(per_feature=True)([Input((None,)), Input((None,))])
    layer = ConvexCombination()
    with pytest.raises(AttributeError, match=r"has no mixture weights yet"):
        layer.mixture_weights
    layer([Input((3,)), Input((3,))])
    with pytest.raises(ValueError, match=r"was built to mix 2 inputs \(it has one weight per input\); received 3"):
        layer([Input((3,))] * 3)
    wide = ConvexCombination(per_feature=True)
    wide([Input((3,)), Input((3,))])
    with pytest.raises(ValueError, match=r"was built for 3 features \(per_feature=True\)"):
        wide([Input((4,)), Input((4,))])
    with pytest.raises(TypeError, match=r"`per_feature` must be True or False; received 'yes'"):
        ConvexCombination(per_feature="yes")


def test_elementwise_scale_multiplies_each_element_by_its_own_weight():
    x = RNG.normal(size=(4, 3, 5)).astype("float32")
    layer = ElementwiseScale(kernel_initializer="random_normal")
    out = np.asarray(layer(x))
    (kernel,) = layer.get_weights()
    assert kernel.shape == (1, 3, 5)
    np.testing.assert_allclose(out, x * kernel, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(ElementwiseScale()(x)), x)  # "ones" starts as the identity


def test_elementwise_scale_in_the_seed_001_model():
    # Seed 001: softmax over rows of sum_n a_pk * f(x, x_pk), with f evaluated against fixed rows x_pk.
    m, n = 3, 4
    x_pk = RNG.normal(size=(m, n)).astype("float32")
    c = np.linspace(1.0, 2.0, n).astype("float32")
    x = Input((n,))
    terms = Lambda(lambda t: jnp.exp((t[:, None, :] - x_pk[None]) / c))(x)
    scale = ElementwiseScale(kernel_initializer="random_uniform")
    scores = Lambda(lambda t: loom.ops.sum(t, axis=-1))(scale(terms))
    model = loom.Model(x, Activation("softmax")(scores))
    assert terms.shape == (None, m, n) and model.output.shape == (None, m)
    data = RNG.normal(size=(6, n)).astype("float32")
    (a,) = scale.get_weights()
    logits = (np.exp((data[:, None, :] - x_pk[None]) / c) * a).sum(-1)
    expected = np.exp(logits - logits.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(model.predict(data, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_elementwise_scale_shapes_config_regularizer_and_constraint():
    layer = ElementwiseScale(kernel_regularizer=loom.regularizers.L1(0.5), kernel_constraint="non_neg")
    assert layer(Input((2, 3))).shape == (None, 2, 3)
    np.testing.assert_allclose(float(layer.losses[0]), 0.5 * 6, rtol=1e-6)
    assert layer.kernel.constraint is not None
    config = layer.get_config()
    assert config["kernel_initializer"]["class_name"] == "Ones"
    assert ElementwiseScale.from_config(config).get_config() == config


def test_elementwise_scale_errors():
    with pytest.raises(ValueError, match=r"Layer 'elementwise_scale' \(ElementwiseScale\) creates one weight per "
                       r"element of a sample, so every non-batch dim must be known; received input shape "
                       r"\(None, None, 3\)"):
        ElementwiseScale()(Input((None, 3)))
    layer = ElementwiseScale()
    layer(Input((2, 3)))
    with pytest.raises(ValueError, match=r"expects axis 1 of its input to have size 2"):
        layer(Input((4, 3)))
    with pytest.raises(ValueError, match=r"needs inputs with a batch axis; received a scalar"):
        ElementwiseScale()(np.ones(()))
    np.testing.assert_allclose(np.asarray(ElementwiseScale()(np.ones(3))), 1.0)
