"""keras.io example "Imbalanced classification: credit card fraud detection"
(examples/structured_data/imbalanced_classification.py).

The Kaggle CSV is replaced by seeded float32 features (30 columns) and uint8
targets of shape (n, 1) with about 2% positives that depend on the features;
5120 rows (20% for validation), 3 epochs of batches of 2048 instead of 30.
"""

import os

import numpy as np


def vectorized_csv(rows=5120, seed=0):
    """The example's `features` (float32, (rows, 30)) and `targets` (uint8, (rows, 1))."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, 30)).astype("float32") * rng.uniform(1, 100, size=30).astype("float32")
    score = features[:, 3] / np.std(features[:, 3]) + features[:, 7] / np.std(features[:, 7])
    targets = (score > np.quantile(score, 0.98)).astype("uint8")[:, None]
    return features, targets


def test_fraud_model_with_class_weights_confusion_metrics_and_epoch_checkpoints(keras, in_tmp_path):
    features, targets = vectorized_csv()

    num_val_samples = int(len(features) * 0.2)
    train_features = features[:-num_val_samples]
    train_targets = targets[:-num_val_samples]
    val_features = features[-num_val_samples:]
    val_targets = targets[-num_val_samples:]

    counts = np.bincount(train_targets[:, 0])
    print(
        "Number of positive samples in training data: {} ({:.2f}% of total)".format(
            counts[1], 100 * float(counts[1]) / len(train_targets)
        )
    )

    weight_for_0 = 1.0 / counts[0]
    weight_for_1 = 1.0 / counts[1]

    mean = np.mean(train_features, axis=0)
    train_features -= mean
    val_features -= mean
    std = np.std(train_features, axis=0)
    train_features /= std
    val_features /= std

    model = keras.Sequential(
        [
            keras.Input(shape=train_features.shape[1:]),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.summary()

    metrics = [
        keras.metrics.FalseNegatives(name="fn"),
        keras.metrics.FalsePositives(name="fp"),
        keras.metrics.TrueNegatives(name="tn"),
        keras.metrics.TruePositives(name="tp"),
        keras.metrics.Precision(name="precision"),
        keras.metrics.Recall(name="recall"),
    ]

    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=metrics)

    callbacks = [keras.callbacks.ModelCheckpoint("fraud_model_at_epoch_{epoch}.keras")]
    class_weight = {0: weight_for_0, 1: weight_for_1}

    history = model.fit(
        train_features,
        train_targets,
        batch_size=2048,
        epochs=3,
        verbose=2,
        callbacks=callbacks,
        validation_data=(val_features, val_targets),
        class_weight=class_weight,
    )

    logs = history.history
    assert sorted(logs) == sorted(
        ["loss", "fn", "fp", "tn", "tp", "precision", "recall"]
        + ["val_loss", "val_fn", "val_fp", "val_tn", "val_tp", "val_precision", "val_recall"]
    )
    for epoch in range(3):
        # The confusion counts of one epoch cover every sample once...
        assert logs["tp"][epoch] + logs["fn"][epoch] == counts[1]
        assert logs["tn"][epoch] + logs["fp"][epoch] == counts[0]
        assert logs["val_tp"][epoch] + logs["val_fn"][epoch] == val_targets.sum()
        assert logs["val_tn"][epoch] + logs["val_fp"][epoch] == len(val_targets) - val_targets.sum()
        # ...and precision and recall are ratios of them.
        np.testing.assert_allclose(logs["val_recall"][epoch], logs["val_tp"][epoch] / val_targets.sum(), rtol=1e-5)
    # With the rare class weighted up, the model finds most validation frauds.
    assert logs["val_recall"][-1] > 0.5
    assert sorted(f for f in os.listdir() if f.startswith("fraud_model")) == [
        f"fraud_model_at_epoch_{epoch}.keras" for epoch in (1, 2, 3)
    ]
    reloaded = keras.models.load_model("fraud_model_at_epoch_3.keras")
    np.testing.assert_allclose(reloaded.predict(val_features, verbose=0), model.predict(val_features, verbose=0), rtol=1e-5)
