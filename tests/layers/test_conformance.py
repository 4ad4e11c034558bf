"""One conformance table: a recipe per public layer, each checked the same ways.

For every layer: the symbolic output shape equals the eager one; the jitted pure
form (``stateless_call``) equals the eager call; ``from_config(get_config())``
rebuilds an equal config; a model holding the layer survives save -> load with
bitwise-equal predictions; and the eager call runs under strict dtype promotion.
A coverage test fails when a public layer has no recipe.
"""

import importlib
import inspect
import pathlib

import jax
import numpy as np
import pytest

import loom
from loom import layers as L

# name -> (constructor, input shapes without batch (a list for several inputs)[, dtype[, "positional"]]);
# several inputs go in as one list, or as separate arguments with "positional" (call(query, value)).
RECIPES = {
    "Activation": (lambda: L.Activation("tanh"), (3,)),
    "ActivityRegularization": (lambda: L.ActivityRegularization(l1=0.01), (3,)),
    "Add": (lambda: L.Add(), [(3,), (3,)]),
    "AdditiveAttention": (lambda: L.AdditiveAttention(), [(2, 4), (3, 4)]),
    "AlphaDropout": (lambda: L.AlphaDropout(0.2, seed=1), (4,)),
    "Attention": (lambda: L.Attention(), [(2, 4), (3, 4)]),
    "Average": (lambda: L.Average(), [(3,), (3,)]),
    "AveragePooling1D": (lambda: L.AveragePooling1D(2), (4, 2)),
    "AveragePooling2D": (lambda: L.AveragePooling2D(2), (4, 4, 2)),
    "AveragePooling3D": (lambda: L.AveragePooling3D(2), (4, 4, 4, 1)),
    "BatchNormalization": (lambda: L.BatchNormalization(), (3,)),
    "Bidirectional": (lambda: L.Bidirectional(L.SimpleRNN(2)), (3, 2)),
    "CategoryEncoding": (lambda: L.CategoryEncoding(4, output_mode="one_hot"), (), "int32"),
    "Concatenate": (lambda: L.Concatenate(), [(3,), (2,)]),
    "Conv1D": (lambda: L.Conv1D(2, 3), (5, 2)),
    "Conv1DTranspose": (lambda: L.Conv1DTranspose(2, 3), (5, 2)),
    "Conv2D": (lambda: L.Conv2D(2, 3, padding="same"), (4, 4, 2)),
    "Conv2DTranspose": (lambda: L.Conv2DTranspose(2, 3, strides=2), (3, 3, 2)),
    "Conv3D": (lambda: L.Conv3D(2, 2), (3, 3, 3, 1)),
    "Conv3DTranspose": (lambda: L.Conv3DTranspose(2, 2), (3, 3, 3, 1)),
    "ConvLSTM2D": (lambda: L.ConvLSTM2D(2, 3, padding="same"), (2, 4, 4, 1)),
    "ConvexCombination": (lambda: L.ConvexCombination(), [(3,), (3,), (3,)]),
    "Cropping1D": (lambda: L.Cropping1D(1), (4, 2)),
    "Cropping2D": (lambda: L.Cropping2D(1), (4, 4, 2)),
    "Cropping3D": (lambda: L.Cropping3D(1), (4, 4, 4, 1)),
    "Dense": (lambda: L.Dense(3, activation="relu"), (4,)),
    "DepthwiseConv1D": (lambda: L.DepthwiseConv1D(3), (5, 2)),
    "DepthwiseConv2D": (lambda: L.DepthwiseConv2D(3), (5, 5, 2)),
    "Dot": (lambda: L.Dot(axes=1), [(3,), (3,)]),
    "Dropout": (lambda: L.Dropout(0.3, seed=1), (4,)),
    "ELU": (lambda: L.ELU(), (3,)),
    "ElementwiseScale": (lambda: L.ElementwiseScale(), (2, 3)),
    "Embedding": (lambda: L.Embedding(10, 3), (4,), "int32"),
    "Flatten": (lambda: L.Flatten(), (2, 3)),
    "GRU": (lambda: L.GRU(3), (4, 2)),
    "GRUCell": None,  # a cell: covered through RNN(GRUCell)
    "GaussianDropout": (lambda: L.GaussianDropout(0.2, seed=1), (4,)),
    "GaussianNoise": (lambda: L.GaussianNoise(0.1, seed=1), (4,)),
    "GlobalAveragePooling1D": (lambda: L.GlobalAveragePooling1D(), (4, 2)),
    "GlobalAveragePooling2D": (lambda: L.GlobalAveragePooling2D(), (4, 4, 2)),
    "GlobalAveragePooling3D": (lambda: L.GlobalAveragePooling3D(), (3, 3, 3, 2)),
    "GlobalMaxPooling1D": (lambda: L.GlobalMaxPooling1D(), (4, 2)),
    "GlobalMaxPooling2D": (lambda: L.GlobalMaxPooling2D(), (4, 4, 2)),
    "GlobalMaxPooling3D": (lambda: L.GlobalMaxPooling3D(), (3, 3, 3, 2)),
    "GroupNormalization": (lambda: L.GroupNormalization(groups=2), (4,)),
    "Identity": (lambda: L.Identity(), (3,)),
    "LSTM": (lambda: L.LSTM(3, return_sequences=True), (4, 2)),
    "LSTMCell": None,
    "Lambda": (lambda: L.Lambda(lambda t: t * 2.0 + 1.0), (3,)),
    "LayerNormalization": (lambda: L.LayerNormalization(), (4,)),
    "LeakyReLU": (lambda: L.LeakyReLU(), (3,)),
    "Masking": (lambda: L.Masking(), (3, 2)),
    "MaxPooling1D": (lambda: L.MaxPooling1D(2), (4, 2)),
    "MaxPooling2D": (lambda: L.MaxPooling2D(2), (4, 4, 2)),
    "MaxPooling3D": (lambda: L.MaxPooling3D(2), (4, 4, 4, 1)),
    "Maximum": (lambda: L.Maximum(), [(3,), (3,)]),
    "Minimum": (lambda: L.Minimum(), [(3,), (3,)]),
    "MultiHeadAttention": (lambda: L.MultiHeadAttention(2, 3), [(2, 4), (3, 4)], "float32", "positional"),
    "Multiply": (lambda: L.Multiply(), [(3,), (3,)]),
    "Normalization": (lambda: L.Normalization(mean=[0.5, 1.0, 0.0], variance=[2.0, 1.0, 4.0]), (3,)),
    "PReLU": (lambda: L.PReLU(), (3,)),
    "Permute": (lambda: L.Permute((2, 1)), (2, 3)),
    "RMSNormalization": (lambda: L.RMSNormalization(), (4,)),
    "RNN": (lambda: L.RNN(L.GRUCell(2)), (3, 2)),
    "ReLU": (lambda: L.ReLU(max_value=1.0), (3,)),
    "RepeatVector": (lambda: L.RepeatVector(2), (3,)),
    "Rescaling": (lambda: L.Rescaling(0.5, offset=1.0), (3,)),
    "Reshape": (lambda: L.Reshape((3, 2)), (6,)),
    "SeparableConv1D": (lambda: L.SeparableConv1D(2, 3), (5, 2)),
    "SeparableConv2D": (lambda: L.SeparableConv2D(2, 3), (5, 5, 2)),
    "SimpleRNN": (lambda: L.SimpleRNN(3), (4, 2)),
    "SimpleRNNCell": None,
    "Softmax": (lambda: L.Softmax(), (3,)),
    "SpatialDropout1D": (lambda: L.SpatialDropout1D(0.2, seed=1), (3, 2)),
    "SpatialDropout2D": (lambda: L.SpatialDropout2D(0.2, seed=1), (3, 3, 2)),
    "SpatialDropout3D": (lambda: L.SpatialDropout3D(0.2, seed=1), (2, 2, 2, 2)),
    "StackedRNNCells": (lambda: L.RNN(L.StackedRNNCells([L.SimpleRNNCell(2), L.LSTMCell(2)])), (3, 2)),
    "Subtract": (lambda: L.Subtract(), [(3,), (3,)]),
    "ThresholdedReLU": (lambda: L.ThresholdedReLU(theta=0.5), (3,)),
    "TimeDistributed": (lambda: L.TimeDistributed(L.Dense(2)), (3, 4)),
    "UnitNormalization": (lambda: L.UnitNormalization(), (3,)),
    "UpSampling1D": (lambda: L.UpSampling1D(2), (3, 2)),
    "UpSampling2D": (lambda: L.UpSampling2D(2), (2, 2, 2)),
    "UpSampling3D": (lambda: L.UpSampling3D(2), (2, 2, 2, 1)),
    "ZeroPadding1D": (lambda: L.ZeroPadding1D(1), (3, 2)),
    "ZeroPadding2D": (lambda: L.ZeroPadding2D(1), (3, 3, 2)),
    "ZeroPadding3D": (lambda: L.ZeroPadding3D(1), (2, 2, 2, 1)),
}
# Layer families keep their recipes beside their own tests, in tests/layers/recipes_<family>.py
# (a RECIPES dict in the form above); every such file joins the one table here.
for _path in sorted(pathlib.Path(__file__).parent.glob("recipes_*.py")):
    RECIPES.update(importlib.import_module(f"tests.layers.{_path.stem}").RECIPES)
