"""Normalization layers: numpy formulas, Keras 3 parity on the same weights, state updates, configs, errors."""

import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import loom  # noqa: E402
from loom.layers import Input  # noqa: E402
from loom.layers.normalization import (  # noqa: E402
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    RMSNormalization,
    UnitNormalization,
)

RNG = np.random.default_rng(11)
X = (RNG.normal(size=(6, 4, 5)) * 3 + 1).astype("float32")
X4 = RNG.normal(size=(3, 4, 2, 6)).astype("float32")
TOL = dict(rtol=1e-5, atol=1e-5)


def _randomize(layer):
    """Random weights (positive, so variances stay valid) for a built layer."""
    layer.set_weights([RNG.uniform(0.5, 1.5, size=w.shape).astype(w.dtype) for w in layer.get_weights()])


def _pair(ours, theirs, x):
    """Build both layers symbolically for ``x`` and give Keras loom's randomized weights."""
    ours(Input(x.shape[1:]))
    if theirs is not None:
        theirs(keras.Input(x.shape[1:]))
    _randomize(ours)
    if theirs is not None:
        theirs.set_weights(ours.get_weights())
    return ours, theirs


# XLA's backend optimizations make most of a small test's compile time (10x for random draws);
# these tests check values, not speed.
FAST_COMPILE = {"xla_backend_optimization_level": 0}


def _run(fn, *args):
    """``fn`` compiled once, quickly: far cheaper than compiling each eager op of a new shape."""
    return jax.tree_util.tree_map(np.asarray, jax.jit(fn, compiler_options=FAST_COMPILE)(*args))


def _values(variables):
    return [v.value for v in variables]


def _training_step(layer, x, **kwargs):
    """(outputs, new non-trainable values) of one training call, for loom or Keras layers."""
    return layer.stateless_call(_values(layer.trainable_variables), _values(layer.non_trainable_variables), x,
                                training=True, **kwargs)


def _keras_weights(layer):
    # Keras's own get_weights() trips NumPy 2's __array__(copy=) deprecation warning.
    return [np.asarray(v.value) for v in layer.weights]


def _bn_numpy(x, gamma, beta, mean, var, axis, epsilon=1e-3):
    shape = [1] * x.ndim
    shape[axis] = -1
    return gamma.reshape(shape) * (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + epsilon) + beta.reshape(
        shape
    )


# --- BatchNormalization --------------------------------------------------------------


def test_batch_norm_training_output_and_moving_statistics_match_numpy_and_keras():
    ours, theirs = _pair(BatchNormalization(momentum=0.9), keras.layers.BatchNormalization(momentum=0.9), X)
    gamma, beta, moving_mean, moving_var = ours.get_weights()
    (out, (new_mean, new_var)), (keras_out, keras_state) = _run(
        lambda x: (_training_step(ours, x), _training_step(theirs, x)), X
    )
    batch_mean, batch_var = X.mean(axis=(0, 1)), X.var(axis=(0, 1))
    np.testing.assert_allclose(out, _bn_numpy(X, gamma, beta, batch_mean, batch_var, -1), **TOL)
    np.testing.assert_allclose(new_mean, 0.9 * moving_mean + 0.1 * batch_mean, **TOL)
    np.testing.assert_allclose(new_var, 0.9 * moving_var + 0.1 * batch_var, **TOL)
    np.testing.assert_allclose(out, keras_out, **TOL)
    np.testing.assert_allclose(new_mean, keras_state[0], **TOL)
    np.testing.assert_allclose(new_var, keras_state[1], **TOL)
    # stateless_call leaves the layer's own variables untouched.
    np.testing.assert_array_equal(ours.get_weights()[2], moving_mean)


def test_batch_norm_inference_uses_moving_statistics():
    kwargs = dict(axis=1, epsilon=1e-2)
    ours, theirs = _pair(BatchNormalization(**kwargs), keras.layers.BatchNormalization(**kwargs), X4)
    gamma, beta, moving_mean, moving_var = ours.get_weights()
    out, out_false, keras_out = _run(lambda x: (ours(x), ours(x, training=False), theirs(x)), X4)
    expected = _bn_numpy(X4, gamma, beta, moving_mean, moving_var, 1, epsilon=1e-2)
    for result in (out, out_false, keras_out):
        np.testing.assert_allclose(result, expected, **TOL)


