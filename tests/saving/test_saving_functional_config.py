"""Functional and Sequential configs in Keras 3's format, rebuilt into the same graph:
shared layers, nested models, ops, dict/list inputs and outputs, constants."""

import json

import numpy as np
import pytest

import loom
from loom import layers, ops
from loom.saving import ConfigError, SerializationError, register_keras_serializable
from tests.saving.saving_helpers import assert_bitwise_equal, round_trip


def _graph_model():
    a = loom.Input((4,), name="a")
    b = loom.Input((4,), name="b")
    table = loom.Input(tensor=np.arange(8, dtype="float32").reshape(2, 4), name="table")
    shared = layers.Dense(3, name="shared")
    inner_input = loom.Input((3,), name="inner_in")
    inner = loom.Model(inner_input, layers.Dense(2, name="inner_dense")(inner_input), name="inner")
    ha, hb = shared(a), shared(b)
    weighted = ops.multiply(ha, hb) * np.array([1.0, 2.0, 3.0], dtype="float32")  # a graph constant
    score = ops.sum(weighted, axis=-1, keepdims=True) + ops.sum(ops.matmul(a, ops.transpose(table)), -1, keepdims=True)
    parts = ops.split(ha, 3, axis=-1)  # one op, three outputs
    sliced = ha[:, 1:3] + ha[..., None][:, :2, 0]
    nested = layers.Dropout(0.5, name="drop")(inner(hb), training=False)
    outputs = {"score": score, "second": parts[1] * 2.0, "sliced": sliced, "nested": nested}
    return loom.Model({"a": a, "b": b, "table": table}, outputs, name="graph")


def _inputs(rng=np.random.default_rng(0)):
    return {"a": rng.normal(size=(5, 4)).astype("float32"), "b": rng.normal(size=(5, 4)).astype("float32")}


def test_functional_config_has_keras_3_fields():
    config = _graph_model().get_config()
    assert set(config) == {"name", "trainable", "layers", "input_layers", "output_layers"}
    assert config["input_layers"] == {"a": ["a", 0, 0], "b": ["b", 0, 0], "table": ["table", 0, 0]}
    entries = {entry["name"]: entry for entry in config["layers"]}
    shared = entries["shared"]
    assert shared["class_name"] == "Dense" and shared["module"] == "loom.layers"
    histories = [node["args"][0]["config"]["keras_history"] for node in shared["inbound_nodes"]]
    assert histories == [["a", 0, 0], ["b", 0, 0]]
    assert shared["inbound_nodes"][0]["args"][0]["class_name"] == "__keras_tensor__"
    split = next(e for e in config["layers"] if e["config"].get("function") == "split")
    assert split["class_name"] == "FunctionOperation" and split["inbound_nodes"][0]["kwargs"] == {"axis": -1}
    assert entries["inner"]["class_name"] == "Functional"
    assert entries["drop"]["inbound_nodes"][0]["kwargs"] == {"training": False}
    json.dumps(config)  # plain JSON, arrays inline outside a model file


@pytest.mark.parametrize("via", ["file", "json"])
def test_graph_model_is_rebuilt_with_the_same_graph(via, tmp_path):
    model = _graph_model()
    x = _inputs()
    expected = model(x)
    if via == "file":
        loaded = round_trip(model, tmp_path / "graph.keras")
    else:
        loaded = loom.models.model_from_json(model.to_json())
        loaded.set_weights(model.get_weights())
    assert loaded.input_names == model.input_names and loaded.output_names == model.output_names
    assert [type(op).__name__ for op in loaded.operations] == [type(op).__name__ for op in model.operations]
    assert loaded.get_config() == model.get_config()
    assert_bitwise_equal(loaded(x), expected)


def test_graph_constants_and_constant_inputs_are_stored_with_the_weights(tmp_path):
    model = _graph_model()
    model.save(tmp_path / "graph.loom")
    stored = loom.saving.read_archive(tmp_path / "graph.loom").weights
    arrays = sorted(k for k in stored.specs if k.startswith("__arrays__/"))
    assert arrays == ["__arrays__/graph/multiply_1/call_0_args_1", "__arrays__/graph/table/input_tensor"]
    np.testing.assert_array_equal(stored.array(arrays[1]), np.arange(8, dtype="float32").reshape(2, 4))


