"""The new metrics inside compile/fit/evaluate: compiled results equal the eager metric on the predictions."""

import numpy as np

import loom
from loom import metrics


def _classifier_and_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 24)]
    return loom.Sequential([loom.Input((4,)), loom.layers.Dense(3, activation="softmax")]), x, y


def test_new_metrics_train_and_evaluate_compiled():
    model, x, y = _classifier_and_data()
    # F1Score sizes its variables from the data: built first, it runs compiled.
    f1 = metrics.F1Score(average="macro")
    f1.build(y.shape, y.shape)
    # "bce" resolves as in Keras, to the BinaryCrossentropy class (logged as "bce").
    compiled = ["bce", metrics.OneHotMeanIoU(3), metrics.PrecisionAtRecall(0.5), f1]
    model.compile("adam", "categorical_crossentropy", metrics=compiled)
    history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    names = ["bce", "one_hot_mean_io_u", "precision_at_recall", "f1_score"]
    assert set(history.history) == {"loss", *names}
    logs = model.evaluate(x, y, batch_size=8, return_dict=True, verbose=0)
    kernel, bias = model.get_weights()
    logits = x @ kernel + bias
    predictions = np.exp(logits - logits.max(-1, keepdims=True))
    predictions = (predictions / predictions.sum(-1, keepdims=True)).astype("float32")
    eager = [metrics.BinaryCrossentropy(), metrics.OneHotMeanIoU(3), metrics.PrecisionAtRecall(0.5)]
    eager.append(metrics.F1Score("macro"))
    for name, metric in zip(names, eager):
        for rows in np.split(np.arange(24), 3):  # evaluate's batches
            metric.update_state(y[rows], predictions[rows])
        np.testing.assert_allclose(logs[name], float(metric.result()), rtol=1e-5, err_msg=name)


def test_metrics_sized_by_the_data_train_without_a_manual_build():
    model, x, y = _classifier_and_data()
    model.compile("adam", "categorical_crossentropy", metrics=[metrics.F1Score(), metrics.R2Score()])
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    logs = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    predictions = model.predict(x, verbose=0)
    for name, metric in (("f1_score", metrics.F1Score()), ("r2_score", metrics.R2Score())):
        metric.update_state(y, predictions)
        np.testing.assert_allclose(logs[name], np.asarray(metric.result()), rtol=1e-5, err_msg=name)
