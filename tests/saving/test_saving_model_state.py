"""Weights matched by the model's layer tree, as Keras matches them: the same architecture built
again (other auto-generated layer names) loads a file; another architecture is refused with a
list of what does not fit; skip_mismatch warns once with what it left out; older files (no tree
paths) load by name."""

import json
import re

import numpy as np
import pytest

import loom
from loom import layers
from loom.saving import WeightsFileError, WeightsMismatchError, model_state
from tests.saving.saving_helpers import assert_bitwise_equal

X = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")


def _functional():
    inputs = loom.Input((4,))
    hidden = layers.Dense(3, activation="relu")(inputs)
    return loom.Model(inputs, layers.Dense(2)(layers.Dropout(0.3, seed=2)(hidden)))


def _sequential():
    return loom.Sequential([loom.Input((4,)), layers.Dense(3, activation="tanh"), layers.Dense(2)])


def _nested():
    inner_input = loom.Input((3,))
    inner = loom.Model(inner_input, layers.Dense(3, activation="relu")(inner_input))
    tower = loom.Sequential([loom.Input((4,)), layers.Dense(3)])
    inputs = loom.Input((4,))
    return loom.Model(inputs, layers.Dense(2)(inner(tower(inputs))))


class _Stack(loom.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.blocks = [layers.Dense(3, activation="relu"), layers.Dense(3)]
        encoder_input = loom.Input((3,))
        self.encoder = loom.Model(encoder_input, layers.Dense(2)(encoder_input))

    def call(self, x):
        for block in self.blocks:
            x = block(x)
        return self.encoder(x)


def _subclassed():
    model = _Stack()
    model(X)
    return model


def _names(model) -> list:
    return [layer.name for layer in model._flatten_layers(include_self=False)]


@pytest.mark.parametrize("build", [_functional, _sequential, _nested, _subclassed])
def test_the_same_architecture_built_again_loads_the_weights(build, tmp_path):
    first, second = build(), build()
    assert set(_names(first)).isdisjoint(_names(second))  # auto-names all differ
    first.save_weights(tmp_path / "w.weights.h5")
    second.load_weights(tmp_path / "w.weights.h5")
    assert_bitwise_equal(second.get_weights(), first.get_weights())
    assert_bitwise_equal(second.predict(X, verbose=0), first.predict(X, verbose=0))


@pytest.mark.parametrize("build", [_functional, _nested])
def test_a_rebuilt_model_loads_weights_from_a_model_file(build, tmp_path):
    first, second = build(), build()
    first.save(tmp_path / "m.keras")
    second.load_weights(tmp_path / "m.keras")
    assert_bitwise_equal(second.predict(X, verbose=0), first.predict(X, verbose=0))


def test_weights_follow_the_layer_order_not_the_layer_names(tmp_path):
    def build(names):
        inputs = loom.Input((4,))
        hidden = layers.Dense(4, name=names[0])(inputs)
        return loom.Model(inputs, layers.Dense(4, name=names[1])(hidden))

    first, swapped = build(["a", "b"]), build(["b", "a"])
    first.save_weights(tmp_path / "w.safetensors")
    swapped.load_weights(tmp_path / "w.safetensors")
    # Keras loads by place: the first Dense gets the first Dense's weights, whatever its name.
    assert_bitwise_equal(swapped.get_layer("b").get_weights(), first.get_layer("a").get_weights())
    assert_bitwise_equal(swapped.predict(X, verbose=0), first.predict(X, verbose=0))


def test_the_file_records_each_weights_tree_path(tmp_path):
    model = _subclassed()
    model.save_weights(tmp_path / "w.safetensors")
    stored = loom.saving.load_safetensors(tmp_path / "w.safetensors")
    paths = json.loads(stored.metadata[model_state.TREE_PATHS])
    assert sorted(paths) == sorted(stored.specs)
    assert paths["blocks/1/kernel"] == "blocks/dense_1/kernel"
    encoder = model.encoder.layers[1].name
    assert paths[f"encoder/{encoder}/bias"] == "encoder/layers/dense/bias"


def test_optimizer_state_loads_into_a_rebuilt_model(tmp_path):
    model = _functional()
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)
    for variable in model.optimizer.variables:
        variable.assign(np.full(variable.shape, 3, variable.dtype))
    model.save_weights(tmp_path / "w.safetensors", include_optimizer=True)
    other = _functional()
    other.compile(optimizer="adam", loss="mse")
    other.load_weights(tmp_path / "w.safetensors")
    assert_bitwise_equal(other.get_weights(), model.get_weights())
    assert_bitwise_equal([v.numpy() for v in other.optimizer.variables], [v.numpy() for v in model.optimizer.variables])


