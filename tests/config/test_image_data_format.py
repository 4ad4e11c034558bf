"""Layers and ops given data_format=None take the configured image_data_format, layer by layer as Keras does."""

import keras
import numpy as np
import pytest

import loom
from loom import config, ops

# Each public layer class with a data_format argument (aliases left out), and the
# 1D layers that Keras keeps channels-last whatever the setting, with their required arguments.
LAYERS = {
    "Conv1D": (2, 3), "Conv2D": (2, 3), "Conv3D": (2, 3),
    "Conv1DTranspose": (2, 3), "Conv2DTranspose": (2, 3), "Conv3DTranspose": (2, 3),
    "SeparableConv1D": (2, 3), "SeparableConv2D": (2, 3), "DepthwiseConv1D": (3,), "DepthwiseConv2D": (3,),
    "ConvLSTM2D": (2, 3),
    "MaxPooling1D": (), "MaxPooling2D": (), "MaxPooling3D": (),
    "AveragePooling1D": (2,), "AveragePooling2D": (2,), "AveragePooling3D": (2,),
    "GlobalMaxPooling1D": (), "GlobalMaxPooling2D": (), "GlobalMaxPooling3D": (),
    "GlobalAveragePooling1D": (), "GlobalAveragePooling2D": (), "GlobalAveragePooling3D": (),
    "ZeroPadding1D": (), "ZeroPadding2D": (), "ZeroPadding3D": (),
    "Cropping1D": (), "Cropping2D": (), "Cropping3D": (),
    "UpSampling1D": (), "UpSampling2D": (), "UpSampling3D": (),
    "SpatialDropout1D": (0.5,), "SpatialDropout2D": (0.5,), "SpatialDropout3D": (0.5,),
    "Flatten": (),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_data_format_follows_the_setting_as_in_keras(name):
    args = LAYERS[name]
    for data_format in ("channels_first", "channels_last"):
        config.set_image_data_format(data_format)
        keras.config.set_image_data_format(data_format)
        ours = getattr(loom.layers, name)(*args)
        theirs = getattr(keras.layers, name)(*args)
        # Keras's 1D layers without the argument are channels last; loom's say so in an attribute.
        assert ours.data_format == getattr(theirs, "data_format", "channels_last"), data_format


def test_a_channels_first_model_has_keras_shapes_and_numbers():
    config.set_image_data_format("channels_first")
    keras.config.set_image_data_format("channels_first")

    def build(lib):
        inputs = lib.Input((3, 8, 8))
        x = lib.layers.Conv2D(4, 3, activation="relu")(inputs)
        x = lib.layers.MaxPooling2D()(x)
        outputs = lib.layers.Dense(2)(lib.layers.Flatten()(x))
        return lib.Model(inputs, outputs)

    ours, theirs = build(loom), build(keras)
    assert ours.layers[1].output.shape == theirs.layers[1].output.shape == (None, 4, 6, 6)
    ours.set_weights([np.asarray(w.value) for w in theirs.weights])
    x = np.random.default_rng(0).normal(size=(2, 3, 8, 8)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)


def test_the_setting_counts_when_the_layer_is_created():
    before = loom.layers.Conv2D(2, 3)
    config.set_image_data_format("channels_first")
    assert before.data_format == "channels_last" and loom.layers.Conv2D(2, 3).data_format == "channels_first"
    assert loom.layers.Conv2D(2, 3, data_format="channels_last").data_format == "channels_last"


def test_ops_default_to_the_setting():
    x = np.ones((1, 2, 5, 5), "float32")  # channels first: 2 channels of 5 x 5
    kernel = np.ones((3, 3, 2, 1), "float32")
    config.set_image_data_format("channels_first")
    assert ops.conv(x, kernel).shape == (1, 1, 3, 3)
    assert ops.max_pool(x, 2).shape == (1, 2, 2, 2)
