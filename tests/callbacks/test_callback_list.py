import jax.numpy as jnp
import numpy as np
import pytest

from loom.callbacks import Callback, CallbackList, EarlyStopping, History, ProgbarLogger, TerminateOnNaN
from loom.callbacks.callback_list import pythonify_logs


class Recorder(Callback):
    def __init__(self, calls, name):
        super().__init__()
        self.calls, self.name = calls, name

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append((self.name, epoch, logs))


def test_logs_become_sorted_python_floats():
    logs = pythonify_logs(
        {"loss": jnp.float32(0.5), "accuracy": np.float64(0.25), "count": 3, "flag": True, "name": "x", "none": None}
    )
    assert list(logs) == ["accuracy", "count", "flag", "loss", "name", "none"]
    assert logs == {"accuracy": 0.25, "count": 3.0, "flag": 1.0, "loss": 0.5, "name": "x", "none": None}
    assert all(type(logs[key]) is float for key in ("accuracy", "count", "flag", "loss"))


def test_nested_logs_are_flattened_and_arrays_kept():
    logs = pythonify_logs({"b": {"z": jnp.array(2.0), "y": 1}, "a": jnp.array([1.0, 2.0])})
    assert list(logs) == ["a", "y", "z"]
    np.testing.assert_array_equal(logs["a"], [1.0, 2.0])
    assert logs["z"] == 2.0 and logs["y"] == 1.0
    assert pythonify_logs(None) == {}


def test_pythonify_matches_keras(keras):
    from keras.src.utils.python_utils import pythonify_logs as keras_pythonify_logs

    logs = {"loss": jnp.float32(0.5), "b": {"acc": np.float32(0.25)}, "n": 2}
    assert pythonify_logs(logs) == keras_pythonify_logs(logs)
    assert list(pythonify_logs(logs)) == list(keras_pythonify_logs(logs))


def test_callbacks_run_in_order_with_the_same_logs(fake_model):
    calls = []
    callbacks = CallbackList([Recorder(calls, "a"), [Recorder(calls, "b")]], model=fake_model())
    callbacks.on_epoch_end(0, {"loss": jnp.float32(1.0)})
    assert calls == [("a", 0, {"loss": 1.0}), ("b", 0, {"loss": 1.0})]
    assert calls[0][2] is calls[1][2]


def test_history_and_progbar_are_added_once_after_the_user_callbacks(fake_model):
    user = Callback()
    model = fake_model()
    callbacks = CallbackList([user], add_history=True, add_progbar=True, model=model, verbose=1, epochs=2, steps=5)
    assert callbacks.callbacks[0] is user
    assert [type(c) for c in callbacks.callbacks[1:]] == [History, ProgbarLogger]
    assert model.history is callbacks.callbacks[1]
    assert all(c.model is model and c.params == {"verbose": 1, "epochs": 2, "steps": 5} for c in callbacks.callbacks)

    history, progbar = History(), ProgbarLogger()
    callbacks = CallbackList([progbar, history], add_history=True, add_progbar=True, verbose=1, epochs=1, steps=1)
    assert callbacks.callbacks == [progbar, history]


def test_defaults_are_added_only_on_request():
    assert CallbackList().callbacks == []
    assert CallbackList(None, add_history=True).callbacks[0].__class__ is History


def test_single_callback_is_accepted():
    callback = EarlyStopping()
    assert CallbackList(callback).callbacks == [callback]


@pytest.mark.parametrize(
    "callbacks, match",
    [
        (
            [EarlyStopping(), print],
            r"`callbacks\[1\]` is not a loom.callbacks.Callback; received builtin_function_or_method",
        ),
        ("early_stopping", r"`callbacks` must be a list of loom.callbacks.Callback instances; received str"),
    ],
)
def test_non_callbacks_are_rejected(callbacks, match):
    with pytest.raises(TypeError, match=match):
        CallbackList(callbacks)


def test_keras_callbacks_are_rejected_with_a_hint(keras):
    with pytest.raises(TypeError, match="Subclass loom.callbacks.Callback"):
        CallbackList([keras.callbacks.EarlyStopping()])


@pytest.mark.parametrize(
    "hook",
    [
        "on_batch_begin",
        "on_batch_end",
        "on_train_batch_begin",
        "on_train_batch_end",
        "on_test_batch_begin",
        "on_test_batch_end",
        "on_predict_batch_begin",
        "on_predict_batch_end",
    ],
)
def test_any_overridden_batch_hook_needs_batch_hooks(hook):
    custom = type("Custom", (Callback,), {hook: lambda self, batch, logs=None: None})
    assert CallbackList([custom()]).needs_batch_hooks


def test_epoch_hooks_and_built_in_displays_do_not_need_batch_hooks():
    custom = type("Custom", (Callback,), {"on_epoch_end": lambda self, epoch, logs=None: None})
    callbacks = CallbackList(
        [custom(), EarlyStopping(), TerminateOnNaN()], add_history=True, add_progbar=True, verbose=1, epochs=1, steps=1
    )
    assert not callbacks.needs_batch_hooks


def test_update_interval_comes_from_the_live_progress_bar(monkeypatch):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    assert CallbackList(add_progbar=True, verbose=1, epochs=1, steps=10).update_interval_seconds == 0.1
    assert CallbackList(add_progbar=True, verbose=2, epochs=1, steps=10).update_interval_seconds is None
    assert CallbackList([EarlyStopping()]).update_interval_seconds is None
    monkeypatch.setenv("TTY_COMPATIBLE", "0")  # a log file: only the end of each epoch is shown
    assert CallbackList(add_progbar=True, verbose=1, epochs=1, steps=10).update_interval_seconds is None


def test_every_hook_reaches_every_callback(fake_model):
    calls = []

    class Everything(Callback):
        pass

    hooks = [name for name in dir(Callback) if name.startswith("on_")]
    for name in hooks:
        setattr(Everything, name, lambda self, *args, _name=name, **kwargs: calls.append((_name, args, kwargs)))
    callbacks = CallbackList([Everything()], model=fake_model())
    for name in hooks:
        getattr(callbacks, name)(*([1] if ("batch" in name or "epoch" in name) else []), {"x": 1})
    assert [call[0] for call in calls] == hooks
    batch_call = dict((name, (args, kwargs)) for name, args, kwargs in calls)
    assert batch_call["on_train_batch_end"] == ((1,), {"logs": {"x": 1.0}})
    assert batch_call["on_epoch_end"] == ((1, {"x": 1.0}), {})
    assert batch_call["on_train_begin"] == (({"x": 1.0},), {})