def test_another_architecture_is_refused_and_skip_mismatch_warns_once(tmp_path):
    _functional().save_weights(tmp_path / "w.safetensors")
    inputs = loom.Input((4,))
    other = loom.Model(inputs, layers.Dense(2)(layers.Dense(5)(inputs)))
    other.weights[3].assign(np.ones(2, "float32"))  # a bias whose shape fits, in a layer whose kernel does not
    before = other.get_weights()
    with pytest.raises(WeightsMismatchError, match=r"layers/dense/kernel \('dense_\d+/kernel'\) saved \(4, 3\)"):
        other.load_weights(tmp_path / "w.safetensors")
    assert_bitwise_equal(other.get_weights(), before)
    with pytest.warns(UserWarning) as caught:
        other.load_weights(tmp_path / "w.safetensors", skip_mismatch=True)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "left out" in message and "Different shape or dtype (3)" in message
    assert "layers/dense_1/kernel" in message and "model has (5, 2) float32" in message
    assert "Not in the model (1): layers/dropout/seed_generator/state" in message
    # A layer loads all its weights or none, as in Keras: the fitting bias stays with its kernel.
    assert re.search(r"Not loaded with the rest of their layer \(1\): layers/dense_1/bias \('dense_\d+/bias'\)", message)
    assert_bitwise_equal(other.get_weights(), before)


def _dense_stack(depth):
    inputs = outputs = loom.Input((4,))
    for _ in range(depth):
        outputs = layers.Dense(4)(outputs)
    return loom.Model(inputs, outputs)


def test_tensors_the_model_has_no_place_for_are_left_unused_with_a_warning(tmp_path):
    deep, shallow = _dense_stack(3), _dense_stack(2)
    deep.save_weights(tmp_path / "w.safetensors")
    with pytest.warns(UserWarning, match=r"every weight was loaded.*Not in the model \(2\): layers/dense_2/"):
        shallow.load_weights(tmp_path / "w.safetensors")  # Keras loads this too (silently)
    assert_bitwise_equal(shallow.get_weights(), deep.get_weights()[:4])


def test_weights_missing_from_the_file_are_refused(tmp_path):
    _dense_stack(2).save_weights(tmp_path / "w.safetensors")
    with pytest.raises(WeightsMismatchError, match=r"Missing from the file \(2\): layers/dense_2/kernel") as caught:
        _dense_stack(3).load_weights(tmp_path / "w.safetensors")
    assert caught.value.missing == ["layers/dense_2/kernel", "layers/dense_2/bias"]


def test_a_random_generators_state_missing_from_the_file_keeps_its_value(tmp_path):
    inputs = loom.Input((4,))
    plain = loom.Model(inputs, layers.Dense(2)(layers.Dense(3)(inputs)))
    inputs = loom.Input((4,))
    with_dropout = loom.Model(inputs, layers.Dense(2)(layers.Dropout(0.5)(layers.Dense(3)(inputs))))
    state = with_dropout.get_layer(index=2).seed_generator.state.numpy()
    plain.save_weights(tmp_path / "w.safetensors")
    with_dropout.load_weights(tmp_path / "w.safetensors")  # Keras loads this too: dropout holds no weights
    assert_bitwise_equal(with_dropout.get_weights()[:2], plain.get_weights()[:2])
    np.testing.assert_array_equal(with_dropout.get_layer(index=2).seed_generator.state.numpy(), state)


def _legacy_file(model, path):
    """A weights file as loom wrote it before tree paths: tensors by name, no tree-path metadata."""
    loom.saving.save_safetensors(path, loom.saving.get_model_state(model), {"format": "loom.weights"})


def test_files_without_tree_paths_still_load_by_name(tmp_path):
    def build():
        inputs = loom.Input((4,), name="x")
        return loom.Model(inputs, layers.Dense(2, name="out")(layers.Dense(3, name="hidden")(inputs)))

    model = build()
    _legacy_file(model, tmp_path / "old.safetensors")
    named = build()
    named.load_weights(tmp_path / "old.safetensors")
    assert_bitwise_equal(named.get_weights(), model.get_weights())
    with pytest.raises(WeightsMismatchError, match="records no layer-tree paths"):
        _functional().load_weights(tmp_path / "old.safetensors")


def test_model_files_without_tree_paths_still_load(tmp_path, monkeypatch):
    model = _nested()
    monkeypatch.setattr(model_state, "tree_metadata", lambda model: {})  # as an older loom wrote them
    model.save(tmp_path / "old.loom")
    monkeypatch.undo()
    assert model_state.TREE_PATHS not in loom.saving.read_archive(tmp_path / "old.loom").weights.metadata
    loaded = loom.models.load_model(tmp_path / "old.loom")  # the config's names match the file's keys
    assert_bitwise_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_damaged_tree_paths_are_a_weights_file_error(tmp_path):
    model = _functional()
    state = loom.saving.get_model_state(model)
    for damaged in ("[1, 2]", "not json", json.dumps({key: "same" for key in state})):
        loom.saving.save_safetensors(tmp_path / "w.safetensors", state, {model_state.TREE_PATHS: damaged})
        with pytest.raises(WeightsFileError, match=model_state.TREE_PATHS):
            model.load_weights(tmp_path / "w.safetensors")


def test_a_layer_stored_with_more_weights_than_the_models_layer_is_refused(tmp_path):
    inputs = loom.Input((4,))
    loom.Model(inputs, layers.Dense(2)(inputs)).save_weights(tmp_path / "w.safetensors")
    inputs = loom.Input((4,))
    other = loom.Model(inputs, layers.Dense(2, use_bias=False)(inputs))
    with pytest.raises(WeightsMismatchError, match=r"Not in the model \(1\): layers/dense/bias"):
        other.load_weights(tmp_path / "w.safetensors")  # Keras: "expected 1 variables, but received 2"
