import pytest

from loom.callbacks import CallbackList, EarlyStopping

# (EarlyStopping arguments, monitored values per epoch)
CASES = {
    "patience_0_stops_at_first_worse": (dict(), [1.0, 0.9, 0.95, 0.8]),
    "patience_2": (dict(patience=2), [1.0, 0.9, 0.95, 0.93, 0.85, 0.7]),
    "min_delta_small_gains_do_not_count": (dict(patience=1, min_delta=0.05), [1.0, 0.97, 0.96, 0.9, 0.89]),
    "negative_min_delta_is_its_magnitude": (dict(patience=1, min_delta=-0.05), [1.0, 0.97, 0.96, 0.9, 0.89]),
    "mode_max": (dict(monitor="val_accuracy", mode="max", patience=1), [0.5, 0.6, 0.6, 0.55, 0.7]),
    "mode_max_min_delta": (dict(monitor="val_accuracy", mode="max", min_delta=0.02), [0.5, 0.51, 0.6]),
    "mode_min_on_a_metric": (dict(monitor="val_mae", mode="min", patience=1), [3.0, 2.0, 2.5, 2.4, 1.0]),
    "baseline_never_beaten_but_improving": (dict(patience=2, baseline=0.5), [1.0, 0.9, 0.8, 0.7, 0.6]),
    "baseline_never_beaten_then_worse": (dict(patience=2, baseline=0.5), [1.0, 0.9, 0.95, 0.97, 0.99]),
    "baseline_beaten": (dict(patience=1, baseline=0.5), [1.0, 0.4, 0.45, 0.3, 0.35, 0.36]),
    "restore_when_stopped": (dict(patience=2, restore_best_weights=True), [1.0, 0.5, 0.7, 0.8, 0.9]),
    "restore_when_not_stopped": (dict(patience=5, restore_best_weights=True), [1.0, 0.5, 0.7, 0.8]),
    "restore_with_baseline_never_beaten": (
        dict(patience=1, baseline=0.1, restore_best_weights=True),
        [1.0, 0.8, 0.9, 0.95],
    ),
    "start_from_epoch": (dict(start_from_epoch=2), [1.0, 2.0, 3.0, 2.5, 2.6]),
    "start_from_epoch_restore": (
        dict(start_from_epoch=2, restore_best_weights=True, patience=1),
        [0.1, 2.0, 3.0, 2.5, 2.6, 2.7],
    ),
    "never_stops": (dict(patience=1), [5.0, 4.0, 3.0, 2.0]),
}


def _result(callback, model, learning_rates):
    return {
        "epochs_run": len(learning_rates),
        "stopped_epoch": callback.stopped_epoch,
        "best": float(callback.best),
        "weight": model.weight,
        "stop_training": model.stop_training,
    }


def _run(callback_list_class, early_stopping_class, fake_model, fit, kwargs, values):
    monitor = kwargs.get("monitor", "val_loss")
    callback = early_stopping_class(**kwargs)
    model = fake_model()
    learning_rates = fit(callback_list_class, [callback], model, [{"loss": 0.0, monitor: v} for v in values])
    return _result(callback, model, learning_rates)


@pytest.mark.parametrize("case", sorted(CASES))
def test_early_stopping_matches_keras(case, keras, fake_model, fit):
    kwargs, values = CASES[case]
    ours = _run(CallbackList, EarlyStopping, fake_model, fit, kwargs, values)
    theirs = _run(keras.callbacks.CallbackList, keras.callbacks.EarlyStopping, fake_model, fit, kwargs, values)
    assert ours == theirs


