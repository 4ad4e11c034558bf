import math

import jax.numpy as jnp
import pytest

from loom.callbacks import CallbackList, TerminateOnNaN


@pytest.mark.parametrize("loss", [math.nan, math.inf, -math.inf, jnp.float32(jnp.nan)])
def test_invalid_loss_stops_training(loss, fake_model, capsys):
    model = fake_model()
    callbacks = CallbackList([TerminateOnNaN()], model=model)
    callbacks.on_train_batch_end(7, {"loss": 0.5})
    assert not model.stop_training
    callbacks.on_train_batch_end(15, {"loss": loss})
    assert model.stop_training
    assert capsys.readouterr().out == "Batch 15: Invalid loss, terminating training\n"


def test_logs_without_loss_are_ignored(fake_model):
    model = fake_model()
    CallbackList([TerminateOnNaN()], model=model).on_train_batch_end(0, {"accuracy": math.nan})
    assert not model.stop_training


def test_raise_error_raises_instead(fake_model):
    callbacks = CallbackList([TerminateOnNaN(raise_error=True)], model=fake_model())
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 3. Loss value: nan"):
        callbacks.on_train_batch_end(3, {"loss": math.nan})


def test_validation_batches_are_not_checked(fake_model):
    model = fake_model()
    CallbackList([TerminateOnNaN()], model=model).on_test_batch_end(0, {"loss": math.nan})
    assert not model.stop_training


def test_terminate_on_nan_does_not_shorten_chunks():
    assert not CallbackList([TerminateOnNaN()]).needs_batch_hooks
