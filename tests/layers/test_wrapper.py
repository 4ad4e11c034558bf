"""Wrapper: the public base class of layers that wrap a layer (building, paths, configs, errors)."""

import numpy as np
import pytest

import loom
from loom import layers as L


@loom.saving.register_keras_serializable(package="tests")
class Doubled(L.Wrapper):
    """Applies the wrapped layer and doubles its result."""

    def call(self, inputs):
        return 2.0 * self.layer(inputs)


def test_wrapper_builds_the_wrapped_layer_and_prefixes_its_paths():
    dense = L.Dense(3, name="inner")
    layer = Doubled(dense, name="outer")
    x = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")
    out = np.asarray(layer(x))
    assert dense.built and [w.path for w in layer.weights] == ["outer/inner/kernel", "outer/inner/bias"]
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(out, 2.0 * (x @ kernel + bias), rtol=1e-6)
    assert isinstance(L.SpectralNormalization(L.Dense(2)), L.Wrapper)


def test_wrapper_keeps_a_built_layer_and_its_weights():
    dense = L.Dense(3)
    dense(np.ones((1, 4), "float32"))
    before = dense.get_weights()
    layer = Doubled(dense)
    layer(np.ones((1, 4), "float32"))
    for a, b in zip(dense.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_wrapper_config_holds_the_wrapped_layer_and_survives_save_load(tmp_path):
    layer = Doubled(L.Dense(3, activation="relu"), name="doubled")
    config = layer.get_config()
    assert config["layer"]["class_name"] == "Dense" and config["layer"]["config"]["units"] == 3
    assert Doubled.from_config(config).get_config() == config
    inputs = loom.Input((4,))
    model = loom.Model(inputs, layer(inputs))
    model.save(tmp_path / "wrapper.keras")
    restored = loom.models.load_model(tmp_path / "wrapper.keras")
    x = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_wrapper_rejects_a_non_layer_in_words():
    with pytest.raises(ValueError, match="`layer` must be a loom Layer instance"):
        Doubled(lambda x: x)