@pytest.mark.parametrize(
    "case, epochs_run, stopped_epoch, weight",
    [
        ("patience_0_stops_at_first_worse", 3, 2, 2.0),
        ("patience_2", 4, 3, 3.0),
        ("min_delta_small_gains_do_not_count", 2, 1, 1.0),
        ("mode_max", 3, 2, 2.0),
        ("baseline_never_beaten_but_improving", 5, 0, 4.0),
        ("baseline_never_beaten_then_worse", 3, 2, 2.0),
        ("restore_when_stopped", 4, 3, 1.0),
        ("restore_when_not_stopped", 4, 0, 1.0),
        ("start_from_epoch", 5, 4, 4.0),
        ("start_from_epoch_restore", 5, 4, 3.0),
    ],
)
def test_early_stopping_stops_at_the_right_epoch(case, epochs_run, stopped_epoch, weight, fake_model, fit):
    kwargs, values = CASES[case]
    result = _run(CallbackList, EarlyStopping, fake_model, fit, kwargs, values)
    assert result["epochs_run"] == epochs_run
    assert result["stopped_epoch"] == stopped_epoch
    assert result["weight"] == weight


def test_early_stopping_resets_between_fit_calls(fake_model, fit):
    callback = EarlyStopping(monitor="loss", patience=0)
    model = fake_model()
    fit(CallbackList, [callback], model, [{"loss": 1.0}, {"loss": 2.0}])
    assert callback.stopped_epoch == 1
    model.stop_training = False
    epochs = fit(CallbackList, [callback], model, [{"loss": 5.0}, {"loss": 4.0}, {"loss": 3.0}])
    assert len(epochs) == 3 and callback.stopped_epoch == 0 and callback.best == 3.0


def test_auto_mode_follows_metric_direction(fake_model, fit):
    class Accuracy:
        name = "accuracy"
        _direction = "up"

    class MetricsList:  # a container such as the compiled metrics of a model
        name = "compile_metrics"
        metrics = [Accuracy()]

    callback = EarlyStopping(monitor="val_accuracy")
    model = fake_model(metrics=[MetricsList()])
    epochs = fit(CallbackList, [callback], model, [{"val_accuracy": v} for v in (0.5, 0.6, 0.55)])
    assert len(epochs) == 3 and callback.best == 0.6 and callback.stopped_epoch == 2


def test_auto_mode_minimises_per_output_losses(fake_model, fit):
    callback = EarlyStopping(monitor="val_dense_loss")
    epochs = fit(CallbackList, [callback], fake_model(), [{"val_dense_loss": v} for v in (1.0, 0.5, 0.7)])
    assert len(epochs) == 3 and callback.best == 0.5


def test_auto_mode_rejects_a_metric_of_unknown_direction(fake_model, fit):
    with pytest.raises(ValueError, match="monitor=val_f1.*mode='max'.*mode='min'"):
        fit(CallbackList, [EarlyStopping(monitor="val_f1")], fake_model(), [{"val_f1": 0.5}])


def test_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match="EarlyStopping mode 'minimum' is unknown"):
        callback = EarlyStopping(mode="minimum")
    assert callback.mode == "auto"


def test_missing_monitor_warns_naming_available_keys(fake_model, fit):
    callback = EarlyStopping(monitor="val_loss")
    with pytest.warns(UserWarning, match=r"`val_loss` which is not available. Available metrics are: accuracy, loss"):
        epochs = fit(CallbackList, [callback], fake_model(), [{"loss": 1.0, "accuracy": 0.5}] * 3)
    assert len(epochs) == 3 and callback.stopped_epoch == 0


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(patience=-1), ValueError, "`patience` must be an int >= 0; received patience=-1"),
        (dict(patience=1.5), ValueError, "patience=1.5"),
        (dict(start_from_epoch=-2), ValueError, "start_from_epoch=-2"),
        (dict(min_delta="0.1"), TypeError, "`min_delta` must be a number"),
        (dict(baseline="low"), TypeError, "`baseline` must be a number"),
        (dict(monitor=None), TypeError, "`monitor` must be a log key"),
    ],
)
def test_early_stopping_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        EarlyStopping(**kwargs)


def test_verbose_reports_stop_and_restore(fake_model, fit, capsys):
    callback = EarlyStopping(monitor="loss", restore_best_weights=True, verbose=1)
    fit(CallbackList, [callback], fake_model(), [{"loss": 1.0}, {"loss": 0.5}, {"loss": 0.7}])
    assert capsys.readouterr().out.splitlines() == [
        "Epoch 3: early stopping",
        "Restoring model weights from the end of the best epoch: 2.",
    ]