def test_batch_norm_eager_training_call_updates_its_moving_statistics():
    layer, _ = _pair(BatchNormalization(momentum=0.8), None, X)
    expected_out, expected_state = _run(lambda x: _training_step(layer, x), X)
    out = layer(X, training=True)
    np.testing.assert_allclose(np.asarray(out), expected_out, **TOL)
    np.testing.assert_allclose(layer.get_weights()[2], expected_state[0], **TOL)
    np.testing.assert_allclose(layer.get_weights()[3], expected_state[1], **TOL)


def test_frozen_batch_norm_runs_in_inference_mode_even_when_training():
    ours, theirs = _pair(BatchNormalization(), keras.layers.BatchNormalization(), X)
    ours.trainable = theirs.trainable = False
    assert ours.trainable_variables == [] and len(ours.non_trainable_variables) == 4
    gamma, beta, moving_mean, moving_var = ours.get_weights()
    (out, new_state), (keras_out, _) = _run(lambda x: (_training_step(ours, x), _training_step(theirs, x)), X)
    np.testing.assert_allclose(out, _bn_numpy(X, gamma, beta, moving_mean, moving_var, -1), **TOL)
    np.testing.assert_allclose(out, keras_out, **TOL)
    for before, after in zip(ours.get_weights(), new_state):  # frozen: every weight is non-trainable, unchanged
        np.testing.assert_array_equal(before, after)


def test_batch_norm_mask_excludes_padding_from_statistics_as_keras():
    mask = np.ones((6, 4), bool)
    mask[:, 2:] = False
    ours, theirs = _pair(BatchNormalization(), keras.layers.BatchNormalization(), X)
    gamma, beta, initial_mean, _ = ours.get_weights()
    (out, state), (keras_out, keras_state) = _run(
        lambda x, m: (_training_step(ours, x, mask=m), _training_step(theirs, x, mask=m)), X, mask
    )
    np.testing.assert_allclose(out, keras_out, **TOL)
    np.testing.assert_allclose(state[0], keras_state[0], **TOL)
    np.testing.assert_allclose(state[1], keras_state[1], **TOL)
    kept = X[:, :2].reshape(-1, 5)
    np.testing.assert_allclose(state[0], 0.99 * initial_mean + 0.01 * kept.mean(0), **TOL)
    expected = _bn_numpy(X[:, :2], gamma, beta, kept.mean(0), kept.var(0), -1)
    np.testing.assert_allclose(out[:, :2], expected, rtol=1e-4, atol=1e-4)


def test_batch_norm_renorm_matches_keras():
    kwargs = dict(renorm=True, renorm_clipping={"rmax": 1.5, "rmin": 0.5, "dmax": 0.3}, renorm_momentum=0.9)
    ours, theirs = _pair(BatchNormalization(**kwargs), keras.layers.BatchNormalization(**kwargs), X)
    assert [v.name for v in ours.weights] == [v.name for v in theirs.weights]
    (out, state), (keras_out, keras_state) = _run(lambda x: (_training_step(ours, x), _training_step(theirs, x)), X)
    np.testing.assert_allclose(out, keras_out, **TOL)
    for mine, keras_value in zip(state, keras_state):
        np.testing.assert_allclose(mine, keras_value, **TOL)


def test_batch_norm_weights_center_scale_and_shapes():
    layer = BatchNormalization(center=False, scale=False)
    out = layer(Input((4, 5)))
    assert out.shape == (None, 4, 5)
    assert [v.path for v in layer.weights] == ["batch_normalization/moving_mean", "batch_normalization/moving_variance"]
    full = BatchNormalization(name="bn")
    full(Input((5,)))
    assert [(v.name, v.trainable) for v in full.weights] == [
        ("gamma", True), ("beta", True), ("moving_mean", False), ("moving_variance", False)
    ]


def test_batch_norm_in_a_model_trains_statistics_through_stateless_call():
    inputs = Input((5,))
    model = loom.Model(inputs, BatchNormalization(momentum=0.5)(inputs))
    data = X[:, 0]
    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    _, new_state = _run(lambda t, n, x: model.stateless_call(t, n, x, training=True), trainable, non_trainable, data)
    np.testing.assert_allclose(np.asarray(new_state[0]), 0.5 * data.mean(0), **TOL)


