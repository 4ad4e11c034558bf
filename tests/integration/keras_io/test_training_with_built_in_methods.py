"""keras.io guide "Training & evaluation with the built-in methods"
(guides/training_with_built_in_methods.py).

The NumPy and PyDataset workflows (the tf.data and torch DataLoader sections need
TensorFlow or PyTorch, and TensorBoard is left out): custom losses and metrics,
add_loss, a model compiled without a loss, class and sample weights, multi-input
multi-output models with per-output losses and metrics, callbacks (EarlyStopping,
a per-batch loss history, ModelCheckpoint by epoch and by batch count) and
learning-rate schedules. MNIST is replaced by seeded uint8 images whose labels
follow from the pixels; 1024 training, 256 validation and 256 test samples.
"""

import os

import numpy as np
import pytest


def load_data():
    """The guide's preprocessed MNIST, shrunk: float32 (n, 784) images and float32 labels."""
    rng = np.random.default_rng(0)
    prototypes = rng.integers(0, 256, size=(10, 28, 28))
    labels = rng.integers(0, 10, size=(1536,))
    images = np.clip(prototypes[labels] + rng.integers(-60, 61, size=(1536, 28, 28)), 0, 255).astype("uint8")
    (x_train, y_train), (x_test, y_test) = (images[:1280], labels[:1280]), (images[1280:], labels[1280:])

    # Preprocess the data (these are NumPy arrays)
    x_train = x_train.reshape(1280, 784).astype("float32") / 255
    x_test = x_test.reshape(256, 784).astype("float32") / 255

    y_train = y_train.astype("float32")
    y_test = y_test.astype("float32")

    # Reserve 256 samples for validation (10,000 in the guide)
    x_val = x_train[-256:]
    y_val = y_train[-256:]
    x_train = x_train[:-256]
    y_train = y_train[:-256]
    return (x_train, y_train), (x_val, y_val), (x_test, y_test)


def get_uncompiled_model(keras):
    layers = keras.layers
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def get_compiled_model(keras):
    model = get_uncompiled_model(keras)
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model


def test_api_overview_fit_evaluate_predict(keras):
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = load_data()
    model = get_uncompiled_model(keras)
    model.compile(
        optimizer=keras.optimizers.RMSprop(),  # Optimizer
        # Loss function to minimize
        loss=keras.losses.SparseCategoricalCrossentropy(),
        # List of metrics to monitor
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )

    print("Fit model on training data")
    history = model.fit(
        x_train,
        y_train,
        batch_size=64,
        epochs=2,
        # We pass some validation for
        # monitoring validation loss and metrics
        # at the end of each epoch
        validation_data=(x_val, y_val),
    )
    assert sorted(history.history) == [
        "loss",
        "sparse_categorical_accuracy",
        "val_loss",
        "val_sparse_categorical_accuracy",
    ]
    assert history.history["loss"][1] < history.history["loss"][0]

    # Evaluate the model on the test data using `evaluate`
    print("Evaluate on test data")
    results = model.evaluate(x_test, y_test, batch_size=128)
    print("test loss, test acc:", results)
    assert len(results) == 2 and results[1] > 0.5  # chance is 0.1

    # Generate predictions (probabilities -- the output of the last layer)
    # on new data using `predict`
    print("Generate predictions for 3 samples")
    predictions = model.predict(x_test[:3])
    print("predictions shape:", predictions.shape)
    assert predictions.shape == (3, 10)
    np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)


