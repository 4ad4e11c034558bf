"""JaxLayer and FlaxLayer: JAX model functions as layers, against Keras 3 and NumPy; state, rng, fit, saving."""

import sys
import types

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import loom
from loom import layers as L

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

X = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
PARAMS = {"w": np.random.default_rng(1).normal(size=(3, 2)).astype("float32"), "b": np.full(2, 0.5, "float32")}


def affine(params, inputs):
    return inputs @ params["w"] + params["b"]


def affine_init(rng, inputs):
    return {"w": jax.random.normal(rng, (inputs.shape[-1], 2)), "b": jnp.zeros(2)}


def counting(params, state, inputs, training):
    """An affine map that counts its training calls in its state."""
    new_state = {"calls": state["calls"] + (1 if training else 0)}
    return inputs @ params["w"] + params["b"], new_state


def noisy(params, rng, inputs, training):
    if training:
        return inputs @ params["w"] + jax.random.normal(rng, (inputs.shape[0], 2))
    return inputs @ params["w"]


def test_jax_layer_with_params_matches_keras_and_numpy():
    ours = L.JaxLayer(affine, params=PARAMS)
    theirs = keras.layers.JaxLayer(affine, params=PARAMS)
    expected = X @ PARAMS["w"] + PARAMS["b"]
    np.testing.assert_allclose(np.asarray(ours(X)), expected, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(ours(X)), np.asarray(theirs(X)), rtol=1e-6)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]  # tree order: b, w
    assert ours.built and all(w.trainable for w in ours.weights)


def test_jax_layer_init_fn_creates_weights_from_the_first_input_shape():
    layer = L.JaxLayer(affine, init_fn=affine_init)
    out = layer(loom.Input((3,)))
    assert out.shape == (None, 2)
    assert sorted(w.shape for w in layer.trainable_weights) == [(2,), (3, 2)]
    w = np.asarray(layer.params["w"].value)
    np.testing.assert_allclose(np.asarray(layer(X)), X @ w, rtol=1e-6)
    # non-array leaves stay configuration; integer leaves keep their dtype
    mixed = L.JaxLayer(lambda params, inputs: inputs * params["scale"], params={"scale": 2.0, "n": np.int32(3)})
    assert [w.dtype for w in mixed.weights] == ["int32", "float32"]


def test_jax_layer_state_is_non_trainable_and_updated_in_training_calls_and_fit():
    layer = L.JaxLayer(counting, params=PARAMS, state={"calls": np.zeros((), "int32")})
    assert [w.trainable for w in layer.weights] == [True, True, False]
    layer(X)
    layer(X, training=True)
    assert int(layer.state["calls"].value) == 1
    inputs = loom.Input((3,))
    model = loom.Model(inputs, layer(inputs))
    model.compile(loom.optimizers.SGD(0.1), "mse")
    history = model.fit(np.tile(X, (4, 1)), np.zeros((16, 2), "float32"), batch_size=4, epochs=3, verbose=0)
    assert int(layer.state["calls"].value) == 1 + 12  # one per training step
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_jax_layer_rng_only_in_training_repeatable_with_a_seed():
    layer = L.JaxLayer(noisy, params={"w": PARAMS["w"]}, seed=7)
    np.testing.assert_allclose(np.asarray(layer(X)), X @ PARAMS["w"], rtol=1e-6)
    first = np.asarray(layer(X, training=True))
    second = np.asarray(layer(X, training=True))
    assert not np.allclose(first, second)
    again = L.JaxLayer(noisy, params={"w": PARAMS["w"]}, seed=7)
    np.testing.assert_array_equal(np.asarray(again(X, training=True)), first)
    # inside a compiled fit the key comes from the step's rng: fresh noise per step, finite losses
    inputs = loom.Input((3,))
    model = loom.Model(inputs, layer(inputs))
    model.compile(loom.optimizers.SGD(0.01), "mse")
    losses = model.fit(X, np.zeros((4, 2), "float32"), batch_size=4, epochs=3, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses)) and len(set(losses)) == 3


