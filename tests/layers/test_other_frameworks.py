"""TorchModuleWrapper and TFSMLayer: loom runs on JAX, so constructing either explains the replacement."""

import pytest

from loom import layers as L


def test_torch_module_wrapper_names_the_jax_replacements():
    with pytest.raises(NotImplementedError, match="loom\nruns on JAX") as error:
        L.TorchModuleWrapper(object())
    assert "JaxLayer" in str(error.value) and "state_dict" in str(error.value)


def test_tfsm_layer_says_to_load_a_keras_model_file():
    with pytest.raises(NotImplementedError, match="TensorFlow SavedModel \\('exported/'\\)") as error:
        L.TFSMLayer("exported/", call_endpoint="serving_default")
    assert "loom.models.load_model" in str(error.value)


def test_both_are_layers_as_in_keras():
    assert issubclass(L.TorchModuleWrapper, L.Layer) and issubclass(L.TFSMLayer, L.Layer)