# ops.one_hot of the guide's float32 labels: JAX deprecates non-integer input, and says so.
@pytest.mark.filterwarnings("ignore:jax.nn.one_hot input should be integer-typed:DeprecationWarning")
def test_custom_loss_function_and_loss_subclass(keras):
    ops = keras.ops
    (x_train, y_train), _, _ = load_data()

    def custom_mean_squared_error(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    model = get_uncompiled_model(keras)
    model.compile(optimizer=keras.optimizers.Adam(), loss=custom_mean_squared_error)

    # We need to one-hot encode the labels to use MSE
    y_train_one_hot = ops.one_hot(y_train, num_classes=10)
    history = model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1)
    assert 0.0 < history.history["loss"][0] < 0.1  # softmax outputs against one-hot rows

    class CustomMSE(keras.losses.Loss):
        def __init__(self, regularization_factor=0.1, name="custom_mse"):
            super().__init__(name=name)
            self.regularization_factor = regularization_factor

        def call(self, y_true, y_pred):
            mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
            reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
            return mse + reg * self.regularization_factor

    loss = CustomMSE()
    y_true, y_pred = np.eye(10)[:2], np.full((2, 10), 0.1)
    expected = np.mean((y_true - y_pred) ** 2, axis=-1) + 0.1 * np.mean((0.5 - y_pred) ** 2, axis=-1)
    np.testing.assert_allclose(float(loss(y_true, y_pred)), expected.mean(), rtol=1e-6)

    model = get_uncompiled_model(keras)
    model.compile(optimizer=keras.optimizers.Adam(), loss=CustomMSE())

    y_train_one_hot = ops.one_hot(y_train, num_classes=10)
    history = model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1)
    assert np.isfinite(history.history["loss"][0])


def test_custom_metric_counts_true_positives(keras):
    ops = keras.ops
    (x_train, y_train), (x_val, y_val), _ = load_data()

    class CategoricalTruePositives(keras.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
            values = ops.cast(values, "float32")
            if sample_weight is not None:
                sample_weight = ops.cast(sample_weight, "float32")
                values = ops.multiply(values, sample_weight)
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            # `.value`: JAX 0.10 no longer turns a Keras Variable into an array by itself.
            return self.true_positives.value

        def reset_state(self):
            # The state of the metric will be reset at the start of each epoch.
            self.true_positives.assign(0.0)

    model = get_uncompiled_model(keras)
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[CategoricalTruePositives()],
    )
    history = model.fit(x_train, y_train, batch_size=64, epochs=3)
    counts = history.history["categorical_true_positives"]
    # With (n,) labels the guide's metric compares every label of a batch with every
    # prediction (a (64, 64) broadcast), so the counts are whole numbers but not per sample.
    assert all(count > 0 and count == int(count) for count in counts)

    # With (n, 1) labels it counts the correct predictions.
    logs = model.evaluate(x_val, y_val[:, None], return_dict=True, verbose=0)
    correct = np.sum(model.predict(x_val, verbose=0).argmax(axis=1) == y_val)
    assert logs["categorical_true_positives"] == correct


