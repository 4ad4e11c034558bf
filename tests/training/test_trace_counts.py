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


def test_predict_on_new_lengths_traces_the_model_no_more():
    # Chunks keep the first call's shape; the last is padded and its padding cut off.
    model, (x, _) = _model(), _data(rows=100)
    expected = model.predict(x, verbose=0)
    before = CountingIdentity.calls
    for rows in (96, 37, 5, 1, 100, 64):
        np.testing.assert_allclose(model.predict(x[:rows], verbose=0), expected[:rows], rtol=1e-6)
    assert CountingIdentity.calls == before


def test_evaluate_on_new_lengths_traces_only_a_new_partial_batch():
    model, (x, y) = _model(), _data(rows=100)
    model.evaluate(x, y, verbose=0)  # 3 full batches of 32 and a partial one of 4
    before = CountingIdentity.calls
    for rows in (96, 64, 32, 100):  # full batches, and the partial batch seen before
        model.evaluate(x[:rows], y[:rows], verbose=0)
    assert CountingIdentity.calls == before
    model.evaluate(x[:40], y[:40], verbose=0)  # a partial batch of 8: its step is traced once
    assert CountingIdentity.calls == before + 1


def test_evaluate_in_chunks_equals_numpy():
    model, (x, y) = _model(), _data(rows=100)
    model.evaluate(x[:10], y[:10], verbose=0)  # the first call fixes a small chunk; 100 rows take several
    loss, mae = model.evaluate(x, y, batch_size=8, verbose=0)
    predictions = model.predict(x, verbose=0)
    np.testing.assert_allclose(loss, np.mean((predictions - y) ** 2), rtol=1e-5)
    np.testing.assert_allclose(mae, np.mean(np.abs(predictions - y)), rtol=1e-5)


def test_train_on_batch_after_freezing_a_layer_trains_only_the_rest():
    # The cached layer walks see the change of `trainable` (loom/state/structure_version.py).
    model, (x, y) = _model(), _data(rows=32)
    model.train_on_batch(x, y)
    frozen = model.layers[1]
    frozen.trainable = False
    before = [np.asarray(w) for w in frozen.get_weights()]
    model.compile("adam", "mse")
    model.train_on_batch(x, y)
    for old, new in zip(before, frozen.get_weights()):
        np.testing.assert_array_equal(old, new)
