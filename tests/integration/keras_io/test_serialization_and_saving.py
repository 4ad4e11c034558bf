"""keras.io guide "Save, serialize, and export models" (guides/serialization_and_saving.py).

Whole-model .keras archives (plain, with registered custom objects, with
custom_objects=, inside custom_object_scope), config and JSON round trips,
clone_model, object serialization, weight transfer in memory and through
.weights.h5 files, and the appendix's custom layers holding other layers.
"""

import numpy as np
import pytest


def get_model(keras):
    # Create a simple model.
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(), loss="mean_squared_error")
    return model


def test_saved_model_reloads_with_equal_predictions(keras, in_tmp_path):
    rng = np.random.default_rng(0)
    model = get_model(keras)

    # Train the model.
    test_input = rng.random((128, 32))
    test_target = rng.random((128, 1))
    model.fit(test_input, test_target)

    # Calling `save('my_model.keras')` creates a zip archive `my_model.keras`.
    model.save("my_model.keras")

    # It can be used to reconstruct the model identically.
    reconstructed_model = keras.models.load_model("my_model.keras")

    # Let's check:
    np.testing.assert_allclose(model.predict(test_input), reconstructed_model.predict(test_input))
    # The optimizer state came back too: one more step moves both models alike.
    model.fit(test_input, test_target, shuffle=False, verbose=0)
    reconstructed_model.fit(test_input, test_target, shuffle=False, verbose=0)
    np.testing.assert_allclose(
        model.predict(test_input, verbose=0), reconstructed_model.predict(test_input, verbose=0), rtol=1e-5
    )


@pytest.fixture(autouse=True)
def _registry_restored(keras):
    """The guide clears the library's registry of custom objects; other tests in this
    process registered theirs at import, so the registry is put back afterwards."""
    registry = keras.saving.get_custom_objects()
    saved = dict(registry)
    yield
    registry.clear()
    registry.update(saved)


def custom_objects(keras):
    # Clear all previously registered custom objects
    keras.saving.get_custom_objects().clear()

    # Upon registration, you can optionally specify a package or a name.
    # If left blank, the package defaults to `Custom` and the name defaults to
    # the class name.
    @keras.saving.register_keras_serializable(package="MyLayers")
    class CustomLayer(keras.layers.Layer):
        def __init__(self, factor):
            super().__init__()
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {"factor": self.factor}

    @keras.saving.register_keras_serializable(package="my_package", name="custom_fn")
    def custom_fn(x):
        return x**2

    # Create the model.
    def get_model():
        inputs = keras.Input(shape=(4,))
        mid = CustomLayer(0.5)(inputs)
        outputs = keras.layers.Dense(1, activation=custom_fn)(mid)
        model = keras.Model(inputs, outputs)
        model.compile(optimizer="rmsprop", loss="mean_squared_error")
        return model

    # Train the model.
    def train_model(model):
        rng = np.random.default_rng(1)
        input = rng.random((4, 4))
        target = rng.random((4, 1))
        model.fit(input, target)
        return model

    return CustomLayer, custom_fn, get_model, train_model


def test_registered_custom_objects_reload_without_arguments(keras, in_tmp_path):
    CustomLayer, custom_fn, get_model, train_model = custom_objects(keras)
    test_input = np.random.default_rng(0).random((4, 4))

    model = get_model()
    model = train_model(model)
    model.save("custom_model.keras")

    # Now, we can simply load without worrying about our custom objects.
    reconstructed_model = keras.models.load_model("custom_model.keras")

    # Let's check:
    np.testing.assert_allclose(model.predict(test_input), reconstructed_model.predict(test_input))
    assert isinstance(reconstructed_model.layers[1], CustomLayer)
    assert reconstructed_model.layers[1].factor == 0.5
    assert keras.saving.get_registered_name(CustomLayer) == "MyLayers>CustomLayer"
    assert keras.saving.get_registered_name(custom_fn) == "my_package>custom_fn"


