"""optimizers.get / serialize / deserialize, and configs Keras wrote."""

import warnings

import keras
import pytest

from loom import optimizers
from loom.optimizers import schedules

NAMES = ["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "lion", "ftrl"]


@pytest.mark.parametrize("name", NAMES)
def test_get_by_name_gives_keras_defaults(name):
    optimizer = optimizers.get(name)
    assert type(optimizer).__name__.lower() == name
    assert optimizers.get(type(optimizer).__name__).get_config()["learning_rate"] == pytest.approx(
        optimizer.get_config()["learning_rate"]
    )


@pytest.mark.parametrize("name", NAMES)
def test_serialize_round_trip(name):
    optimizer = optimizers.get(name)
    optimizer.clipnorm = 2.0
    config = optimizers.serialize(optimizer)
    assert config["module"] == "loom.optimizers" and config["registered_name"] is None
    restored = optimizers.deserialize(config)
    assert type(restored) is type(optimizer)
    assert restored.get_config() == optimizer.get_config()


def test_get_passes_instances_through_and_instantiates_classes():
    optimizer = optimizers.Adam()
    assert optimizers.get(optimizer) is optimizer
    assert optimizers.get(None) is None
    assert isinstance(optimizers.get(optimizers.Lion), optimizers.Lion)
    assert isinstance(optimizers.get({"class_name": "RMSprop", "config": {"rho": 0.8}}), optimizers.RMSprop)


def test_schedule_survives_the_round_trip():
    optimizer = optimizers.SGD(learning_rate=schedules.CosineDecay(0.1, 100, warmup_target=0.2, warmup_steps=10))
    restored = optimizers.deserialize(optimizers.serialize(optimizer))
    assert isinstance(restored._learning_rate, schedules.CosineDecay)
    assert restored.get_config() == optimizer.get_config()


def test_deserializes_keras_configs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keras_optimizer = keras.optimizers.Adam(
            learning_rate=keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5), amsgrad=True, name="opt"
        )
        config = keras.optimizers.serialize(keras_optimizer)
        expected = keras_optimizer.get_config()
    restored = optimizers.deserialize(config)
    assert isinstance(restored, optimizers.Adam) and restored.amsgrad
    restored_config = restored.get_config()
    assert restored_config.pop("learning_rate")["config"] == expected.pop("learning_rate")["config"]
    assert restored_config == expected


def test_custom_optimizers_go_through_custom_objects():
    class Custom(optimizers.SGD):
        pass

    config = optimizers.serialize(Custom(momentum=0.5))
    assert config["registered_name"] == "Custom"
    restored = optimizers.deserialize(config, custom_objects={"Custom": Custom})
    assert type(restored) is Custom and restored.momentum == 0.5


def test_lookup_errors():
    with pytest.raises(ValueError, match="Unknown optimizer: 'adamm'. Did you mean 'adam'"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier: 3"):
        optimizers.get(3)
    with pytest.raises(ValueError, match="expects a dict with 'class_name' and 'config'"):
        optimizers.deserialize(["adam"])
    with pytest.raises(TypeError, match="must be a loom Optimizer subclass"):
        optimizers.deserialize({"class_name": "Thing", "config": {}}, custom_objects={"Thing": dict})
    with pytest.raises(TypeError, match="optimizers.serialize expects a loom Optimizer"):
        optimizers.serialize("adam")
