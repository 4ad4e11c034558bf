"""keras.io guide "Making new layers and models via subclassing"
(guides/making_new_layers_and_models_via_subclassing.py).

Layers with weights made in __init__ and in build, non-trainable state updated in
call, nested layers, add_loss (alone and with a compiled loss), get_config, the
`training` argument, and the guide's end-to-end VAE on MNIST-shaped data.
"""

import numpy as np


def linear_in_init_class(keras):
    ops = keras.ops

    class Linear(keras.layers.Layer):
        def __init__(self, units=32, input_dim=32):
            super().__init__()
            self.w = self.add_weight(
                shape=(input_dim, units),
                initializer="random_normal",
                trainable=True,
            )
            self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    return Linear


def linear_class(keras, with_config=False):
    """The guide's lazy Linear (weights made in build); with_config adds its **kwargs get_config."""
    ops = keras.ops

    class Linear(keras.layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(
                shape=(input_shape[-1], self.units),
                initializer="random_normal",
                trainable=True,
            )
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    if not with_config:
        return Linear

    class ConfigurableLinear(Linear):
        def get_config(self):
            config = super().get_config()
            config.update({"units": self.units})
            return config

    return ConfigurableLinear


def test_layer_with_weights_made_in_init(keras):
    ops = keras.ops
    Linear = linear_in_init_class(keras)
    x = ops.ones((2, 2))
    linear_layer = Linear(4, 2)
    y = linear_layer(x)
    print(y)
    assert tuple(y.shape) == (2, 4)
    np.testing.assert_allclose(np.asarray(y), np.ones((2, 2)) @ linear_layer.w.numpy(), rtol=1e-6)
    assert linear_layer.weights == [linear_layer.w, linear_layer.b]


def test_non_trainable_weight_updated_in_call(keras):
    ops = keras.ops

    class ComputeSum(keras.layers.Layer):
        def __init__(self, input_dim):
            super().__init__()
            self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

        def call(self, inputs):
            self.total.assign_add(ops.sum(inputs, axis=0))
            return self.total

    x = ops.ones((2, 2))
    my_sum = ComputeSum(2)
    y = my_sum(x)
    np.testing.assert_array_equal(np.asarray(y), [2.0, 2.0])
    y = my_sum(x)
    np.testing.assert_array_equal(np.asarray(y), [4.0, 4.0])
    assert len(my_sum.weights) == 1
    assert len(my_sum.non_trainable_weights) == 1
    # It's not included in the trainable weights:
    assert my_sum.trainable_weights == []


def test_lazy_weights_and_recursively_composed_layers(keras):
    ops = keras.ops
    Linear = linear_class(keras)

    # At instantiation, we don't know on what inputs this is going to get called
    linear_layer = Linear(32)
    assert linear_layer.weights == []
    # The layer's weights are created dynamically the first time the layer is called
    y = linear_layer(ops.ones((2, 2)))
    assert [tuple(w.shape) for w in linear_layer.weights] == [(2, 32), (32,)]

    class MLPBlock(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.linear_1 = Linear(32)
            self.linear_2 = Linear(32)
            self.linear_3 = Linear(1)

        def call(self, inputs):
            x = self.linear_1(inputs)
            x = keras.activations.relu(x)
            x = self.linear_2(x)
            x = keras.activations.relu(x)
            return self.linear_3(x)

    mlp = MLPBlock()
    y = mlp(ops.ones(shape=(3, 64)))  # The first call to the `mlp` will create the weights
    assert tuple(y.shape) == (3, 1)
    assert len(mlp.weights) == 6
    assert len(mlp.trainable_weights) == 6


def activity_regularization_class(keras):
    ops = keras.ops

    # A layer that creates an activity regularization loss
    class ActivityRegularizationLayer(keras.layers.Layer):
        def __init__(self, rate=1e-2):
            super().__init__()
            self.rate = rate

        def call(self, inputs):
            self.add_loss(self.rate * ops.mean(inputs))
            return inputs

    return ActivityRegularizationLayer


def test_add_loss_collects_the_last_calls_losses(keras):
    ops = keras.ops
    ActivityRegularizationLayer = activity_regularization_class(keras)

    class OuterLayer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.activity_reg = ActivityRegularizationLayer(1e-2)

        def call(self, inputs):
            return self.activity_reg(inputs)

    layer = OuterLayer()
    assert len(layer.losses) == 0  # No losses yet since the layer has never been called

    _ = layer(ops.zeros((1, 1)))
    assert len(layer.losses) == 1  # We created one loss value

    # `layer.losses` gets reset at the start of each __call__
    _ = layer(ops.ones((1, 1)))
    assert len(layer.losses) == 1  # This is the loss created during the call above
    np.testing.assert_allclose(float(layer.losses[0]), 1e-2)

    class OuterLayerWithKernelRegularizer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(32, kernel_regularizer=keras.regularizers.l2(1e-3))

        def call(self, inputs):
            return self.dense(inputs)

    layer = OuterLayerWithKernelRegularizer()
    _ = layer(ops.zeros((1, 1)))

    # This is `1e-3 * sum(layer.dense.kernel ** 2)`,
    # created by the `kernel_regularizer` above.
    print(layer.losses)
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), 1e-3 * np.sum(layer.dense.kernel.numpy() ** 2), rtol=1e-5)