def test_custom_objects_passed_to_load_model_or_in_a_scope(keras, in_tmp_path):
    CustomLayer, custom_fn, get_model, train_model = custom_objects(keras)
    test_input = np.random.default_rng(0).random((4, 4))

    model = get_model()
    model = train_model(model)

    # Calling `save('my_model.keras')` creates a zip archive `my_model.keras`.
    model.save("custom_model.keras")

    # Upon loading, pass a dict containing the custom objects used in the
    # `custom_objects` argument of `keras.models.load_model()`.
    reconstructed_model = keras.models.load_model(
        "custom_model.keras",
        custom_objects={"CustomLayer": CustomLayer, "custom_fn": custom_fn},
    )

    # Let's check:
    np.testing.assert_allclose(model.predict(test_input), reconstructed_model.predict(test_input))

    model = get_model()
    model = train_model(model)
    model.save("custom_model.keras")

    # Pass the custom objects dictionary to a custom object scope and place
    # the `keras.models.load_model()` call within the scope.
    custom_objects_dict = {"CustomLayer": CustomLayer, "custom_fn": custom_fn}

    with keras.saving.custom_object_scope(custom_objects_dict):
        reconstructed_model = keras.models.load_model("custom_model.keras")

    # Let's check:
    np.testing.assert_allclose(model.predict(test_input), reconstructed_model.predict(test_input))


def test_clone_config_and_json_round_trips(keras):
    model = get_model(keras)
    new_model = keras.models.clone_model(model)
    assert new_model is not model and len(new_model.weights) == 2
    assert not any(w is v for w, v in zip(new_model.weights, model.weights))

    layer = keras.layers.Dense(3, activation="relu")
    layer_config = layer.get_config()
    print(layer_config)
    assert layer_config["units"] == 3 and layer_config["activation"] == "relu"

    new_layer = keras.layers.Dense.from_config(layer_config)
    assert new_layer.units == 3 and new_layer.name == layer.name

    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
    config = model.get_config()
    new_model = keras.Sequential.from_config(config)
    assert new_model.predict(np.ones((2, 32)), verbose=0).shape == (2, 1)

    inputs = keras.Input((32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = keras.Model(inputs, outputs)
    config = model.get_config()
    new_model = keras.Model.from_config(config)
    assert new_model.predict(np.ones((2, 32)), verbose=0).shape == (2, 1)

    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
    json_config = model.to_json()
    new_model = keras.models.model_from_json(json_config)
    assert [type(layer).__name__ for layer in new_model.layers] == ["Dense"]
    assert new_model.predict(np.ones((2, 32)), verbose=0).shape == (2, 1)


def test_arbitrary_object_serialization(keras):
    my_reg = keras.regularizers.L1(0.005)
    config = keras.saving.serialize_keras_object(my_reg)
    print(config)
    assert config["class_name"] == "L1"
    assert config["module"].split(".")[-1] == "regularizers"  # keras.regularizers; loom writes its own
    np.testing.assert_allclose(config["config"]["l1"], 0.005)

    new_reg = keras.saving.deserialize_keras_object(config)
    assert isinstance(new_reg, keras.regularizers.L1)
    np.testing.assert_allclose(new_reg.l1, 0.005)


def test_weights_transfer_in_memory(keras):
    def create_layer():
        layer = keras.layers.Dense(64, activation="relu", name="dense_2")
        layer.build((None, 784))
        return layer

    layer_1 = create_layer()
    layer_2 = create_layer()

    # Copy weights from layer 1 to layer 2
    layer_2.set_weights(layer_1.get_weights())
    np.testing.assert_array_equal(layer_2.get_weights()[0], layer_1.get_weights()[0])

    # Create a simple functional model
    inputs = keras.Input(shape=(784,), name="digits")
    x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = keras.layers.Dense(10, name="predictions")(x)
    functional_model = keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")

    # Define a subclassed model with the same architecture
    class SubclassedModel(keras.Model):
        def __init__(self, output_dim, name=None):
            super().__init__(name=name)
            self.output_dim = output_dim
            self.dense_1 = keras.layers.Dense(64, activation="relu", name="dense_1")
            self.dense_2 = keras.layers.Dense(64, activation="relu", name="dense_2")
            self.dense_3 = keras.layers.Dense(output_dim, name="predictions")

        def call(self, inputs):
            x = self.dense_1(inputs)
            x = self.dense_2(x)
            x = self.dense_3(x)
            return x

        def get_config(self):
            return {"output_dim": self.output_dim, "name": self.name}

    subclassed_model = SubclassedModel(10)
    # Call the subclassed model once to create the weights.
    subclassed_model(np.ones((1, 784)))

    # Copy weights from functional_model to subclassed_model.
    subclassed_model.set_weights(functional_model.get_weights())

    assert len(functional_model.weights) == len(subclassed_model.weights)
    for a, b in zip(functional_model.weights, subclassed_model.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy())

    x = np.random.default_rng(0).random((3, 784)).astype("float32")
    np.testing.assert_allclose(subclassed_model.predict(x, verbose=0), functional_model.predict(x, verbose=0), rtol=1e-5)

    inputs = keras.Input(shape=(784,), name="digits")
    x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)

    # Add a dropout layer, which does not contain any weights.
    x = keras.layers.Dropout(0.5)(x)
    outputs = keras.layers.Dense(10, name="predictions")(x)
    functional_model_with_dropout = keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")

    functional_model_with_dropout.set_weights(functional_model.get_weights())
    for a, b in zip(functional_model.get_weights(), functional_model_with_dropout.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_weights_files_and_extracting_pretrained_layers(keras, in_tmp_path):
    # Runnable example
    sequential_model = keras.Sequential(
        [
            keras.Input(shape=(784,), name="digits"),
            keras.layers.Dense(64, activation="relu", name="dense_1"),
            keras.layers.Dense(64, activation="relu", name="dense_2"),
            keras.layers.Dense(10, name="predictions"),
        ]
    )
    before = sequential_model.get_weights()
    sequential_model.save_weights("my_model.weights.h5")
    sequential_model.set_weights([np.zeros_like(w) for w in before])
    sequential_model.load_weights("my_model.weights.h5")
    for a, b in zip(sequential_model.get_weights(), before):
        np.testing.assert_array_equal(a, b)

    def create_functional_model():
        inputs = keras.Input(shape=(784,), name="digits")
        x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
        x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
        outputs = keras.layers.Dense(10, name="predictions")(x)
        return keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")

    functional_model = create_functional_model()
    functional_model.save_weights("pretrained.weights.h5")

    # In a separate program:
    pretrained_model = create_functional_model()
    pretrained_model.load_weights("pretrained.weights.h5")
    for a, b in zip(pretrained_model.get_weights(), functional_model.get_weights()):
        np.testing.assert_array_equal(a, b)

    # Create a new model by extracting layers from the original model:
    extracted_layers = pretrained_model.layers[:-1]
    extracted_layers.append(keras.layers.Dense(5, name="dense_3"))
    model = keras.Sequential(extracted_layers)
    model.summary()
    assert [layer.name for layer in model.layers] == ["dense_1", "dense_2", "dense_3"]
    assert model.predict(np.ones((2, 784)), verbose=0).shape == (2, 5)
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], functional_model.layers[1].get_weights()[0])


