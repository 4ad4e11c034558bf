import numpy as np
import pytest

import loom
from loom import saving


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


LOOM_UTILS_NAMES = [
    "BatchedDataset", "Config", "CustomObjectScope", "Progbar", "PyDataset", "Sequence", "array_to_img",
    "clear_session", "custom_object_scope", "deserialize_keras_object", "disable_interactive_logging",
    "enable_interactive_logging", "get_custom_objects", "get_file", "get_registered_name", "get_registered_object",
    "get_source_inputs", "image_dataset_from_directory", "img_to_array", "is_interactive_logging_enabled",
    "is_keras_tensor", "load_img", "model_to_dot", "normalize", "pack_x_y_sample_weight", "pad_sequences", "plot_model",
    "register_keras_serializable", "save_img", "serialize_keras_object", "set_random_seed", "split_dataset",
    "standardize_dtype", "text_dataset_from_directory", "timeseries_dataset_from_array", "to_categorical",
    "unpack_x_y_sample_weight",
]  # fmt: skip
LEFT_OUT = ["FeatureSpace", "audio_dataset_from_directory", "bounding_boxes", "legacy"]


def test_public_names_of_loom_utils_are_pinned():
    names = [n for n in dir(loom.utils) if not n.startswith("_") and not isinstance(getattr(loom.utils, n), type(loom))]
    assert sorted(names) == LOOM_UTILS_NAMES


def test_every_keras_utils_name_is_in_loom_or_left_out_on_purpose(keras):
    keras_names = {n for n in dir(keras.utils) if not n.startswith("_")}
    assert keras_names - set(LOOM_UTILS_NAMES) == set(LEFT_OUT)


@pytest.mark.parametrize("name", LEFT_OUT)
def test_left_out_names_say_why(name):
    with pytest.raises(AttributeError, match=f"loom.utils.{name} is not provided: .{{40,}}"):
        getattr(loom.utils, name)
    assert not hasattr(loom.utils, name)


def test_unknown_names_raise_the_usual_attribute_error():
    with pytest.raises(AttributeError, match="module 'loom.utils' has no attribute 'nothing_here'"):
        loom.utils.nothing_here


def test_serialization_names_are_loom_saving_s():
    for name in ["CustomObjectScope", "custom_object_scope", "get_custom_objects", "get_registered_name",
                 "get_registered_object", "register_keras_serializable", "serialize_keras_object",
                 "deserialize_keras_object"]:  # fmt: skip
        assert getattr(loom.utils, name) is getattr(saving, name)
    from loom.utils import serialize_keras_object  # `from` imports reach them too

    assert serialize_keras_object is saving.serialize_keras_object


def test_serialize_keras_object_of_a_layer_has_keras_s_shape(keras):
    ours = loom.utils.serialize_keras_object(loom.layers.Dense(3, activation="relu", name="d"))
    theirs = keras.utils.serialize_keras_object(keras.layers.Dense(3, activation="relu", name="d"))
    assert ours.keys() == theirs.keys() == {"module", "class_name", "config", "registered_name"}
    assert (ours["class_name"], ours["module"], ours["registered_name"]) == ("Dense", "loom.layers", None)
    assert theirs["module"] == "keras.layers"
    for key in ("units", "activation", "use_bias", "name", "trainable"):
        assert ours["config"][key] == theirs["config"][key]
    assert ours["config"]["kernel_initializer"].keys() == theirs["config"]["kernel_initializer"].keys()
    layer = loom.utils.deserialize_keras_object(ours)
    assert isinstance(layer, loom.layers.Dense) and layer.units == 3


def test_registration_and_scopes_through_loom_utils():
    @loom.utils.register_keras_serializable(package="utils_test")
    def twice(x):
        return 2 * x

    assert loom.utils.get_registered_name(twice) == "utils_test>twice"
    assert loom.utils.get_registered_object("utils_test>twice") is twice
    assert loom.utils.get_custom_objects()["utils_test>twice"] is twice
    with loom.utils.custom_object_scope({"Thrice": int}):
        assert loom.utils.get_registered_object("Thrice") is int


def test_standardize_dtype_matches_keras(keras):
    for dtype in ["float32", np.float64, "int8", np.dtype("uint16"), "bool", "bfloat16"]:
        assert loom.utils.standardize_dtype(dtype) == keras.utils.standardize_dtype(dtype)

