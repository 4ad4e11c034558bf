"""Configs of every layer in the conformance table: ``from_config(get_config())`` rebuilds
the layer alone and inside a model, and the config has Keras's keys for the same layer."""

import types

import jax
import numpy as np
import pytest

import loom
from tests.layers.test_conformance import CASES, RECIPES, data_for

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

# Keys loom's config has and Keras 3.15's lacks, each for a reason.
KEYS_ONLY_IN_LOOM = {
    # A constructor argument Keras 3.15 leaves out of its config (so its round trip
    # loses it); later Keras releases add it.
    "CategoryEncoding": {"sparse"},
    # Keras's Dense passes activity_regularizer to the base layer but never writes it back.
    "Dense": {"activity_regularizer"},
    # Keras 2's argument, kept for the seed programs that pass it (see DESIGN.md).
    "Embedding": {"input_length"},
    # Keras's Discretization writes its config by hand and takes no `trainable` (it has no
    # weights); loom's comes from the base config (keras_config drops it for Keras).
    "Discretization": {"trainable"},
    # Constructor arguments Keras accepts and does not write back; loom keeps them.
    "GRU": {"use_cudnn"},
    # Keras's JaxLayer drops its seed from the config; loom keeps it, so a reload draws the same rng.
    "JaxLayer": {"seed"},
    "LSTM": {"use_cudnn"},
    "MaxNumBoundingBoxes": {"fill_value"},
    # Keras's RandomGrayscale takes a seed and leaves it out of its config; loom keeps it, so a
    # reload draws the same images to gray.
    "RandomGrayscale": {"seed"},
    "SimpleRNN": {"seed"},
    # Keras's spatial dropouts write their config by hand and forget the base layer's
    # `trainable`; loom's come from the base config like every other layer's.
    "SpatialDropout1D": {"trainable"},
    "SpatialDropout2D": {"trainable"},
    "SpatialDropout3D": {"trainable"},
}
# Keys Keras's config has and loom's lacks.
KEYS_ONLY_IN_KERAS = {
    # loom has no quantized layers.
    "Dense": {"quantization_config"},
    "EinsumDense": {"quantization_config"},
    "Embedding": {"quantization_config"},
    "ReversibleEmbedding": {"quantization_config"},
}


def _inputs_and_call(name):
    make, shapes, *rest = RECIPES[name]
    dtype = rest[0] if rest else "float32"
    positional = len(rest) > 1 and rest[1] == "positional"
    several = isinstance(shapes, list)
    shape_list = shapes if several else [shapes]

    def call(fn, values):
        if not several:
            return fn(values[0])
        return fn(*values) if positional else fn(values)

    return make, shape_list, dtype, several, call


@pytest.mark.parametrize("name", CASES)
def test_layer_and_model_configs_round_trip(name):
    make, shape_list, dtype, several, call = _inputs_and_call(name)
    inputs = [loom.Input(shape, dtype=dtype) for shape in shape_list]
    layer = make()
    outputs = call(layer, inputs)
    # The layer alone, built: an equal config.
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    # Inside a model: the rebuilt model has the same config and, given the same weights, the same outputs.
    model = loom.Model(inputs if several else inputs[0], outputs)
    rebuilt = loom.Model.from_config(model.get_config())
    assert rebuilt.get_config() == model.get_config()
    rebuilt.set_weights(model.get_weights())
    rng = np.random.default_rng(0)
    arrays = [data_for(shape, dtype, rng) for shape in shape_list]
    feed = arrays if several else arrays[0]
    expected, actual = jax.tree_util.tree_leaves(model(feed)), jax.tree_util.tree_leaves(rebuilt(feed))
    assert len(expected) == len(actual)
    for a, b in zip(expected, actual):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def _with_layers_of(make, library_layers):
    """The recipe's constructor with ``L`` bound to another library's layers."""
    return types.FunctionType(make.__code__, {**make.__globals__, "L": library_layers})


@pytest.mark.parametrize("name", CASES)
def test_config_keys_equal_keras(keras, name):
    if not hasattr(keras.layers, name):
        pytest.skip(f"Keras 3 has no {name}")
    make = RECIPES[name][0]
    ours, theirs = set(make().get_config()), set(_with_layers_of(make, keras.layers)().get_config())
    assert ours - theirs == KEYS_ONLY_IN_LOOM.get(name, set())
    assert theirs - ours == KEYS_ONLY_IN_KERAS.get(name, set())


def test_the_listed_key_differences_name_real_recipes():
    assert set(KEYS_ONLY_IN_LOOM) | set(KEYS_ONLY_IN_KERAS) <= set(CASES)


def test_lambda_config_keeps_its_mask_and_omits_what_was_not_given():
    def mask(inputs, previous_mask):
        return previous_mask

    layer = loom.layers.Lambda(lambda t: t, mask=mask)
    config = layer.get_config()
    assert config["mask"] is mask and "output_shape" not in config  # as Keras's
    assert loom.layers.Lambda.from_config(config).mask is mask
