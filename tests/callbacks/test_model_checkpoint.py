"""ModelCheckpoint in real fits: file names, best-only, weights-only, batch frequency."""

import numpy as np
import pytest

import loom
from loom.layers import Dense, Input


def small_model(lr=0.05):
    loom.utils.set_random_seed(0)
    x = Input((3,))
    model = loom.Model(x, Dense(1)(Dense(4, activation="tanh")(x)))
    model.compile(loom.optimizers.SGD(lr), "mse", metrics=["mae"])
    return model


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    return x, x.sum(1, keepdims=True)


def test_saves_every_epoch_with_formatted_names_and_loads_back(tmp_path):
    model = small_model()
    x, y = data()
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{loss:.3f}.keras")
    model.fit(x, y, epochs=3, verbose=0, callbacks=[loom.callbacks.ModelCheckpoint(pattern)])
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 3 and files[0].startswith("ckpt-01-") and files[2].startswith("ckpt-03-")
    restored = loom.models.load_model(tmp_path / files[-1])
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))


def test_save_best_only_keeps_the_best_weights(tmp_path):
    model = small_model(lr=0.0)  # nothing improves after the first epoch
    x, y = data()
    path = tmp_path / "best.weights.h5"
    checkpoint = loom.callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True, save_weights_only=True)
    model.fit(x, y, epochs=3, verbose=0, validation_data=(x, y), callbacks=[checkpoint])
    assert path.exists() and checkpoint.best is not None
    first_save = path.stat().st_mtime_ns
    model.compile(loom.optimizers.SGD(0.0), "mse")
    model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y), callbacks=[checkpoint])
    assert path.stat().st_mtime_ns == first_save  # no improvement, no new write
    with pytest.warns(UserWarning, match="can save best model only with val_mae available"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[loom.callbacks.ModelCheckpoint(
            tmp_path / "x.keras", monitor="val_mae", save_best_only=True, mode="min")])


def test_batch_frequency(tmp_path):
    model = small_model()
    x, y = data()
    pattern = str(tmp_path / "b-{epoch}-{batch}.keras")
    model.compile(loom.optimizers.SGD(0.05), "mse", steps_per_execution=1)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[loom.callbacks.ModelCheckpoint(pattern, save_freq=2)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b-1-2.keras", "b-1-4.keras"]


def test_argument_errors():
    with pytest.raises(ValueError, match=r"must end in one of \['.keras', '.loom'\]"):
        loom.callbacks.ModelCheckpoint("model.h5")
    with pytest.raises(ValueError, match="save_weights_only=True"):
        loom.callbacks.ModelCheckpoint("model.keras", save_weights_only=True)
    with pytest.raises(ValueError, match="`save_freq` must be 'epoch' or a positive int"):
        loom.callbacks.ModelCheckpoint("model.keras", save_freq=0)


def test_unknown_name_in_filepath(tmp_path):
    model = small_model()
    x, y = data()
    with pytest.raises(KeyError, match="names 'val_accuracy', which is not in the logs"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[loom.callbacks.ModelCheckpoint(str(tmp_path / "{val_accuracy}.keras"))])
