"""Saving leniencies of Keras 3 that loom keeps: the same program under Keras (JAX backend) and loom.

Each program is a function of the library module it is given (``keras`` or
``loom``), written as a Keras user writes it. Programs that save and load are
run under both libraries; where numbers are compared across them, weights are
copied from the Keras run into the loom run first.
"""

import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import loom  # noqa: E402

keras = pytest.importorskip("keras")

# Keras 3's Variable.numpy() (get_weights, predict) trips a NumPy 2 deprecation inside
# Keras itself; it is Keras's to fix, so it is not an error here.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

LIBRARIES = {"keras": keras, "loom": loom}
X = np.random.default_rng(11).normal(size=(5, 4)).astype("float32")


def _fresh(lib):
    lib.utils.clear_session()
    lib.utils.set_random_seed(0)
    return lib


def _copy_weights(source, target) -> None:
    target.set_weights([np.asarray(w) for w in source.get_weights()])


def _predict(model, x=X):
    return np.asarray(model.predict(x, verbose=0))


# Custom classes as a Keras user writes them, once per library.
_CLASSES = {}


def custom_classes(lib):
    if lib.__name__ in _CLASSES:
        return _CLASSES[lib.__name__]
    register = lib.saving.register_keras_serializable(package="SavingParity")
    received = []  # what the wrappers' from_config were given

    @register
    class MyDense(lib.layers.Layer):
        """The keras.io serialization guide's style: get_config returns only `units`."""

        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), name="w")

        def call(self, x):
            return lib.ops.matmul(x, self.w)

        def get_config(self):
            return {"units": self.units}

    @register
    class Wrapper(lib.layers.Layer):
        """get_config returns the inner layer object; from_config deserializes it."""

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
            received.append(type(config["layer"]).__name__)
            config["layer"] = lib.layers.deserialize(config["layer"])
            return cls(**config)

    @register
    class SerializingWrapper(Wrapper):
        """get_config serializes the inner layer itself, with layers.serialize."""

        def get_config(self):
            return {**lib.layers.Layer.get_config(self), "layer": lib.layers.serialize(self.inner)}

    class Stack(lib.Model):
        """A subclassed model: a list of layers and a functional model in attributes."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.blocks = [lib.layers.Dense(3, activation="relu"), lib.layers.Dense(3)]
            encoder_input = lib.Input((3,))
            self.encoder = lib.Model(encoder_input, lib.layers.Dense(2)(encoder_input))

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            return self.encoder(x)

    _CLASSES[lib.__name__] = MyDense, Wrapper, SerializingWrapper, Stack, received
    return _CLASSES[lib.__name__]


# --- 1. a custom layer whose get_config omits `name` -------------------------------------


def nameless_custom_layers(lib):
    MyDense = custom_classes(lib)[0]
    inputs = lib.Input((4,), name="x")
    first = MyDense(3, name="custom")
    functional = lib.Model(inputs, MyDense(2)(first(lib.layers.Dense(4)(inputs))))
    sequential = lib.Sequential([lib.Input((4,)), MyDense(3, name="first"), MyDense(2)])
    return functional, sequential


def test_custom_layers_without_a_name_in_their_config_load_as_in_keras(tmp_path):
    loaded_names, predictions = {}, {}
    for name, lib in LIBRARIES.items():
        functional, sequential = nameless_custom_layers(_fresh(lib))
        if name == "loom":
            _copy_weights(reference_functional, functional)
            _copy_weights(reference_sequential, sequential)
        else:
            reference_functional, reference_sequential = functional, sequential
        functional.save(tmp_path / f"{name}_f.keras")
        sequential.save(tmp_path / f"{name}_s.keras")
        loaded_f = lib.models.load_model(tmp_path / f"{name}_f.keras")
        loaded_s = lib.models.load_model(tmp_path / f"{name}_s.keras")
        np.testing.assert_array_equal(_predict(loaded_f), _predict(functional))
        np.testing.assert_array_equal(_predict(loaded_s), _predict(sequential))
        loaded_names[name] = [layer.name for layer in loaded_f.layers + loaded_s.layers]
        predictions[name] = _predict(loaded_f), _predict(loaded_s)
        rebuilt = lib.Model.from_config(functional.get_config())
        loaded_names[name].append(rebuilt.layers[2].name)
    # The rebuilt custom layers take fresh auto-names (the entries' names only wire the graph).
    assert loaded_names["loom"] == loaded_names["keras"]
    assert "custom" not in loaded_names["loom"] and "first" not in loaded_names["loom"]
    for ours, theirs in zip(predictions["loom"], predictions["keras"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


# --- 2. layers.serialize / deserialize, and layers inside a custom layer's config --------


def test_layers_serialize_writes_the_fields_keras_writes():
    ours = loom.layers.serialize(loom.layers.Dense(3, name="d"))
    theirs = keras.layers.serialize(keras.layers.Dense(3, name="d"))
    assert set(ours) == set(theirs)
    assert (ours["class_name"], ours["registered_name"]) == (theirs["class_name"], theirs["registered_name"])
    assert ours["config"]["name"] == theirs["config"]["name"] and ours["config"]["units"] == theirs["config"]["units"]
    for lib in LIBRARIES.values():
        MyDense = custom_classes(lib)[0]
        config = lib.layers.serialize(MyDense(2))
        assert config["registered_name"] == "SavingParity>MyDense"
        rebuilt = lib.layers.deserialize(config)
        assert type(rebuilt) is MyDense and rebuilt.units == 2
        with pytest.raises(ValueError):
            lib.layers.deserialize(lib.saving.serialize_keras_object(lib.initializers.Zeros()))


def wrapped_layers(lib):
    MyDense, Wrapper, SerializingWrapper, *_ = custom_classes(lib)
    inputs = lib.Input((4,))
    x = Wrapper(lib.layers.Dense(3))(inputs)
    x = Wrapper(MyDense(3))(x)
    x = SerializingWrapper(MyDense(3))(x)
    x = SerializingWrapper(Wrapper(lib.layers.Dense(2, activation="tanh")))(x)
    return lib.Model(inputs, x)


def test_wrapper_layers_holding_layers_in_their_config_save_and_load_as_in_keras(tmp_path):
    received, predictions = {}, {}
    for name, lib in LIBRARIES.items():
        model = wrapped_layers(_fresh(lib))
        if name == "loom":
            _copy_weights(reference, model)
        else:
            reference = model
        model.save(tmp_path / f"{name}.keras")
        log = custom_classes(lib)[4]
        log.clear()
        loaded = lib.models.load_model(tmp_path / f"{name}.keras")
        received[name] = list(log)
        np.testing.assert_array_equal(_predict(loaded), _predict(model))
        predictions[name] = _predict(loaded)
    assert received["loom"] == received["keras"] == ["dict"] * 5  # from_config gets configs, not layers
    np.testing.assert_allclose(predictions["loom"], predictions["keras"], rtol=1e-5, atol=1e-6)


# --- 3. load_weights into the same architecture built again ------------------------------


def functional(lib):
    inputs = lib.Input((4,))
    hidden = lib.layers.Dense(3, activation="relu")(inputs)
    return lib.Model(inputs, lib.layers.Dense(2)(lib.layers.Dropout(0.3)(hidden)))


def sequential(lib):
    return lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, activation="tanh"), lib.layers.Dense(2)])


def nested(lib):
    inner_input = lib.Input((3,))
    inner = lib.Model(inner_input, lib.layers.Dense(3, activation="relu")(inner_input))
    tower = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3)])
    inputs = lib.Input((4,))
    return lib.Model(inputs, lib.layers.Dense(2)(inner(tower(inputs))))


def subclassed(lib):
    model = custom_classes(lib)[3]()
    model(X)
    return model


@pytest.mark.parametrize("build", [functional, sequential, nested, subclassed])
def test_weights_load_into_the_same_architecture_built_again_as_in_keras(build, tmp_path):
    predictions = {}
    for name, lib in LIBRARIES.items():
        first, second = build(_fresh(lib)), build(lib)
        if name == "loom":
            _copy_weights(reference, first)
        else:
            reference = first
        path = tmp_path / f"{name}.weights.h5"
        first.save_weights(path)
        second.load_weights(path)
        np.testing.assert_array_equal(_predict(second), _predict(first))
        predictions[name] = _predict(second)
    np.testing.assert_allclose(predictions["loom"], predictions["keras"], rtol=1e-5, atol=1e-6)


def swapped_names(lib, names):
    inputs = lib.Input((4,))
    hidden = lib.layers.Dense(4, name=names[0])(inputs)
    return lib.Model(inputs, lib.layers.Dense(4, name=names[1])(hidden))


def test_weights_follow_the_layer_order_not_the_names_as_in_keras(tmp_path):
    for name, lib in LIBRARIES.items():
        first, swapped = swapped_names(_fresh(lib), ["a", "b"]), swapped_names(lib, ["b", "a"])
        first.save_weights(tmp_path / f"{name}.weights.h5")
        swapped.load_weights(tmp_path / f"{name}.weights.h5")
        np.testing.assert_array_equal(swapped.get_layer("b").get_weights()[0], first.get_layer("a").get_weights()[0])


def dense_stack(lib, units):
    inputs = outputs = lib.Input((4,))
    for size in units:
        outputs = lib.layers.Dense(size)(outputs)
    return lib.Model(inputs, outputs)


def _load_outcome(model, path, **kwargs):
    """``(error type or None, warning messages)`` of ``model.load_weights(path)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.load_weights(path, **kwargs)
        except ValueError as error:
            return type(error), []
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    # Keras also warns about its own internal containers; only the skip report counts here.
    return None, [m for m in messages if "could not be loaded" in m or "skip_mismatch" in m]


