"""LossScaleOptimizer: Keras's weights, scale and counter on the same gradients, overflow steps included."""

import warnings

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import loom
from loom import optimizers
from loom.optimizers.loss_scale_optimizer import loss_scale_optimizer_for

INITIAL = {"kernel": np.array([[0.5, -1.0], [1.5, 2.0]], "float32"), "bias": np.array([0.1, -0.2], "float32")}
INF, NAN = np.inf, np.nan
# Gradients of the scaled loss: overflow steps (inf, nan) between finite ones, enough to grow the scale twice.
STEPS = [
    [[[4.0, 8.0], [-2.0, 1.0]], [1.0, 2.0]],
    [[[4.0, 8.0], [-2.0, 1.0]], [1.0, 2.0]],
    [[[INF, 8.0], [-2.0, 1.0]], [1.0, 2.0]],
    [[[4.0, 8.0], [-2.0, 1.0]], [NAN, 2.0]],
    [[[1.0, 2.0], [3.0, 4.0]], [0.5, 0.5]],
    [[[1.0, 2.0], [3.0, 4.0]], [0.5, 0.5]],
    [[[-INF, 2.0], [3.0, 4.0]], [0.5, 0.5]],
]


def run_stateless(lib, inner_class, inner_kwargs):
    """Variable values (path -> array) after STEPS through a jitted ``stateless_apply``, as a JAX trainer runs it."""
    variables = [lib.Variable(value, name=name) for name, value in INITIAL.items()]
    optimizer = lib.optimizers.LossScaleOptimizer(
        getattr(lib.optimizers, inner_class)(name="inner", **inner_kwargs),
        initial_scale=4.0,
        dynamic_growth_steps=2,
        name="lso",
    )
    optimizer.build(variables)
    step = jax.jit(optimizer.stateless_apply)
    trainable, state = [v.value for v in variables], [v.value for v in optimizer.variables]
    for grads in STEPS:
        trainable, state = step(state, [jnp.asarray(g, jnp.float32) for g in grads], trainable)
    values = {v.path: np.asarray(s) for v, s in zip(optimizer.variables, state)}
    values.update({v.path: np.asarray(t) for v, t in zip(variables, trainable)})
    return values


@pytest.mark.parametrize(
    "inner_class, inner_kwargs",
    [("SGD", {"learning_rate": 0.1, "momentum": 0.9}), ("Adam", {"learning_rate": 0.01})],
)
def test_stateless_apply_matches_keras_including_overflow_steps(inner_class, inner_kwargs):
    ours, theirs = run_stateless(loom, inner_class, inner_kwargs), run_stateless(keras, inner_class, inner_kwargs)
    # loom counts every apply in its own `iteration`; Keras leaves it at 0 (see LossScaleOptimizer._update_scale).
    assert ours.pop("lso/iteration") == len(STEPS) and theirs.pop("lso/iteration") == 0
    assert sorted(ours) == sorted(theirs)
    for path, value in theirs.items():
        np.testing.assert_allclose(ours[path], value, rtol=1e-6, atol=1e-7, err_msg=path)
    # 4 -> 2 finite steps: 8 -> inf: 4 -> nan: 2 -> 2 finite steps: 4 -> -inf: 2
    assert ours["lso/dynamic_scale"] == 2.0


def _variables():
    return [loom.Variable(value, name=name) for name, value in INITIAL.items()]


def test_an_overflowing_step_changes_no_weight_and_no_inner_state():
    variables = _variables()
    optimizer = optimizers.LossScaleOptimizer(optimizers.SGD(0.1, momentum=0.9), initial_scale=8.0)
    optimizer.apply([np.ones((2, 2), "float32"), np.ones(2, "float32")], variables)
    weights = [v.numpy() for v in variables]
    inner_state = [v.numpy() for v in optimizer.inner_optimizer.variables]
    optimizer.apply([np.full((2, 2), np.inf, "float32"), np.ones(2, "float32")], variables)
    for before, variable in zip(weights, variables):
        np.testing.assert_array_equal(variable.numpy(), before)
    for before, variable in zip(inner_state, optimizer.inner_optimizer.variables):
        np.testing.assert_array_equal(variable.numpy(), before)
    assert float(optimizer.dynamic_scale.numpy()) == 4.0 and int(optimizer.step_counter.numpy()) == 0
    assert int(optimizer.iterations.numpy()) == 1  # skipped steps do not count


def test_gradients_are_unscaled_and_the_scale_doubles_after_growth_steps():
    variables = _variables()
    optimizer = optimizers.LossScaleOptimizer(optimizers.SGD(1.0), initial_scale=4.0, dynamic_growth_steps=3)
    grads = [np.full((2, 2), 4.0, "float32"), np.full(2, 4.0, "float32")]
    scales = []
    for _ in range(4):
        optimizer.apply(grads, variables)
        scales.append(float(optimizer.dynamic_scale.numpy()))
    assert scales == [4.0, 4.0, 8.0, 8.0]
    # Three steps of 4 / 4 = 1, then one of 4 / 8 = 0.5.
    np.testing.assert_allclose(variables[0].numpy(), INITIAL["kernel"] - 3.5)