def test_freezing_a_nested_layer_keeps_the_weight_order(keras):
    class NestedDenseLayer(keras.layers.Layer):
        def __init__(self, units, name=None):
            super().__init__(name=name)
            self.dense_1 = keras.layers.Dense(units, name="dense_1")
            self.dense_2 = keras.layers.Dense(units, name="dense_2")

        def call(self, inputs):
            return self.dense_2(self.dense_1(inputs))

    nested_model = keras.Sequential([keras.Input((784,)), NestedDenseLayer(10, "nested")])
    variable_names = [v.name for v in nested_model.weights]
    print("variables: {}".format(variable_names))
    nested = nested_model.get_layer("nested")
    dense_1 = [nested.dense_1.kernel, nested.dense_1.bias]
    dense_2 = [nested.dense_2.kernel, nested.dense_2.bias]
    assert all(a is b for a, b in zip(nested_model.weights, dense_1 + dense_2))

    print("\nChanging trainable status of one of the nested layers...")
    nested_model.get_layer("nested").dense_1.trainable = False

    variable_names_2 = [v.name for v in nested_model.weights]
    print("\nvariables: {}".format(variable_names_2))
    # The guide warns the order "may" change; in Keras 3 it does not: weights keep
    # the order they were created in, trainable or not.
    assert all(a is b for a, b in zip(nested_model.weights, dense_1 + dense_2))
    assert len(nested_model.trainable_weights) == 2 and len(nested_model.non_trainable_weights) == 2


