"""keras.io guide "The Functional API" (guides/functional_api.py).

MNIST and CIFAR10 are replaced by seeded uint8 images of the same shapes whose
labels follow from the pixels (one noisy prototype image per class), so that a
few steps of training measurably lower the loss. VGG19 (a download) is replaced
by a small convolutional model for the "extract and reuse nodes" section.
"""

import numpy as np


def prototype_images(shape, samples, classes=10, seed=0):
    """uint8 images of `shape`: a fixed random prototype per class plus noise; labels uint8."""
    rng = np.random.default_rng(seed)
    prototypes = rng.integers(0, 256, size=(classes, *shape))
    labels = rng.integers(0, classes, size=(samples,)).astype("uint8")
    noise = rng.integers(-60, 61, size=(samples, *shape))
    return np.clip(prototypes[labels] + noise, 0, 255).astype("uint8"), labels


def mnist_model(keras):
    layers = keras.layers
    inputs = keras.Input(shape=(784,))
    dense = layers.Dense(64, activation="relu")
    x = dense(inputs)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10)(x)
    model = keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")
    return model, inputs


def test_first_model_trains_evaluates_and_reloads(keras, in_tmp_path):
    model, inputs = mnist_model(keras)
    assert tuple(inputs.shape) == (None, 784)
    assert inputs.dtype == "float32"
    assert model.name == "mnist_model"

    images, labels = prototype_images((28, 28), 1200)
    (x_train, y_train), (x_test, y_test) = (images[:1000], labels[:1000]), (images[1000:], labels[1000:])
    x_train = x_train.reshape(1000, 784).astype("float32") / 255
    x_test = x_test.reshape(200, 784).astype("float32") / 255

    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=keras.optimizers.RMSprop(),
        metrics=["accuracy"],
    )

    history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_split=0.2)

    test_scores = model.evaluate(x_test, y_test, verbose=2)
    print("Test loss:", test_scores[0])
    print("Test accuracy:", test_scores[1])
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.history["loss"][1] < history.history["loss"][0]
    assert len(test_scores) == 2 and test_scores[1] > 0.5  # chance is 0.1

    model.save("path_to_my_model.keras")
    predictions = model.predict(x_test)
    del model
    # Recreate the exact same model purely from the file:
    model = keras.models.load_model("path_to_my_model.keras")
    np.testing.assert_allclose(model.predict(x_test), predictions, rtol=1e-5, atol=1e-6)