NOT_LAYERS_USED_ALONE = {"Input", "InputLayer", "Layer", "InputSpec"}
LAYERS_PUBLIC_NAMES = [
    "Activation", "ActivityRegularization", "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D", "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
    "Add", "AdditiveAttention", "AlphaDropout", "Attention", "AugMix", "AutoContrast", "Average",
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "BatchNormalization", "Bidirectional", "CategoryEncoding", "CenterCrop", "Concatenate",
    "ContrastLimitedAdaptiveHistogramEqualization", "Conv1D", "Conv1DTranspose", "Conv2D",
    "Conv2DTranspose", "Conv3D", "Conv3DTranspose", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
    "ConvexCombination", "Convolution1D", "Convolution1DTranspose", "Convolution2D",
    "Convolution2DTranspose", "Convolution3D", "Convolution3DTranspose", "Cropping1D", "Cropping2D",
    "Cropping3D", "CutMix", "Dense", "DepthwiseConv1D", "DepthwiseConv2D", "Discretization", "Dot",
    "Dropout", "ELU", "EinsumDense", "ElementwiseScale", "Embedding", "Equalization", "Flatten",
    "FlaxLayer", "GRU", "GRUCell", "GaussianDropout", "GaussianNoise", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalAvgPool1D", "GlobalAvgPool2D",
    "GlobalAvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GroupNormalization", "GroupQueryAttention",
    "HashedCrossing", "Hashing", "Identity", "Input", "InputLayer", "InputSpec", "IntegerLookup",
    "JaxLayer", "LSTM", "LSTMCell", "Lambda", "Layer", "LayerNormalization", "LeakyReLU", "Masking",
    "MaxNumBoundingBoxes", "MaxPool1D", "MaxPool2D", "MaxPool3D", "MaxPooling1D", "MaxPooling2D",
    "MaxPooling3D", "Maximum", "MelSpectrogram", "Minimum", "MixUp", "MultiHeadAttention", "Multiply",
    "Normalization", "PReLU", "Permute", "Pipeline", "RMSNormalization", "RNN", "RandAugment",
    "RandomBrightness", "RandomColorDegeneration", "RandomColorJitter", "RandomContrast", "RandomCrop",
    "RandomElasticTransform", "RandomErasing", "RandomFlip", "RandomGaussianBlur", "RandomGrayscale",
    "RandomHue", "RandomInvert", "RandomPerspective", "RandomPosterization", "RandomRotation",
    "RandomSaturation", "RandomSharpness", "RandomShear", "RandomTranslation", "RandomZoom", "ReLU",
    "RepeatVector", "Rescaling", "Reshape", "Resizing", "ReversibleEmbedding", "STFTSpectrogram",
    "SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D", "SeparableConvolution2D",
    "SimpleRNN", "SimpleRNNCell", "Softmax", "Solarization", "SpatialDropout1D", "SpatialDropout2D",
    "SpatialDropout3D", "SpectralNormalization", "StackedRNNCells", "StringLookup", "Subtract",
    "TFSMLayer", "TextVectorization", "ThresholdedReLU", "TimeDistributed", "TorchModuleWrapper",
    "UnitNormalization", "UpSampling1D", "UpSampling2D", "UpSampling3D", "Wrapper", "ZeroPadding1D",
    "ZeroPadding2D", "ZeroPadding3D", "activation", "adaptive_pooling", "add", "attention", "average",
    "call_context", "concatenate", "convolutional", "core", "deserialize", "discretization", "dot",
    "einsum_dense", "embedding", "hashing", "host_encoding", "host_layer", "host_prefix",
    "image_preprocessing", "index_lookup", "input_layer", "input_spec", "jax_layer", "layer", "masking",
    "maximum", "mel_spectrogram", "merging", "minimum", "mixing", "multiply", "node_access", "noise",
    "normalization", "other_frameworks", "pooling", "preprocessing", "recurrent", "regularization",
    "reshaping", "reversible_embedding", "serialize", "spatial_reshaping", "spectral_normalization",
    "stft_spectrogram", "string_hashing", "subtract", "text_vectorization", "wrapper",
]


