"""``.keras`` files exchanged with Keras 3: Keras writes and loom reads, loom writes and Keras reads.

The same model-building functions as test_keras_json run under both
libraries; predictions are compared after the file crosses over, and
training continues from a saved optimizer state to the same weights.
"""

import json
import os
import zipfile

import numpy as np
import pytest

import loom
from loom.saving import keras_archive
from loom.saving.errors import ArchiveError, IntegrityError, SerializationError
from tests.saving.test_keras_json import BUILDERS, inputs_for

keras = pytest.importorskip("keras")

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
RNG = np.random.default_rng(9)


def predictions(model, x):
    return np.asarray(model.predict(x, verbose=0))


@pytest.mark.parametrize("build", BUILDERS, ids=lambda f: f.__name__)
def test_a_keras_written_file_loads_in_loom_with_equal_predictions(build, tmp_path):
    keras_model = build(keras)
    path = str(tmp_path / "from_keras.keras")
    keras_model.save(path)
    loom_model = loom.models.load_model(path)
    x = inputs_for(keras_model)
    np.testing.assert_allclose(predictions(loom_model, x), predictions(keras_model, x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("build", BUILDERS, ids=lambda f: f.__name__)
def test_a_loom_written_file_loads_in_keras_with_equal_predictions(build, tmp_path):
    loom_model = build(loom)
    path = str(tmp_path / "from_loom.keras")
    loom_model.save(path)
    keras_model = keras.models.load_model(path)
    x = inputs_for(loom_model)
    np.testing.assert_allclose(predictions(keras_model, x), predictions(loom_model, x), rtol=1e-5, atol=1e-6)


def trainable_model(K):
    x = K.Input((4,), name="x")
    h = K.layers.Dense(6, activation="tanh", name="hidden")(x)
    h = K.layers.BatchNormalization(name="bn")(h)
    model = K.Model(x, K.layers.Dense(2, name="out")(h), name="trainable")
    model.compile(optimizer=K.optimizers.Adam(0.05), loss="mse", metrics=["mae"])
    return model


DATA = RNG.normal(size=(16, 4)).astype("float32"), RNG.normal(size=(16, 2)).astype("float32")


def one_more_step(model):
    model.fit(*DATA, batch_size=16, epochs=1, shuffle=False, verbose=0)
    return model.get_weights()


def assert_same_training(first, second):
    assert int(np.asarray(first.optimizer.iterations)) == int(np.asarray(second.optimizer.iterations))
    for a, b in zip(one_more_step(first), one_more_step(second)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_keras_optimizer_state_continues_training_identically_in_loom(tmp_path):
    keras_model = trainable_model(keras)
    keras_model.fit(*DATA, batch_size=8, epochs=2, shuffle=False, verbose=0)
    path = str(tmp_path / "trained.keras")
    keras_model.save(path)
    loom_model = loom.models.load_model(path)
    assert type(loom_model.optimizer).__name__ == "Adam"
    assert_same_training(keras_model, loom_model)


def test_loom_optimizer_state_continues_training_identically_in_keras(tmp_path):
    loom_model = trainable_model(loom)
    loom_model.fit(*DATA, batch_size=8, epochs=2, shuffle=False, verbose=0)
    path = str(tmp_path / "trained.keras")
    loom_model.save(path)
    keras_model = keras.models.load_model(path)
    assert_same_training(loom_model, keras_model)


def test_compiled_loss_and_metrics_come_back_from_a_keras_file(tmp_path):
    keras_model = trainable_model(keras)
    keras_model.fit(*DATA, verbose=0)  # builds the optimizer, so the file holds its state
    path = str(tmp_path / "compiled.keras")
    keras_model.save(path)
    loom_model = loom.models.load_model(path)
    expected = keras_model.evaluate(*DATA, verbose=0, return_dict=True)
    found = loom_model.evaluate(*DATA, verbose=0, return_dict=True)
    assert set(found) == set(expected) == {"loss", "mae"}
    for name in expected:
        np.testing.assert_allclose(found[name], expected[name], rtol=1e-5)
    assert loom.models.load_model(path, compile=False).optimizer is None


def test_loom_file_is_keras_layout_with_loom_extras_in_the_metadata(tmp_path):
    model = trainable_model(loom)
    model.fit(*DATA, verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        metadata = json.loads(archive.read("metadata.json"))
        config = json.loads(archive.read("config.json"))
    assert metadata["keras_version"].startswith("3.") and "date_saved" in metadata
    assert metadata["loom"]["training_seed"] == model._training_seed
    assert len(metadata["loom"]["weights_sha256"]) == 64
    assert "training_seed" not in config["compile_config"]
    assert config["module"] == "keras.src.models.functional"
    assert loom.models.load_model(path)._training_seed == model._training_seed


def rewrite(path, replace: dict, add: dict | None = None):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members.update(replace)
    members.update(add or {})
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_a_changed_weights_member_is_caught_by_the_recorded_digest(tmp_path):
    path = str(tmp_path / "model.keras")
    BUILDERS[0](loom).save(path)
    with zipfile.ZipFile(path) as archive:
        data = bytearray(archive.read("model.weights.h5"))
    data[-9] ^= 0x01
    rewrite(path, {"model.weights.h5": bytes(data)})
    with pytest.raises(IntegrityError, match="model.weights.h5 has SHA-256"):
        loom.models.load_model(path)


@pytest.mark.parametrize(
    "member, message",
    [("../escape.txt", "refusing to read"), ("assets/vocabulary.txt", "without assets"), ("model.weights.npz", "npz")],
)
def test_keras_zips_follow_loom_archive_rules(tmp_path, member, message):
    path = str(tmp_path / "model.keras")
    BUILDERS[0](keras).save(path)
    rewrite(path, {}, {member: b"x"})
    with pytest.raises(ArchiveError, match=message):
        loom.models.load_model(path)


def test_load_model_dispatches_on_content_not_extension(tmp_path):
    keras_path, loom_path = str(tmp_path / "k.keras"), str(tmp_path / "l.loom")
    keras_model = BUILDERS[0](keras)
    keras_model.save(keras_path)
    loom_model = BUILDERS[0](loom)
    loom_model.save(loom_path)
    with zipfile.ZipFile(loom_path) as archive:
        assert "model.safetensors" in archive.namelist()
    x = inputs_for(keras_model)
    # A Keras file under loom's extension, and loom's own format under `.keras` (files of older looms).
    os.replace(keras_path, str(tmp_path / "k.loom"))
    os.replace(loom_path, str(tmp_path / "l.keras"))
    np.testing.assert_allclose(
        predictions(loom.models.load_model(str(tmp_path / "k.loom")), x), predictions(keras_model, x), rtol=1e-6
    )
    np.testing.assert_allclose(
        predictions(loom.models.load_model(str(tmp_path / "l.keras")), x), predictions(loom_model, x), rtol=1e-6
    )


def test_a_failed_save_leaves_the_previous_file(tmp_path, monkeypatch):
    path = str(tmp_path / "model.keras")
    model = BUILDERS[0](loom)
    model.save(path)
    before = (tmp_path / "model.keras").read_bytes()

    member_info = keras_archive._info

    def fail_at_weights(name, compress_type):
        if name == keras_archive.WEIGHTS_H5:  # the metadata and config are already in the new zip
            raise SerializationError("disk full halfway")
        return member_info(name, compress_type)

    monkeypatch.setattr(keras_archive, "_info", fail_at_weights)
    with pytest.raises(SerializationError, match="halfway"):
        model.save(path)
    assert (tmp_path / "model.keras").read_bytes() == before
    assert [name for name in os.listdir(tmp_path)] == ["model.keras"]


def test_keras_archive_reader_names_a_missing_weights_member(tmp_path):
    path = str(tmp_path / "model.keras")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.npz", b"")
    with open(path, "rb") as handle, pytest.raises(ArchiveError, match="npz"):
        keras_archive.read_open_keras_archive(handle, path)


# legacy_h5 (the HDF5 engineer's) cannot yet read an empty 'weight_names' attribute, which tf.keras 2 and Keras 3
# write for every layer without weights (h5py's H5Aget_storage_size fails on a zero-size attribute).


@pytest.mark.parametrize("build", BUILDERS[:4], ids=lambda f: f.__name__)
def test_a_legacy_hdf5_model_written_by_keras_loads_in_loom(build, tmp_path):
    keras_model = build(keras)
    keras_model.compile(optimizer="adam", loss="mse")
    path = str(tmp_path / "legacy.h5")
    keras.models.save_model(keras_model, path)  # Keras 3 writes tf.keras 2's HDF5 model format
    with open(path, "rb") as handle:
        assert handle.read(8) == b"\x89HDF\r\n\x1a\n"
    loom_model = loom.models.load_model(path)
    x = inputs_for(keras_model)
    np.testing.assert_allclose(predictions(loom_model, x), predictions(keras_model, x), rtol=1e-5, atol=1e-6)
    assert type(loom_model.optimizer).__name__ == "Adam"


def test_a_tf_keras_2_hdf5_model_builds_compiles_and_loads_its_weights(tmp_path):
    import h5py

    from tests.saving.test_keras_json import KERAS2_FUNCTIONAL

    rng = np.random.default_rng(3)
    arrays = {
        "shared": {"kernel:0": rng.normal(size=(4, 3)), "bias:0": rng.normal(size=3)},
        "bn": {
            "gamma:0": rng.uniform(0.5, 2, 3),
            "beta:0": rng.normal(size=3),
            "moving_mean:0": rng.normal(size=3),
            "moving_variance:0": rng.uniform(0.5, 2, 3),
        },
        "out": {"kernel:0": rng.normal(size=(6, 2)), "bias:0": rng.normal(size=2)},
    }
    training = {
        "loss": "mse",
        "metrics": ["mae"],
        "optimizer_config": {"class_name": "Adam", "config": {"lr": 0.01, "decay": 0.0}},
    }
    path = str(tmp_path / "tf_keras_2.h5")
    with h5py.File(path, "w") as file:
        file.attrs["model_config"] = json.dumps(KERAS2_FUNCTIONAL)
        file.attrs["training_config"] = json.dumps(training)
        file.attrs["keras_version"] = "2.11.0"
        weights = file.create_group("model_weights")
        weights.attrs["layer_names"] = [name.encode() for name in ("in_a", "in_b", "shared", "bn", "merge", "out")]
        for layer in ("in_a", "in_b", "shared", "bn", "merge", "out"):
            group = weights.create_group(layer)
            names = [f"{layer}/{weight}" for weight in arrays.get(layer, {})]
            group.attrs["weight_names"] = [name.encode() for name in names]
            for name, weight in zip(names, arrays.get(layer, {}).values()):
                group.create_dataset(name, data=weight.astype("float32"))
    model = loom.models.load_model(path)
    a, b = RNG.normal(size=(2, 5, 4)).astype("float32")
    shared, bn, out = arrays["shared"], arrays["bn"], arrays["out"]
    shared_a = np.maximum(a @ shared["kernel:0"] + shared["bias:0"], 0)
    shared_b = np.maximum(b @ shared["kernel:0"] + shared["bias:0"], 0)
    normalized = (shared_b - bn["moving_mean:0"]) / np.sqrt(bn["moving_variance:0"] + 1e-3) * bn["gamma:0"] + bn[
        "beta:0"
    ]
    expected = np.concatenate([shared_a, normalized], axis=-1) @ out["kernel:0"] + out["bias:0"]
    np.testing.assert_allclose(predictions(model, [a, b]), expected, rtol=1e-4, atol=1e-5)
    assert type(model.optimizer).__name__ == "Adam"
    np.testing.assert_allclose(float(np.asarray(model.optimizer.learning_rate)), 0.01, rtol=1e-6)