def test_add_loss_in_a_layer_joins_the_compiled_loss(keras):
    layers, ops = keras.layers, keras.ops
    (x_train, y_train), (x_val, y_val), _ = load_data()

    class ActivityRegularizationLayer(layers.Layer):
        def call(self, inputs):
            self.add_loss(ops.sum(inputs) * 0.1)
            return inputs  # Pass-through layer.

    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)

    # Insert activity regularization as a layer
    regularized = ActivityRegularizationLayer()(x)

    x = layers.Dense(64, activation="relu", name="dense_2")(regularized)
    outputs = layers.Dense(10, name="predictions")(x)

    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )

    # The displayed loss will be much higher than before
    # due to the regularization component.
    model.fit(x_train, y_train, batch_size=64, epochs=1)

    # One batch: the loss is the cross-entropy plus 0.1 * the sum of dense_1's activations.
    batch, labels = x_val[:128], y_val[:128].astype(int)
    logits = model.predict(batch, verbose=0)
    shifted = logits - logits.max(1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    cross_entropy = -np.mean(log_probs[np.arange(128), labels])
    activations = keras.Model(inputs, regularized).predict(batch, verbose=0)
    loss = model.evaluate(batch, y_val[:128], batch_size=128, verbose=0)
    np.testing.assert_allclose(loss, cross_entropy + 0.1 * activations.sum(), rtol=1e-4)


def test_endpoint_layer_loss_with_no_compiled_loss(keras):
    ops = keras.ops

    class LogisticEndpoint(keras.layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

        def call(self, targets, logits, sample_weights=None):
            # Compute the training-time loss value and add it
            # to the layer using `self.add_loss()`.
            loss = self.loss_fn(targets, logits, sample_weights)
            self.add_loss(loss)

            # Return the inference-time prediction tensor (for `.predict()`).
            return ops.softmax(logits)

    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = keras.layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)

    model = keras.Model(inputs=[inputs, targets], outputs=predictions)
    model.compile(optimizer="adam")  # No loss argument!

    rng = np.random.default_rng(0)
    data = {
        "inputs": rng.random((3, 3)),
        "targets": rng.random((3, 10)),
    }
    kernel, bias = model.layers[2].get_weights()
    history = model.fit(data)

    # The one step's loss is the endpoint's crossentropy at the initial weights.
    z = data["inputs"] @ kernel + bias
    expected = np.mean(np.maximum(z, 0) - z * data["targets"] + np.log1p(np.exp(-np.abs(z))))
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-5)
    probabilities = model.predict(data, verbose=0)
    assert probabilities.shape == (3, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_validation_split_class_weight_and_sample_weight(keras):
    (x_train, y_train), _, _ = load_data()

    model = get_compiled_model(keras)
    history = model.fit(x_train, y_train, batch_size=64, validation_split=0.2, epochs=1)
    assert sorted(history.history) == [
        "loss",
        "sparse_categorical_accuracy",
        "val_loss",
        "val_sparse_categorical_accuracy",
    ]

    class_weight = {
        0: 1.0,
        1: 1.0,
        2: 1.0,
        3: 1.0,
        4: 1.0,
        # Set weight "2" for class "5",
        # making this class 2x more important
        5: 2.0,
        6: 1.0,
        7: 1.0,
        8: 1.0,
        9: 1.0,
    }

    print("Fit with class weight")
    model = get_compiled_model(keras)
    weights_before = model.get_weights()
    class_weighted = model.fit(x_train, y_train, class_weight=class_weight, batch_size=64, epochs=1, shuffle=False)

    sample_weight = np.ones(shape=(len(y_train),))
    sample_weight[y_train == 5] = 2.0

    print("Fit with sample weight")
    model = get_compiled_model(keras)
    model.set_weights(weights_before)
    sample_weighted = model.fit(x_train, y_train, sample_weight=sample_weight, batch_size=64, epochs=1, shuffle=False)
    # The class weights are these sample weights, so the two fits are the same fit.
    np.testing.assert_allclose(class_weighted.history["loss"], sample_weighted.history["loss"], rtol=1e-5)


def multi_io_model(keras):
    layers = keras.layers
    image_input = keras.Input(shape=(32, 32, 3), name="img_input")
    timeseries_input = keras.Input(shape=(None, 10), name="ts_input")

    x1 = layers.Conv2D(3, 3)(image_input)
    x1 = layers.GlobalMaxPooling2D()(x1)

    x2 = layers.Conv1D(3, 3)(timeseries_input)
    x2 = layers.GlobalMaxPooling1D()(x2)

    x = layers.concatenate([x1, x2])

    score_output = layers.Dense(1, name="score_output")(x)
    class_output = layers.Dense(5, name="class_output")(x)

    model = keras.Model(inputs=[image_input, timeseries_input], outputs=[score_output, class_output])
    return model


def multi_io_data():
    # Generate dummy NumPy data
    rng = np.random.default_rng(0)
    img_data = rng.random(size=(100, 32, 32, 3))
    ts_data = rng.random(size=(100, 20, 10))
    score_targets = rng.random(size=(100, 1))
    class_targets = rng.random(size=(100, 5))
    return img_data, ts_data, score_targets, class_targets


def test_multi_input_multi_output_losses_metrics_and_weights(keras):
    model = multi_io_model(keras)
    img_data, ts_data, score_targets, class_targets = multi_io_data()

    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={
            "score_output": keras.losses.MeanSquaredError(),
            "class_output": keras.losses.CategoricalCrossentropy(),
        },
        metrics={
            "score_output": [
                keras.metrics.MeanAbsolutePercentageError(),
                keras.metrics.MeanAbsoluteError(),
            ],
            "class_output": [keras.metrics.CategoricalAccuracy()],
        },
        loss_weights={"score_output": 2.0, "class_output": 1.0},
    )
    history = model.fit(
        {"img_input": img_data, "ts_input": ts_data},
        {"score_output": score_targets, "class_output": class_targets},
        batch_size=32,
        epochs=1,
    )
    assert sorted(history.history) == [
        "class_output_categorical_accuracy",
        "class_output_loss",
        "loss",
        "score_output_loss",
        "score_output_mean_absolute_error",
        "score_output_mean_absolute_percentage_error",
    ]
    logs = history.history
    np.testing.assert_allclose(
        logs["loss"][0], 2.0 * logs["score_output_loss"][0] + logs["class_output_loss"][0], rtol=1e-4
    )

    # List loss version: no loss for the first output.
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=[None, keras.losses.CategoricalCrossentropy()],
    )
    history = model.fit([img_data, ts_data], [score_targets, class_targets], batch_size=32, epochs=1)
    assert np.isfinite(history.history["loss"][0])

    # The guide's dict version, loss={"class_output": ...} alone, is left out: Keras 3.15
    # rejects it ("Expected keys ['score_output', 'class_output'] in loss dict").

    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=[
            keras.losses.MeanSquaredError(),
            keras.losses.CategoricalCrossentropy(),
        ],
    )

    # Fit on lists
    model.fit([img_data, ts_data], [score_targets, class_targets], batch_size=32, epochs=1)

    # Alternatively, fit on dicts
    history = model.fit(
        {"img_input": img_data, "ts_input": ts_data},
        {"score_output": score_targets, "class_output": class_targets},
        batch_size=32,
        epochs=1,
    )
    # (Keras 3 keeps the metrics of an earlier compile when recompiled without metrics.)
    assert {"class_output_loss", "loss", "score_output_loss"} <= set(history.history)
    score, classes = model.predict([img_data[:2], ts_data[:2]], verbose=0)
    assert score.shape == (2, 1) and classes.shape == (2, 5)


