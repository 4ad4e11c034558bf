"""to_json / model_from_json in Keras 3's schema, both ways, and tf.keras 2 model configs read by loom.

Each model is built by the same function under Keras and loom; predictions
are compared on the same weights (copied with get_weights / set_weights).
"""

import json

import numpy as np
import pytest

import loom
from loom.saving.errors import ConfigError, UnsafeCodeError

keras = pytest.importorskip("keras")

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
RNG = np.random.default_rng(5)


def mlp(K):
    x = K.Input((4,), name="x")
    h = K.layers.Dense(8, activation="relu", kernel_regularizer=K.regularizers.L2(0.01), name="hidden")(x)
    h = K.layers.Dropout(0.1, name="drop")(h)
    return K.Model(x, K.layers.Dense(3, activation="softmax", name="out")(h), name="mlp")


def cnn(K):
    layers = [
        K.Input((6, 6, 2)),
        K.layers.Conv2D(4, 3, padding="same", name="conv"),
        K.layers.BatchNormalization(name="bn"),
        K.layers.ReLU(name="relu"),
        K.layers.MaxPooling2D(name="pool"),
        K.layers.Flatten(name="flat"),
        K.layers.Dense(2, name="logits"),
    ]
    return K.Sequential(layers, name="cnn")


def shared_lstm(K):
    a, b = K.Input((5, 3), name="a"), K.Input((5, 3), name="b")
    lstm = K.layers.LSTM(4, name="lstm")
    merged = K.layers.Concatenate(name="both")([lstm(a), lstm(b)])
    return K.Model([a, b], K.layers.Dense(1, name="score")(merged), name="siamese")


def nested(K):
    inner = K.Sequential([K.Input((4,)), K.layers.Dense(3, activation="tanh", name="inner_dense")], name="inner")
    x = K.Input((4,), name="outer_x")
    return K.Model(x, K.layers.Dense(2, name="head")(inner(x)), name="outer")


@keras.saving.register_keras_serializable(package="loom_tests", name="ScaledHead")
class KerasScaledHead(keras.Model):
    def __init__(self, units=2, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.scale = units, scale
        self.dense = keras.layers.Dense(units, name="dense")

    def call(self, inputs):
        return self.dense(inputs) * self.scale

    def get_config(self):
        return {**super().get_config(), "units": self.units, "scale": self.scale}


@loom.saving.register_keras_serializable(package="loom_tests", name="ScaledHead")
class LoomScaledHead(loom.Model):
    def __init__(self, units=2, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.scale = units, scale
        self.dense = loom.layers.Dense(units, name="dense")

    def call(self, inputs):
        return self.dense(inputs) * self.scale

    def get_config(self):
        return {**super().get_config(), "units": self.units, "scale": self.scale}


def subclassed(K):
    model = (KerasScaledHead if K is keras else LoomScaledHead)(units=2, scale=3.0, name="scaled")
    model(np.zeros((1, 4), "float32"))
    return model


BUILDERS = [mlp, cnn, shared_lstm, nested, subclassed]


def inputs_for(model):
    shapes = [tuple(t.shape[1:]) for t in model.inputs] if getattr(model, "inputs", None) else [(4,)]
    arrays = [RNG.normal(size=(3, *shape)).astype("float32") for shape in shapes]
    return arrays if len(arrays) > 1 else arrays[0]


def same_predictions(source, target):
    target.set_weights(source.get_weights())
    x = inputs_for(target)
    np.testing.assert_allclose(
        np.asarray(target.predict(x, verbose=0)), np.asarray(source.predict(x, verbose=0)), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("build", BUILDERS, ids=lambda f: f.__name__)
def test_loom_json_loads_in_keras_with_equal_predictions(build):
    loom_model = build(loom)
    keras_model = keras.models.model_from_json(loom_model.to_json())
    assert [layer.name for layer in keras_model.layers] == [layer.name for layer in loom_model.layers]
    same_predictions(loom_model, keras_model)


@pytest.mark.parametrize("build", BUILDERS, ids=lambda f: f.__name__)
def test_keras_json_loads_in_loom_with_equal_predictions(build):
    keras_model = build(keras)
    loom_model = loom.models.model_from_json(keras_model.to_json())
    assert type(loom_model).__name__ == {"KerasScaledHead": "LoomScaledHead"}.get(
        type(keras_model).__name__, type(keras_model).__name__
    )
    same_predictions(keras_model, loom_model)


def test_loom_json_is_keras_schema():
    config = json.loads(nested(loom).to_json())
    assert (config["module"], config["class_name"], config["registered_name"]) == (
        "keras.src.models.functional",
        "Functional",
        "Functional",
    )
    inner = config["config"]["layers"][1]
    assert (inner["module"], inner["class_name"], inner["name"]) == ("keras", "Sequential", "inner")
    head = config["config"]["layers"][2]
    assert head["module"] == "keras.layers"
    assert head["config"]["dtype"]["class_name"] == "DTypePolicy"
    history = head["inbound_nodes"][0]["args"][0]
    assert history["class_name"] == "__keras_tensor__"
    assert history["config"]["keras_history"] == ["inner", 0, 0]


def test_a_sequential_whose_first_layer_holds_the_input_shape_gets_an_input_layer_for_keras():
    model = loom.Sequential([loom.layers.Dense(3, input_shape=(4,), name="first"), loom.layers.Dense(1, name="second")])
    keras_model = keras.models.model_from_json(model.to_json())
    assert tuple(keras_model.inputs[0].shape) == (None, 4)
    same_predictions(model, keras_model)


def test_a_graph_constant_and_a_lambda_stay_loom_readable():
    x = loom.Input((3,), name="x")
    scaled = loom.layers.Lambda(lambda t: t * 2.0, name="double")(x)
    model = loom.Model(x, scaled + np.array([1.0, 2.0, 3.0], "float32"), name="constant")
    rebuilt = loom.models.model_from_json(model.to_json())
    data = RNG.normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(rebuilt.predict(data, verbose=0)), data * 2.0 + [1.0, 2.0, 3.0], rtol=1e-6)
    with pytest.raises((TypeError, ValueError)):
        keras.models.model_from_json(model.to_json())


# --- tf.keras 2 schema ------------------------------------------------------------------------
def dense2(name, units, activation="linear"):
    return {
        "class_name": "Dense",
        "config": {
            "name": name,
            "trainable": True,
            "dtype": "float32",
            "units": units,
            "activation": activation,
            "use_bias": True,
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}},
            "kernel_regularizer": None,
            "bias_regularizer": None,
            "activity_regularizer": None,
            "kernel_constraint": None,
            "bias_constraint": None,
        },
    }


