"""fit / evaluate / train_on_batch: numbers against hand computations and Keras."""

import numpy as np
import pytest

import loom
from loom.layers import Dense, Dropout, Input


def linear_model(units=1, inputs=3, **dense_kwargs):
    x = Input((inputs,))
    return loom.Model(x, Dense(units, **dense_kwargs)(x))


def test_one_sgd_step_equals_the_numpy_gradient_step():
    model = linear_model()
    model.compile(loom.optimizers.SGD(learning_rate=0.1), "mse")
    kernel, bias = (w.copy() for w in model.get_weights())
    x = np.random.rand(8, 3).astype("float32")
    y = np.random.rand(8, 1).astype("float32")
    loss = model.train_on_batch(x, y)
    error = x @ kernel + bias - y
    np.testing.assert_allclose(loss, np.mean(error**2), rtol=1e-5)
    new_kernel, new_bias = model.get_weights()
    np.testing.assert_allclose(new_kernel, kernel - 0.1 * 2 * x.T @ error / 8, rtol=1e-5)
    np.testing.assert_allclose(new_bias, bias - 0.1 * 2 * error.mean(0), rtol=1e-5)


def test_fit_reduces_loss_and_returns_history_with_validation():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype("float32")
    model = linear_model()
    model.compile(loom.optimizers.Adam(0.05), "mse", metrics=["mae"])
    history = model.fit(x, y, epochs=30, batch_size=16, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
    assert len(history.history["loss"]) == 30 and history.epoch == list(range(30))
    assert history.history["loss"][-1] < history.history["loss"][0] / 10
    assert model.evaluate(x, y, verbose=0)[0] < history.history["loss"][0] / 10


def test_chunked_steps_equal_single_steps():
    x = np.random.rand(100, 3).astype("float32")
    y = np.random.rand(100, 2).astype("float32")
    results = []
    for steps in (1, 4, "auto"):
        loom.utils.set_random_seed(7)
        model = linear_model(units=2)
        model.compile("rmsprop", "mse", steps_per_execution=steps)
        model.fit(x, y, epochs=2, batch_size=16, verbose=0)
        results.append(model.get_weights())
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_run_eagerly_matches_compiled():
    x = np.random.rand(40, 3).astype("float32")
    y = np.random.rand(40, 1).astype("float32")
    weights = []
    for eager in (False, True):
        loom.utils.set_random_seed(3)
        model = linear_model()
        model.compile("adam", "mse", run_eagerly=eager)
        model.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_dropout_is_reproducible_with_the_same_seed_and_differs_otherwise():
    def trained(seed):
        loom.utils.set_random_seed(seed)
        x = Input((4,))
        model = loom.Model(x, Dense(1)(Dropout(0.5)(Dense(8)(x))))
        model.compile("sgd", "mse")
        data = np.random.default_rng(0).random((64, 4)).astype("float32")
        model.fit(data, data[:, :1], epochs=2, batch_size=8, verbose=0)
        return model.get_weights()[0]

    np.testing.assert_array_equal(trained(1), trained(1))
    assert not np.allclose(trained(1), trained(2))


def test_multi_output_losses_weights_and_metric_names():
    x = Input((4,), name="x")
    h = Dense(8, activation="relu")(x)
    out_a = Dense(3, activation="softmax", name="out_a")(h)
    out_b = Dense(1, name="out_b")(h)
    aux = Dense(1, name="aux")(h)
    model = loom.Model(x, [out_a, out_b, aux])
    model.compile(
        "adam",
        loss={"out_a": "categorical_crossentropy", "out_b": "mse"},
        loss_weights={"out_a": 1.0, "out_b": 0.5},
        metrics={"out_a": ["accuracy"], "out_b": ["mae"]},
    )
    data = np.random.rand(32, 4).astype("float32")
    ya = np.eye(3, dtype="float32")[np.random.randint(0, 3, 32)]
    yb = np.random.rand(32, 1).astype("float32")
    logs = model.evaluate(data, {"out_a": ya, "out_b": yb}, return_dict=True, verbose=0)
    assert set(logs) == {"loss", "out_a_loss", "out_b_loss", "out_a_accuracy", "out_b_mae"}
    np.testing.assert_allclose(logs["loss"], logs["out_a_loss"] + 0.5 * logs["out_b_loss"], rtol=1e-5)
    pa, pb, _ = model.predict(data)
    np.testing.assert_allclose(logs["out_b_loss"], np.mean((pb - yb) ** 2), rtol=1e-5)
    np.testing.assert_allclose(logs["out_a_accuracy"], np.mean(pa.argmax(-1) == ya.argmax(-1)), rtol=1e-6)
    history = model.fit(data, [ya, yb, None], epochs=1, verbose=0, validation_data=(data, [ya, yb, None]))
    assert "val_out_a_accuracy" in history.history


def test_sample_weight_and_class_weight_change_the_loss_as_keras():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(20, 3)).astype("float32")
    labels = rng.integers(0, 3, 20)
    y = np.eye(3, dtype="float32")[labels]
    weights = rng.random(20).astype("float32")
    ours = linear_model(units=3, activation="softmax")
    ours.compile("sgd", "categorical_crossentropy", metrics=["accuracy"], weighted_metrics=["accuracy"])
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3, activation="softmax")])
    theirs.set_weights(ours.get_weights())
    theirs.compile("sgd", "categorical_crossentropy", metrics=["accuracy"], weighted_metrics=["accuracy"])
    ours_logs = ours.evaluate(x, y, sample_weight=weights, batch_size=8, return_dict=True, verbose=0)
    theirs_logs = theirs.evaluate(x, y, sample_weight=weights, batch_size=8, return_dict=True, verbose=0)
    for key in ("loss", "accuracy", "weighted_accuracy"):
        np.testing.assert_allclose(ours_logs[key], theirs_logs[key], rtol=1e-5)
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    ours_loss = ours.train_on_batch(x, y, class_weight=class_weight, return_dict=True)["loss"]
    theirs_loss = float(theirs.train_on_batch(x, y, class_weight=class_weight, return_dict=True)["loss"])
    np.testing.assert_allclose(ours_loss, theirs_loss, rtol=1e-5)
    np.testing.assert_allclose(ours.get_weights()[0], np.asarray(theirs.trainable_weights[0].value), rtol=1e-5, atol=1e-6)