def test_add_loss_in_fit_with_and_without_a_compiled_loss(keras):
    ActivityRegularizationLayer = activity_regularization_class(keras)
    rng = np.random.default_rng(0)
    x, y = rng.random((2, 3)), rng.random((2, 3))

    inputs = keras.Input(shape=(3,))
    outputs = ActivityRegularizationLayer()(inputs)
    model = keras.Model(inputs, outputs)

    # If there is a loss passed in `compile`, the regularization
    # losses get added to it
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y)
    np.testing.assert_allclose(history.history["loss"][0], np.mean((x - y) ** 2) + 1e-2 * np.mean(x), rtol=1e-5)

    # It's also possible not to pass any loss in `compile`,
    # since the model already has a loss to minimize, via the `add_loss`
    # call during the forward pass!
    # (On a fresh model: Keras 3 keeps an earlier compile's loss when recompiled with
    # loss=None, so the guide's recompiled model would still add the MSE under Keras.)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam")
    history = model.fit(x, y)
    np.testing.assert_allclose(history.history["loss"][0], 1e-2 * np.mean(x), rtol=1e-5)


def test_get_config_and_from_config(keras):
    ops = keras.ops

    class Linear(keras.layers.Layer):
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(
                shape=(input_shape[-1], self.units),
                initializer="random_normal",
                trainable=True,
            )
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            return {"units": self.units}

    # Now you can recreate the layer from its config:
    layer = Linear(64)
    config = layer.get_config()
    print(config)
    new_layer = Linear.from_config(config)
    assert config == {"units": 64} and new_layer.units == 64

    Linear = linear_class(keras, with_config=True)
    layer = Linear(64, name="projection")
    config = layer.get_config()
    print(config)
    new_layer = Linear.from_config(config)
    assert config["units"] == 64 and config["name"] == "projection" and config["trainable"] is True
    assert new_layer.units == 64 and new_layer.name == "projection"


def test_training_argument_switches_custom_dropout(keras):
    ops = keras.ops

    class CustomDropout(keras.layers.Layer):
        def __init__(self, rate, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs, training=None):
            if training:
                return keras.random.dropout(inputs, rate=self.rate, seed=self.seed_generator)
            return inputs

    layer = CustomDropout(0.5)
    x = ops.ones((8, 100))
    np.testing.assert_array_equal(np.asarray(layer(x)), np.ones((8, 100)))
    dropped = np.asarray(layer(x, training=True))
    assert set(np.unique(dropped)) == {0.0, 2.0}  # kept values are scaled by 1 / (1 - rate)
    assert 0.3 < np.mean(dropped == 0.0) < 0.7

    # In a functional model, fit runs it in training mode and predict in inference mode.
    inputs = keras.Input((100,))
    model = keras.Model(inputs, CustomDropout(0.5)(inputs))
    np.testing.assert_array_equal(model.predict(np.ones((8, 100)), verbose=0), np.ones((8, 100)))


def vae_classes(keras):
    layers, ops = keras.layers, keras.ops

    class Sampling(layers.Layer):
        """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            batch = ops.shape(z_mean)[0]
            dim = ops.shape(z_mean)[1]
            epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
            return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    class Encoder(layers.Layer):
        """Maps MNIST digits to a triplet (z_mean, z_log_var, z)."""

        def __init__(self, latent_dim=32, intermediate_dim=64, name="encoder", **kwargs):
            super().__init__(name=name, **kwargs)
            self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
            self.dense_mean = layers.Dense(latent_dim)
            self.dense_log_var = layers.Dense(latent_dim)
            self.sampling = Sampling()

        def call(self, inputs):
            x = self.dense_proj(inputs)
            z_mean = self.dense_mean(x)
            z_log_var = self.dense_log_var(x)
            z = self.sampling((z_mean, z_log_var))
            return z_mean, z_log_var, z

    class Decoder(layers.Layer):
        """Converts z, the encoded digit vector, back into a readable digit."""

        def __init__(self, original_dim, intermediate_dim=64, name="decoder", **kwargs):
            super().__init__(name=name, **kwargs)
            self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
            self.dense_output = layers.Dense(original_dim, activation="sigmoid")

        def call(self, inputs):
            x = self.dense_proj(inputs)
            return self.dense_output(x)

    class VariationalAutoEncoder(keras.Model):
        """Combines the encoder and decoder into an end-to-end model for training."""

        def __init__(
            self,
            original_dim,
            intermediate_dim=64,
            latent_dim=32,
            name="autoencoder",
            **kwargs,
        ):
            super().__init__(name=name, **kwargs)
            self.original_dim = original_dim
            self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
            self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

        def call(self, inputs):
            z_mean, z_log_var, z = self.encoder(inputs)
            reconstructed = self.decoder(z)
            # Add KL divergence regularization loss.
            kl_loss = -0.5 * ops.mean(z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1)
            self.add_loss(kl_loss)
            return reconstructed

    return VariationalAutoEncoder


def test_variational_autoencoder_trains_with_its_kl_loss(keras):
    VariationalAutoEncoder = vae_classes(keras)
    # MNIST-shaped uint8 digits (512 instead of 60000).
    x_train = np.random.default_rng(0).integers(0, 256, size=(512, 28, 28), dtype="uint8")
    x_train = x_train.reshape(512, 784).astype("float32") / 255

    original_dim = 784
    vae = VariationalAutoEncoder(784, 64, 32)

    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    vae.compile(optimizer, loss=keras.losses.MeanSquaredError())

    history = vae.fit(x_train, x_train, epochs=2, batch_size=64)
    assert history.history["loss"][1] < history.history["loss"][0]
    assert len(vae.weights) == 2 * 5  # five Dense layers
    reconstructed = vae.predict(x_train[:3], verbose=0)
    assert reconstructed.shape == (3, original_dim)
    assert np.all((reconstructed >= 0) & (reconstructed <= 1))
    _ = vae(x_train[:3])
    assert len(vae.losses) == 1  # the KL term of this call
