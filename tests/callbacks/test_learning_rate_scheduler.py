import jax.numpy as jnp
import numpy as np
import pytest

from loom.callbacks import CallbackList, History, LearningRateScheduler

EPOCH_LOGS = [{"loss": 1.0}] * 4


def _run(callback_list_class, scheduler_class, history_class, fake_model, fit, schedule):
    history = history_class()
    model = fake_model(learning_rate=0.1)
    rates = fit(callback_list_class, [scheduler_class(schedule), history], model, EPOCH_LOGS)
    return rates, history.history["learning_rate"]


@pytest.mark.parametrize(
    "schedule",
    [
        lambda epoch, lr: lr * 0.5,
        lambda epoch: 0.1 / (epoch + 1),
        lambda epoch, lr=None: 0.01 * epoch + 0.001,
        lambda epoch, lr: np.float32(lr) if epoch < 2 else np.float32(lr * 0.1),
    ],
    ids=["epoch_and_lr", "epoch_only", "optional_lr", "numpy_float32"],
)
def test_scheduler_matches_keras(schedule, keras, fake_model, fit):
    ours = _run(CallbackList, LearningRateScheduler, History, fake_model, fit, schedule)
    keras_classes = keras.callbacks.CallbackList, keras.callbacks.LearningRateScheduler, keras.callbacks.History
    theirs = _run(*keras_classes, fake_model, fit, schedule)
    np.testing.assert_allclose(ours, theirs, rtol=1e-7)


def test_schedule_sets_the_rate_before_each_epoch(fake_model, fit):
    rates, logged = _run(CallbackList, LearningRateScheduler, History, fake_model, fit, lambda epoch, lr: lr * 0.5)
    assert rates == pytest.approx([0.05, 0.025, 0.0125, 0.00625])
    assert logged == pytest.approx(rates)


def test_zero_dimensional_float_array_is_accepted(fake_model, fit):
    # Keras's own example returns lr * ops.exp(-0.1), a 0-d array; Keras 3 rejects it, loom takes it.
    rates, _ = _run(CallbackList, LearningRateScheduler, History, fake_model, fit, lambda e, lr: lr * jnp.exp(-0.1))
    assert all(isinstance(rate, float) for rate in rates)
    assert rates[0] == pytest.approx(0.1 * np.exp(-0.1), rel=1e-6)


@pytest.mark.parametrize("bad", [1, None, "0.1", [0.1], np.array([0.1, 0.2]), np.int64(1)])
def test_schedule_must_return_a_float(bad, fake_model, fit):
    with pytest.raises(ValueError, match="output of the `schedule` function should be a float. Got: .* at epoch 0"):
        fit(CallbackList, [LearningRateScheduler(lambda epoch, lr: bad)], fake_model(), EPOCH_LOGS)


def test_type_error_inside_the_schedule_is_not_hidden(fake_model, fit):
    def schedule(epoch, lr):
        return lr + "oops"

    with pytest.raises(TypeError, match="unsupported operand"):
        fit(CallbackList, [LearningRateScheduler(schedule)], fake_model(), EPOCH_LOGS)


def test_schedule_without_readable_signature_is_tried_both_ways(fake_model, fit, monkeypatch):
    import loom.callbacks.learning_rate_scheduler as module

    monkeypatch.setattr(module, "_takes_learning_rate", lambda schedule: None)
    rates, _ = _run(CallbackList, LearningRateScheduler, History, fake_model, fit, lambda epoch: 0.5)
    assert rates == [0.5] * 4


def test_schedule_must_be_callable():
    with pytest.raises(TypeError, match="`schedule` must be a function"):
        LearningRateScheduler(0.01)


def test_model_without_optimizer_is_reported(fake_model):
    callback = LearningRateScheduler(lambda epoch: 0.1)
    model = fake_model()
    model.optimizer = object()
    callback.set_model(model)
    with pytest.raises(ValueError, match="LearningRateScheduler needs an optimizer with a `learning_rate`"):
        callback.on_epoch_begin(0)


def test_verbose_reports_the_new_rate(fake_model, fit, capsys):
    fit(CallbackList, [LearningRateScheduler(lambda epoch: 0.5, verbose=1)], fake_model(), EPOCH_LOGS[:1])
    assert capsys.readouterr().out == "\nEpoch 1: LearningRateScheduler setting learning rate to 0.5.\n"
