"""loom.layers.serialize / deserialize, and layers inside a custom layer's config (wrappers):
written as Keras writes them, given to the wrapper's from_config as Keras gives them (dicts),
and rebuilt within the same safe load."""

import json

import numpy as np
import pytest

import loom
from loom import layers, ops
from loom.saving import ConfigError, UnknownObjectError, UnsafeCodeError, register_keras_serializable
from tests.saving.saving_helpers import assert_bitwise_equal, round_trip

X = np.random.default_rng(3).normal(size=(4, 3)).astype("float32")
RECEIVED = []  # what the wrappers' from_config were given


@register_keras_serializable(package="SerializationTests")
class Gain(layers.Layer):
    """A custom layer without a name in its config (as the keras.io guide writes them)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), name="w")

    def call(self, x):
        return ops.matmul(x, self.w)

    def get_config(self):
        return {"units": self.units}


@register_keras_serializable(package="SerializationTests")
class Doubled(layers.Layer):
    """A wrapper whose get_config returns the inner layer object itself."""

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.inner = layer

    def build(self, input_shape):
        if not self.inner.built:
            self.inner.build(input_shape)

    def call(self, x):
        return self.inner(x) * 2.0

    def get_config(self):
        return {**super().get_config(), "layer": self.inner}

    @classmethod
    def from_config(cls, config):
        RECEIVED.append(type(config["layer"]))
        config["layer"] = loom.layers.deserialize(config["layer"])
        return cls(**config)


@register_keras_serializable(package="SerializationTests")
class Halved(Doubled):
    """A wrapper whose get_config serializes the inner layer with loom.layers.serialize."""

    def call(self, x):
        return self.inner(x) * 0.5

    def get_config(self):
        return {**layers.Layer.get_config(self), "layer": loom.layers.serialize(self.inner)}

    @classmethod
    def from_config(cls, config):
        RECEIVED.append(type(config["layer"]))
        config["layer"] = loom.saving.deserialize_keras_object(config["layer"])
        return cls(**config)


@register_keras_serializable(package="SerializationTests")
class Shifted(layers.Layer):
    """A layer holding a whole functional model in its config."""

    def __init__(self, model, **kwargs):
        super().__init__(**kwargs)
        self.model = model

    def call(self, x):
        return self.model(x) + 1.0

    def get_config(self):
        return {**super().get_config(), "model": self.model}

    @classmethod
    def from_config(cls, config):
        config["model"] = loom.layers.deserialize(config["model"])
        return cls(**config)


def test_serialize_writes_keras_fields_and_deserialize_rebuilds_the_layer():
    dense = layers.Dense(3, activation="relu", name="d")
    config = loom.layers.serialize(dense)
    assert set(config) == {"module", "class_name", "config", "registered_name"}
    assert (config["module"], config["class_name"], config["registered_name"]) == ("loom.layers", "Dense", None)
    rebuilt = loom.layers.deserialize(config)
    assert type(rebuilt) is layers.Dense and rebuilt.get_config() == dense.get_config()
    dense(loom.Input((4,)))  # built by a call (build_config records the input shape)
    built = loom.layers.deserialize(loom.layers.serialize(dense))
    assert built.built and [w.shape for w in built.weights] == [(4, 3), (3,)]


def test_deserialize_finds_registered_and_custom_layers_and_refuses_other_objects():
    config = loom.layers.serialize(Gain(2))
    assert config["registered_name"] == "SerializationTests>Gain"
    assert isinstance(loom.layers.deserialize(config), Gain)

    class Local(Gain):
        pass

    local = loom.layers.serialize(Local(2))
    with pytest.raises(UnknownObjectError, match="Local"):
        loom.layers.deserialize(local)
    assert type(loom.layers.deserialize(local, custom_objects={"Local": Local})) is Local
    with pytest.raises(ValueError, match="builds a GlorotUniform, not a layer"):
        loom.layers.deserialize(loom.saving.serialize_keras_object(loom.initializers.GlorotUniform()))


def _wrapper_model():
    inputs = loom.Input((3,))
    x = Doubled(layers.Dense(3))(inputs)
    x = Doubled(Gain(3))(x)
    x = Halved(Gain(3))(x)
    x = Halved(Doubled(layers.Dense(3, activation="tanh")))(x)
    return loom.Model(inputs, x)


def test_wrappers_whose_config_holds_a_layer_save_and_load(tmp_path):
    model = _wrapper_model()
    RECEIVED.clear()
    loaded = round_trip(model, tmp_path / "m.keras")
    assert RECEIVED == [dict] * 5  # every from_config got the inner layer's config, as in Keras
    assert [type(layer).__name__ for layer in loaded.layers] == ["InputLayer", "Doubled", "Doubled", "Halved", "Halved"]
    assert type(loaded.layers[2].inner) is Gain and type(loaded.layers[4].inner.inner) is layers.Dense
    assert_bitwise_equal(loaded(X), model(X))
    rebuilt = loom.models.model_from_json(model.to_json())
    rebuilt.set_weights(model.get_weights())
    assert_bitwise_equal(rebuilt(X), model(X))


def test_the_inner_layers_from_config_sees_the_loads_custom_objects(tmp_path):
    class Unregistered(Gain):
        pass

    inputs = loom.Input((3,))
    model = loom.Model(inputs, Doubled(Unregistered(2))(inputs))
    model.save(tmp_path / "m.keras")
    with pytest.raises(UnknownObjectError, match="Unregistered"):
        loom.models.load_model(tmp_path / "m.keras")
    loaded = loom.models.load_model(tmp_path / "m.keras", custom_objects={"Unregistered": Unregistered})
    assert type(loaded.layers[1].inner) is Unregistered
    assert_bitwise_equal(loaded(X), model(X))


def test_a_functional_model_inside_a_custom_layers_config_round_trips(tmp_path):
    inner_input = loom.Input((3,))
    inner = loom.Model(inner_input, layers.Dense(2)(inner_input), name="inner")
    inputs = loom.Input((3,))
    model = loom.Model(inputs, Shifted(inner)(inputs))
    loaded = round_trip(model, tmp_path / "m.keras")
    assert isinstance(loaded.layers[1].model, loom.models.Functional)
    assert_bitwise_equal(loaded(X), model(X))


def test_a_bad_inner_config_is_a_config_error_naming_the_layer():
    config = loom.layers.serialize(Doubled(layers.Dense(3)))
    config["config"]["layer"]["config"]["units"] = "three"
    with pytest.raises(ConfigError, match="Dense"):
        loom.layers.deserialize(config)


def test_a_nested_layer_rebuilt_by_user_code_stays_in_safe_mode(tmp_path):
    marker = tmp_path / "marker"
    inputs = loom.Input((3,))
    model = loom.Model(inputs, Doubled(layers.Lambda(lambda t: t * 3.0))(inputs))
    config = json.loads(model.to_json())
    function = config["config"]["layers"][1]["config"]["layer"]["config"]["function"]
    function["config"]["source"] = f"lambda t: open('{marker}', 'w').write('x')"
    with pytest.raises(UnsafeCodeError, match="`open`"):
        loom.models.model_from_json(json.dumps(config))
    assert not marker.exists()
    model.save(tmp_path / "m.keras")
    assert_bitwise_equal(loom.models.load_model(tmp_path / "m.keras")(X), model(X))
