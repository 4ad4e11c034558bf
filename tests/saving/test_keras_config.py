"""keras_config: every layer of the conformance table, Keras 3's config into loom and loom's into Keras.

The Keras twin of each recipe is the recipe itself with ``L`` bound to
``keras.layers``, so the table stays the one list of layers and arguments.
"""

import types

import numpy as np
import pytest

import loom
from loom.saving import keras_config
from loom.saving.errors import ConfigError, UnsafeCodeError
from tests.layers.test_conformance import RECIPES

keras = pytest.importorskip("keras")

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

# Recipes that cannot be exchanged, and why.
NOT_EXCHANGED = {
    "ConvexCombination": "loom-only layer: Keras has no such class",
    "ElementwiseScale": "loom-only layer: Keras has no such class",
    "ThresholdedReLU": "Keras 3 dropped it (loom keeps it from tf.keras 2)",
    "Lambda": "Keras stores the function as bytecode, loom as source; each refuses the other's (tests below)",
}
# Recipes whose Keras class exists but whose arguments are objects of the test module, which
# Keras's loader cannot locate (it finds only what is registered with Keras itself).
TEST_LOCAL = {
    "JaxLayer": "its call_fn/init_fn are recipes_core's functions, registered with loom only",
    "Wrapper": "the recipe wraps in recipes_core.HalvedWrapper, a test-local subclass registered with loom only",
}
# Arguments a Keras class takes but leaves out of its get_config, so a loom config that goes
# through Keras comes back with them at their defaults; loom keeps them (see test_config_round_trips.py).
KERAS_FORGETS = {
    "RandomGrayscale": {"seed"},
}
EXCHANGED = {name for name, recipe in RECIPES.items() if recipe is not None and name not in NOT_EXCHANGED}
CASES = sorted(EXCHANGED - set(TEST_LOCAL))


def as_stored(value):
    """A config as a file holds it: JSON has no tuples, so Keras's ``(0, 255)`` and loom's
    ``[0, 255]`` are the same value once written (Keras's own save and load makes the same change)."""
    if isinstance(value, (list, tuple)):
        return [as_stored(v) for v in value]
    if isinstance(value, dict):
        return {k: as_stored(v) for k, v in value.items()}
    return value


def keras_twin(name: str):
    """The recipe's layer built by Keras: the same lambda with ``L`` meaning ``keras.layers``."""
    build = RECIPES[name][0]
    rebound = types.FunctionType(build.__code__, {**build.__globals__, "L": keras.layers}, build.__name__)
    return rebound()


@pytest.mark.parametrize("name", CASES)
def test_keras_config_builds_in_loom_and_translates_back_unchanged(name):
    keras_layer = keras_twin(name)
    entry = keras.saving.serialize_keras_object(keras_layer)
    loom_layer = loom.saving.deserialize_keras_object(keras_config.from_keras(entry))
    assert type(loom_layer).__name__ == type(keras_layer).__name__
    back = keras_config.to_keras(loom.saving.serialize_keras_object(loom_layer))
    rebuilt = keras.saving.deserialize_keras_object(back)
    assert as_stored(rebuilt.get_config()) == as_stored(keras_layer.get_config())


@pytest.mark.parametrize("name", CASES)
def test_loom_config_builds_in_keras_and_translates_back_unchanged(name):
    loom_layer = RECIPES[name][0]()
    entry = keras_config.to_keras(loom.saving.serialize_keras_object(loom_layer))
    keras_layer = keras.saving.deserialize_keras_object(entry)
    assert type(keras_layer).__name__ == type(loom_layer).__name__
    again = loom.saving.deserialize_keras_object(
        keras_config.from_keras(keras.saving.serialize_keras_object(keras_layer))
    )
    expected = loom_layer.get_config()
    forgotten = KERAS_FORGETS.get(name, set())
    if forgotten:
        # Keras really drops them, and everything else still comes back; they return at loom's defaults.
        assert not forgotten & set(keras_layer.get_config())
        kept = {k: v for k, v in expected.items() if k not in forgotten}
        expected = {**kept, **{k: type(loom_layer)(**kept).get_config()[k] for k in forgotten}}
    assert as_stored(again.get_config()) == as_stored(expected)


