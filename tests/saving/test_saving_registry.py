"""Names become classes only through the registry: built-ins, registered objects, custom_objects.
Configs naming anything else (os.system, builtins.eval, subprocess.Popen) are refused."""

import json
import zipfile

import numpy as np
import pytest

import loom
from loom import constraints, initializers, layers, losses, metrics, optimizers, regularizers
from loom.saving import (
    UnknownObjectError,
    deserialize_keras_object,
    get_registered_name,
    register_keras_serializable,
    serialize_keras_object,
)


def _hostile_entries(marker):
    command = f"touch {marker}"
    return [
        {"module": "os", "class_name": "system", "config": {"command": command}, "registered_name": None},
        {"module": "builtins", "class_name": "eval", "config": {"source": f"open('{marker}', 'w')"}},
        {"module": "builtins", "class_name": "function", "config": "eval", "registered_name": None},
        {"module": "subprocess", "class_name": "Popen", "config": {"args": ["touch", str(marker)]}},
        {"module": "posix", "class_name": "function", "config": "system", "registered_name": "system"},
        {"module": "my_unregistered.module", "class_name": "Dense", "config": {"units": 2}},
    ]


@pytest.mark.parametrize("index", range(6))
def test_configs_naming_code_outside_the_registry_are_refused(index, tmp_path):
    marker = tmp_path / "marker"
    entry = _hostile_entries(marker)[index]
    with pytest.raises(UnknownObjectError) as caught:
        deserialize_keras_object(entry)
    message = str(caught.value)
    assert repr(entry["module"])[1:-1] in message and "custom_objects" in message
    assert not marker.exists()


def _rewrite(path, change):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    change(config)
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _saved_model(tmp_path):
    inputs = loom.Input((3,), name="x")
    model = loom.Model(inputs, layers.Dense(2, name="dense")(inputs), name="victim")
    model.compile(optimizer="adam", loss="mse")
    path = tmp_path / "victim.keras"
    model.save(path)
    return path


@pytest.mark.parametrize("where", ["model", "layer", "initializer", "activation", "loss", "optimizer"])
def test_hostile_names_anywhere_in_a_model_file_are_refused(where, tmp_path):
    marker = tmp_path / "marker"
    path = _saved_model(tmp_path)
    system = {"module": "os", "class_name": "system", "config": {"command": f"touch {marker}"}, "registered_name": None}
    popen = {"module": "subprocess", "class_name": "Popen", "config": {"args": ["touch", str(marker)]}}
    evil = {"module": "builtins", "class_name": "function", "config": "eval", "registered_name": "function"}

    def change(config):
        dense = config["config"]["layers"][1]
        if where == "model":
            config.update(system)
        elif where == "layer":
            dense.update(popen)
        elif where == "initializer":
            dense["config"]["kernel_initializer"] = popen
        elif where == "activation":
            dense["config"]["activation"] = {"module": "os", "class_name": "function", "config": "system"}
        elif where == "loss":
            config["compile_config"]["loss"] = evil
        else:
            config["compile_config"]["optimizer"] = system

    _rewrite(path, change)
    with pytest.raises(UnknownObjectError):
        loom.models.load_model(path)
    assert not marker.exists()


def test_register_keras_serializable_uses_keras_keys_and_round_trips():
    @register_keras_serializable(package="SavingTests", name="Clip01")
    class ClipUnit(constraints.Constraint):
        def __call__(self, w):
            return loom.ops.clip(w, 0.0, 1.0)

        def get_config(self):
            return {}

    assert get_registered_name(ClipUnit) == "SavingTests>Clip01"
    assert loom.saving.get_custom_objects()["SavingTests>Clip01"] is ClipUnit
    serialized = serialize_keras_object(ClipUnit())
    assert serialized["registered_name"] == "SavingTests>Clip01"
    assert isinstance(deserialize_keras_object(serialized), ClipUnit)
    layer = layers.Dense(2, kernel_constraint=ClipUnit(), name="clipped")
    rebuilt = deserialize_keras_object(json.loads(json.dumps(serialize_keras_object(layer))))
    assert isinstance(rebuilt.kernel_constraint, ClipUnit)


def test_register_keras_serializable_rejects_classes_without_get_config():
    with pytest.raises(ValueError, match="get_config"):
        register_keras_serializable()(type("NoConfig", (), {}))


class LoudDense(layers.Dense):
    """Stands for other code passed or registered under a built-in's name."""

    def __init__(self, *args, **kwargs):
        raise AssertionError("a config naming loom's Dense must never run LoudDense")


@pytest.fixture
def registered_loud_dense():
    """LoudDense registered under a built-in's short name and under a name of its own."""
    for name in ("SavingTests>Dense", "SavingTests>Loud"):
        register_keras_serializable(*name.split(">"))(LoudDense)
    yield
    for name in ("SavingTests>Dense", "SavingTests>Loud"):
        loom.saving.get_custom_objects().pop(name)


@pytest.mark.parametrize("module", ["loom.layers", "keras.layers", None])
def test_a_config_naming_a_built_in_gets_the_built_in_whatever_custom_objects_hold(module, registered_loud_dense):
    entry = {**serialize_keras_object(layers.Dense(3)), "module": module}
    if module == "keras.layers":
        entry["registered_name"] = "Dense"  # as Keras writes a built-in
    assert type(deserialize_keras_object(entry, custom_objects={"Dense": LoudDense})) is layers.Dense
    with loom.saving.custom_object_scope({"Dense": LoudDense}):
        assert type(deserialize_keras_object(entry)) is layers.Dense


