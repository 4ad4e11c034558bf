"""Tests for losses.get / serialize / deserialize: names, aliases, configs and errors."""

import os

os.environ["KERAS_BACKEND"] = "jax"  # Keras defaults to TensorFlow, which is not installed

import keras
import numpy as np
import pytest

from loom import losses
from loom.losses.serialization import ALL_OBJECTS_DICT

# Names Keras resolves that loom does not implement (none at present).
_NOT_IMPLEMENTED = set()


def test_every_name_keras_resolves_is_resolved_to_the_same_kind_of_object():
    from keras.src.losses import ALL_OBJECTS_DICT as KERAS_OBJECTS

    assert set(KERAS_OBJECTS) - _NOT_IMPLEMENTED == set(ALL_OBJECTS_DICT)
    for name, keras_object in KERAS_OBJECTS.items():
        if name in _NOT_IMPLEMENTED:
            continue
        ours = ALL_OBJECTS_DICT[name]
        assert ours.__name__ == keras_object.__name__, name
        assert isinstance(ours, type) == isinstance(keras_object, type), name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mse", losses.mean_squared_error),
        ("MSE", losses.mean_squared_error),
        ("mae", losses.mean_absolute_error),
        ("mape", losses.mean_absolute_percentage_error),
        ("msle", losses.mean_squared_logarithmic_error),
        ("kld", losses.kl_divergence),
        ("bce", losses.binary_crossentropy),
        ("categorical_crossentropy", losses.categorical_crossentropy),
        ("huber", losses.huber),
        # Keras 2 names that Keras 3 keeps only under keras._legacy.
        ("logcosh", losses.log_cosh),
        ("kullback_leibler_divergence", losses.kl_divergence),
    ],
)
def test_get_resolves_function_names_and_aliases_to_functions(name, expected):
    assert losses.get(name) is expected


def test_get_instantiates_class_names_and_classes_with_defaults():
    assert type(losses.get("CategoricalCrossentropy")) is losses.CategoricalCrossentropy
    assert type(losses.get(losses.Huber)) is losses.Huber


def test_get_passes_instances_and_callables_through():
    loss = losses.Huber()

    def custom(y_true, y_pred):
        return y_pred

    assert losses.get(loss) is loss
    assert losses.get(custom) is custom
    assert losses.get(None) is None


def test_get_builds_from_a_config_dict_like_keras():
    identifier = {"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}}
    loss = losses.get(identifier)
    assert type(loss) is losses.CategoricalCrossentropy and loss.from_logits is True
    assert keras.losses.get(identifier).from_logits is True


def test_get_unknown_name_lists_close_matches_and_valid_names():
    message = r"Unknown loss: 'msee'\. Did you mean 'mse'.*Valid names: .*mean_squared_error"
    with pytest.raises(ValueError, match=message):
        losses.get("msee")


def test_get_uninterpretable_identifier_says_what_is_accepted():
    with pytest.raises(ValueError, match=r"Could not interpret loss identifier: 3\. Pass a name such as 'mse'"):
        losses.get(3)


@pytest.mark.parametrize(
    "loss",
    [
        losses.MeanSquaredError(reduction="sum"),
        losses.Huber(delta=0.3, name="robust"),
        losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1, axis=1),
        losses.CategoricalFocalCrossentropy(alpha=[0.1, 0.9], gamma=1.0),
        losses.Dice(axis=(1, 2)),
        losses.LossFunctionWrapper(losses.poisson, name="wrapped"),
    ],
    ids=lambda loss: type(loss).__name__,
)
def test_serialize_deserialize_round_trip(loss):
    config = losses.serialize(loss)
    rebuilt = losses.deserialize(config)
    assert type(rebuilt) is type(loss)
    assert losses.serialize(rebuilt) == config


def test_serialize_follows_keras_format():
    assert losses.serialize(losses.MeanSquaredError()) == {
        "module": "loom.losses",
        "class_name": "MeanSquaredError",
        "config": {"name": "mean_squared_error", "reduction": "sum_over_batch_size", "dtype": None},
        "registered_name": None,
    }
    assert losses.serialize(losses.mean_squared_error) == keras.losses.serialize(keras.losses.mean_squared_error)
    assert losses.deserialize(losses.serialize(losses.mean_squared_error)) is losses.mean_squared_error
    assert losses.serialize(None) is None


def test_deserialize_reads_keras_configs():
    for keras_loss in (keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), keras.losses.Huber()):
        config = keras.losses.serialize(keras_loss)
        rebuilt = losses.deserialize(config)
        assert type(rebuilt).__name__ == type(keras_loss).__name__
        assert {k: rebuilt.get_config()[k] for k in config["config"]} == config["config"]


def test_deserialize_reads_keras_2_auto_reduction():
    loss = losses.deserialize({"class_name": "MeanSquaredError", "config": {"reduction": "auto", "name": "mse"}})
    assert loss.reduction == "sum_over_batch_size"


def test_deserialize_names_give_instances_for_classes_and_functions_for_functions():
    assert type(losses.deserialize("MeanSquaredError")) is losses.MeanSquaredError
    assert losses.deserialize("mean_squared_error") is losses.mean_squared_error


class ScaledError(losses.Loss):
    def __init__(self, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, y_true, y_pred):
        return self.scale * (y_pred - y_true)[..., 0]

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def scaled_error(y_true, y_pred):
    return (y_pred - y_true)[..., 0]


def test_custom_losses_round_trip_through_custom_objects_only():
    config = losses.serialize(ScaledError(scale=3.0))
    assert config["registered_name"] == "ScaledError"
    with pytest.raises(ValueError, match="Unknown loss: 'ScaledError'.*pass .* in `custom_objects`"):
        losses.deserialize(config)
    rebuilt = losses.deserialize(config, custom_objects={"ScaledError": ScaledError})
    assert rebuilt.scale == 3.0
    assert float(rebuilt(np.zeros((2, 1)), np.ones((2, 1)))) == 3.0
    function_config = losses.serialize(scaled_error)
    assert losses.deserialize(function_config, custom_objects={"scaled_error": scaled_error}) is scaled_error


def test_serialize_refuses_a_lambda_with_a_fix():
    with pytest.raises(ValueError, match=r"Cannot serialize the loss .*lambda.*Define it with `def`"):
        losses.serialize(lambda y_true, y_pred: y_pred)


def test_deserialize_rejects_malformed_configs():
    message = r"losses\.deserialize expects a name or a dict with 'class_name' and 'config'"
    with pytest.raises(ValueError, match=message):
        losses.deserialize({"config": {}})


def test_deserialize_rejects_a_custom_object_without_from_config():
    with pytest.raises(ValueError, match=r"Cannot deserialize the loss 'Odd': .* has no from_config"):
        losses.deserialize({"class_name": "Odd", "config": {}}, custom_objects={"Odd": object()})
