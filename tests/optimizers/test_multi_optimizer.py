import jax
import jax.numpy as jnp
import numpy as np
import pytest

import loom
from loom.optimizers import SGD, Adam, LossScaleOptimizer, MultiOptimizer
from loom.optimizers.multi_optimizer import OptimizerMap
from tests.optimizers.keras_parity import gradient_steps, initial_values, run

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
keras = pytest.importorskip("keras")


def _kernel_adam_rest_sgd(module):
    optimizers = module.optimizers
    default = optimizers.SGD(0.1, momentum=0.5, name="sgd")
    mapping = optimizers.OptimizerMap(default, {"ker.*": optimizers.Adam(0.01, name="adam")})
    return optimizers.MultiOptimizer(mapping, name="multi")


def test_steps_and_variables_match_keras():
    keras_weights, keras_slots = run(keras, _kernel_adam_rest_sgd)
    loom_weights, loom_slots = run(loom, _kernel_adam_rest_sgd)
    for expected, actual in zip(keras_weights, loom_weights):
        np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-7)
    assert [path for path, _ in loom_slots] == [path for path, _ in keras_slots]
    for (path, actual), (_, expected) in zip(loom_slots, keras_slots):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-7, err_msg=path)


def test_a_function_can_pick_the_optimizers():
    adam, sgd = Adam(0.01), SGD(0.1)
    optimizer = MultiOptimizer(lambda variable: adam if variable.path == "kernel" else sgd)
    variables = [loom.Variable(value, name=name) for name, value in initial_values().items()]
    optimizer.apply(gradient_steps(steps=1)[0], variables)
    assert optimizer.optimizers == [adam, sgd]
    assert int(optimizer.iterations.numpy()) == 1 and int(adam.iterations.numpy()) == 1
    with pytest.raises(ValueError, match="picks optimizers with a function"):
        optimizer.get_config()


def test_stateless_apply_under_jit_equals_apply():
    grads = gradient_steps(steps=2)
    eager = _kernel_adam_rest_sgd(loom)
    eager_variables = [loom.Variable(value, name=name) for name, value in initial_values().items()]
    for step in grads:
        eager.apply(step, eager_variables)

    pure = _kernel_adam_rest_sgd(loom)
    variables = [loom.Variable(value, name=name) for name, value in initial_values().items()]
    pure.build(variables)
    step_fn = jax.jit(pure.stateless_apply)
    values, state = [v.value for v in variables], [v.value for v in pure.variables]
    for step in grads:
        values, state = step_fn(state, [jnp.asarray(g) for g in step], values)
    for expected, actual in zip(eager_variables, values):
        np.testing.assert_allclose(actual, expected.numpy(), rtol=1e-6)
    np.testing.assert_allclose(state[0], 2)


def test_keras_config_round_trips():
    keras_config = keras.optimizers.serialize(_kernel_adam_rest_sgd(keras))
    restored = loom.optimizers.deserialize(keras_config)
    assert [type(o).__name__ for o in restored.optimizers] == ["Adam", "SGD"]
    assert restored.optimizers[1].momentum == 0.5
    again = loom.optimizers.deserialize(loom.optimizers.serialize(restored))
    assert again.get_config() == restored.get_config()
    assert again.get_config()["optimizer_map"]["config"]["optimizer_map"]["ker.*"]["class_name"] == "Adam"


def test_fit_trains_each_layer_with_its_optimizer():
    inputs = loom.Input((3,))
    hidden = loom.layers.Dense(4, name="frozen_rate")(inputs)
    model = loom.Model(inputs, loom.layers.Dense(1, name="head")(hidden))
    before = model.get_weights()
    # A learning rate of 0 leaves the first layer as it was; the head moves.
    mapping = OptimizerMap(SGD(0.1), {"frozen_rate/.*": SGD(0.0)})
    model.compile(optimizer=MultiOptimizer(mapping), loss="mse")
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    model.fit(x, x[:, :1], epochs=1, batch_size=8, verbose=0)
    after = model.get_weights()
    np.testing.assert_array_equal(after[0], before[0])
    assert np.max(np.abs(after[2] - before[2])) > 1e-4


def test_mapping_rules_and_errors():
    adam, sgd = Adam(name="adam"), SGD(name="sgd")
    mapping = OptimizerMap(sgd)
    mapping["encoder/.*"] = adam
    mapping["encoder/layer_0/dense"] = sgd
    assert mapping["encoder/layer_0/dense"] is sgd and mapping["encoder/x"] is adam and mapping["decoder"] is sgd
    with pytest.raises(ValueError, match="already mapped"):
        mapping["encoder/.*"] = sgd
    mapping["enc.*"] = SGD()
    with pytest.raises(ValueError, match="matches several patterns"):
        mapping["encoder/x"]
    with pytest.raises(ValueError, match="cannot be a LossScaleOptimizer"):
        mapping["head"] = LossScaleOptimizer(SGD())
    with pytest.raises(TypeError, match="must be a loom Optimizer instance"):
        OptimizerMap("sgd")
    with pytest.raises(AttributeError, match="no single learning rate"):
        MultiOptimizer(mapping).learning_rate