def autoencoder_from_one_graph(keras):
    layers = keras.layers
    encoder_input = keras.Input(shape=(28, 28, 1), name="img")
    x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    encoder_output = layers.GlobalMaxPooling2D()(x)

    encoder = keras.Model(encoder_input, encoder_output, name="encoder")
    encoder.summary()

    x = layers.Reshape((4, 4, 1))(encoder_output)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
    x = layers.UpSampling2D(3)(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    decoder_output = layers.Conv2DTranspose(1, 3, activation="relu")(x)

    autoencoder = keras.Model(encoder_input, decoder_output, name="autoencoder")
    autoencoder.summary()
    return encoder, autoencoder


def test_one_graph_of_layers_defines_encoder_and_autoencoder(keras):
    encoder, autoencoder = autoencoder_from_one_graph(keras)
    assert tuple(encoder.output.shape) == (None, 16)
    assert tuple(autoencoder.output.shape) == (None, 28, 28, 1)
    images = np.random.default_rng(0).random((2, 28, 28, 1)).astype("float32")
    assert encoder.predict(images, verbose=0).shape == (2, 16)
    assert autoencoder.predict(images, verbose=0).shape == (2, 28, 28, 1)
    # The autoencoder holds the encoder's weights, and they are the same variables.
    assert len(autoencoder.weights) == 2 * 8
    assert all(any(w is v for v in autoencoder.weights) for w in encoder.weights)


def nested_autoencoder(keras):
    layers = keras.layers
    encoder_input = keras.Input(shape=(28, 28, 1), name="original_img")
    x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    encoder_output = layers.GlobalMaxPooling2D()(x)

    encoder = keras.Model(encoder_input, encoder_output, name="encoder")
    encoder.summary()

    decoder_input = keras.Input(shape=(16,), name="encoded_img")
    x = layers.Reshape((4, 4, 1))(decoder_input)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
    x = layers.UpSampling2D(3)(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    decoder_output = layers.Conv2DTranspose(1, 3, activation="relu")(x)

    decoder = keras.Model(decoder_input, decoder_output, name="decoder")
    decoder.summary()

    autoencoder_input = keras.Input(shape=(28, 28, 1), name="img")
    encoded_img = encoder(autoencoder_input)
    decoded_img = decoder(encoded_img)
    autoencoder = keras.Model(autoencoder_input, decoded_img, name="autoencoder")
    autoencoder.summary()
    return encoder, decoder, autoencoder


def test_models_are_callable_like_layers(keras):
    encoder, decoder, autoencoder = nested_autoencoder(keras)
    images = np.random.default_rng(0).random((2, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(
        autoencoder.predict(images, verbose=0),
        decoder.predict(encoder.predict(images, verbose=0), verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )
    assert [layer.name for layer in autoencoder.layers] == ["img", "encoder", "decoder"]
    assert len(autoencoder.weights) == len(encoder.weights) + len(decoder.weights)


def test_ensemble_averages_its_members(keras):
    layers = keras.layers

    def get_model():
        inputs = keras.Input(shape=(128,))
        outputs = layers.Dense(1)(inputs)
        return keras.Model(inputs, outputs)

    model1 = get_model()
    model2 = get_model()
    model3 = get_model()

    inputs = keras.Input(shape=(128,))
    y1 = model1(inputs)
    y2 = model2(inputs)
    y3 = model3(inputs)
    outputs = layers.average([y1, y2, y3])
    ensemble_model = keras.Model(inputs=inputs, outputs=outputs)

    x = np.random.default_rng(0).random((4, 128)).astype("float32")
    members = [m.predict(x, verbose=0) for m in (model1, model2, model3)]
    np.testing.assert_allclose(ensemble_model.predict(x, verbose=0), np.mean(members, axis=0), rtol=1e-5)


def ticket_model(keras):
    layers = keras.layers
    num_tags = 12  # Number of unique issue tags
    num_words = 10000  # Size of vocabulary obtained when preprocessing text data
    num_departments = 4  # Number of departments for predictions

    title_input = keras.Input(shape=(None,), name="title")  # Variable-length sequence of ints
    body_input = keras.Input(shape=(None,), name="body")  # Variable-length sequence of ints
    tags_input = keras.Input(shape=(num_tags,), name="tags")  # Binary vectors of size `num_tags`

    # Embed each word in the title into a 64-dimensional vector
    title_features = layers.Embedding(num_words, 64)(title_input)
    # Embed each word in the text into a 64-dimensional vector
    body_features = layers.Embedding(num_words, 64)(body_input)

    # Reduce sequence of embedded words in the title into a single 128-dimensional vector
    title_features = layers.LSTM(128)(title_features)
    # Reduce sequence of embedded words in the body into a single 32-dimensional vector
    body_features = layers.LSTM(32)(body_features)

    # Merge all available features into a single large vector via concatenation
    x = layers.concatenate([title_features, body_features, tags_input])

    # Stick a logistic regression for priority prediction on top of the features
    priority_pred = layers.Dense(1, name="priority")(x)
    # Stick a department classifier on top of the features
    department_pred = layers.Dense(num_departments, name="department")(x)

    # Instantiate an end-to-end model predicting both priority and department
    model = keras.Model(
        inputs=[title_input, body_input, tags_input],
        outputs=[priority_pred, department_pred],
    )

    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=[
            keras.losses.BinaryCrossentropy(from_logits=True),
            keras.losses.CategoricalCrossentropy(from_logits=True),
        ],
        loss_weights=[1.0, 0.2],
    )

    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={
            "priority": keras.losses.BinaryCrossentropy(from_logits=True),
            "department": keras.losses.CategoricalCrossentropy(from_logits=True),
        },
        loss_weights={"priority": 1.0, "department": 0.2},
    )
    return model


def ticket_data(samples=256):
    """The guide's dummy data, seeded, with 256 instead of 1280 samples and bodies of 20 words, not 100."""
    rng = np.random.default_rng(0)
    num_tags, num_words, num_departments = 12, 10000, 4
    title_data = rng.integers(num_words, size=(samples, 10))
    body_data = rng.integers(num_words, size=(samples, 20))
    tags_data = rng.integers(2, size=(samples, num_tags)).astype("float32")
    priority_targets = rng.random(size=(samples, 1))
    dept_targets = rng.integers(2, size=(samples, num_departments))
    return (title_data, body_data, tags_data), (priority_targets, dept_targets)


def test_multi_input_multi_output_model_trains_on_dicts(keras):
    model = ticket_model(keras)
    (title_data, body_data, tags_data), (priority_targets, dept_targets) = ticket_data()
    history = model.fit(
        {"title": title_data, "body": body_data, "tags": tags_data},
        {"priority": priority_targets, "department": dept_targets},
        epochs=2,
        batch_size=32,
    )
    assert sorted(history.history) == ["department_loss", "loss", "priority_loss"]
    assert history.history["loss"][1] < history.history["loss"][0]
    # The total is the weighted sum of the two output losses.
    np.testing.assert_allclose(
        history.history["loss"],
        np.array(history.history["priority_loss"]) + 0.2 * np.array(history.history["department_loss"]),
        rtol=1e-4,
    )
    priority, department = model.predict([title_data[:3], body_data[:3], tags_data[:3]], verbose=0)
    assert priority.shape == (3, 1) and department.shape == (3, 4)


def test_toy_resnet_trains_on_cifar_shaped_images(keras):
    layers = keras.layers
    inputs = keras.Input(shape=(32, 32, 3), name="img")
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    block_1_output = layers.MaxPooling2D(3)(x)

    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_2_output = layers.add([x, block_1_output])

    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_3_output = layers.add([x, block_2_output])

    x = layers.Conv2D(64, 3, activation="relu")(block_3_output)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10)(x)

    model = keras.Model(inputs, outputs, name="toy_resnet")
    model.summary()
    assert model.count_params() == 223242  # as the guide's summary shows

    x_train, y_train = prototype_images((32, 32, 3), 160)
    x_train = x_train.astype("float32") / 255.0
    y_train = keras.utils.to_categorical(y_train[:, None], 10)  # cifar10 labels have shape (n, 1)

    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
        metrics=["acc"],
    )
    # We restrict the data to the first 1000 samples so as to limit execution time
    # (here: 160 samples).
    history = model.fit(x_train[:1000], y_train[:1000], batch_size=64, epochs=1, validation_split=0.2)
    assert y_train.shape == (160, 10)
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    assert np.isfinite(history.history["val_loss"][0])


def test_shared_embedding_encodes_both_inputs_with_one_weight(keras):
    layers = keras.layers
    # Embedding for 1000 unique words mapped to 128-dimensional vectors
    shared_embedding = layers.Embedding(1000, 128)

    # Variable-length sequence of integers
    text_input_a = keras.Input(shape=(None,), dtype="int32")

    # Variable-length sequence of integers
    text_input_b = keras.Input(shape=(None,), dtype="int32")

    # Reuse the same layer to encode both inputs
    encoded_input_a = shared_embedding(text_input_a)
    encoded_input_b = shared_embedding(text_input_b)

    assert tuple(encoded_input_a.shape) == tuple(encoded_input_b.shape) == (None, None, 128)
    assert len(shared_embedding.weights) == 1
    model = keras.Model([text_input_a, text_input_b], [encoded_input_a, encoded_input_b])
    a, b = model.predict([np.array([[1, 2, 3]]), np.array([[3, 2, 1]])], verbose=0)
    np.testing.assert_array_equal(a[0], b[0, ::-1])


def test_feature_extraction_from_every_layer_output(keras):
    layers = keras.layers
    # Stands in for `vgg19 = keras.applications.VGG19()`: a small functional image model.
    image = keras.Input(shape=(32, 32, 3))
    x = layers.Conv2D(8, 3, activation="relu", padding="same")(image)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(16, 3, activation="relu", padding="same")(x)
    x = layers.Flatten()(x)
    vgg19 = keras.Model(image, layers.Dense(10, activation="softmax")(x))

    features_list = [layer.output for layer in vgg19.layers]

    feat_extraction_model = keras.Model(inputs=vgg19.input, outputs=features_list)

    img = np.random.random((1, 32, 32, 3)).astype("float32")
    extracted_features = feat_extraction_model(img)
    assert [tuple(f.shape) for f in extracted_features] == [
        (1, 32, 32, 3),  # the InputLayer's output is the input itself
        (1, 32, 32, 8),
        (1, 16, 16, 8),
        (1, 16, 16, 16),
        (1, 4096),
        (1, 10),
    ]
    np.testing.assert_allclose(np.asarray(extracted_features[-1]), vgg19.predict(img, verbose=0), rtol=1e-5)


def custom_dense_class(keras):
    layers, ops = keras.layers, keras.ops

    class CustomDense(layers.Layer):
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

    return CustomDense


def test_custom_layer_config_round_trip_through_from_config(keras):
    CustomDense = custom_dense_class(keras)
    inputs = keras.Input((4,))
    outputs = CustomDense(10)(inputs)

    model = keras.Model(inputs, outputs)
    config = model.get_config()

    new_model = keras.Model.from_config(config, custom_objects={"CustomDense": CustomDense})
    assert isinstance(new_model.layers[-1], CustomDense)
    assert new_model.layers[-1].units == 10
    assert new_model.predict(np.ones((2, 4)), verbose=0).shape == (2, 10)


def test_functional_model_inside_a_custom_layer(keras):
    layers, ops = keras.layers, keras.ops
    units = 32
    timesteps = 10
    input_dim = 5

    # Define a Functional model
    inputs = keras.Input((None, units))
    x = layers.GlobalAveragePooling1D()(inputs)
    outputs = layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)

    class CustomRNN(layers.Layer):
        def __init__(self):
            super().__init__()
            self.units = units
            self.projection_1 = layers.Dense(units=units, activation="tanh")
            self.projection_2 = layers.Dense(units=units, activation="tanh")
            # Our previously-defined Functional model
            self.classifier = model

        def call(self, inputs):
            outputs = []
            state = ops.zeros(shape=(inputs.shape[0], self.units))
            for t in range(inputs.shape[1]):
                x = inputs[:, t, :]
                h = self.projection_1(x)
                y = h + self.projection_2(state)
                state = y
                outputs.append(y)
            features = ops.stack(outputs, axis=1)
            print(features.shape)
            return self.classifier(features)

    rnn_model = CustomRNN()
    out = rnn_model(ops.zeros((1, timesteps, input_dim)))
    assert tuple(out.shape) == (1, 1)
    assert len(rnn_model.weights) == 6  # two projections and the classifier's Dense


