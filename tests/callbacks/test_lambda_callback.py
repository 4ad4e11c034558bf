import pytest

from loom.callbacks import CallbackList, LambdaCallback


def test_hooks_receive_keras_arguments(fake_model):
    calls = []
    callback = LambdaCallback(
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch, logs)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, logs)),
        on_train_begin=lambda logs: calls.append(("train_begin", logs)),
        on_train_end=lambda logs: calls.append(("train_end", logs)),
        on_train_batch_begin=lambda batch, logs: calls.append(("batch_begin", batch, logs)),
        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch, logs)),
        on_test_end=lambda logs: calls.append(("test_end", logs)),
    )
    callbacks = CallbackList([callback], model=fake_model())
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    callbacks.on_train_batch_begin(0)
    callbacks.on_train_batch_end(9, {"loss": 1})
    callbacks.on_test_end({"loss": 2})
    callbacks.on_epoch_end(0, {"loss": 1, "val_loss": 2})
    callbacks.on_train_end({"loss": 1})
    assert calls == [
        ("train_begin", {}),
        ("epoch_begin", 0, {}),
        ("batch_begin", 0, {}),
        ("batch_end", 9, {"loss": 1.0}),
        ("test_end", {"loss": 2.0}),
        ("epoch_end", 0, {"loss": 1.0, "val_loss": 2.0}),
        ("train_end", {"loss": 1.0}),
    ]


def test_hooks_not_given_stay_defaults():
    callback = LambdaCallback(on_epoch_end=lambda epoch, logs: None)
    assert callback.on_epoch_begin(0) is None
    assert not CallbackList([callback]).needs_batch_hooks
    assert CallbackList([LambdaCallback(on_train_batch_end=lambda b, logs: None)]).needs_batch_hooks


def test_misspelt_hook_is_rejected():
    with pytest.raises(TypeError, match=r"unknown hook\(s\) \['on_epoch_ends'\]. Hooks are: on_batch_begin"):
        LambdaCallback(on_epoch_ends=lambda epoch, logs: None)


def test_hook_must_be_callable():
    with pytest.raises(TypeError, match="`on_epoch_end` must be a function; received on_epoch_end='print'"):
        LambdaCallback(on_epoch_end="print")
