import re

import pytest

from loom.callbacks import CallbackList, ProgbarLogger

BAR = "━" * 20


def _fit(verbose, epochs=2, steps=4, chunk=2, validation=True):
    """The hook sequence of fit with chunks of ``chunk`` steps and a validation run per epoch."""
    callbacks = CallbackList(add_progbar=verbose != 0, verbose=verbose, epochs=epochs, steps=steps)
    callbacks.on_train_begin()
    for epoch in range(epochs):
        callbacks.on_epoch_begin(epoch)
        for end in range(chunk, (steps or 6) + 1, chunk):
            callbacks.on_train_batch_begin(end - chunk)
            callbacks.on_train_batch_end(end - 1, {"loss": 1.0 / end, "accuracy": 0.5})
        logs = {"loss": 0.23, "accuracy": 0.91}
        if validation:
            callbacks.on_test_begin()
            callbacks.on_test_batch_end(0, {"loss": 9.0})
            callbacks.on_test_end({"loss": 9.0})
            logs.update(val_loss=0.3, val_accuracy=0.88)
        callbacks.on_epoch_end(epoch, logs)
    callbacks.on_train_end(logs)


def _mask_times(text):
    return re.sub(r"\d+(ms|us|s)/step", "T/step", re.sub(r" \d+s ", " Ns ", text))


def test_fit_prints_a_header_and_one_line_per_epoch_outside_a_terminal(capsys):
    _fit(verbose=1)
    lines = _mask_times(capsys.readouterr().out).split("\n")
    final = f"4/4 {BAR} Ns T/step - accuracy: 0.9100 - loss: 0.2300 - val_accuracy: 0.8800 - val_loss: 0.3000"
    assert lines == ["Epoch 1/2", final, "Epoch 2/2", final, ""]


def test_verbose_2_prints_one_summary_line_per_epoch(capsys):
    _fit(verbose=2)
    lines = _mask_times(capsys.readouterr().out).splitlines()
    final = "4/4 - Ns - T/step - accuracy: 0.9100 - loss: 0.2300 - val_accuracy: 0.8800 - val_loss: 0.3000"
    assert lines == ["Epoch 1/2", final, "Epoch 2/2", final]


def test_verbose_0_prints_nothing(capsys):
    _fit(verbose=0)
    logger = ProgbarLogger()
    CallbackList([logger], verbose=0, epochs=2, steps=4)
    logger.on_epoch_begin(0)
    logger.on_train_batch_end(3, {"loss": 1.0})
    logger.on_epoch_end(0, {"loss": 1.0})
    assert capsys.readouterr().out == ""


def test_single_epoch_has_no_header(capsys):
    _fit(verbose=1, epochs=1, validation=False)
    assert _mask_times(capsys.readouterr().out) == f"4/4 {BAR} Ns T/step - accuracy: 0.9100 - loss: 0.2300\n"


def test_unknown_steps_are_learned_in_the_first_epoch(capsys):
    _fit(verbose=2, steps=None, validation=False)
    lines = _mask_times(capsys.readouterr().out).splitlines()
    assert lines[1].startswith("6/6 - ") and lines[3].startswith("6/6 - ")


def test_evaluate_and_predict_show_one_bar(capsys):
    logger = ProgbarLogger()
    callbacks = CallbackList([logger], verbose=1, epochs=1, steps=3)
    callbacks.on_test_begin()
    callbacks.on_test_batch_end(2, {"loss": 0.5})
    callbacks.on_test_end({"loss": 0.5})
    callbacks.on_predict_begin()
    callbacks.on_predict_batch_end(2, {"outputs": 1.0})
    callbacks.on_predict_end()
    lines = _mask_times(capsys.readouterr().out).splitlines()
    assert lines == [f"3/3 {BAR} Ns T/step - loss: 0.5000", f"3/3 {BAR} Ns T/step"]


def test_evaluate_after_fit_with_the_same_logger_is_shown(capsys):
    logger = ProgbarLogger()
    callbacks = CallbackList([logger], verbose=2, epochs=1, steps=1)
    callbacks.on_train_begin()
    callbacks.on_test_begin()
    callbacks.on_test_end({"loss": 1.0})
    assert capsys.readouterr().out == ""  # validation inside fit is silent
    callbacks.on_train_end()
    callbacks.on_test_begin()
    callbacks.on_test_end({"loss": 1.0})
    assert "loss: 1.0000" in capsys.readouterr().out


def test_auto_verbose_means_1():
    logger = ProgbarLogger()
    logger.set_params({"verbose": "auto", "epochs": 3, "steps": 10})
    assert (logger.verbose, logger.epochs, logger.target) == (1, 3, 10)


def test_bad_verbose_is_rejected():
    with pytest.raises(ValueError, match="`verbose` must be 0, 1, 2 or 'auto'; received verbose=3"):
        CallbackList(add_progbar=True, verbose=3, epochs=1, steps=1)


def test_live_bar_asks_for_ten_updates_a_second(monkeypatch):
    logger = ProgbarLogger()
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    assert logger.update_interval_seconds == 0.1
    monkeypatch.setenv("TTY_COMPATIBLE", "0")
    assert logger.update_interval_seconds is None


def test_output_matches_keras_progbar_logger(keras, capsys, monkeypatch):
    """The final line of each epoch reads as Keras's (which redraws it in place with \\r)."""
    ours = _fit_text(CallbackList, capsys)
    theirs = _fit_text(keras.callbacks.CallbackList, capsys)
    assert ours == theirs


def _fit_text(callback_list_class, capsys):
    callbacks = callback_list_class(add_progbar=True, verbose=1, epochs=2, steps=4)
    callbacks.on_train_begin()
    for epoch in range(2):
        callbacks.on_epoch_begin(epoch)
        callbacks.on_train_batch_end(3, {"loss": 0.5})
        callbacks.on_epoch_end(epoch, {"loss": 0.23, "accuracy": 0.91})
    callbacks.on_train_end()
    out = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)
    lines = [line.split("\r")[-1].replace("\b", "").rstrip() for line in out.split("\n")]
    return _mask_times("\n".join(line for line in lines if line))
