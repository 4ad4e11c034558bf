"""A fake model for driving callbacks with scripted logs, and a loop that drives them."""

import numpy as np
import pytest


class FakeOptimizer:
    def __init__(self, learning_rate):
        self.learning_rate = learning_rate


class FakeModel:
    """The model interface callbacks use: stop_training, optimizer.learning_rate, get/set_weights.

    Its single weight holds the index of the epoch that produced it, so a
    restored weight names the epoch it came from.
    """

    def __init__(self, learning_rate=0.01, metrics=None):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.weight = -1.0
        self.history = None
        if metrics is not None:
            self.metrics = metrics

    def get_weights(self):
        return [np.array([self.weight])]

    def set_weights(self, weights):
        self.weight = float(weights[0][0])


def run_fit(callback_list_class, callbacks, model, epoch_logs):
    """Runs the epoch hooks over scripted logs, as fit does; returns each epoch's learning rate."""
    callbacks = callback_list_class(callbacks, model=model, verbose=0, epochs=len(epoch_logs), steps=1)
    callbacks.on_train_begin()
    learning_rates = []
    for epoch, logs in enumerate(epoch_logs):
        callbacks.on_epoch_begin(epoch)
        learning_rates.append(getattr(model.optimizer, "learning_rate", None))
        model.weight = float(epoch)  # "training" for this epoch
        callbacks.on_epoch_end(epoch, dict(logs))
        if model.stop_training:
            break
    callbacks.on_train_end()
    return learning_rates


@pytest.fixture
def fake_model():
    return FakeModel


@pytest.fixture
def fit():
    return run_fit


@pytest.fixture(scope="session")
def keras():
    keras = pytest.importorskip("keras")
    return keras