def test_regularization_losses_are_added_to_the_loss():
    model = linear_model(kernel_regularizer=loom.regularizers.L2(0.5), kernel_initializer="ones")
    model.compile("sgd", "mse")
    x, y = np.zeros((4, 3), "float32"), np.zeros((4, 1), "float32")
    np.testing.assert_allclose(model.test_on_batch(x, y), 0.5 * 3.0, rtol=1e-6)


def test_evaluate_return_forms_and_metrics_names():
    model = linear_model()
    model.compile("sgd", "mse")
    x, y = np.ones((4, 3), "float32"), np.ones((4, 1), "float32")
    assert isinstance(model.evaluate(x, y, verbose=0), float)
    model.compile("sgd", "mse", metrics=["mae", "mse"])
    values = model.evaluate(x, y, verbose=0)
    assert isinstance(values, list) and len(values) == 3
    assert model.metrics_names == ["loss", "mae", "mse"]


def test_learning_rate_changes_between_epochs_without_recompiling():
    model = linear_model()
    model.compile(loom.optimizers.SGD(learning_rate=0.0), "mse")
    x, y = np.random.rand(16, 3).astype("float32"), np.random.rand(16, 1).astype("float32")
    before = model.get_weights()[0].copy()
    seen = []
    scheduler = loom.callbacks.LearningRateScheduler(lambda epoch, lr: 0.0 if epoch == 0 else 0.1)
    recorder = loom.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(model.get_weights()[0].copy()))
    model.fit(x, y, epochs=2, batch_size=16, callbacks=[scheduler, recorder], verbose=0)
    np.testing.assert_array_equal(seen[0], before)
    assert not np.allclose(seen[1], before)


def test_early_stopping_and_terminate_on_nan_in_a_real_fit():
    model = linear_model()
    model.compile(loom.optimizers.SGD(learning_rate=0.0), "mse")
    x, y = np.random.rand(16, 3).astype("float32"), np.random.rand(16, 1).astype("float32")
    history = model.fit(
        x, y, epochs=20, verbose=0, validation_data=(x, y),
        callbacks=[loom.callbacks.EarlyStopping(patience=2)],
    )
    assert len(history.history["loss"]) == 3  # no improvement possible at lr=0
    model.compile(loom.optimizers.SGD(learning_rate=1e30), "mse")
    history = model.fit(x, y * 1e20, epochs=5, verbose=0, callbacks=[loom.callbacks.TerminateOnNaN()])
    assert len(history.history["loss"]) < 5 and not np.isfinite(history.history["loss"][-1])