def public_layer_classes() -> dict:
    classes = {}
    for name in dir(L):
        value = getattr(L, name)
        if inspect.isclass(value) and issubclass(value, loom.layers.Layer) and name not in NOT_LAYERS_USED_ALONE:
            classes.setdefault(value, name if value.__name__ == name else classes.get(value, name))
    return {cls.__name__: cls for cls in classes}


def test_every_public_layer_has_a_recipe():
    missing = sorted(set(public_layer_classes()) - set(RECIPES))
    assert not missing, f"layers without a conformance recipe: {missing}"


def data_for(shape, dtype, rng, batch=2):
    if dtype == "int32":
        return rng.integers(0, 4, size=(batch,) + tuple(shape)).astype("int32")
    return rng.normal(size=(batch,) + tuple(shape)).astype("float32")


CASES = sorted(name for name, recipe in RECIPES.items() if recipe is not None)


@pytest.mark.parametrize("name", CASES)
def test_layer_conformance(name, tmp_path):
    make, shapes, *rest = RECIPES[name]
    dtype = rest[0] if rest else "float32"
    positional = len(rest) > 1 and rest[1] == "positional"
    rng = np.random.default_rng(0)
    several = isinstance(shapes, list)
    shape_list = shapes if several else [shapes]

    def call(fn, values):
        if not several:
            return fn(values[0])
        return fn(*values) if positional else fn(values)

    inputs = [loom.Input(shape, dtype=dtype) for shape in shape_list]
    layer = make()
    symbolic = call(layer, inputs)
    arrays = [data_for(shape, dtype, rng) for shape in shape_list]
    eager = call(layer, arrays)
    flat_symbolic = jax.tree_util.tree_leaves(symbolic)
    flat_eager = jax.tree_util.tree_leaves(eager)
    # 1. symbolic shapes agree with eager shapes (batch unknown -> None)
    for s, e in zip(flat_symbolic, flat_eager):
        assert s.shape[1:] == tuple(e.shape[1:]) and s.shape[0] in (None, e.shape[0]), (s.shape, e.shape)
        assert s.dtype == str(e.dtype)
    # 2. the jitted pure form equals the eager call (inference mode)
    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]
    pure = jax.jit(lambda t, n, xs: call(lambda *a: layer.stateless_call(t, n, *a, training=False)[0], xs))
    jitted = pure(trainable, non_trainable, arrays)
    for j, e in zip(jax.tree_util.tree_leaves(jitted), jax.tree_util.tree_leaves(call(layer, arrays))):
        np.testing.assert_allclose(np.asarray(j), np.asarray(e), rtol=1e-5, atol=1e-6)
    # 3. config round trip
    config = layer.get_config()
    if name != "Lambda":  # a Lambda's function is stored by loom.saving, not in its config
        clone = type(layer).from_config(config)
        assert clone.get_config() == config
    # 4. save -> load -> the same predictions, bitwise
    model = loom.Model(inputs if several else inputs[0], symbolic)
    path = tmp_path / "model.keras"
    model.save(path)
    restored = loom.models.load_model(path)
    feed = arrays if several else arrays[0]
    for a, b in zip(jax.tree_util.tree_leaves(model.predict(feed)), jax.tree_util.tree_leaves(restored.predict(feed))):
        np.testing.assert_array_equal(a, b)
    # 5. no silent dtype upcasts
    with jax.numpy_dtype_promotion("strict"):
        call(layer, arrays)


# submodules that appear as attributes of loom only once something imports them
IMPORTED_ON_DEMAND = {"graph", "state", "training", "demo", "inspect"}


def test_public_names_of_loom_and_loom_layers():
    assert sorted(n for n in dir(loom) if not n.startswith("_") and n not in IMPORTED_ON_DEMAND) == [
        "DTypePolicy", "Initializer", "Input", "InputSpec", "KerasTensor", "Layer", "Loss", "Metric", "Model",
        "Operation", "Optimizer", "Regularizer", "Sequential", "StatelessScope", "SymbolicTensor", "Variable",
        "activations", "applications", "backend", "callbacks", "config", "constraints", "datasets", "distribution",
        "initializers", "layers", "legacy", "losses", "metrics", "mixed_precision", "models", "ops", "optimizers",
        "preprocessing", "random", "regularizers", "saving", "utils", "version", "wrappers",
    ]
    assert sorted(n for n in dir(L) if not n.startswith("_")) == LAYERS_PUBLIC_NAMES

