"""Keras parity: the same variables and gradients give the same weights, slots and configs."""

import inspect
import re
import warnings

import jax.numpy as jnp
import keras
import numpy as np
import pytest

import loom
from loom import optimizers

SHAPES = {"kernel": (3, 4), "bias": (4,)}
# Rules whose arithmetic differs from Keras's only in rounding order stay well inside this.
RTOL, ATOL = 1e-6, 1e-7


def initial_values() -> dict:
    rng = np.random.default_rng(0)
    # Away from zero, so relative tolerances mean something.
    return {
        name: (rng.uniform(0.5, 1.5, shape) * rng.choice([-1, 1], shape)).astype("float32")
        for name, shape in SHAPES.items()
    }


def gradient_steps(steps=5, scale=3.0) -> list:
    rng = np.random.default_rng(1)
    return [[(rng.normal(size=shape) * scale).astype("float32") for shape in SHAPES.values()] for _ in range(steps)]


def run(module, class_name, kwargs, steps=None):
    """Variables and optimizer variables (path -> value) after applying ``steps`` with ``module``'s optimizer."""
    variables = [module.Variable(value, name=name) for name, value in initial_values().items()]
    optimizer = getattr(module.optimizers, class_name)(name="opt", **kwargs)
    for grads in steps or gradient_steps():
        optimizer.apply([None if g is None else jnp.asarray(g) for g in grads], variables)
    return [np.asarray(v.value) for v in variables], {v.path: np.asarray(v.value) for v in optimizer.variables}


CASES = [
    ("SGD", {"learning_rate": 0.1}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.1, "weight_decay": 0.1}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.5, "global_clipnorm": 1.0}),
    ("Adam", {"learning_rate": 0.01}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("Adam", {"learning_rate": 0.01, "epsilon": 0.1}),  # catches epsilon placement
    ("Adam", {"learning_rate": 0.01, "weight_decay": 0.5}),
    ("Adam", {"learning_rate": 0.01, "clipnorm": 1.0}),
    ("Adam", {"learning_rate": 0.01, "clipvalue": 0.5}),
    ("Adam", {"learning_rate": 0.01, "global_clipnorm": 1.0}),
    ("AdamW", {}),
    ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.5, "amsgrad": True}),
    ("RMSprop", {"learning_rate": 0.01}),
    ("RMSprop", {"learning_rate": 0.01, "epsilon": 0.1}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.9}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True, "momentum": 0.5, "clipnorm": 1.0}),
    ("Adagrad", {"learning_rate": 0.01}),
    ("Adagrad", {"learning_rate": 0.01, "initial_accumulator_value": 0.5, "epsilon": 0.1}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adadelta", {"learning_rate": 0.1, "rho": 0.8, "epsilon": 0.1, "clipvalue": 1.0}),
    ("Adamax", {"learning_rate": 0.01}),
    ("Adamax", {"learning_rate": 0.01, "epsilon": 0.1, "weight_decay": 0.2}),
    ("Nadam", {"learning_rate": 0.01}),
    ("Nadam", {"learning_rate": 0.01, "epsilon": 0.1, "global_clipnorm": 1.0}),
    ("Lion", {"learning_rate": 0.01}),
    ("Lion", {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9, "weight_decay": 0.5}),
    ("Ftrl", {"learning_rate": 0.01}),
    (
        "Ftrl",
        {
            "learning_rate": 0.01,
            "learning_rate_power": -0.7,
            "l1_regularization_strength": 0.01,
            "l2_regularization_strength": 0.1,
            "l2_shrinkage_regularization_strength": 0.05,
            "beta": 0.2,
            "weight_decay": 0.3,  # Ftrl reads the decayed weights: the decay order matters
        },
    ),
    ("Adam", {"learning_rate": 0.01, "use_ema": True, "ema_overwrite_frequency": 2}),
    # Keras's eager accumulation recompiles a lax.cond every step (slow), so one case covers it.
    ("Adam", {"learning_rate": 0.01, "gradient_accumulation_steps": 2, "use_ema": True}),
    ("Adam", {"learning_rate": 0.01, "loss_scale_factor": 4.0}),
]


def _case_id(case):
    name, kwargs = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("class_name, kwargs", CASES, ids=[_case_id(c) for c in CASES])
def test_five_steps_match_keras(class_name, kwargs):
    keras_values, keras_slots = run(keras, class_name, kwargs)
    loom_values, loom_slots = run(loom, class_name, kwargs)
    for expected, actual in zip(keras_values, loom_values):
        np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)
    # Keras names Nadam's scalar just "variable"; loom names it for what it holds.
    keras_slots = {("opt/u_product" if re.search(r"variable(_\d+)?$", p) else p): v for p, v in keras_slots.items()}
    assert list(loom_slots) == list(keras_slots)
    for path, expected in keras_slots.items():
        np.testing.assert_allclose(loom_slots[path], expected, rtol=1e-5, atol=1e-7, err_msg=path)


def test_parity_cases_move_the_weights():
    # Guards the parity test itself: every case changes the weights noticeably.
    start = initial_values()
    for class_name, kwargs in CASES:
        values, _ = run(loom, class_name, kwargs, steps=gradient_steps(steps=2))
        moved = max(float(np.max(np.abs(v - s))) for v, s in zip(values, start.values()))
        assert moved > 1e-3, (class_name, kwargs)


def test_schedule_learning_rate_matches_keras():
    def make(module):
        return module.optimizers.schedules.ExponentialDecay(0.05, decay_steps=2, decay_rate=0.5, staircase=True)

    keras_values, _ = run(keras, "Adam", {"learning_rate": make(keras)})
    loom_values, loom_slots = run(loom, "Adam", {"learning_rate": make(loom)})
    assert "opt/learning_rate" not in loom_slots
    for expected, actual in zip(keras_values, loom_values):
        np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


def test_missing_gradients_match_keras():
    steps = [[g, None] for g, _ in gradient_steps(steps=3)]
    with pytest.warns(UserWarning, match="Gradients do not exist for variables"):
        keras_values, keras_slots = run(keras, "Adam", {"learning_rate": 0.01, "weight_decay": 0.1}, steps=steps)
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['bias'\]"):
        loom_values, loom_slots = run(loom, "Adam", {"learning_rate": 0.01, "weight_decay": 0.1}, steps=steps)
    np.testing.assert_array_equal(loom_values[1], initial_values()["bias"])
    for expected, actual in zip(keras_values, loom_values):
        np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(loom_slots["opt/bias_momentum"], 0.0)


CLASSES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion", "Ftrl"]


@pytest.mark.parametrize("class_name", CLASSES)
def test_defaults_and_config_match_keras(class_name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keras_config = getattr(keras.optimizers, class_name)(name="opt").get_config()
    assert getattr(loom.optimizers, class_name)(name="opt").get_config() == keras_config


@pytest.mark.parametrize("class_name", CLASSES)
def test_constructor_arguments_match_keras(class_name):
    keras_parameters = inspect.signature(getattr(keras.optimizers, class_name)).parameters
    loom_parameters = inspect.signature(getattr(optimizers, class_name)).parameters
    for name, parameter in loom_parameters.items():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        assert name in keras_parameters, name
        assert parameter.default == keras_parameters[name].default, name
    # The order of positional arguments is Keras's too.
    assert list(loom_parameters)[:-1] == list(keras_parameters)[: len(loom_parameters) - 1]