def test_a_model_file_of_built_ins_loads_them_whatever_custom_objects_hold(tmp_path, registered_loud_dense):
    path = _saved_model(tmp_path)
    model = loom.models.load_model(path, custom_objects={"Dense": LoudDense, "Adam": LoudDense})
    assert type(model.get_layer("dense")) is layers.Dense and type(model.optimizer) is optimizers.Adam


def test_a_registered_name_posing_as_a_built_in_is_refused(tmp_path, registered_loud_dense):
    entry = {**serialize_keras_object(layers.Dense(3)), "registered_name": "SavingTests>Loud"}
    with pytest.raises(loom.saving.ConfigError, match="registered_name='SavingTests>Loud'.*built-in"):
        deserialize_keras_object(entry)
    path = _saved_model(tmp_path)
    _rewrite(path, lambda config: config["config"]["layers"][1].update(registered_name="SavingTests>Loud"))
    with pytest.raises(loom.saving.ConfigError, match="loom refuses to let a registered object stand in"):
        loom.models.load_model(path)


def test_your_own_class_named_like_a_built_in_still_loads_through_custom_objects():
    class Dense(layers.Dense):  # the user's own class, written with the user's module
        pass

    entry = json.loads(json.dumps(serialize_keras_object(Dense(3))))
    assert entry["module"] == __name__ and entry["class_name"] == "Dense"
    assert type(deserialize_keras_object(entry, custom_objects={"Dense": Dense})) is Dense
    with pytest.raises(UnknownObjectError):
        deserialize_keras_object(entry)


@pytest.mark.parametrize(
    "obj",
    [
        initializers.GlorotUniform(seed=3),
        initializers.Constant(0.5),
        regularizers.L1L2(l1=0.01, l2=0.02),
        constraints.UnitNorm(axis=0),
        constraints.MaxNorm(2.0),
        losses.Huber(delta=2.0),
        losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        metrics.AUC(num_thresholds=50),
        metrics.MeanSquaredError(),
        optimizers.Adam(learning_rate=0.01, beta_1=0.8),
        optimizers.SGD(learning_rate=optimizers.schedules.ExponentialDecay(0.1, 10, 0.9), momentum=0.5),
    ],
    ids=lambda obj: type(obj).__name__,
)
def test_built_in_objects_round_trip_through_json(obj):
    serialized = json.loads(json.dumps(serialize_keras_object(obj)))
    assert serialized["class_name"] == type(obj).__name__ and serialized["registered_name"] is None
    assert serialized["module"].startswith("loom.")
    rebuilt = deserialize_keras_object(serialized)
    assert type(rebuilt) is type(obj)
    assert json.loads(json.dumps(serialize_keras_object(rebuilt))) == serialized


@pytest.mark.parametrize("function", [loom.activations.relu, losses.mean_squared_error])
def test_built_in_functions_are_stored_by_name(function):
    serialized = serialize_keras_object(function)
    assert serialized["class_name"] == "function" and serialized["config"] == function.__name__
    assert deserialize_keras_object(serialized) is function


def test_plain_values_and_arrays_round_trip():
    value = {"shape": (2, 3), "scale": np.float32(0.5), "table": np.arange(4, dtype="int32"), "s": slice(1, None)}
    serialized = json.loads(json.dumps(serialize_keras_object(value)))
    assert serialized["shape"] == [2, 3] and serialized["scale"] == 0.5
    assert serialized["table"]["class_name"] == "__numpy__"
    rebuilt = deserialize_keras_object(serialized)
    np.testing.assert_array_equal(rebuilt["table"], np.arange(4)) and rebuilt["table"].dtype == np.int32
    assert rebuilt["s"] == slice(1, None)


def test_inline_arrays_may_only_name_numeric_dtypes():
    with pytest.raises(loom.saving.ConfigError, match="dtype"):
        deserialize_keras_object({"class_name": "__numpy__", "config": {"value": [1], "dtype": "U999999999"}})


def test_public_names_of_loom_saving_are_pinned():
    public = sorted(name for name in dir(loom.saving) if not name.startswith("_"))
    modules = {name for name in public if type(getattr(loom.saving, name)).__name__ == "module"}
    assert sorted(set(public) - modules) == [
        "ArchiveError", "ConfigError", "CustomObjectScope", "IntegrityError", "NonFiniteWeightsError",
        "SavingError", "SerializationError", "UnknownObjectError", "UnsafeCodeError", "WeightsFileError",
        "WeightsMismatchError", "atomic_open",
        "custom_object_scope", "deserialize_keras_object", "get_custom_objects", "get_model_state",
        "get_registered_name", "get_registered_object", "load_model", "load_safetensors", "load_weights",
        "model_from_json", "read_archive", "register_keras_serializable", "save_model", "save_safetensors",
        "save_weights", "serialize_keras_object", "set_model_state", "write_archive",
    ]  # fmt: skip
    assert all(issubclass(getattr(loom.saving, name), ValueError) for name in public if name.endswith("Error"))