def appendix_classes(keras):
    ops = keras.ops

    @keras.saving.register_keras_serializable(package="MyLayers", name="KernelMult")
    class MyDense(keras.layers.Layer):
        def __init__(
            self,
            units,
            *,
            kernel_regularizer=None,
            kernel_initializer=None,
            nested_model=None,
            **kwargs,
        ):
            super().__init__(**kwargs)
            self.hidden_units = units
            self.kernel_regularizer = kernel_regularizer
            self.kernel_initializer = kernel_initializer
            self.nested_model = nested_model

        def get_config(self):
            config = super().get_config()
            # Update the config with the custom layer's parameters
            config.update(
                {
                    "units": self.hidden_units,
                    "kernel_regularizer": self.kernel_regularizer,
                    "kernel_initializer": self.kernel_initializer,
                    "nested_model": self.nested_model,
                }
            )
            return config

        def build(self, input_shape):
            input_units = input_shape[-1]
            self.kernel = self.add_weight(
                name="kernel",
                shape=(input_units, self.hidden_units),
                regularizer=self.kernel_regularizer,
                initializer=self.kernel_initializer,
            )

        def call(self, inputs):
            return ops.matmul(inputs, self.kernel)

    @keras.saving.register_keras_serializable(package="ComplexModels")
    class CustomModel(keras.layers.Layer):
        def __init__(self, first_layer, second_layer=None, **kwargs):
            super().__init__(**kwargs)
            self.first_layer = first_layer
            if second_layer is not None:
                self.second_layer = second_layer
            else:
                self.second_layer = keras.layers.Dense(8)

        def get_config(self):
            config = super().get_config()
            config.update(
                {
                    "first_layer": self.first_layer,
                    "second_layer": self.second_layer,
                }
            )
            return config

        @classmethod
        def from_config(cls, config):
            # Note that you can also use `keras.saving.deserialize_keras_object` here
            config["first_layer"] = keras.layers.deserialize(config["first_layer"])
            config["second_layer"] = keras.layers.deserialize(config["second_layer"])
            return cls(**config)

        def call(self, inputs):
            return self.first_layer(self.second_layer(inputs))

    return MyDense, CustomModel


def test_custom_layers_with_nested_objects_round_trip(keras):
    MyDense, CustomModel = appendix_classes(keras)

    layer = MyDense(units=16, kernel_regularizer="l1", kernel_initializer="ones")
    layer3 = MyDense(units=64, nested_model=layer)

    config = keras.layers.serialize(layer3)

    print(config)
    assert config["registered_name"] == "MyLayers>KernelMult"

    new_layer = keras.layers.deserialize(config)

    print(new_layer)
    assert isinstance(new_layer, MyDense) and new_layer.hidden_units == 64
    # MyDense has no from_config: Keras hands the nested layer back as its config dict
    # (loom rebuilds the layer); either way it is the units=16 MyDense.
    nested = new_layer.nested_model
    assert (nested["config"]["units"] if isinstance(nested, dict) else nested.hidden_units) == 16

    # Let's make our first layer the custom layer from the previous example (MyDense)
    inputs = keras.Input((32,))
    outputs = CustomModel(first_layer=layer)(inputs)
    model = keras.Model(inputs, outputs)

    config = model.get_config()
    new_model = keras.Model.from_config(config)
    assert new_model.predict(np.ones((2, 32)), verbose=0).shape == (2, 16)
    custom = new_model.layers[-1]
    assert isinstance(custom, CustomModel) and isinstance(custom.first_layer, MyDense)

    layer = MyDense(
        units=16,
        kernel_regularizer=keras.regularizers.L1L2(l1=1e-5, l2=1e-4),
        kernel_initializer="ones",
    )
    config = keras.layers.serialize(layer)
    print(config)
    assert config["class_name"] == "MyDense"
    assert config["registered_name"] == "MyLayers>KernelMult"
    assert config["config"]["kernel_initializer"] == "ones"
    regularizer = keras.saving.deserialize_keras_object(config["config"]["kernel_regularizer"])
    np.testing.assert_allclose([regularizer.l1, regularizer.l2], [1e-5, 1e-4])
