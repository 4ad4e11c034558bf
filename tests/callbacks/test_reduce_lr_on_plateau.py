import pytest

from loom.callbacks import CallbackList, History, ReduceLROnPlateau

# (ReduceLROnPlateau arguments, monitored values per epoch)
CASES = {
    "patience_2": (dict(patience=2, factor=0.5), [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.98, 0.8]),
    "cooldown": (dict(patience=1, factor=0.5, cooldown=2), [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7]),
    "min_lr_floor": (dict(patience=0, factor=0.1, min_lr=0.0005), [1.0, 1.0, 1.0, 1.0, 1.0]),
    "min_delta": (dict(patience=1, factor=0.5, min_delta=0.1), [1.0, 0.95, 0.91, 0.5, 0.45]),
    "mode_max": (dict(monitor="val_accuracy", mode="max", patience=1, factor=0.2), [0.5, 0.6, 0.6, 0.7, 0.69]),
    "defaults": (dict(), [1.0] * 13),
}


def _run(callback_list_class, reduce_class, history_class, fake_model, fit, kwargs, values):
    monitor = kwargs.get("monitor", "val_loss")
    history = history_class()
    model = fake_model(learning_rate=0.01)
    rates = fit(callback_list_class, [reduce_class(**kwargs), history], model, [{monitor: v} for v in values])
    return rates, history.history["learning_rate"], float(model.optimizer.learning_rate)


@pytest.mark.parametrize("case", sorted(CASES))
def test_reduce_lr_on_plateau_matches_keras(case, keras, fake_model, fit):
    kwargs, values = CASES[case]
    ours = _run(CallbackList, ReduceLROnPlateau, History, fake_model, fit, kwargs, values)
    theirs = _run(
        keras.callbacks.CallbackList,
        keras.callbacks.ReduceLROnPlateau,
        keras.callbacks.History,
        fake_model,
        fit,
        kwargs,
        values,
    )
    assert ours == theirs


def test_rate_is_lowered_after_patience_epochs_without_improvement(fake_model, fit):
    rates, logged, final = _run(CallbackList, ReduceLROnPlateau, History, fake_model, fit, *CASES["patience_2"])
    # Epochs 2 and 3 do not improve on 0.9: the rate halves after epoch 3, then again after 5.
    assert rates == pytest.approx([0.01, 0.01, 0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025])
    assert logged == rates  # the logged rate is the one used during the epoch
    assert final == pytest.approx(0.0025)


def test_cooldown_pauses_counting_after_a_reduction(fake_model, fit):
    rates, _, _ = _run(CallbackList, ReduceLROnPlateau, History, fake_model, fit, *CASES["cooldown"])
    # As in Keras, the cooldown counts down at the start of each epoch's check, so with
    # cooldown=2 and patience=1 a steadily worse metric lowers the rate every second epoch.
    assert rates == pytest.approx([0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025, 0.00125, 0.00125])


def test_rate_never_goes_below_min_lr(fake_model, fit):
    rates, _, final = _run(CallbackList, ReduceLROnPlateau, History, fake_model, fit, *CASES["min_lr_floor"])
    assert rates == pytest.approx([0.01, 0.01, 0.001, 0.0005, 0.0005])
    assert final == pytest.approx(0.0005)


def test_learning_rate_is_added_to_logs_before_later_callbacks(fake_model, fit):
    history = History()
    fit(CallbackList, [ReduceLROnPlateau(monitor="loss"), history], fake_model(learning_rate=0.1), [{"loss": 1.0}])
    assert history.history == {"learning_rate": [0.1], "loss": [1.0]}


def test_verbose_reports_the_new_rate(fake_model, fit, capsys):
    fit(CallbackList, [ReduceLROnPlateau(monitor="loss", patience=0, verbose=1)], fake_model(0.1), [{"loss": 1.0}] * 2)
    assert capsys.readouterr().out == "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.010000000000000002.\n"


def test_missing_monitor_warns_naming_available_keys(fake_model, fit):
    model = fake_model(0.1)
    with pytest.warns(UserWarning, match=r"`val_loss` which is not available.* are: loss, learning_rate\."):
        fit(CallbackList, [ReduceLROnPlateau(patience=0)], model, [{"loss": 1.0}] * 3)
    assert model.optimizer.learning_rate == 0.1


def test_model_without_optimizer_is_reported(fake_model, fit):
    model = fake_model()
    model.optimizer = None
    with pytest.raises(ValueError, match="ReduceLROnPlateau needs an optimizer with a `learning_rate`.*compile"):
        fit(CallbackList, [ReduceLROnPlateau()], model, [{"val_loss": 1.0}])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(factor=1.0), ValueError, "does not support a factor >= 1.0. Received factor=1.0"),
        (dict(factor=-0.5), ValueError, r"`factor` must be in \[0, 1\)"),
        (dict(factor="half"), TypeError, "`factor` must be a number"),
        (dict(patience=-1), ValueError, "`patience` must be an int >= 0"),
        (dict(cooldown=0.5), ValueError, "`cooldown` must be an int >= 0"),
        (dict(min_lr=None), TypeError, "`min_lr` must be a number"),
        (dict(epsilon=1e-4), TypeError, "epsilon"),
    ],
)
def test_reduce_lr_on_plateau_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        ReduceLROnPlateau(**kwargs)


def test_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match="ReduceLROnPlateau mode 'down' is unknown"):
        assert ReduceLROnPlateau(mode="down").mode == "auto"
