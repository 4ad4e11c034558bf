"""Augmentation inside a model: a small CNN with RandomFlip, RandomRotation and RandomZoom trains with
fit (loss falls), repeats exactly with the same seed, and survives save -> load."""

import numpy as np

import loom
from loom import layers as L


def dataset(n=96):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, n)
    x = rng.random((n, 8, 8, 1)).astype("float32") * 80
    x[labels == 1, 2:6, 2:6] += 170  # class 1: a bright centre, which survives flips, turns and zooms
    return x, labels.astype("int32")


def make_model():
    inputs = loom.Input((8, 8, 1))
    x = L.RandomFlip(seed=1)(inputs)
    x = L.RandomRotation(0.1, seed=2)(x)
    x = L.RandomZoom(0.1, seed=3)(x)
    x = L.Rescaling(1 / 255.0)(x)
    x = L.Conv2D(4, 3, activation="relu")(x)
    x = L.GlobalAveragePooling2D()(x)
    outputs = L.Dense(2, activation="softmax")(x)
    model = loom.Model(inputs, outputs)
    model.compile(optimizer=loom.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    return model


def train(seed):
    loom.utils.set_random_seed(seed)
    model = make_model()
    x, y = dataset()
    history = model.fit(x, y, batch_size=16, epochs=6, verbose=0, shuffle=False)
    return model, history.history["loss"]


def test_augmented_cnn_learns_and_repeats_exactly_with_the_same_seed():
    model, losses = train(7)
    assert losses[-1] < losses[0] * 0.8
    again, losses_again = train(7)
    assert losses == losses_again
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_predict_skips_augmentation_and_the_model_survives_save_and_load(tmp_path):
    model, _ = train(3)
    x, _ = dataset(8)
    predicted = model.predict(x, verbose=0)
    # inference: the augmentation layers pass images through, so predictions repeat and equal the
    # same network without them
    np.testing.assert_array_equal(predicted, model.predict(x, verbose=0))
    features = L.Rescaling(1 / 255.0)(x)
    for layer in model.layers[5:]:
        features = layer(features)
    np.testing.assert_allclose(predicted, np.asarray(features), rtol=1e-5, atol=1e-6)
    path = tmp_path / "augmented.keras"
    model.save(path)
    restored = loom.models.load_model(path)
    assert [type(layer).__name__ for layer in restored.layers[1:4]] == ["RandomFlip", "RandomRotation", "RandomZoom"]
    np.testing.assert_array_equal(restored.predict(x, verbose=0), predicted)


def test_policy_and_warp_layers_train_inside_the_compiled_step():
    loom.utils.set_random_seed(0)
    inputs = loom.Input((10, 10, 3))
    x = L.RandomCrop(8, 8, seed=1)(inputs)
    x = L.RandAugment(num_ops=1, seed=2)(x)
    x = L.AugMix(num_chains=1, chain_depth=1, seed=3)(x)
    x = L.RandomColorJitter(brightness_factor=0.1, saturation_factor=0.3, hue_factor=0.1, seed=4)(x)
    x = L.RandomElasticTransform(scale=(0.2, 0.6), seed=5)(x)
    x = L.Rescaling(1 / 255.0)(x)
    x = L.GlobalAveragePooling2D()(x)
    model = loom.Model(inputs, L.Dense(1)(x))
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(1)
    images = (rng.random((16, 10, 10, 3)) * 255).astype("float32")
    history = model.fit(images, rng.random((16, 1)).astype("float32"), batch_size=8, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert model.predict(images, verbose=0).shape == (16, 1)