def test_early_stopping_and_a_per_batch_loss_history(keras):
    (x_train, y_train), _, _ = load_data()
    model = get_compiled_model(keras)

    class LossHistory(keras.callbacks.Callback):
        def on_train_begin(self, logs):
            self.per_batch_losses = []

        def on_batch_end(self, batch, logs):
            self.per_batch_losses.append(logs.get("loss"))

    loss_history = LossHistory()
    callbacks = [
        keras.callbacks.EarlyStopping(
            # Stop training when `val_loss` is no longer improving
            monitor="val_loss",
            # "no longer improving" being defined as "no better than 1e-2 less"
            min_delta=1e-2,
            # "no longer improving" being further defined as "for at least 2 epochs"
            patience=2,
            verbose=1,
        ),
        loss_history,
    ]
    history = model.fit(
        x_train,
        y_train,
        epochs=20,
        batch_size=64,
        callbacks=callbacks,
        validation_split=0.2,
    )
    epochs_run = len(history.history["loss"])
    assert callbacks[0].stopped_epoch == epochs_run - 1 and epochs_run < 20
    val_loss = history.history["val_loss"]
    assert min(val_loss[-2:]) > min(val_loss[:-2]) - 1e-2  # two epochs without a 1e-2 improvement
    # on_batch_end (the old name of on_train_batch_end) runs after every one of the 13 steps per epoch.
    assert len(loss_history.per_batch_losses) == 13 * epochs_run


