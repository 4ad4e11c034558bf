"""Repeated calls with the same shapes trace the model no more: each entry point compiles
once, and a new data length compiles nothing new in predict's stitching."""

import numpy as np
import pytest

import loom
from loom import layers


class CountingIdentity(layers.Layer):
    """Counts how often its call runs (each trace or eager call runs it once)."""

    calls = 0

    def call(self, inputs):
        type(self).calls += 1
        return inputs


def _model():
    CountingIdentity.calls = 0
    inputs = loom.Input((4,))
    outputs = layers.Dense(1)(CountingIdentity()(layers.Dense(8, activation="relu")(inputs)))
    model = loom.Model(inputs, outputs)
    model.compile("adam", "mse", metrics=["mae"])
    return model


def _data(rows=64):
    rng = np.random.default_rng(0)
    return rng.normal(size=(rows, 4)).astype("float32"), rng.normal(size=(rows, 1)).astype("float32")


@pytest.mark.parametrize(
    "entry",
    [
        lambda m, x, y: m.train_on_batch(x[:32], y[:32]),
        lambda m, x, y: m.test_on_batch(x[:32], y[:32]),
        lambda m, x, y: m.predict_on_batch(x[:32]),
        lambda m, x, y: m.predict(x, verbose=0),
        lambda m, x, y: m.evaluate(x, y, verbose=0),
        lambda m, x, y: m.fit(x, y, epochs=2, verbose=0),
        lambda m, x, y: m.fit(x, y, epochs=1, verbose=0, validation_data=(x, y)),
    ],
    ids=["train_on_batch", "test_on_batch", "predict_on_batch", "predict", "evaluate", "fit", "fit+validation"],
)
def test_a_repeated_call_traces_the_model_no_more(entry):
    model, (x, y) = _model(), _data()
    entry(model, x, y)
    after_first = CountingIdentity.calls
    for _ in range(3):
        entry(model, x, y)
    assert CountingIdentity.calls == after_first


def test_predict_on_new_lengths_compiles_only_the_new_partial_batch():
    model, (x, _) = _model(), _data(rows=100)
    model.predict(x[:64], verbose=0)
    before = CountingIdentity.calls
    for rows in (96, 64, 32):  # full batches of 32 only: nothing new to trace
        model.predict(x[:rows], verbose=0)
    assert CountingIdentity.calls == before