def keras_public_name(name: str) -> str:
    """The name Keras exports a recipe's class under (what its files and ``keras.layers`` use)."""
    entry = keras_config.to_keras(loom.saving.serialize_keras_object(RECIPES[name][0]()))
    return entry["class_name"]


def test_the_not_exchanged_list_is_exactly_what_keras_lacks():
    for name in CASES:
        assert hasattr(keras.layers, keras_public_name(name)), name
    assert all(hasattr(keras.layers, name) for name in TEST_LOCAL)  # the class exists; the recipe's object does not
    assert keras_public_name("GroupedQueryAttention") == "GroupQueryAttention"
    lacking = {name for name in NOT_EXCHANGED if name != "Lambda"}
    assert all(not hasattr(keras.layers, name) for name in lacking)


@pytest.mark.parametrize("name", sorted(TEST_LOCAL))
def test_a_test_local_recipe_fails_in_keras_only_for_its_unregistered_object(name):
    layer = RECIPES[name][0]()
    entry = keras_config.to_keras(loom.saving.serialize_keras_object(layer))
    with pytest.raises(TypeError, match=r"Could not locate (class|function) '(HalvedWrapper|recipe_affine)'"):
        keras.saving.deserialize_keras_object(entry)
    # loom itself reads the same translated entry back.
    again = loom.saving.deserialize_keras_object(keras_config.from_keras(entry))
    assert again.get_config() == layer.get_config()


def test_keras_writes_grouped_query_attention_by_its_exported_name_and_loom_reads_it():
    keras_entry = keras.saving.serialize_keras_object(keras.layers.GroupQueryAttention(2, 4, 2))
    loom_entry = keras_config.to_keras(loom.saving.serialize_keras_object(loom.layers.GroupQueryAttention(2, 4, 2)))
    assert (loom_entry["module"], loom_entry["class_name"]) == (keras_entry["module"], keras_entry["class_name"])
    layer = loom.saving.deserialize_keras_object(keras_config.from_keras(keras_entry))
    assert isinstance(layer, loom.layers.GroupQueryAttention)


def test_loom_only_table_names_every_public_loom_layer_keras_lacks():
    public = {
        name for name in dir(loom.layers) if not name.startswith("_") and isinstance(getattr(loom.layers, name), type)
    }
    layers = {name for name in public if issubclass(getattr(loom.layers, name), loom.layers.Layer)}
    lacking = {name for name in layers if not hasattr(keras.layers, name)}
    assert lacking <= keras_config.LOOM_ONLY["loom.layers"]
    assert all(not hasattr(keras.layers, name) for name in keras_config.LOOM_ONLY["loom.layers"])
    assert not hasattr(keras.constraints, "Simplex")


def test_a_loom_only_layer_keeps_loom_module_and_comes_back_in_loom():
    entry = keras_config.to_keras(loom.saving.serialize_keras_object(loom.layers.ThresholdedReLU(theta=0.5)))
    assert entry["module"] == "loom.layers"
    layer = loom.saving.deserialize_keras_object(keras_config.from_keras(entry))
    assert layer.get_config()["theta"] == 0.5
    with pytest.raises(TypeError, match="ThresholdedReLU"):
        keras.saving.deserialize_keras_object(entry)


def test_to_keras_writes_keras_module_names_dtype_policies_and_functions():
    layer = loom.layers.Dense(3, activation=loom.activations.relu, kernel_regularizer="l2", dtype="mixed_float16")
    entry = keras_config.to_keras(loom.saving.serialize_keras_object(layer))
    assert entry["module"] == "keras.layers"
    config = entry["config"]
    assert config["dtype"] == {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": "mixed_float16"},
        "registered_name": None,
    }
    assert config["kernel_initializer"]["module"] == "keras.initializers"
    assert config["kernel_regularizer"]["module"] == "keras.regularizers"
    assert config["activation"] == "relu"
    function = keras_config.to_keras(loom.saving.serialize_keras_object(loom.losses.mean_squared_error))
    assert function == {
        "module": "builtins",
        "class_name": "function",
        "config": "mean_squared_error",
        "registered_name": "function",
    }
    assert keras.saving.deserialize_keras_object(function) is keras.losses.mean_squared_error
    assert keras.saving.deserialize_keras_object(entry).dtype_policy.name == "mixed_float16"