def test_batch_norm_config_round_trip():
    layer = BatchNormalization(axis=1, momentum=0.9, epsilon=1e-2, center=False, gamma_regularizer="l2",
                               renorm=True, renorm_clipping={"rmax": 2.0}, name="bn")
    config = layer.get_config()
    assert config["axis"] == 1 and config["momentum"] == 0.9 and config["renorm_clipping"] == {"rmax": 2.0}
    assert BatchNormalization.from_config(config).get_config() == config


def test_batch_norm_errors():
    with pytest.raises(TypeError, match=r"\(BatchNormalization\): `axis` must be an int; received axis=\[1, 2\]"):
        BatchNormalization(axis=[1, 2])
    with pytest.raises(ValueError, match=r"`momentum` must be a float in \[0, 1\]; received momentum=1.5"):
        BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match=r"`epsilon` must be a non-negative float; received epsilon=-1"):
        BatchNormalization(epsilon=-1)
    with pytest.raises(ValueError, match=r"`renorm_clipping` accepts the keys .* unknown keys \['rmid'\]"):
        BatchNormalization(renorm=True, renorm_clipping={"rmid": 1.0})
    with pytest.raises(ValueError, match=r"needs rmax >= rmin; received rmax=1.0, rmin=2.0"):
        BatchNormalization(renorm=True, renorm_clipping={"rmax": 1.0, "rmin": 2.0})
    with pytest.raises(ValueError, match=r"needs dmax >= 0; received dmax=-1"):
        BatchNormalization(renorm=True, renorm_clipping={"dmax": -1})
    with pytest.raises(ValueError, match=r"axis 3 is out of bounds for inputs of shape \(None, 5\)"):
        BatchNormalization(axis=3)(Input((5,)))
    with pytest.raises(ValueError, match=r"needs the size of axis 1 to be known"):
        BatchNormalization()(Input((None,)))
    with pytest.raises(ValueError, match=r"needs a mask with one dimension less than its inputs; received mask shape"):
        BatchNormalization()(X, mask=np.ones((6,), bool))


# --- LayerNormalization, GroupNormalization, RMSNormalization, UnitNormalization ------


LAYER_NORM_CASES = [{}, {"axis": [1, 2]}, {"axis": 1, "center": False}, {"scale": False, "epsilon": 1e-5}]


def _layer_norm_numpy(x, weights, axis=-1, epsilon=1e-3, center=True, scale=True):
    axes = tuple(np.atleast_1d(axis) % x.ndim)
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    expected = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + epsilon)
    weights = iter(weights)
    if scale:
        expected = expected * next(weights).reshape(shape)
    if center:
        expected = expected + next(weights).reshape(shape)
    return expected


def test_layer_norm_matches_keras_and_numpy():
    pairs = [_pair(LayerNormalization(**k), keras.layers.LayerNormalization(**k), X) for k in LAYER_NORM_CASES]
    results = _run(lambda x: [(ours(x), theirs(x)) for ours, theirs in pairs], X)
    for kwargs, (ours, _), (out, keras_out) in zip(LAYER_NORM_CASES, pairs, results):
        np.testing.assert_allclose(out, keras_out, **TOL)
        np.testing.assert_allclose(out, _layer_norm_numpy(X, ours.get_weights(), **kwargs), rtol=1e-4, atol=1e-4)