def test_node_indices_count_only_the_models_own_calls():
    shared = layers.Dense(2, name="tower")
    first = loom.Input((3,), name="first")
    shared(first)  # a call that belongs to no model below
    x = loom.Input((3,), name="x")
    y = loom.Input((3,), name="y")
    model = loom.Model([x, y], layers.Add(name="sum")([shared(x), shared(y)]))
    config = model.get_config()
    add = next(e for e in config["layers"] if e["name"] == "sum")
    assert [t["config"]["keras_history"] for t in add["inbound_nodes"][0]["args"][0]] == [["tower", 0, 0], ["tower", 1, 0]]
    assert config["input_layers"] == [["x", 0, 0], ["y", 0, 0]]
    assert config["output_layers"] == ["sum", 0, 0]
    rebuilt = loom.models.Functional.from_config(config)
    assert len(rebuilt.get_layer("tower")._inbound_nodes) == 2


def test_sequential_round_trips_built_and_unbuilt(tmp_path):
    model = loom.Sequential([layers.Dense(3, input_shape=(4,), activation="relu"), layers.Dense(2)], name="stack")
    config = model.get_config()
    assert [e["class_name"] for e in config["layers"]] == ["InputLayer", "Dense", "Dense"]
    assert config["build_input_shape"] == [None, 4]
    x = np.ones((2, 4), "float32")
    loaded = round_trip(model, tmp_path / "seq.keras")
    assert isinstance(loaded, loom.Sequential) and len(loaded.layers) == 2
    assert_bitwise_equal(loaded(x), model(x))
    unbuilt = loom.models.model_from_json(loom.Sequential([layers.Dense(3), layers.Dense(1)]).to_json())
    assert isinstance(unbuilt, loom.Sequential) and not unbuilt.built and len(unbuilt.layers) == 2


def test_sequential_nested_in_a_functional_model(tmp_path):
    tower = loom.Sequential([loom.Input((4,)), layers.Dense(3), layers.Dense(2)], name="tower")
    a, b = loom.Input((4,), name="a"), loom.Input((4,), name="b")
    model = loom.Model([a, b], layers.Concatenate()([tower(a), tower(b)]))
    x = [np.ones((2, 4), "float32"), np.zeros((2, 4), "float32")]
    loaded = round_trip(model, tmp_path / "m.keras")
    assert isinstance(loaded.get_layer("tower"), loom.Sequential)
    assert_bitwise_equal(loaded(x), model(x))


@register_keras_serializable(package="SavingTests")
class Block(layers.Layer):
    """A custom layer with sublayers: its weights are named by attribute (block/inner/kernel)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = layers.Dense(units, activation="tanh")
        self.outer = layers.Dense(units)

    def call(self, x):
        return self.outer(self.inner(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class Scale(layers.Layer):
    """A simple custom layer (auto-captured config), given through custom_objects."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w * self.factor


def test_custom_layers_by_registration_and_by_custom_objects(tmp_path):
    inputs = loom.Input((4,))
    model = loom.Model(inputs, Scale(3.0, name="scale")(Block(3, name="block")(inputs)))
    state = loom.saving.get_model_state(model)
    assert sorted(state) == ["block/inner/bias", "block/inner/kernel", "block/outer/bias", "block/outer/kernel", "scale/w"]
    model.save(tmp_path / "m.keras")
    config = model.get_config()
    block = next(e for e in config["layers"] if e["name"] == "block")
    assert block["registered_name"] == "SavingTests>Block"
    with pytest.raises(loom.saving.UnknownObjectError, match="Scale"):
        loom.models.load_model(tmp_path / "m.keras")
    loaded = loom.models.load_model(tmp_path / "m.keras", custom_objects={"Scale": Scale})
    x = np.ones((2, 4), "float32")
    assert_bitwise_equal(loaded(x), model(x))
    with loom.saving.custom_object_scope({"Scale": Scale}):
        assert loom.models.load_model(tmp_path / "m.keras").get_layer("scale").factor == 3.0


