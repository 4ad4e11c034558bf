"""save_model / load_model / save_weights / load_weights: round trips of the seed models,
training that continues exactly, and errors that list what does not match."""

import json
import os
import zipfile

import numpy as np
import pytest
import safetensors.numpy

import loom
from loom.demo import seeds
from loom.saving import WeightsMismatchError
from tests.saving.saving_helpers import assert_bitwise_equal, assert_same_weights, round_trip


def _dot_model():
    model = seeds.dot_product_model(n_docs=12, query_dim=6, units=4)
    x, y = seeds.dot_product_data(samples=32, n_docs=12, query_dim=6)
    return model, x, y, "mse"


def _constant_model():
    x_pk, coefficients, x, y = seeds.constant_subset_data(samples=48)
    return seeds.constant_subset_model(x_pk, coefficients), x, y, "categorical_crossentropy"


def _mixture_model():
    model = seeds.mixture_model(branches=2, features=6, hidden=4, outputs=3)
    xs, y = seeds.mixture_data(samples=40, branches=2, features=6, outputs=3)
    return model, xs, y, "mse"


def _siamese_model():
    model, *_ = seeds.siamese_model(features=6, units=4)
    x, y = seeds.siamese_data(samples=40, features=6)
    return model, x, y, "binary_crossentropy"


def _ensemble_model():
    members = [seeds.make_model((4,), 5) for _ in range(2)]
    ensemble, _ = seeds.ensemble_model(members, [np.array([1.0, 2.0, 0.5]), np.array([0.2, 1.0, 1.0])])
    x, y = seeds.ensemble_data(samples=30)
    return ensemble, [x, x], y, "categorical_crossentropy"


SEEDS = {
    "dot_product": _dot_model,
    "constant_subset": _constant_model,
    "mixture": _mixture_model,
    "siamese": _siamese_model,
    "ensemble": _ensemble_model,
}


@pytest.mark.parametrize("seed", list(SEEDS))
def test_seed_model_round_trip_predicts_bitwise_identically(seed, tmp_path):
    model, x, y, loss = SEEDS[seed]()
    model.compile(optimizer="adam", loss=loss)
    model.optimizer.build(model.trainable_variables)
    loaded = round_trip(model, tmp_path / "model.keras")
    assert type(loaded) is type(model) and loaded.name == model.name
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert_same_weights(model, loaded)
    assert_bitwise_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("seed", ["dot_product", "constant_subset"])
def test_training_continues_identically_after_a_round_trip(seed, tmp_path):
    model, x, y, loss = SEEDS[seed]()
    model.compile(optimizer="adam", loss=loss, metrics=["mae"])
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    loaded = round_trip(model, tmp_path / "model.keras")
    assert loaded._training_seed == model._training_seed
    assert_bitwise_equal(
        [v.numpy() for v in loaded.optimizer.variables], [v.numpy() for v in model.optimizer.variables]
    )
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    loaded.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert_same_weights(model, loaded)
    assert_bitwise_equal(
        [v.numpy() for v in loaded.optimizer.variables], [v.numpy() for v in model.optimizer.variables]
    )


def test_model_file_holds_config_metadata_and_safetensors(tmp_path):
    model, x, y, loss = _dot_model()
    model.compile(optimizer="adam", loss=loss)
    model.optimizer.build(model.trainable_variables)
    model.save(tmp_path / "model.loom")
    with zipfile.ZipFile(tmp_path / "model.loom") as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.safetensors"]
        config = json.loads(archive.read("config.json"))
        metadata = json.loads(archive.read("metadata.json"))
    assert config["class_name"] == "Functional" and config["module"] == "loom.models"
    assert [entry["name"] for entry in config["config"]["layers"]][:3] == ["g", "d_pos", "d_neg"]
    assert config["compile_config"]["loss"] == "mse"
    assert config["compile_config"]["training_seed"] == model._training_seed
    assert metadata["format"] == "loom.model" and metadata["includes_optimizer"] is True


