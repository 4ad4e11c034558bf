"""Noise layers: identity at inference, training statistics, seeds, configs and errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import loom  # noqa: E402
from loom.layers import Input  # noqa: E402
from loom.layers.noise import (  # noqa: E402
    AlphaDropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from loom.layers.regularization import Dropout  # noqa: E402

RNG = np.random.default_rng(5)
X = RNG.normal(size=(200, 100)).astype("float32")
# XLA's backend optimizations make most of the compile time of random draws (10x); not needed here.
FAST_COMPILE = {"xla_backend_optimization_level": 0}
SELU_ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946


def _train(pairs, keys=(0,)):
    """Training outputs of ``[(layer, x), ...]`` through the pure form, all in one compiled call
    (each compiled random draw is costly, so tests batch them); one list per rng key in ``keys``."""
    for layer, x in pairs:
        if not layer.built:
            layer(Input(x.shape[1:]))

    def step(states, xs, key):
        return [layer.stateless_call([], s, x, training=True, rng=jax.random.fold_in(key, i))[0]
                for i, ((layer, _), s, x) in enumerate(zip(pairs, states, xs))]

    states = [[v.value for v in layer.non_trainable_variables] for layer, _ in pairs]
    compiled = jax.jit(step, compiler_options=FAST_COMPILE)
    runs = [compiled(states, [x for _, x in pairs], jax.random.PRNGKey(key)) for key in keys]
    return [[np.asarray(o) for o in outputs] for outputs in runs]


def _run(fn, *args):
    return jax.tree_util.tree_map(np.asarray, jax.jit(fn, compiler_options=FAST_COMPILE)(*args))


ALL_LAYERS = [
    lambda: SpatialDropout1D(0.5, seed=1),
    lambda: SpatialDropout2D(0.5, seed=1),
    lambda: SpatialDropout3D(0.5, data_format="channels_first", seed=1),
    lambda: GaussianNoise(0.3, seed=1),
    lambda: GaussianDropout(0.3, seed=1),
    lambda: AlphaDropout(0.3, seed=1),
]
SHAPES = [(2, 3, 4), (2, 3, 3, 4), (2, 4, 2, 2, 2), (2, 5), (2, 5), (2, 5)]
INPUTS = [RNG.normal(size=shape).astype("float32") for shape in SHAPES]


@pytest.mark.parametrize("make, x", list(zip(ALL_LAYERS, INPUTS)))
def test_noise_layers_are_the_identity_at_inference(make, x):
    layer = make()
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    inputs = Input(x.shape[1:])
    outputs = layer(inputs)
    assert outputs.shape == (None,) + x.shape[1:]
    np.testing.assert_array_equal(loom.Model(inputs, outputs).predict(x, verbose=0), x)


SPATIAL_CASES = [
    (lambda: SpatialDropout1D(0.4, seed=3), (32, 4, 64), (1,)),
    (lambda: SpatialDropout2D(0.4, data_format="channels_first", seed=3), (32, 64, 2, 2), (2, 3)),
    (lambda: SpatialDropout3D(0.4, seed=3), (32, 2, 2, 1, 64), (1, 2, 3)),
]


def test_spatial_dropout_drops_whole_channels():
    layers = [make() for make, _, _ in SPATIAL_CASES]
    (outputs,) = _train([(layer, np.ones(shape, np.float32)) for layer, (_, shape, _) in zip(layers, SPATIAL_CASES)])
    for layer, out, (_, shape, spatial) in zip(layers, outputs, SPATIAL_CASES):
        first = out[tuple(slice(0, 1) if a in spatial else slice(None) for a in range(len(shape)))]
        np.testing.assert_array_equal(out, np.broadcast_to(first, shape))  # one draw per sample and channel
        assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.6)}
        assert abs(np.mean(out == 0) - 0.4) < 0.05
        assert isinstance(layer, Dropout)


def test_gaussian_and_alpha_noise_have_the_documented_statistics():
    rate = 0.3
    ((noise, multiplier, alpha, alpha_rows),) = _train([
        (GaussianNoise(0.5, seed=2), np.zeros_like(X)),
        (GaussianDropout(0.2, seed=2), np.ones_like(X)),
        (AlphaDropout(rate, seed=4), X),
        (AlphaDropout(rate, noise_shape=(None, 1), seed=4), X),
    ])
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.5) < 0.01
    assert abs(multiplier.mean() - 1) < 0.01 and abs(multiplier.std() - np.sqrt(0.2 / 0.8)) < 0.01
    # AlphaDropout keeps zero mean / unit variance; dropped units take SELU's saturation value.
    a = ((1 - rate) * (1 + rate * SELU_ALPHA_P**2)) ** -0.5
    b = -a * SELU_ALPHA_P * rate
    kept = np.isclose(alpha, a * X + b, atol=1e-5)
    dropped = np.isclose(alpha, a * SELU_ALPHA_P + b, atol=1e-5)
    assert np.all(kept | dropped) and abs(dropped.mean() - rate) < 0.02
    assert abs(alpha.mean() - X.mean()) < 0.03 and abs(alpha.var() - X.var()) < 0.05
    row_dropped = np.isclose(alpha_rows, a * SELU_ALPHA_P + b, atol=1e-5)
    assert np.all(row_dropped.all(axis=1) | ~row_dropped.any(axis=1))  # whole rows share a draw
    assert 0.1 < row_dropped.all(axis=1).mean() < 0.5


def test_noise_is_reproducible_with_a_seed_and_advances_between_calls():
    x = np.ones((4, 8), np.float32)
    first, twin, other = GaussianNoise(0.5, seed=7), GaussianNoise(0.5, seed=7), GaussianNoise(0.5, seed=8)
    for layer in (first, twin, other):
        layer(Input((8,)))

    def call(layer, state, x):  # without an rng key, draws come from the layer's seed generator
        return layer.stateless_call([], state, x, training=True)

    def calls(states, x):
        (a, advanced), (b, _), (c, _) = [call(layer, s, x) for layer, s in zip((first, twin, other), states)]
        return a, b, c, call(first, advanced, x)[0]

    states = [[v.value for v in layer.non_trainable_variables] for layer in (first, twin, other)]
    a, same_seed, other_seed, next_call = _run(calls, states, x)
    np.testing.assert_array_equal(a, same_seed)
    assert not np.array_equal(a, next_call) and not np.array_equal(a, other_seed)
    # With an rng key, the noise comes from the key alone.
    layer = GaussianDropout(0.5, seed=0)
    (a, b), (again, _), (other, _) = _train([(layer, x), (layer, x)], keys=(3, 3, 4))
    np.testing.assert_array_equal(a, again)
    assert not np.array_equal(a, other) and not np.array_equal(a, b)


def test_noise_layers_match_keras_configs_and_round_trip():
    layers = [
        (SpatialDropout1D(0.2, seed=3), keras.layers.SpatialDropout1D(0.2, seed=3)),
        (SpatialDropout2D(0.2, data_format="channels_first"), keras.layers.SpatialDropout2D(0.2, "channels_first")),
        (SpatialDropout3D(0.2), keras.layers.SpatialDropout3D(0.2)),
        (GaussianNoise(0.1, seed=4), keras.layers.GaussianNoise(0.1, seed=4)),
        (GaussianDropout(0.1), keras.layers.GaussianDropout(0.1)),
        (AlphaDropout(0.1, noise_shape=(None, 1), seed=2),
         keras.layers.AlphaDropout(0.1, noise_shape=(None, 1), seed=2)),
    ]
    for ours, theirs in layers:
        config = ours.get_config()
        keras_config = {k: v for k, v in theirs.get_config().items() if k not in ("name", "dtype", "trainable")}
        assert {k: config[k] for k in keras_config} == keras_config
        assert type(ours).from_config(config).get_config() == config


def test_noise_layer_errors():
    with pytest.raises(ValueError, match=r"^Layer 'gaussian_noise' \(GaussianNoise\): `stddev` must be a non-negative "
                       r"float; received stddev=-0.1\.$"):
        GaussianNoise(-0.1)
    with pytest.raises(ValueError, match=r"\(GaussianDropout\): `rate` must be a float in \[0, 1\); received rate=1"):
        GaussianDropout(1)
    with pytest.raises(TypeError, match=r"\(AlphaDropout\): `rate` must be a float in \[0, 1\); received rate='0.1'"):
        AlphaDropout("0.1")
    with pytest.raises(ValueError, match=r"\(SpatialDropout1D\): `rate` must be a float in \[0, 1\]; received rate=2"):
        SpatialDropout1D(2)
    with pytest.raises(TypeError, match=r"\(GaussianNoise\): `seed` must be an int or None; received seed='a'"):
        GaussianNoise(0.1, seed="a")
    with pytest.raises(ValueError, match=r"`data_format` must be 'channels_last' or 'channels_first'; received "
                       r"data_format='nchw'"):
        SpatialDropout2D(0.1, data_format="nchw")
    with pytest.raises(ValueError, match=r"`noise_shape` must be a tuple of positive ints or None"):
        AlphaDropout(0.1, noise_shape=(None, 0))
    with pytest.raises(ValueError, match=r"noise_shape=\(None, 1\) must have the rank of its inputs; received input "
                       r"shape \(None, 2, 3\)"):
        AlphaDropout(0.1, noise_shape=(None, 1))(Input((2, 3)))
    with pytest.raises(ValueError, match=r"\(SpatialDropout2D\) expects inputs of rank 4; "
                       r"received shape \(None, 3, 4\)"):
        SpatialDropout2D(0.1)(Input((3, 4)))
