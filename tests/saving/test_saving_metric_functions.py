"""Metric-only functions in compile (binary_accuracy shares its name with a class) survive
save and load as the same functions."""

import numpy as np

import loom
from loom import layers


def test_metric_functions_in_compile_round_trip(tmp_path):
    inputs = loom.Input((3,))
    model = loom.Model(inputs, layers.Dense(1, activation="sigmoid")(inputs))
    model.compile("adam", "binary_crossentropy", metrics=[loom.metrics.binary_accuracy, loom.metrics.hinge])
    x = np.random.default_rng(0).random((16, 3)).astype("float32")
    y = (x[:, :1] > 0.5).astype("float32")
    model.fit(x, y, verbose=0)
    model.save(tmp_path / "m.loom")
    loaded = loom.models.load_model(tmp_path / "m.loom")
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    assert loaded._compile_args["metrics"] == [loom.metrics.binary_accuracy, loom.metrics.hinge]