def test_scale_loss_uses_the_current_scale_and_its_stateless_form_reads_given_state():
    variables = _variables()
    optimizer = optimizers.LossScaleOptimizer(optimizers.SGD(), initial_scale=16.0)
    assert float(optimizer.scale_loss(2.0)) == 32.0  # before build: the initial scale
    optimizer.build(variables)
    state = [v.value for v in optimizer.variables]
    state[3] = jnp.float32(2.0)  # dynamic_scale
    assert [v.name for v in optimizer.variables][:4] == ["iteration", "learning_rate", "step_counter", "dynamic_scale"]
    assert float(jax.jit(optimizer.stateless_scale_loss)(state, jnp.float32(3.0))) == 6.0
    assert float(optimizer.scale_loss(jnp.float32(3.0))) == 48.0


def test_plain_optimizers_scale_the_loss_only_by_loss_scale_factor():
    assert optimizers.SGD().scale_loss(3.0) == 3.0
    sgd = optimizers.SGD(loss_scale_factor=4.0)
    sgd.build(_variables())
    assert sgd.scale_loss(3.0) == 12.0
    assert float(sgd.stateless_scale_loss([v.value for v in sgd.variables], 3.0)) == 12.0


def test_rate_and_iterations_are_the_inner_optimizers():
    inner = optimizers.SGD(0.5, loss_scale_factor=8.0)
    optimizer = optimizers.LossScaleOptimizer(inner)
    assert inner.loss_scale_factor is None  # unscaled once, by the wrapper
    assert optimizer.learning_rate is inner.learning_rate
    optimizer.learning_rate = 0.25
    assert float(inner.learning_rate.numpy()) == 0.25
    optimizer.build(_variables())
    assert optimizer.iterations is inner.iterations
    assert optimizer.variables[4:] == inner.variables


def test_config_round_trips_and_has_keras_keys():
    optimizer = optimizers.LossScaleOptimizer(optimizers.Adam(0.01), initial_scale=8.0, dynamic_growth_steps=10)
    with warnings.catch_warnings():  # Keras reads its rate Variable through a NumPy path that warns
        warnings.simplefilter("ignore")
        keras_config = keras.optimizers.LossScaleOptimizer(
            keras.optimizers.Adam(0.01), initial_scale=8.0, dynamic_growth_steps=10
        ).get_config()
    config = optimizer.get_config()
    assert sorted(config) == sorted(keras_config)
    assert config["inner_optimizer"]["class_name"] == "Adam" == keras_config["inner_optimizer"]["class_name"]
    restored = optimizers.deserialize(optimizers.serialize(optimizer))
    assert isinstance(restored, optimizers.LossScaleOptimizer) and restored.get_config() == config
    assert isinstance(restored.inner_optimizer, optimizers.Adam)
    # A Keras file's config loads too (its inner optimizer names Keras's module).
    from_keras = optimizers.LossScaleOptimizer.from_config(keras_config)
    assert from_keras.dynamic_growth_steps == 10 and isinstance(from_keras.inner_optimizer, optimizers.Adam)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: optimizers.LossScaleOptimizer("adam"), TypeError, "wraps an optimizer instance"),
        (lambda: optimizers.LossScaleOptimizer(optimizers.SGD(), dynamic=False), ValueError, "dynamic=False"),
        (lambda: optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0), ValueError, "set `clipnorm` on"),
        (lambda: optimizers.LossScaleOptimizer(optimizers.SGD(), foo=1), ValueError, r"arguments \['foo'\]"),
        (lambda: optimizers.LossScaleOptimizer(optimizers.SGD(), initial_scale=0), ValueError, "positive float"),
        (lambda: optimizers.LossScaleOptimizer(optimizers.SGD(), dynamic_growth_steps=0), ValueError, ">= 1"),
        (lambda: optimizers.LossScaleOptimizer.from_config({}), ValueError, "needs 'inner_optimizer'"),
    ],
)
def test_bad_arguments_raise_clear_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_base_arguments_at_their_defaults_are_accepted_as_keras_does():
    optimizer = optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=None, use_ema=False)
    assert optimizer.name == "loss_scale_optimizer"


def test_loss_scale_optimizer_for_wraps_only_under_mixed_float16():
    sgd = optimizers.SGD()
    wrapped = loss_scale_optimizer_for(sgd, "mixed_float16")
    assert isinstance(wrapped, optimizers.LossScaleOptimizer) and wrapped.inner_optimizer is sgd
    assert wrapped.name == "loss_scale_optimizer"
    assert loss_scale_optimizer_for(wrapped, "mixed_float16") is wrapped
    assert loss_scale_optimizer_for(sgd, "mixed_bfloat16") is sgd and loss_scale_optimizer_for(sgd, "float32") is sgd
    assert loss_scale_optimizer_for(None, "mixed_float16") is None
    assert loss_scale_optimizer_for(sgd) is sgd  # the global policy, float32 here
    loom.mixed_precision.set_global_policy("mixed_float16")
    assert isinstance(loss_scale_optimizer_for(sgd), optimizers.LossScaleOptimizer)