def test_layer_norm_rms_scaling_warns_and_matches_keras():
    with pytest.warns(UserWarning, match="rms_scaling=True is deprecated"):
        ours = LayerNormalization(rms_scaling=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Keras warns at every call
        ours, theirs = _pair(ours, keras.layers.LayerNormalization(rms_scaling=True), X)
        out, keras_out = _run(lambda x: (ours(x), theirs(x)), X)
    assert [v.name for v in ours.weights] == ["gamma"]
    np.testing.assert_allclose(out, keras_out, **TOL)
    np.testing.assert_allclose(out, X / np.sqrt(X.var(-1, keepdims=True) + 1e-3) * ours.get_weights()[0], **TOL)


def test_layer_norm_computes_in_float32_for_half_inputs():
    layer = LayerNormalization(dtype="mixed_float16")
    out = _run(layer, X.astype("float16"))
    assert out.dtype == "float16"
    np.testing.assert_allclose(out.astype(np.float32), _layer_norm_numpy(X.astype("float16").astype("float32"),
                                                                         layer.get_weights()), atol=5e-3)


GROUP_NORM_CASES = [{"groups": 2}, {"groups": 1, "center": False}, {"groups": -1}, {"groups": 2, "axis": 1}]


def test_group_norm_matches_keras_and_numpy():
    pairs = [_pair(GroupNormalization(**k), keras.layers.GroupNormalization(**k), X4) for k in GROUP_NORM_CASES]
    plain = GroupNormalization(groups=3, epsilon=1e-4)
    results, out = _run(lambda x: ([(ours(x), theirs(x)) for ours, theirs in pairs], plain(x)), X4)
    for ours, keras_out in results:
        np.testing.assert_allclose(ours, keras_out, **TOL)
    groups = X4.reshape(3, 4, 2, 3, 2)
    mean, var = groups.mean(axis=(1, 2, 4), keepdims=True), groups.var(axis=(1, 2, 4), keepdims=True)
    np.testing.assert_allclose(out, ((groups - mean) / np.sqrt(var + 1e-4)).reshape(X4.shape), **TOL)
    assert GroupNormalization(groups=3)(Input((None, 6))).shape == (None, None, 6)


def test_rms_and_unit_normalization_match_keras():
    ours, theirs = _pair(RMSNormalization(axis=[1, 2]), keras.layers.RMSNormalization(axis=[1, 2]), X)
    units = [(UnitNormalization(axis=a), keras.layers.UnitNormalization(axis=a)) for a in (-1, [1, 2])]
    (out, keras_out), unit_results = _run(lambda x: ((ours(x), theirs(x)), [(u(x), k(x)) for u, k in units]), X)
    np.testing.assert_allclose(out, keras_out, **TOL)
    rms = np.sqrt(np.mean(X**2, axis=(1, 2), keepdims=True) + 1e-6)
    np.testing.assert_allclose(out, X / rms * ours.get_weights()[0], **TOL)
    for unit_out, keras_unit_out in unit_results:
        np.testing.assert_allclose(unit_out, keras_unit_out, **TOL)
    np.testing.assert_allclose(np.linalg.norm(unit_results[0][0], axis=-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    "layer",
    [
        LayerNormalization(axis=[1, 2], epsilon=1e-4, center=False, beta_initializer="ones",
                           gamma_constraint="non_neg"),
        GroupNormalization(groups=2, axis=1, scale=False),
        RMSNormalization(axis=-1, epsilon=1e-5),
        UnitNormalization(axis=[1, 2]),
    ],
)
def test_per_sample_normalization_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    assert clone(Input(X4.shape[1:])).shape == (None,) + X4.shape[1:]  # still builds after the round trip
    assert layer.get_config() == config


def test_per_sample_normalization_errors():
    with pytest.raises(TypeError, match=r"\(LayerNormalization\): `axis` must be an int or a list of ints; "
                       r"received axis='x'"):
        LayerNormalization(axis="x")
    with pytest.raises(ValueError, match=r"axis 4 is out of bounds for inputs of shape \(None, 4, 5\) \(rank 3\)"):
        LayerNormalization(axis=4)(Input((4, 5)))
    with pytest.raises(ValueError, match=r"`groups` must be a positive int \(or -1 for one group per channel\); "
                       r"received groups=0"):
        GroupNormalization(groups=0)
    with pytest.raises(TypeError, match=r"\(GroupNormalization\): `axis` must be an int; received axis=\[1\]"):
        GroupNormalization(axis=[1])
    with pytest.raises(ValueError, match=r"`groups`=4 must divide the 6 channels of axis -1"):
        GroupNormalization(groups=4)(Input((3, 6)))
    with pytest.raises(ValueError, match=r"axis 2 is out of bounds .*received axis=\[1, 2\]"):
        UnitNormalization(axis=[1, 2])(Input((4,)))
