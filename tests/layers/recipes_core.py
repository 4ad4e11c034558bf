"""Conformance recipes for EinsumDense, GroupQueryAttention, ReversibleEmbedding, SpectralNormalization,
Wrapper, ConvLSTM1D/3D, JaxLayer/FlaxLayer, TorchModuleWrapper, TFSMLayer, STFTSpectrogram and MelSpectrogram
(see test_conformance.py)."""

import jax
import jax.numpy as jnp

from loom import layers as L
from loom.saving import register_keras_serializable


# Registered, so a model holding them saves them by name and loads them in safe mode.
@register_keras_serializable(package="recipes_core")
def recipe_affine(params, inputs):
    return inputs @ params["w"] + params["b"]


@register_keras_serializable(package="recipes_core")
def recipe_affine_init(rng, inputs):
    return {"w": jax.random.normal(rng, (inputs.shape[-1], 3)), "b": jnp.zeros(3)}


_HALVED = {}


def halved_wrapper(base):
    """The smallest concrete subclass of a ``Wrapper`` class (the base has no call): the wrapped
    layer's result halved. Made from the recipe's ``L.Wrapper``, so the Keras-config comparison
    (test_config_round_trips.py) builds the same subclass of Keras's Wrapper."""
    if base not in _HALVED:

        def call(self, inputs):
            return 0.5 * self.layer(inputs)

        cls = type("HalvedWrapper", (base,), {"call": call, "__module__": __name__})
        if base is L.Wrapper:
            cls = register_keras_serializable(package="recipes_core")(cls)
        _HALVED[base] = cls
    return _HALVED[base]


RECIPES = {
    "EinsumDense": (lambda: L.EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="de"), (2, 4)),
    "GroupedQueryAttention": (
        lambda: L.GroupQueryAttention(2, 4, 2, use_gate=True),
        [(2, 4), (3, 4)],
        "float32",
        "positional",
    ),
    "ReversibleEmbedding": (lambda: L.ReversibleEmbedding(10, 3, tie_weights=False), (4,), "int32"),
    "SpectralNormalization": (lambda: L.SpectralNormalization(L.Dense(3), power_iterations=2), (4,)),
    "Wrapper": (lambda: halved_wrapper(L.Wrapper)(L.Dense(3)), (4,)),
    "ConvLSTM1D": (lambda: L.ConvLSTM1D(2, 3, padding="same"), (2, 4, 1)),
    "ConvLSTM3D": (lambda: L.ConvLSTM3D(2, 2, padding="same"), (2, 3, 3, 3, 1)),
    "JaxLayer": (lambda: L.JaxLayer(recipe_affine, init_fn=recipe_affine_init), (4,)),
    "STFTSpectrogram": (lambda: L.STFTSpectrogram(frame_length=16, frame_step=8), (64, 2)),
    "MelSpectrogram": (lambda: L.MelSpectrogram(fft_length=256, sequence_stride=128, num_mel_bins=16), (1024,)),
    # Needs flax, which is not installed; tests/layers/test_jax_layer.py covers its error and its plumbing.
    "FlaxLayer": None,
    # Constructing either raises: loom cannot run PyTorch modules or TensorFlow SavedModels.
    "TorchModuleWrapper": None,
    "TFSMLayer": None,
}
