"""evaluate runs the forward passes of several batches side by side (vmap) and then each
batch's metric update in order. The loss and metrics must equal a batch-by-batch
computation written out in NumPy, whatever the data length, weights and chunk size."""

import numpy as np
import pytest

import loom
from loom import layers, ops


def _model(metrics=("mae",), weighted=None):
    inputs = loom.Input((5,))
    outputs = layers.Dense(2)(layers.Dense(12, activation="relu")(inputs))
    model = loom.Model(inputs, outputs)
    model.compile("sgd", "mse", metrics=list(metrics), weighted_metrics=weighted)
    return model


def _numpy_forward(model, x):
    k1, b1, k2, b2 = model.get_weights()
    return np.maximum(x @ k1 + b1, 0) @ k2 + b2


def _batchwise(model, x, y, batch_size, weights=None):
    """Keras's evaluate: per-batch mean losses averaged with each batch's row count, mae
    as a running mean over all rows (weighted by the sample weights when given)."""
    losses, rows, abs_errors, weight_sum = [], [], 0.0, 0.0
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        wb = None if weights is None else weights[start:start + batch_size]
        pred = _numpy_forward(model, xb)
        per_sample = ((pred - yb) ** 2).mean(axis=-1)
        losses.append(per_sample.mean() if wb is None else (per_sample * wb).sum() / len(xb))
        rows.append(len(xb))
        per_row_abs = np.abs(pred - yb).mean(axis=-1)
        abs_errors += per_row_abs.sum() if wb is None else (per_row_abs * wb).sum()
        weight_sum += len(xb) if wb is None else wb.sum()
    loss = np.average(losses, weights=rows)
    return loss, abs_errors / weight_sum


def _data(rows, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(rows, 5)).astype("float32"), rng.normal(size=(rows, 2)).astype("float32")


@pytest.mark.parametrize("rows, batch_size", [(1000, 8), (1003, 8), (64, 32), (77, 4)])
def test_evaluate_equals_the_batch_by_batch_computation(rows, batch_size):
    model, (x, y) = _model(), _data(rows)
    assert model._chunk_plan(x, batch_size, builtin=True)[1] > 1  # batches do run side by side
    loss, mae = model.evaluate(x, y, batch_size=batch_size, verbose=0)
    expected_loss, expected_mae = _batchwise(model, x, y, batch_size)
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    assert mae == pytest.approx(expected_mae, rel=1e-5)


def test_sample_weights_reach_every_batch_of_a_group():
    model, (x, y) = _model(metrics=(), weighted=["mae"]), _data(300)
    weights = np.random.default_rng(1).uniform(0.1, 2.0, size=300).astype("float32")
    loss, mae = model.evaluate(x, y, sample_weight=weights, batch_size=8, verbose=0)
    expected_loss, expected_mae = _batchwise(model, x, y, 8, weights)
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    assert mae == pytest.approx(expected_mae, rel=1e-5)


def test_a_short_call_after_a_long_one_counts_only_its_own_batches():
    model = _model()
    long_x, long_y = _data(2048, seed=2)
    model.evaluate(long_x, long_y, batch_size=8, verbose=0)  # the chunk keeps this call's size
    x, y = _data(45, seed=3)
    loss, mae = model.evaluate(x, y, batch_size=8, verbose=0)
    expected_loss, expected_mae = _batchwise(model, x, y, 8)
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    assert mae == pytest.approx(expected_mae, rel=1e-5)


def test_a_layer_that_looks_across_the_batch_sees_only_its_batch():
    inputs = loom.Input((5,))
    centred = layers.Lambda(lambda t: t - ops.mean(t, axis=0, keepdims=True))(inputs)
    model = loom.Model(inputs, layers.Dense(2, use_bias=False)(centred))
    model.compile("sgd", "mse")
    x, y = _data(96, seed=4)
    (kernel,) = model.get_weights()
    losses = []
    for xb, yb in zip(np.split(x, 12), np.split(y, 12)):
        pred = (xb - xb.mean(axis=0, keepdims=True)) @ kernel
        losses.append(((pred - yb) ** 2).mean())
    assert model.evaluate(x, y, batch_size=8, verbose=0) == pytest.approx(np.mean(losses), rel=1e-5)


def test_validation_during_fit_uses_the_same_path():
    model, (x, y) = _model(), _data(200)
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0, validation_data=(x, y), shuffle=False)
    expected_loss, expected_mae = _batchwise(model, x, y, 8)
    assert history.history["val_loss"][0] == pytest.approx(expected_loss, rel=1e-5)
    assert history.history["val_mae"][0] == pytest.approx(expected_mae, rel=1e-5)