def test_custom_rnn_with_a_static_batch_size_in_a_functional_model(keras):
    layers, ops = keras.layers, keras.ops
    units = 32
    timesteps = 10
    input_dim = 5
    batch_size = 16

    class CustomRNN(layers.Layer):
        def __init__(self):
            super().__init__()
            self.units = units
            self.projection_1 = layers.Dense(units=units, activation="tanh")
            self.projection_2 = layers.Dense(units=units, activation="tanh")
            self.classifier = layers.Dense(1)

        def call(self, inputs):
            outputs = []
            state = ops.zeros(shape=(inputs.shape[0], self.units))
            for t in range(inputs.shape[1]):
                x = inputs[:, t, :]
                h = self.projection_1(x)
                y = h + self.projection_2(state)
                state = y
                outputs.append(y)
            features = ops.stack(outputs, axis=1)
            return self.classifier(features)

    # Note that you specify a static batch size for the inputs with the `batch_shape`
    # arg, because the inner computation of `CustomRNN` requires a static batch size
    # (when you create the `state` zeros tensor).
    inputs = keras.Input(batch_shape=(batch_size, timesteps, input_dim))
    x = layers.Conv1D(32, 3)(inputs)
    outputs = CustomRNN()(x)

    model = keras.Model(inputs, outputs)
    assert tuple(model.output.shape) == (16, 8, 1)
    x = np.random.default_rng(0).random((16, timesteps, input_dim)).astype("float32")
    assert model.predict(x, batch_size=16, verbose=0).shape == (16, 8, 1)

    rnn_model = CustomRNN()
    out = rnn_model(ops.zeros((1, 10, 5)))
    assert tuple(out.shape) == (1, 10, 1)