def test_checkpoints_by_epoch_and_by_batch_count(keras, in_tmp_path):
    (x_train, y_train), _, _ = load_data()
    model = get_compiled_model(keras)

    callbacks = [
        keras.callbacks.ModelCheckpoint(
            # Path where to save the model
            # The two parameters below mean that we will overwrite
            # the current checkpoint if and only if
            # the `val_loss` score has improved.
            # The saved model name will include the current epoch.
            filepath="mymodel_{epoch}.keras",
            save_best_only=True,  # Only save a model if `val_loss` has improved.
            monitor="val_loss",
            verbose=1,
        )
    ]
    history = model.fit(
        x_train,
        y_train,
        epochs=2,
        batch_size=64,
        callbacks=callbacks,
        validation_split=0.2,
    )
    val_loss = history.history["val_loss"]
    expected = ["mymodel_1.keras"] + (["mymodel_2.keras"] if val_loss[1] < val_loss[0] else [])
    assert sorted(os.listdir()) == expected

    # Prepare a directory to store all the checkpoints.
    checkpoint_dir = "./ckpt"
    if not os.path.exists(checkpoint_dir):
        os.makedirs(checkpoint_dir)

    def make_or_restore_model():
        # Either restore the latest model, or create a fresh one
        # if there is no checkpoint available.
        checkpoints = [checkpoint_dir + "/" + name for name in os.listdir(checkpoint_dir)]
        if checkpoints:
            latest_checkpoint = max(checkpoints, key=os.path.getctime)
            print("Restoring from", latest_checkpoint)
            return keras.models.load_model(latest_checkpoint)
        print("Creating a new model")
        return get_compiled_model(keras)

    model = make_or_restore_model()
    saved = []

    class SavedFiles(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            saved.append(sorted(os.listdir(checkpoint_dir)))

    callbacks = [
        # This callback saves the model every 10 batches (100 in the guide).
        # We include the training loss in the saved model name.
        keras.callbacks.ModelCheckpoint(filepath=checkpoint_dir + "/model-loss={loss:.2f}.keras", save_freq=10),
        SavedFiles(),
    ]
    model.fit(x_train, y_train, epochs=1, callbacks=callbacks)
    # 1024 samples in batches of 32: 32 steps, a checkpoint after steps 10, 20 and 30.
    assert [len(files) > 0 for files in saved] == [False] * 9 + [True] * 23
    assert all(name.startswith("model-loss=") and name.endswith(".keras") for name in saved[-1])

    restored = make_or_restore_model()
    assert restored.optimizer is not None  # compiled, ready to resume
    assert restored.predict(x_train[:2], verbose=0).shape == (2, 10)


def test_learning_rate_schedule_passed_to_the_optimizer(keras):
    (x_train, y_train), _, _ = load_data()
    initial_learning_rate = 0.1
    lr_schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True
    )

    optimizer = keras.optimizers.RMSprop(learning_rate=lr_schedule)
    np.testing.assert_allclose(float(lr_schedule(0)), 0.1)
    np.testing.assert_allclose(float(lr_schedule(100000)), 0.096, rtol=1e-6)
    np.testing.assert_allclose(float(lr_schedule(199999)), 0.096, rtol=1e-6)  # staircase

    model = get_uncompiled_model(keras)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    model.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0)
    assert int(optimizer.iterations) == 16
    np.testing.assert_allclose(float(optimizer.learning_rate), 0.1)


def test_py_dataset_feeds_fit_and_evaluate(keras):
    (x_train, y_train), (x_val, y_val), _ = load_data()

    class ExamplePyDataset(keras.utils.PyDataset):
        def __init__(self, x, y, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x = x
            self.y = y
            self.batch_size = batch_size

        def __len__(self):
            return int(np.ceil(len(self.x) / float(self.batch_size)))

        def __getitem__(self, idx):
            batch_x = self.x[idx * self.batch_size : (idx + 1) * self.batch_size]
            batch_y = self.y[idx * self.batch_size : (idx + 1) * self.batch_size]
            return batch_x, batch_y

    train_py_dataset = ExamplePyDataset(x_train, y_train, batch_size=32)
    val_py_dataset = ExamplePyDataset(x_val, y_val, batch_size=32)
    assert len(train_py_dataset) == 32

    model = get_compiled_model(keras)
    history = model.fit(train_py_dataset, batch_size=64, validation_data=val_py_dataset, epochs=1)
    assert sorted(history.history) == [
        "loss",
        "sparse_categorical_accuracy",
        "val_loss",
        "val_sparse_categorical_accuracy",
    ]

    loss, accuracy = model.evaluate(val_py_dataset)
    expected_loss, expected_accuracy = model.evaluate(x_val, y_val, batch_size=32, verbose=0)
    np.testing.assert_allclose([loss, accuracy], [expected_loss, expected_accuracy], rtol=1e-5)

    train_py_dataset = ExamplePyDataset(x_train, y_train, batch_size=32, workers=4)
    val_py_dataset = ExamplePyDataset(x_val, y_val, batch_size=32, workers=4)

    model = get_compiled_model(keras)
    history = model.fit(train_py_dataset, batch_size=64, validation_data=val_py_dataset, epochs=1)
    assert len(history.history["val_loss"]) == 1
