import pytest

from loom.callbacks import Callback
from loom.callbacks.callback import BATCH_HOOKS, HOOKS, is_default


def test_every_keras_hook_exists_and_is_a_default(keras):
    keras_hooks = {name for name in dir(keras.callbacks.Callback) if name.startswith("on_")}
    assert set(HOOKS) == keras_hooks
    callback = Callback()
    for name in HOOKS:
        assert is_default(getattr(callback, name)), name
        assert getattr(callback, name)(*([0] if "batch" in name or "epoch" in name else [])) is None


def test_overridden_hook_is_not_a_default():
    class Custom(Callback):
        def on_train_batch_end(self, batch, logs=None):
            pass

    assert not is_default(Custom().on_train_batch_end)
    assert is_default(Custom().on_epoch_end)
    assert "on_train_batch_end" in BATCH_HOOKS


def test_train_batch_hooks_call_the_backwards_compatible_aliases():
    calls = []

    class Legacy(Callback):
        def on_batch_begin(self, batch, logs=None):
            calls.append(("begin", batch, logs))

        def on_batch_end(self, batch, logs=None):
            calls.append(("end", batch, logs))

    callback = Legacy()
    callback.on_train_batch_begin(3, {"a": 1.0})
    callback.on_train_batch_end(4, logs={"loss": 0.5})
    callback.on_test_batch_end(5, {"loss": 0.5})  # not an alias
    assert calls == [("begin", 3, {"a": 1.0}), ("end", 4, {"loss": 0.5})]


def test_set_model_and_set_params():
    callback = Callback()
    assert callback.model is None and callback.params is None
    model = object()
    callback.set_model(model)
    callback.set_params({"epochs": 3})
    assert callback.model is model and callback.params == {"epochs": 3}
    with pytest.raises(AttributeError):
        callback.model = object()  # as in Keras: use set_model


def test_public_names_of_loom_callbacks():
    import loom.callbacks

    public = sorted(name for name in vars(loom.callbacks) if name[0].isupper())
    assert public == [
        "BackupAndRestore",
        "CSVLogger",
        "Callback",
        "CallbackList",
        "EarlyStopping",
        "History",
        "LambdaCallback",
        "LearningRateScheduler",
        "ModelCheckpoint",
        "ProgbarLogger",
        "ReduceLROnPlateau",
        "RemoteMonitor",
        "SwapEMAWeights",
        "TensorBoard",
        "TerminateOnNaN",
    ]