def test_csv_logger_and_reduce_lr_in_a_real_fit(tmp_path):
    model = linear_model()
    model.compile(loom.optimizers.SGD(learning_rate=0.0), "mse")
    x, y = np.random.rand(16, 3).astype("float32"), np.random.rand(16, 1).astype("float32")
    path = tmp_path / "log.csv"
    model.fit(
        x, y, epochs=3, verbose=0,
        callbacks=[loom.callbacks.CSVLogger(str(path)), loom.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5, min_lr=0.0)],
    )
    lines = path.read_text().strip().splitlines()
    assert lines[0].startswith("epoch") and len(lines) == 4


def test_trainable_constraints_and_frozen_layers():
    x = Input((3,))
    frozen = Dense(4, name="frozen")
    constrained = Dense(2, kernel_constraint=loom.constraints.UnitNorm(axis=0), name="unit")
    model = loom.Model(x, constrained(frozen(x)))
    frozen.trainable = False
    model.compile("adam", "mse")
    before = frozen.get_weights()[0].copy()
    data = np.random.rand(32, 3).astype("float32")
    model.fit(data, np.random.rand(32, 2).astype("float32") * 5, epochs=3, verbose=0)
    np.testing.assert_array_equal(frozen.get_weights()[0], before)
    np.testing.assert_allclose(np.linalg.norm(constrained.get_weights()[0], axis=0), 1.0, rtol=1e-5)


@pytest.mark.parametrize("loop", ["fused", "blocks"])
def test_resuming_mid_epoch_is_bitwise_identical_to_an_uninterrupted_run(loop):
    """What BackupAndRestore relies on: weights, optimizer state, metric accumulators,
    the seed and the position restored, the rest of the run is the same run (in either
    way of looping over steps: see training/step.py)."""
    x = np.random.default_rng(0).random((100, 3)).astype("float32")
    y = x.sum(1, keepdims=True).astype("float32")

    def build():
        loom.utils.set_random_seed(11)
        inputs = Input((3,))
        model = loom.Model(inputs, Dense(1)(Dropout(0.2)(Dense(8, activation="relu")(inputs))))
        model.compile("adam", "mse", metrics=["mae"], steps_per_execution=2)
        model._step_loop = loop
        return model

    full = build()
    full_history = full.fit(x, y, epochs=3, batch_size=16, verbose=0).history

    class Snapshot(loom.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.model._fit_position == (1, 4):
                self.saved = {
                    "weights": [np.array(v.value) for v in self.model.variables],
                    "optimizer": [np.array(v.value) for v in self.model.optimizer.variables],
                    "training": self.model._training_checkpoint(),
                }
                self.model.stop_training = True

    snapshot = Snapshot()
    first = build()
    first.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[snapshot])

    class Restore(loom.callbacks.Callback):
        def on_train_begin(self, logs=None):
            model, saved = self.model, snapshot.saved
            for group, values in ((model.variables, saved["weights"]), (model.optimizer.variables, saved["optimizer"])):
                for variable, value in zip(group, values):
                    variable.assign(value)
            model._restore_training_checkpoint(**saved["training"])

    resumed = build()
    resumed.fit(x, y, epochs=1, batch_size=16, verbose=0)  # builds the optimizer state to overwrite
    history = resumed.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[Restore()]).history
    for a, b in zip(full.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert history["loss"] == full_history["loss"][1:]


def test_fit_a_model_with_a_fixed_batch_size_and_a_stateful_lstm():
    x = Input(batch_shape=(4, 5, 2))
    lstm = loom.layers.LSTM(3, stateful=True)
    model = loom.Model(x, Dense(1)(lstm(x)))
    model.compile("adam", "mse")
    data = np.random.rand(8, 5, 2).astype("float32")
    history = model.fit(data, np.random.rand(8, 1).astype("float32"), batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert len(history.history["loss"]) == 2
    assert not np.allclose(lstm.states[0].numpy(), 0.0)  # the states carried over from training


def test_a_users_metric_object_keeps_its_name_and_receives_results():
    a = Input((3,))
    model = loom.Model(a, [Dense(1, name="first")(a), Dense(1, name="second")(a)])
    mae = loom.metrics.MeanAbsoluteError(name="err")
    model.compile("sgd", ["mse", "mse"], metrics=[mae])
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 1), "float32")
    logs = model.evaluate(x, [y, y], return_dict=True, verbose=0)
    assert {"first_err", "second_err"} <= set(logs) and mae.name == "err"
    assert model.metrics_names[-2:] == ["first_err", "second_err"]