def test_load_without_compile_gives_an_uncompiled_model_with_the_weights(tmp_path):
    model, x, y, loss = _mixture_model()
    model.compile(optimizer="sgd", loss=loss)
    model.optimizer.build(model.trainable_variables)
    loaded = round_trip(model, tmp_path / "m.keras", compile=False)
    assert not loaded.compiled and loaded.optimizer is None
    assert_same_weights(model, loaded)


def test_save_without_optimizer_restarts_the_optimizer(tmp_path):
    model, x, y, loss = _mixture_model()
    model.compile(optimizer="adam", loss=loss)
    model.optimizer.build(model.trainable_variables)
    model.save(tmp_path / "m.keras", include_optimizer=False)
    loaded = loom.models.load_model(tmp_path / "m.keras")
    assert loaded.compiled and not loaded.optimizer.built
    assert_same_weights(model, loaded)


def test_save_refuses_other_extensions_and_existing_files_without_overwrite(tmp_path):
    model, *_ = _mixture_model()
    with pytest.raises(ValueError, match=r"\.keras"):
        model.save(tmp_path / "model.h5")
    with pytest.raises(ValueError, match=r"extension"):
        model.save(tmp_path / "model.bin")
    model.save(tmp_path / "model.keras")
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "model.keras", overwrite=False)


def test_load_model_of_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        loom.models.load_model(tmp_path / "nothing.keras")


# --- weights files ---------------------------------------------------------------------------
def _dense_model(units=3, name="net"):
    inputs = loom.Input((4,), name="x")
    hidden = loom.layers.Dense(units, activation="relu", name="hidden")(inputs)
    outputs = loom.layers.Dense(2, name="out")(hidden)
    return loom.Model(inputs, outputs, name=name)


def test_save_weights_and_load_weights_round_trip(tmp_path):
    model, other = _dense_model(), _dense_model()
    model.save_weights(tmp_path / "w.weights.safetensors")
    other.load_weights(tmp_path / "w.weights.safetensors")
    assert_same_weights(model, other)


def test_keras_weights_file_name_writes_keras_hdf5_layout(tmp_path):
    model, other = _dense_model(), _dense_model()
    model.save_weights(tmp_path / "model.weights.h5")
    assert (tmp_path / "model.weights.h5").read_bytes()[:8] == b"\x89HDF\r\n\x1a\n"
    other.load_weights(tmp_path / "model.weights.h5")
    assert_same_weights(model, other)
    model.save_weights(tmp_path / "model.weights.safetensors")
    assert sorted(safetensors.numpy.load_file(tmp_path / "model.weights.safetensors")) == sorted(
        v.path for v in model.weights
    )


def test_load_weights_from_a_model_file(tmp_path):
    model, other = _dense_model(), _dense_model()
    model.save(tmp_path / "m.keras")
    other.load_weights(tmp_path / "m.keras")
    assert_same_weights(model, other)


def test_load_weights_lists_missing_unexpected_and_mismatched_weights(tmp_path):
    model = _dense_model(units=3)
    model.save_weights(tmp_path / "w.safetensors")
    inputs = loom.Input((4,), name="x")
    hidden = loom.layers.Dense(5, name="hidden")(inputs)  # another shape
    dropped = loom.layers.Dropout(0.5, seed=1, name="drop")(hidden)  # a random generator's state: optional
    outputs = loom.layers.Dense(2, name="final")(dropped)  # another name, same place
    extra = loom.layers.Dense(1, name="extra")(outputs)  # not in the file
    other = loom.Model(inputs, extra)
    before = other.get_weights()
    with pytest.raises(WeightsMismatchError) as caught:
        other.load_weights(tmp_path / "w.safetensors")
    error = caught.value
    # Matched by place in the model (tree path), as Keras does, not by layer name.
    assert sorted(error.missing) == ["layers/dense_2/bias", "layers/dense_2/kernel"]
    assert error.unexpected == []
    assert [m[0] for m in error.mismatched] == ["layers/dense/kernel", "layers/dense/bias", "layers/dense_1/kernel"]
    message = str(error)
    assert "layers/dense_2/kernel ('extra/kernel')" in message
    assert "layers/dense/kernel ('hidden/kernel') saved (4, 3) float32, model has (4, 5) float32" in message
    assert "layers/dense_1/kernel ('final/kernel') saved (3, 2)" in message and "skip_mismatch=True" in message
    assert_bitwise_equal(other.get_weights(), before)  # nothing was assigned