@pytest.mark.parametrize(
    "saved, loaded, outcome",
    [
        ([3, 2], [3, 5], "refused"),  # another shape
        ([3, 2], [3, 2, 2], "refused"),  # a layer the file lacks
        ([3, 2, 2], [3, 2], "loaded"),  # the file holds a layer more: Keras ignores it
    ],
    ids=["other-shape", "layer-missing-from-file", "extra-layer-in-file"],
)
def test_another_architecture_is_refused_or_loaded_as_in_keras(saved, loaded, outcome, tmp_path):
    for name, lib in LIBRARIES.items():
        path = tmp_path / f"{name}.weights.h5"
        source = dense_stack(_fresh(lib), saved)
        source.save_weights(path)
        target = dense_stack(lib, loaded)
        error, _ = _load_outcome(target, path)
        assert (error is None) == (outcome == "loaded"), (name, error)
        if error is not None:
            assert issubclass(error, ValueError)
            before = [np.asarray(w) for w in target.get_weights()]
            error, reports = _load_outcome(target, path, skip_mismatch=True)
            assert error is None and len(reports) == 1, (name, reports)  # one report of what was skipped
            after = target.get_weights()
            # The first layer fits and is loaded; the last does not fit and keeps its weights.
            np.testing.assert_array_equal(after[0], source.get_weights()[0])
            np.testing.assert_array_equal(after[-2], before[-2])
            np.testing.assert_array_equal(after[-1], before[-1])


@pytest.mark.parametrize("name", ["keras", "loom"])
def test_a_user_layer_nested_in_a_user_config_reaches_init_as_a_dict_as_in_keras(name):
    """Keras's default from_config is ``cls(**config)``: a layer nested in the config of a
    user's class arrives as its serialized dict, which the user's code deserializes."""
    lib = _fresh(LIBRARIES[name])
    received = []

    @lib.saving.register_keras_serializable(package=f"NestedDict_{name}", name="Outer")
    class Outer(lib.layers.Layer):
        def __init__(self, units, nested=None, **kwargs):
            super().__init__(**kwargs)
            received.append(type(nested).__name__)
            self.units, self.nested = units, nested

        def get_config(self):
            return {**super().get_config(), "units": self.units, "nested": self.nested}

    restored = lib.layers.deserialize(lib.layers.serialize(Outer(4, nested=Outer(2))))
    assert received[-1] == "dict"
    inner = lib.layers.deserialize(restored.nested)
    assert isinstance(inner, Outer) and inner.units == 2