def test_an_input_layer_gets_keras_ragged_flag_and_loses_it_again():
    entry = keras_config.to_keras(loom.saving.serialize_keras_object(loom.layers.InputLayer(batch_shape=(None, 3))))
    assert entry["config"]["ragged"] is False
    assert "ragged" not in keras_config.from_keras(entry)["config"]


def test_a_keras_feature_loom_lacks_is_refused_by_name():
    entry = keras.saving.serialize_keras_object(keras.layers.InputLayer(batch_shape=(None, 3), name="words"))
    entry["config"]["ragged"] = True
    with pytest.raises(ConfigError, match=r"InputLayer 'words' sets ragged=True.*loom"):
        keras_config.from_keras(entry)


def test_a_loom_argument_keras_lacks_is_refused_unless_at_its_default():
    plain = keras_config.to_keras(loom.saving.serialize_keras_object(loom.layers.LSTM(2)))
    assert "use_cudnn" not in plain["config"]
    entry = loom.saving.serialize_keras_object(loom.layers.LSTM(2, use_cudnn=False, name="seq"))
    with pytest.raises(ConfigError, match=r"LSTM 'seq' sets use_cudnn=False.*Keras"):
        keras_config.to_keras(entry)


def test_a_keras_lambda_is_refused_as_bytecode_and_a_loom_lambda_by_keras():
    keras_entry = keras.saving.serialize_keras_object(keras.layers.Lambda(lambda t: t + 1.0))
    with pytest.raises(UnsafeCodeError, match="bytecode"):
        loom.saving.deserialize_keras_object(keras_config.from_keras(keras_entry), safe_mode=False)
    loom_entry = keras_config.to_keras(loom.saving.serialize_keras_object(loom.layers.Lambda(lambda t: t + 1.0)))
    assert loom_entry["config"]["function"]["class_name"] == "__lambda_source__"
    rebuilt = loom.saving.deserialize_keras_object(keras_config.from_keras(loom_entry))
    np.testing.assert_allclose(np.asarray(rebuilt(np.ones((1, 2), "float32"))), 2.0)
    with pytest.raises((TypeError, ValueError)):
        keras.saving.deserialize_keras_object(loom_entry)


def test_compile_config_for_keras_leaves_loom_training_seed_out():
    config = {"optimizer": "adam", "loss": "mse", "training_seed": 7, "steps_per_execution": "auto"}
    translated = keras_config.compile_config_to_keras(config)
    assert translated == {"optimizer": "adam", "loss": "mse", "steps_per_execution": 1}


# Arguments in the forms Keras keeps differently: numbers it resolves to pairs, an unsorted
# value_range it sorts or keeps, a list where a tuple is usual.
IMAGE_ARGUMENTS = {
    "ContrastLimitedAdaptiveHistogramEqualization": {"value_range": (255, 0), "tile_grid_size": [3, 2]},
    "RandomBrightness": {"factor": 0.2, "value_range": (255, 0)},
    "RandomContrast": {"factor": 0.2, "value_range": (255, 0)},
    "RandomGaussianBlur": {"factor": 0.3, "kernel_size": 5, "sigma": 0.5},
    "RandomShear": {"x_factor": 0.3, "y_factor": [0.1, 0.2]},
    "RandomZoom": {"height_factor": [-0.2, 0.1]},
    "Solarization": {"addition_factor": 0.2, "threshold_factor": (0.1, 0.3), "value_range": (255, 0)},
}


@pytest.mark.parametrize("name", sorted(IMAGE_ARGUMENTS))
def test_an_image_layer_config_holds_its_arguments_as_keras_writes_them(name):
    arguments = {**IMAGE_ARGUMENTS[name], "name": "same"}
    ours = getattr(loom.layers, name)(**arguments).get_config()
    theirs = getattr(keras.layers, name)(**arguments).get_config()
    assert as_stored({k: v for k, v in ours.items() if k != "dtype"}) == as_stored(
        {k: v for k, v in theirs.items() if k != "dtype"}
    )
    # loom rebuilds its own config (Keras's RandomShear refuses the (-f, f) pair it writes).
    assert getattr(loom.layers, name).from_config(ours).get_config() == ours