def input2(name, shape):
    config = {"batch_input_shape": [None, *shape], "dtype": "float32", "sparse": False, "ragged": False, "name": name}
    return {"class_name": "InputLayer", "config": config, "name": name, "inbound_nodes": []}


KERAS2_FUNCTIONAL = {
    "class_name": "Model",
    "keras_version": "2.3.1",
    "backend": "tensorflow",
    "config": {
        "name": "legacy",
        "layers": [
            input2("in_a", (4,)),
            input2("in_b", (4,)),
            {
                **dense2("shared", 3, "relu"),
                "name": "shared",
                "inbound_nodes": [[["in_a", 0, 0, {}]], [["in_b", 0, 0, {}]]],
            },
            {
                "class_name": "BatchNormalization",
                "config": {
                    "name": "bn",
                    "trainable": True,
                    "dtype": {"class_name": "Policy", "config": {"name": "float32"}},
                    "axis": [1],
                    "momentum": 0.99,
                    "epsilon": 0.001,
                    "center": True,
                    "scale": True,
                },
                "name": "bn",
                "inbound_nodes": [[["shared", 1, 0, {}]]],
            },
            {
                "class_name": "Merge",
                "config": {"name": "merge", "mode": "concat", "concat_axis": -1},
                "name": "merge",
                "inbound_nodes": [[["shared", 0, 0, {}], ["bn", 0, 0, {}]]],
            },
            {**dense2("out", 2), "name": "out", "inbound_nodes": [[["merge", 0, 0, {}]]]},
        ],
        "input_layers": [["in_a", 0, 0], ["in_b", 0, 0]],
        "output_layers": [["out", 0, 0]],
    },
}


def test_a_keras2_functional_config_builds_and_computes_what_it_describes():
    model = loom.models.model_from_json(json.dumps(KERAS2_FUNCTIONAL))
    kernel, bias, gamma, beta, mean, variance, out_kernel, out_bias = model.get_weights()
    a, b = RNG.normal(size=(2, 5, 4)).astype("float32")
    shared_a = np.maximum(a @ kernel + bias, 0)
    shared_b = np.maximum(b @ kernel + bias, 0)
    normalized = (shared_b - mean) / np.sqrt(variance + 1e-3) * gamma + beta
    expected = np.concatenate([shared_a, normalized], axis=-1) @ out_kernel + out_bias
    np.testing.assert_allclose(np.asarray(model.predict([a, b], verbose=0)), expected, rtol=1e-5, atol=1e-6)
    assert [type(layer).__name__ for layer in model.layers[2:]] == [
        "Dense",
        "BatchNormalization",
        "Concatenate",
        "Dense",
    ]


def test_a_keras2_sequential_with_a_batch_input_shape_and_recurrent_arguments_builds():
    gru = {
        "class_name": "GRU",
        "config": {
            "name": "gru",
            "units": 3,
            "batch_input_shape": [None, 5, 2],
            "dtype": "float32",
            "time_major": False,
            "implementation": 2,
            "reset_after": True,
            "return_sequences": False,
        },
    }
    config = {"class_name": "Sequential", "config": {"name": "seq", "layers": [gru, dense2("head", 1)]}}
    model = loom.models.model_from_json(json.dumps(config))
    assert tuple(model.inputs[0].shape) == (None, 5, 2)
    assert model.predict(RNG.normal(size=(4, 5, 2)).astype("float32"), verbose=0).shape == (4, 1)


def test_a_keras2_lambda_stored_as_bytecode_is_refused_even_outside_safe_mode():
    lambda_entry = {
        "class_name": "Lambda",
        "config": {"name": "magic", "function": ["4wEAAAAAAAAA", None, None], "function_type": "lambda"},
        "name": "magic",
        "inbound_nodes": [[["in_a", 0, 0, {}]]],
    }
    config = json.loads(json.dumps(KERAS2_FUNCTIONAL))
    config["config"]["layers"].insert(2, lambda_entry)
    for safe_mode in (True, False):
        with pytest.raises(UnsafeCodeError, match="Lambda layer 'magic'.*bytecode"):
            loom.models.model_from_json(json.dumps(config), safe_mode=safe_mode)


def test_a_keras2_feature_loom_dropped_is_refused_by_name():
    gru = {"class_name": "GRU", "config": {"name": "gru", "units": 3, "time_major": True}}
    config = {"class_name": "Sequential", "config": {"name": "seq", "layers": [gru]}}
    with pytest.raises(ConfigError, match="time_major=True"):
        loom.models.model_from_json(json.dumps(config))
