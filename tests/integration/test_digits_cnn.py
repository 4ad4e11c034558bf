"""Issue 4 acceptance: a small CNN learns scikit-learn's 8x8 digits to >= 95% validation accuracy.

Its speed is measured in bench/bench_cnn.py, not asserted here (a busy machine fails time limits).
"""

import numpy as np
import pytest

import loom
from loom import layers

datasets = pytest.importorskip("sklearn.datasets")


def test_small_cnn_on_digits_reaches_95_percent():
    digits = datasets.load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]  # (1797, 8, 8, 1)
    y = digits.target.astype("int32")
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    loom.utils.set_random_seed(0)
    model = loom.Sequential(
        [
            layers.Input((8, 8, 1)),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.GlobalAveragePooling2D(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loom.optimizers.Adam(0.003), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=32, validation_split=0.2, verbose=0)
    # Validation uses the moving statistics, which need a few epochs to warm up (momentum 0.99).
    assert history.history["val_accuracy"][-1] >= 0.95
    bn = model.layers[1]
    assert not np.allclose(bn.moving_mean.numpy(), 0.0)  # statistics were updated in training
