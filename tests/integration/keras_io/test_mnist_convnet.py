"""keras.io example "Simple MNIST convnet" (examples/vision/mnist_convnet.py).

MNIST is replaced by seeded uint8 28x28 images whose labels follow from the
pixels (a noisy prototype per class): 1280 training samples (whole batches of
128 on both sides of the 10% validation split) and 128 test samples; 2 epochs
instead of 15.
"""

import numpy as np


def load_data(train=1280, test=128):
    """MNIST-shaped ((x_train, y_train), (x_test, y_test)): uint8 (n, 28, 28) images, uint8 labels."""
    rng = np.random.default_rng(0)
    prototypes = rng.integers(0, 256, size=(10, 28, 28))
    labels = rng.integers(0, 10, size=(train + test,)).astype("uint8")
    images = np.clip(prototypes[labels] + rng.integers(-40, 41, size=(train + test, 28, 28)), 0, 255)
    images = images.astype("uint8")
    return (images[:train], labels[:train]), (images[train:], labels[train:])


def mnist_convnet(keras):
    layers = keras.layers
    # Model / data parameters
    num_classes = 10
    input_shape = (28, 28, 1)

    # Load the data and split it between train and test sets
    (x_train, y_train), (x_test, y_test) = load_data()

    # Scale images to the [0, 1] range
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255
    # Make sure images have shape (28, 28, 1)
    x_train = np.expand_dims(x_train, -1)
    x_test = np.expand_dims(x_test, -1)
    print("x_train shape:", x_train.shape)
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    # convert class vectors to binary class matrices
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(num_classes, activation="softmax"),
        ]
    )

    model.summary()

    batch_size = 128
    epochs = 2  # 15 in the example

    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])

    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1)

    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    return model, history, score, (x_test, y_test)


def test_convnet_learns_the_digits(keras, capsys):
    model, history, score, (x_test, y_test) = mnist_convnet(keras)
    printed = capsys.readouterr().out  # the summary, then fit's progress
    for shape, params in [("(None, 26, 26, 32)", "320"), ("(None, 11, 11, 64)", "18,496"), ("(None, 10)", "16,010")]:
        assert shape in printed and params in printed
    assert "34,826" in printed
    assert y_test.shape == (128, 10) and y_test.dtype == "float64"  # to_categorical's one-hot rows
    np.testing.assert_array_equal(y_test.sum(axis=1), 1.0)
    assert model.count_params() == 34826  # as the example's summary shows
    assert [tuple(layer.output.shape) for layer in model.layers] == [
        (None, 26, 26, 32),
        (None, 13, 13, 32),
        (None, 11, 11, 64),
        (None, 5, 5, 64),
        (None, 1600),
        (None, 1600),
        (None, 10),
    ]
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.history["loss"][1] < history.history["loss"][0]
    assert score[1] > 0.3  # chance is 0.1
    probabilities = model.predict(x_test[:4], verbose=0)
    assert probabilities.shape == (4, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