def test_jax_layer_trains_in_fit_and_survives_save_load(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x @ rng.normal(size=(3, 2))).astype("float32")
    inputs = loom.Input((3,))
    model = loom.Model(inputs, L.JaxLayer(affine, init_fn=affine_init)(inputs))
    model.compile(loom.optimizers.Adam(0.1), "mse")
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.05 * history.history["loss"][0]
    model.save(tmp_path / "jax_layer.keras")
    # call_fn and init_fn are stored as source: loading runs code, so it needs safe_mode=False
    restored = loom.models.load_model(tmp_path / "jax_layer.keras", safe_mode=False)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_jax_layer_errors_in_words():
    with pytest.raises(ValueError, match="may only take arguments named"):
        L.JaxLayer(lambda params, x: x, params=PARAMS)
    with pytest.raises(ValueError, match="may only take arguments named"):
        L.JaxLayer(affine, init_fn=lambda key, inputs: None)
    with pytest.raises(ValueError, match="give `init_fn`"):
        L.JaxLayer(affine)
    with pytest.raises(TypeError, match="`call_fn` must be a function"):
        L.JaxLayer("affine")
    bad = L.JaxLayer(lambda params, state, inputs: (inputs, {"other": 1.0}), params={}, state={"calls": 0.0})
    with pytest.raises(ValueError, match="returned a state of another structure"):
        bad(X)
    with pytest.raises(RuntimeError, match="cannot be built inside"):
        jax.jit(lambda w: L.JaxLayer(affine, params={"w": w, "b": PARAMS["b"]})(X))(PARAMS["w"])


def test_flax_layer_without_flax_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "flax", None)  # as if flax were not installed
    with pytest.raises(ImportError, match="pip install flax"):
        L.FlaxLayer(object())


class _DenyList:
    def __init__(self, deny):
        self.deny = deny


class _CenteredDense:
    """A stand-in for a flax.linen module: linen's init/apply contract, a params and a batch_stats collection."""

    def __call__(self, inputs, training=False):
        raise AssertionError("FlaxLayer calls init/apply, not the module itself")

    def init(self, rngs, inputs, method=None, training=False):
        assert set(rngs) == {"params", "dropout"} and training is True
        return {
            "params": {"w": jax.random.normal(rngs["params"], (inputs.shape[-1], 2))},
            "batch_stats": {"mean": jnp.zeros(inputs.shape[-1])},
        }

    def apply(self, variables, inputs, rngs=None, method=None, mutable=None, training=False):
        assert isinstance(mutable, _DenyList) and mutable.deny == ["params"]
        assert set(rngs) == ({"dropout"} if training else set())
        mean = variables["batch_stats"]["mean"]
        if training:
            mean = 0.5 * mean + 0.5 * inputs.mean(0)
        return (inputs - mean) @ variables["params"]["w"], {"batch_stats": {"mean": mean}}


def test_flax_layer_maps_collections_to_weights_and_updates_state(monkeypatch):
    scope = types.ModuleType("flax.core.scope")
    scope.DenyList = _DenyList
    core = types.ModuleType("flax.core")
    core.scope = scope
    flax = types.ModuleType("flax")
    flax.core = core
    for name, module in (("flax", flax), ("flax.core", core), ("flax.core.scope", scope)):
        monkeypatch.setitem(sys.modules, name, module)
    layer = L.FlaxLayer(_CenteredDense())
    out = np.asarray(layer(X))
    w = np.asarray(layer.params["params"]["w"].value)
    np.testing.assert_allclose(out, X @ w, rtol=1e-6)
    assert [v.trainable for v in layer.weights] == [True, False]
    layer(X, training=True)
    np.testing.assert_allclose(np.asarray(layer.state["batch_stats"]["mean"].value), 0.5 * X.mean(0), rtol=1e-6)