def test_load_weights_skip_mismatch_loads_what_fits_and_warns_what_it_skipped(tmp_path):
    model = _dense_model(units=3)
    model.save_weights(tmp_path / "w.safetensors")
    inputs = loom.Input((4,), name="x")
    hidden = loom.layers.Dense(3, name="hidden")(inputs)
    outputs = loom.layers.Dense(7, name="out")(hidden)
    other = loom.Model(inputs, outputs)
    out_before = other.get_layer("out").get_weights()
    with pytest.warns(UserWarning, match=r"skip_mismatch=True left out") as caught:
        other.load_weights(tmp_path / "w.safetensors", skip_mismatch=True)
    assert len(caught) == 1 and caught[0].filename == __file__  # one message, at the caller's line
    message = str(caught[0].message)
    assert "layers/dense_1/kernel ('out/kernel') saved (3, 2) float32, model has (3, 7) float32" in message
    assert "layers/dense_1/bias ('out/bias') saved (2,) float32, model has (7,) float32" in message
    assert "hidden" not in message
    assert_bitwise_equal(other.get_layer("hidden").get_weights(), model.get_layer("hidden").get_weights())
    assert_bitwise_equal(other.get_layer("out").get_weights(), out_before)


def test_float16_weights_into_float32_model_are_refused_unless_converted(tmp_path):
    model = _dense_model()
    state = {k: v.astype("float16") for k, v in loom.saving.get_model_state(model).items()}
    loom.saving.save_safetensors(tmp_path / "half.safetensors", state)
    other = _dense_model()
    with pytest.raises(WeightsMismatchError, match="convert_dtypes=True") as caught:
        other.load_weights(tmp_path / "half.safetensors")
    assert caught.value.mismatched[0][1] == ((4, 3), "float16")
    other.load_weights(tmp_path / "half.safetensors", convert_dtypes=True)
    assert other.weights[0].dtype == "float32"
    np.testing.assert_array_equal(other.get_weights()[0], state["hidden/kernel"].astype("float32"))


def test_save_weights_can_include_the_optimizer_state(tmp_path):
    model, x, y, loss = _mixture_model()
    model.compile(optimizer="adam", loss=loss)
    model.optimizer.build(model.trainable_variables)
    for variable in model.optimizer.variables:  # a state no fresh optimizer has
        variable.assign(np.full(variable.shape, 3, variable.dtype))
    model.save_weights(tmp_path / "w.safetensors", include_optimizer=True)
    loom.utils.naming.reset_names()  # the same auto-names, so the same weight keys
    other, *_ = _mixture_model()
    other.compile(optimizer="adam", loss=loss)
    other.load_weights(tmp_path / "w.safetensors")
    assert other.optimizer.built
    assert_bitwise_equal([v.numpy() for v in other.optimizer.variables], [v.numpy() for v in model.optimizer.variables])


def test_get_and_set_model_state_are_named_arrays():
    model, other = _dense_model(), _dense_model()
    state = loom.saving.get_model_state(model)
    assert sorted(state) == ["hidden/bias", "hidden/kernel", "out/bias", "out/kernel"]
    loom.saving.set_model_state(other, state)
    assert_same_weights(model, other)


def test_a_failed_save_leaves_the_previous_file(tmp_path, monkeypatch):
    model = _dense_model()
    path = tmp_path / "m.loom"
    model.save(path)
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(loom.saving.archive, "write_safetensors", fail)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.loom"]  # no temporary file left behind


def test_a_config_describing_more_weights_than_the_file_holds_is_refused_before_allocating(tmp_path):
    path = tmp_path / "m.keras"
    _dense_model().save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["config"]["units"] = 10**9  # 16 GB of kernel, were it allocated
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(loom.saving.ConfigError, match="more weights than the file holds"):
        loom.models.load_model(path)
