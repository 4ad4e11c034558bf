"""keras.io guide "Writing your own callbacks" (guides/writing_your_own_callbacks.py).

The guide prints from every hook; here each hook also records what it saw, so
the tests can count the calls: one per batch, per epoch, per fit/evaluate/predict.
MNIST is replaced by seeded uint8 images and labels of the same shapes.
"""

import numpy as np


def get_model(keras):
    # Define the Keras model to add callbacks to
    model = keras.Sequential()
    model.add(keras.layers.Dense(1))
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
        loss="mean_squared_error",
        metrics=["mean_absolute_error"],
    )
    return model


def load_data():
    """MNIST-shaped uint8 images and labels, preprocessed and limited to 1000 samples as in the guide."""
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, size=(1000, 28, 28), dtype="uint8")
    y_train = rng.integers(0, 10, size=(1000,), dtype="uint8")
    x_test = rng.integers(0, 256, size=(1000, 28, 28), dtype="uint8")
    y_test = rng.integers(0, 10, size=(1000,), dtype="uint8")
    x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
    x_test = x_test.reshape(-1, 784).astype("float32") / 255.0
    return (x_train, y_train), (x_test, y_test)


def callback_classes(keras):
    class CustomCallback(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seen = []  # (hook, batch or epoch or None, sorted log keys)

        def record(self, hook, index, logs, message):
            keys = list(logs.keys())
            self.seen.append((hook, index, sorted(keys)))
            print(message.format(keys))

        def on_train_begin(self, logs=None):
            self.record("train_begin", None, logs, "Starting training; got log keys: {}")

        def on_train_end(self, logs=None):
            self.record("train_end", None, logs, "Stop training; got log keys: {}")

        def on_epoch_begin(self, epoch, logs=None):
            self.record("epoch_begin", epoch, logs, f"Start epoch {epoch} of training; got log keys: {{}}")

        def on_epoch_end(self, epoch, logs=None):
            self.record("epoch_end", epoch, logs, f"End epoch {epoch} of training; got log keys: {{}}")

        def on_test_begin(self, logs=None):
            self.record("test_begin", None, logs, "Start testing; got log keys: {}")

        def on_test_end(self, logs=None):
            self.record("test_end", None, logs, "Stop testing; got log keys: {}")

        def on_predict_begin(self, logs=None):
            self.record("predict_begin", None, logs, "Start predicting; got log keys: {}")

        def on_predict_end(self, logs=None):
            self.record("predict_end", None, logs, "Stop predicting; got log keys: {}")

        def on_train_batch_begin(self, batch, logs=None):
            self.record("train_batch_begin", batch, logs, f"...Training: start of batch {batch}; got log keys: {{}}")

        def on_train_batch_end(self, batch, logs=None):
            self.record("train_batch_end", batch, logs, f"...Training: end of batch {batch}; got log keys: {{}}")

        def on_test_batch_begin(self, batch, logs=None):
            self.record("test_batch_begin", batch, logs, f"...Evaluating: start of batch {batch}; got log keys: {{}}")

        def on_test_batch_end(self, batch, logs=None):
            self.record("test_batch_end", batch, logs, f"...Evaluating: end of batch {batch}; got log keys: {{}}")

        def on_predict_batch_begin(self, batch, logs=None):
            self.record("predict_batch_begin", batch, logs, f"...Predicting: start of batch {batch}; got log keys: {{}}")

        def on_predict_batch_end(self, batch, logs=None):
            self.record("predict_batch_end", batch, logs, f"...Predicting: end of batch {batch}; got log keys: {{}}")

    class LossAndErrorPrintingCallback(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.train_batch_losses, self.test_batch_losses, self.epoch_logs = [], [], []

        def on_train_batch_end(self, batch, logs=None):
            self.train_batch_losses.append(logs["loss"])
            print("Up to batch {}, the average loss is {:7.2f}.".format(batch, logs["loss"]))

        def on_test_batch_end(self, batch, logs=None):
            self.test_batch_losses.append(logs["loss"])
            print("Up to batch {}, the average loss is {:7.2f}.".format(batch, logs["loss"]))

        def on_epoch_end(self, epoch, logs=None):
            self.epoch_logs.append(dict(logs))
            print(
                "The average loss for epoch {} is {:7.2f} "
                "and mean absolute error is {:7.2f}.".format(
                    epoch, logs["loss"], logs["mean_absolute_error"]
                )
            )

    class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
        """Stop training when the loss is at its min, i.e. the loss stops decreasing.

        Arguments:
            patience: Number of epochs to wait after min has been hit. After this
            number of no improvement, training stops.
        """

        def __init__(self, patience=0):
            super().__init__()
            self.patience = patience
            # best_weights to store the weights at which the minimum loss occurs.
            self.best_weights = None

        def on_train_begin(self, logs=None):
            # The number of epoch it has waited when loss is no longer minimum.
            self.wait = 0
            # The epoch the training stops at.
            self.stopped_epoch = 0
            # Initialize the best as infinity.
            self.best = np.inf

        def on_epoch_end(self, epoch, logs=None):
            current = logs.get("loss")
            if np.less(current, self.best):
                self.best = current
                self.wait = 0
                # Record the best weights if current results is better (less).
                self.best_weights = self.model.get_weights()
            else:
                self.wait += 1
                if self.wait >= self.patience:
                    self.stopped_epoch = epoch
                    self.model.stop_training = True
                    print("Restoring model weights from the end of the best epoch.")
                    self.model.set_weights(self.best_weights)

        def on_train_end(self, logs=None):
            if self.stopped_epoch > 0:
                print(f"Epoch {self.stopped_epoch + 1}: early stopping")

    class CustomLearningRateScheduler(keras.callbacks.Callback):
        """Learning rate scheduler which sets the learning rate according to schedule.

        Arguments:
            schedule: a function that takes an epoch index
                (integer, indexed from 0) and current learning rate
                as inputs and returns a new learning rate as output (float).
        """

        def __init__(self, schedule):
            super().__init__()
            self.schedule = schedule
            self.learning_rates = []

        def on_epoch_begin(self, epoch, logs=None):
            if not hasattr(self.model.optimizer, "learning_rate"):
                raise ValueError('Optimizer must have a "learning_rate" attribute.')
            # Get the current learning rate from model's optimizer.
            lr = self.model.optimizer.learning_rate
            # Call schedule function to get the scheduled learning rate.
            scheduled_lr = self.schedule(epoch, lr)
            # Set the value back to the optimizer before this epoch starts
            self.model.optimizer.learning_rate = scheduled_lr
            self.learning_rates.append(float(np.array(self.model.optimizer.learning_rate)))
            print(f"\nEpoch {epoch}: Learning rate is {float(np.array(scheduled_lr))}.")

    return CustomCallback, LossAndErrorPrintingCallback, EarlyStoppingAtMinLoss, CustomLearningRateScheduler


LR_SCHEDULE = [
    # (epoch to start, learning rate) tuples
    (3, 0.05),
    (6, 0.01),
    (9, 0.005),
    (12, 0.001),
]


def lr_schedule(epoch, lr):
    """Helper function to retrieve the scheduled learning rate based on epoch."""
    if epoch < LR_SCHEDULE[0][0] or epoch > LR_SCHEDULE[-1][0]:
        return lr
    for i in range(len(LR_SCHEDULE)):
        if epoch == LR_SCHEDULE[i][0]:
            return LR_SCHEDULE[i][1]
    return lr


def basic_example(keras):
    """fit with validation_split, evaluate and predict, each with a fresh CustomCallback."""
    CustomCallback = callback_classes(keras)[0]
    (x_train, y_train), (x_test, y_test) = load_data()
    fit_callback, evaluate_callback, predict_callback = CustomCallback(), CustomCallback(), CustomCallback()
    model = get_model(keras)
    model.fit(
        x_train,
        y_train,
        batch_size=128,
        epochs=1,
        verbose=0,
        validation_split=0.5,
        callbacks=[fit_callback],
    )

    res = model.evaluate(x_test, y_test, batch_size=128, verbose=0, callbacks=[evaluate_callback])

    res = model.predict(x_test, batch_size=128, callbacks=[predict_callback])
    return fit_callback.seen, evaluate_callback.seen, predict_callback.seen, res


def expected_hooks(phase, batches):
    """The hooks one evaluate ("test") or predict pass calls, in order."""
    hooks = [(f"{phase}_begin", None)]
    for batch in range(batches):
        hooks += [(f"{phase}_batch_begin", batch), (f"{phase}_batch_end", batch)]
    return hooks + [(f"{phase}_end", None)]


def test_custom_callback_sees_every_hook_once_per_batch(keras):
    fit_seen, evaluate_seen, predict_seen, predictions = basic_example(keras)
    # fit: 500 training samples in batches of 128 -> 4 steps; 500 validation samples -> 4 steps.
    expected_fit = [("train_begin", None), ("epoch_begin", 0)]
    for batch in range(4):
        expected_fit += [("train_batch_begin", batch), ("train_batch_end", batch)]
    expected_fit += expected_hooks("test", 4) + [("epoch_end", 0), ("train_end", None)]
    assert [(hook, index) for hook, index, _ in fit_seen] == expected_fit
    # evaluate and predict: 1000 samples in batches of 128 -> 8 steps each.
    assert [(hook, index) for hook, index, _ in evaluate_seen] == expected_hooks("test", 8)
    assert [(hook, index) for hook, index, _ in predict_seen] == expected_hooks("predict", 8)
    assert predictions.shape == (1000, 1)


def test_custom_callback_log_keys(keras):
    fit_seen, evaluate_seen, predict_seen, _ = basic_example(keras)
    keys = {hook: keys for hook, _, keys in fit_seen}
    assert keys["train_batch_end"] == ["loss", "mean_absolute_error"]
    assert keys["epoch_end"] == ["loss", "mean_absolute_error", "val_loss", "val_mean_absolute_error"]
    assert {hook: keys for hook, _, keys in evaluate_seen}["test_batch_end"] == ["loss", "mean_absolute_error"]
    assert {hook: keys for hook, _, keys in predict_seen}["predict_batch_end"] == ["outputs"]


def test_custom_callback_hooks_and_log_keys_match_keras(real_keras):
    import loom

    assert basic_example(loom)[:3] == basic_example(real_keras)[:3]


def test_logs_dict_holds_running_loss_per_batch_and_epoch_averages(keras):
    LossAndErrorPrintingCallback = callback_classes(keras)[1]
    (x_train, y_train), (x_test, y_test) = load_data()
    callback = LossAndErrorPrintingCallback()
    model = get_model(keras)
    history = model.fit(x_train, y_train, batch_size=128, epochs=2, verbose=0, callbacks=[callback])
    res = model.evaluate(x_test, y_test, batch_size=128, verbose=0, callbacks=[callback])
    assert len(callback.train_batch_losses) == 2 * 8  # 2 epochs of ceil(1000 / 128) batches
    assert len(callback.test_batch_losses) == 8
    assert [logs["loss"] for logs in callback.epoch_logs] == history.history["loss"]
    # "Up to batch i, the average loss": the last batch's running average is the epoch's loss.
    np.testing.assert_allclose(callback.train_batch_losses[7], history.history["loss"][0], rtol=1e-6)
    np.testing.assert_allclose(callback.test_batch_losses[-1], res[0], rtol=1e-6)


def test_early_stopping_at_min_loss_restores_the_best_weights(keras):
    LossAndErrorPrintingCallback, EarlyStoppingAtMinLoss = callback_classes(keras)[1:3]
    (x_train, y_train), _ = load_data()
    stopper = EarlyStoppingAtMinLoss()
    model = get_model(keras)
    history = model.fit(
        x_train,
        y_train,
        batch_size=64,
        epochs=30,
        verbose=0,
        callbacks=[LossAndErrorPrintingCallback(), stopper],
    )
    losses = history.history["loss"]
    assert 0 < stopper.stopped_epoch == len(losses) - 1 < 29  # lr 0.1 overshoots: it stops early
    assert losses[-1] >= min(losses[:-1])  # the epoch that did not improve
    for weight, best in zip(model.get_weights(), stopper.best_weights):
        np.testing.assert_array_equal(weight, best)


def test_custom_learning_rate_scheduler_sets_the_optimizer_rate(keras):
    LossAndErrorPrintingCallback, _, _, CustomLearningRateScheduler = callback_classes(keras)
    (x_train, y_train), _ = load_data()
    scheduler = CustomLearningRateScheduler(lr_schedule)
    model = get_model(keras)
    history = model.fit(
        x_train,
        y_train,
        batch_size=64,
        epochs=15,
        verbose=0,
        callbacks=[
            LossAndErrorPrintingCallback(),
            scheduler,
        ],
    )
    expected = [0.1] * 3 + [0.05] * 3 + [0.01] * 3 + [0.005] * 3 + [0.001] * 3
    np.testing.assert_allclose(scheduler.learning_rates, expected, rtol=1e-6)
    assert len(history.history["loss"]) == 15