@register_keras_serializable(package="SavingTests")
class TwoLayerNet(loom.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = layers.Dense(units, activation="relu")
        self.drop = layers.Dropout(0.2, seed=3)
        self.head = layers.Dense(1)

    def call(self, x, training=None):
        return self.head(self.drop(self.hidden(x), training=training))


def test_subclassed_model_round_trips_with_its_build_shape(tmp_path):
    model = TwoLayerNet(5)
    x = np.random.default_rng(1).normal(size=(4, 6)).astype("float32")
    expected = model(x)
    loaded = round_trip(model, tmp_path / "sub.keras")
    assert type(loaded) is TwoLayerNet and loaded.units == 5
    assert sorted(loom.saving.get_model_state(loaded)) == [
        "drop/seed_generator/state", "head/bias", "head/kernel", "hidden/bias", "hidden/kernel"
    ]
    assert_bitwise_equal(loaded(x), expected)


def test_intermediate_output_from_inside_a_nested_call_cannot_be_saved():
    inner_input = loom.Input((3,), name="inner_in")
    hidden = layers.Dense(2, name="hidden")
    inner = loom.Model(inner_input, layers.Dense(1, name="head")(hidden(inner_input)), name="inner")
    x = loom.Input((3,), name="x")
    inner(x)
    model = loom.Model(x, hidden.get_output_at(1))
    with pytest.raises(SerializationError, match="nested model 'inner'"):
        model.get_config()


def test_broken_graph_configs_raise_config_errors():
    config = _graph_model().get_config()
    missing = json.loads(json.dumps(config))
    missing["layers"] = [e for e in missing["layers"] if e["name"] != "shared"]
    with pytest.raises(ConfigError, match="no layer of the config produces"):
        loom.models.Functional.from_config(missing)
    renamed = json.loads(json.dumps(config))
    renamed["output_layers"]["score"] = ["nowhere", 0, 0]
    with pytest.raises(ConfigError, match="nowhere"):
        loom.models.Functional.from_config(renamed)
    duplicated = json.loads(json.dumps(config))
    duplicated["layers"].append(duplicated["layers"][0])
    with pytest.raises(ConfigError, match="two layers named"):
        loom.models.Functional.from_config(duplicated)


def test_model_from_config_rebuilds_a_functional_model_as_keras_does():
    model = _graph_model()
    rebuilt = loom.Model.from_config(model.get_config())
    assert isinstance(rebuilt, loom.models.Functional) and rebuilt.get_config() == model.get_config()


@register_keras_serializable(package="SavingTests")
class NamelessDense(layers.Layer):
    """A custom layer as the keras.io serialization guide writes it: get_config omits `name`."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), name="w")

    def call(self, x):
        return ops.matmul(x, self.w)

    def get_config(self):
        return {"units": self.units}


def test_custom_layer_whose_config_omits_its_name_loads_with_an_auto_name_as_in_keras(tmp_path):
    inputs = loom.Input((3,), name="x")
    shared = NamelessDense(3, name="custom")
    model = loom.Model(inputs, NamelessDense(2)(shared(shared(inputs))))  # one layer called twice
    assert [layer.name for layer in model.layers] == ["x", "custom", "nameless_dense"]
    loaded = round_trip(model, tmp_path / "m.keras")
    # The entry names only wire the graph; the layers take fresh auto-names, as Keras gives them.
    assert [layer.name for layer in loaded.layers] == ["x", "nameless_dense_1", "nameless_dense_2"]
    assert len(loaded.layers[1]._inbound_nodes) == 2
    x = np.random.default_rng(2).normal(size=(4, 3)).astype("float32")
    assert_bitwise_equal(loaded(x), model(x))
    rebuilt = loom.Model.from_config(model.get_config())
    assert [type(layer) for layer in rebuilt.layers] == [type(layer) for layer in model.layers]
    assert rebuilt.layers[1].name == "nameless_dense_3"


def test_sequential_of_custom_layers_whose_configs_omit_their_names(tmp_path):
    model = loom.Sequential([loom.Input((3,)), NamelessDense(4, name="first"), NamelessDense(2)])
    loaded = round_trip(model, tmp_path / "m.keras")
    assert [layer.name for layer in loaded.layers] == ["nameless_dense_1", "nameless_dense_2"]
    x = np.ones((2, 3), "float32")
    assert_bitwise_equal(loaded(x), model(x))
