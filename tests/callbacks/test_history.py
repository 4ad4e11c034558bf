from loom.callbacks import CallbackList, History


def test_history_records_every_epoch_and_sets_model_history(fake_model, fit):
    model = fake_model()
    callbacks = CallbackList(add_history=True, model=model)
    history = model.history
    assert isinstance(history, History)
    callbacks.on_train_begin()
    callbacks.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0})
    callbacks.on_epoch_end(1, {"loss": 0.5, "val_loss": 1.0})
    assert history.epoch == [0, 1]
    assert history.history == {"loss": [1.0, 0.5], "val_loss": [2.0, 1.0]}
    assert model.history is history


def test_history_keeps_values_across_fit_calls_but_restarts_epochs(fake_model, fit):
    history = History()
    model = fake_model()
    fit(CallbackList, [history], model, [{"loss": 1.0}])
    fit(CallbackList, [history], model, [{"loss": 0.5}, {"loss": 0.25}])
    assert history.history == {"loss": [1.0, 0.5, 0.25]}
    assert history.epoch == [0, 1]


def test_history_matches_keras(keras, fake_model, fit):
    logs = [{"loss": 1.0, "acc": 0.5}, {"loss": 0.5, "acc": 0.7, "val_loss": 0.9}]
    ours, theirs = History(), keras.callbacks.History()
    fit(CallbackList, [ours], fake_model(), logs)
    fit(keras.callbacks.CallbackList, [theirs], fake_model(), logs)
    assert ours.history == theirs.history and ours.epoch == theirs.epoch
