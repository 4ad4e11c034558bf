"""Learning-rate schedules equal Keras's, eagerly and under jit, and round-trip through configs."""

import warnings

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

from loom.optimizers import schedules

STEPS = [0, 1, 5, 9, 10, 11, 25, 99, 100, 101, 350, 1000]

CASES = [
    ("ExponentialDecay", (0.1, 10, 0.9), {}),
    ("ExponentialDecay", (0.1, 10, 0.5), {"staircase": True}),
    ("InverseTimeDecay", (0.1, 10, 0.5), {}),
    ("InverseTimeDecay", (0.1, 10, 0.5), {"staircase": True}),
    ("PiecewiseConstantDecay", ([10, 100], [0.1, 0.01, 0.001]), {}),
    ("PiecewiseConstantDecay", ([5], [1.0, 0.5]), {}),
    ("PolynomialDecay", (0.1, 100), {}),
    ("PolynomialDecay", (0.1, 100, 0.01, 2.0), {"cycle": True}),
    ("CosineDecay", (0.1, 100), {"alpha": 0.1}),
    ("CosineDecay", (0.0, 100), {"warmup_target": 0.2, "warmup_steps": 10}),
    ("CosineDecayRestarts", (0.1, 10), {}),
    ("CosineDecayRestarts", (0.1, 10), {"t_mul": 1.0, "m_mul": 0.5, "alpha": 0.1}),
]


def _pair(name, args, kwargs):
    return getattr(keras.optimizers.schedules, name)(*args, **kwargs), getattr(schedules, name)(*args, **kwargs)


@pytest.mark.parametrize("name, args, kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_schedule_matches_keras_eagerly_and_under_jit(name, args, kwargs):
    keras_schedule, loom_schedule = _pair(name, args, kwargs)
    steps = jnp.asarray(STEPS, jnp.int32)
    # vmap runs the eager ops once on all steps (Keras's eager cond compiles per call).
    expected = np.asarray(jax.vmap(keras_schedule)(steps))
    eager = np.concatenate([[float(loom_schedule(s)) for s in STEPS[:3]], jax.vmap(loom_schedule)(steps[3:])])
    np.testing.assert_allclose(eager, expected, rtol=1e-6, atol=1e-9)
    # Under jit XLA rewrites e.g. division by a constant as multiplication by its
    # reciprocal, so compiled loom is compared with compiled Keras.
    compiled = np.asarray(jax.jit(jax.vmap(loom_schedule))(steps))
    compiled_keras = np.asarray(jax.jit(jax.vmap(keras_schedule))(steps))
    np.testing.assert_allclose(compiled, compiled_keras, rtol=1e-6, atol=1e-9)
    assert len(set(np.round(expected, 8))) > 1  # the steps cover a change of rate
    assert compiled.dtype == np.float32


@pytest.mark.parametrize("name, args, kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_config_and_serialization_match_keras(name, args, kwargs):
    keras_schedule, loom_schedule = _pair(name, args, kwargs)
    assert loom_schedule.get_config() == keras_schedule.get_config()
    restored = schedules.deserialize(schedules.serialize(loom_schedule))
    assert type(restored) is type(loom_schedule) and restored.get_config() == loom_schedule.get_config()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keras_config = keras.optimizers.schedules.serialize(keras_schedule)
    assert schedules.deserialize(keras_config).get_config() == keras_schedule.get_config()
    assert repr(loom_schedule).startswith(f"{name}(")


class Halving(schedules.LearningRateSchedule):
    def __init__(self, initial_learning_rate):
        self.initial_learning_rate = initial_learning_rate

    def __call__(self, step):
        return self.initial_learning_rate * 0.5 ** (step // 10)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate}


def test_custom_schedule_round_trips_through_custom_objects():
    config = schedules.serialize(Halving(0.4))
    assert config["registered_name"] == "Halving"
    restored = schedules.deserialize(config, custom_objects={"Halving": Halving})
    assert float(restored(20)) == pytest.approx(0.1)


def test_schedule_errors():
    for name, argument in [
        ("ExponentialDecay", "decay_steps"),
        ("InverseTimeDecay", "decay_steps"),
        ("PolynomialDecay", "decay_steps"),
        ("CosineDecay", "decay_steps"),
        ("CosineDecayRestarts", "first_decay_steps"),
    ]:
        with pytest.raises(ValueError, match=f"{name}: `{argument}` must be > 0; received {argument}=0"):
            getattr(schedules, name)(0.1, 0, *([0.5] if "Exp" in name or "Inverse" in name else []))
    with pytest.raises(ValueError, match="`values` must have one more entry than `boundaries`"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(NotImplementedError, match="must override `__call__"):
        schedules.LearningRateSchedule()(0)
    with pytest.raises(NotImplementedError, match="must override `get_config"):
        schedules.LearningRateSchedule().get_config()
    assert repr(schedules.LearningRateSchedule()) == "LearningRateSchedule(...)"
    with pytest.raises(ValueError, match="Unknown learning rate schedule: 'ExponentalDecay'. Did you mean"):
        schedules.deserialize({"class_name": "ExponentalDecay", "config": {}})
    with pytest.raises(ValueError, match="expects a dict with 'class_name'"):
        schedules.deserialize("ExponentialDecay")
    with pytest.raises(TypeError, match="must be a LearningRateSchedule subclass"):
        schedules.deserialize({"class_name": "X", "config": {}}, custom_objects={"X": dict})
    with pytest.raises(TypeError, match="schedules.serialize expects a LearningRateSchedule"):
        schedules.serialize(lambda step: 0.1)
