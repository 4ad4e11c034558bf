"""ConvNeXt Tiny/Small/Base/Large/XLarge (Liu et al., 2022): a ResNet modernised after vision
transformers — patchify stem, 7x7 depthwise convolutions, layer normalization, inverted
bottleneck MLPs with GELU, per-channel layer scale, stochastic depth.

The models take pixels in [0, 255] and normalize them inside (``include_preprocessing``), so
``preprocess_input`` returns its input unchanged.
"""

import jax
import jax.numpy as jnp
import numpy as np

from loom import initializers
from loom.applications import imagenet_utils
from loom.applications.construction import check_weights, image_input, load_weights
from loom.config.defaults import image_data_format
from loom.layers import (
    Activation,
    Conv2D,
    Dense,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    Layer,
    LayerNormalization,
    Normalization,
)
from loom.models import Model, Sequential
from loom.saving.registry import register_keras_serializable
from loom.state.seed_generator import SeedGenerator
from loom.utils.symbolic import get_source_inputs, is_keras_tensor

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"

# sha256 of each published file: (with the classifier, without it).
WEIGHTS_HASHES = {
    "convnext_tiny": (
        "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
        "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1",
    ),
    "convnext_small": (
        "ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
        "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab",
    ),
    "convnext_base": (
        "52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
        "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45",
    ),
    "convnext_large": (
        "070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
        "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd",
    ),
    "convnext_xlarge": (
        "c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05",
    ),
}

MODEL_CONFIGS = {
    "tiny": {"depths": [3, 3, 9, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "small": {"depths": [3, 3, 27, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "base": {"depths": [3, 3, 27, 3], "projection_dims": [128, 256, 512, 1024], "default_size": 224},
    "large": {"depths": [3, 3, 27, 3], "projection_dims": [192, 384, 768, 1536], "default_size": 224},
    "xlarge": {"depths": [3, 3, 27, 3], "projection_dims": [256, 512, 1024, 2048], "default_size": 224},
}


@register_keras_serializable(package="loom.applications")
class StochasticDepth(Layer):
    """Drop a residual branch for a random ``drop_path_rate`` of the samples while training,
    scaling the kept ones by ``1 / (1 - drop_path_rate)``; the identity otherwise.

    Args:
        drop_path_rate: the probability of dropping a sample's branch, in [0, 1).
    """

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= drop_path_rate < 1:
            raise ValueError(
                f"{self.describe()}: `drop_path_rate` must be in [0, 1); received drop_path_rate={drop_path_rate!r}."
            )
        self.drop_path_rate = drop_path_rate
        self.seed_generator = SeedGenerator()

    def call(self, x, training=None):
        if not training or self.drop_path_rate == 0:
            return x
        keep_prob = 1.0 - self.drop_path_rate
        shape = (x.shape[0],) + (1,) * (x.ndim - 1)
        keep = jnp.floor(keep_prob + jax.random.uniform(self.seed_generator.next(), shape, x.dtype))
        return x / keep_prob * keep

    def get_config(self):
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate}


@register_keras_serializable(package="loom.applications")
class LayerScale(Layer):
    """Multiply each channel by a trainable factor, initialised to ``init_values``.

    Args:
        init_values: the factors' initial value (small, e.g. 1e-6, so a block starts near identity).
        projection_dim: the number of channels (the last axis).
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        self.gamma = self.add_weight(
            name="gamma",
            shape=(self.projection_dim,),
            initializer=initializers.Constant(self.init_values),
            trainable=True,
        )
        self.built = True

    def call(self, x):
        return x * self.gamma

    def get_config(self):
        return {**super().get_config(), "init_values": self.init_values, "projection_dim": self.projection_dim}


def ConvNeXtBlock(projection_dim, drop_path_rate=0.0, layer_scale_init_value=1e-6, name=None):
    """A function of ``x``: depthwise 7x7 convolution, layer norm, 4x MLP with GELU, layer scale,
    stochastic depth, plus ``x``."""

    def apply(inputs):
        x = Conv2D(projection_dim, 7, padding="same", groups=projection_dim, name=f"{name}_depthwise_conv")(inputs)
        x = LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
        x = Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
        x = Activation("gelu", name=f"{name}_gelu")(x)
        x = Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
        if layer_scale_init_value is not None:
            x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
        if drop_path_rate:
            layer = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
        else:
            layer = Activation("linear", name=f"{name}_identity")
        return inputs + layer(x)

    return apply


def PreStem(name):
    """A function of ``x`` normalizing pixels in [0, 255] with the ImageNet channel mean and std."""

    def apply(x):
        return Normalization(
            mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
            variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2],
            name=f"{name}_prestem_normalization",
        )(x)

    return apply


def Head(num_classes=1000, classifier_activation=None, name=None):
    """A function of ``x``: global average pooling, layer norm, the ``num_classes``-way classifier."""

    def apply(x):
        x = GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        return Dense(num_classes, activation=classifier_activation, name=f"{name}_head_dense")(x)

    return apply


def _downsampling_layers(projection_dims, name):
    """The patchify stem, then three (layer norm, 2x2 strided convolution) downsamplers."""
    stem = Sequential(
        [
            Conv2D(projection_dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
            LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm"),
        ],
        name=f"{name}_stem",
    )
    downsamplers = [
        Sequential(
            [
                LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
                Conv2D(projection_dims[i + 1], kernel_size=2, strides=2, name=f"{name}_downsampling_conv_{i}"),
            ],
            name=f"{name}_downsampling_block_{i}",
        )
        for i in range(3)
    ]
    return [stem, *downsamplers]


def ConvNeXt(
    depths,
    projection_dims,
    drop_path_rate=0.0,
    layer_scale_init_value=1e-6,
    default_size=224,
    name="convnext",
    include_preprocessing=True,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    weights_name=None,
):
    """A ConvNeXt with ``depths[i]`` blocks of width ``projection_dims[i]`` in stage ``i``.

    Args:
        depths: blocks per stage (4 stages).
        projection_dims: channels per stage.
        drop_path_rate: the stochastic-depth rate of the last block; it grows linearly from 0.
        layer_scale_init_value: the layer scale's initial factor; None leaves layer scale out.
        default_size: the image side the model is designed for.
        include_preprocessing: start with the ImageNet normalization (needed by the ImageNet weights).
        weights_name: ``"convnext_tiny"`` .. ``"convnext_xlarge"``, the key of ``WEIGHTS_HASHES``.

    The other arguments are those of ``ConvNeXtTiny``.
    """
    if image_data_format() == "channels_first":
        raise ValueError(
            "ConvNeXt supports only the 'channels_last' image data format; call "
            "loom.config.set_image_data_format('channels_last') first."
        )
    check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=default_size,
        min_size=32,
        data_format=image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    inputs = x = image_input(input_tensor, input_shape)
    if input_tensor is not None and is_keras_tensor(input_tensor):
        inputs = get_source_inputs(input_tensor)[0]
    if include_preprocessing and input_shape[-1] == 3:
        x = PreStem(name=name)(x)

    rates = [float(rate) for rate in np.linspace(0.0, drop_path_rate, sum(depths))]
    first = 0
    for stage, downsampler in enumerate(_downsampling_layers(projection_dims, name)):
        x = downsampler(x)
        for j in range(depths[stage]):
            x = ConvNeXtBlock(
                projection_dim=projection_dims[stage],
                drop_path_rate=rates[first + j],
                layer_scale_init_value=layer_scale_init_value,
                name=f"{name}_stage_{stage}_block_{j}",
            )(x)
        first += depths[stage]
    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Head(num_classes=classes, classifier_activation=classifier_activation, name=name)(x)
    else:
        if pooling == "avg":
            x = GlobalAveragePooling2D()(x)
        elif pooling == "max":
            x = GlobalMaxPooling2D()(x)
        x = LayerNormalization(epsilon=1e-6)(x)
    model = Model(inputs=inputs, outputs=x, name=name)
    if weights != "imagenet":
        return load_weights(model, weights)
    expected = MODEL_CONFIGS[weights_name.split("convnext_")[-1]]
    if list(depths) != expected["depths"] or list(projection_dims) != expected["projection_dims"]:
        raise ValueError(
            f"The {weights_name} ImageNet weights need depths={expected['depths']} and "
            f"projection_dims={expected['projection_dims']}; received depths={list(depths)}, "
            f"projection_dims={list(projection_dims)}. Pass weights=None for other configurations."
        )
    if weights_name not in name:
        raise ValueError(
            f"With ImageNet weights the model's name must contain {weights_name!r} (its layers are named after "
            f"it, and the weight file matches them); received name={name!r}."
        )
    file_name = name + (".h5" if include_top else "_notop.h5")
    file_hash = WEIGHTS_HASHES[weights_name][0 if include_top else 1]
    return load_weights(model, weights, file_name, BASE_WEIGHTS_PATH + file_name, file_hash)


def _convnext(size, arguments):
    """The published ConvNeXt ``size``, built with a constructor's ``arguments`` (its ``locals()``)."""
    config = MODEL_CONFIGS[size]
    return ConvNeXt(
        weights_name=f"convnext_{size}",
        depths=config["depths"],
        projection_dims=config["projection_dims"],
        drop_path_rate=0.0,
        layer_scale_init_value=1e-6,
        default_size=config["default_size"],
        **arguments,
    )


_CONSTRUCTOR_DOC = """ConvNeXt{size} for images of at least 32x32 (224x224 by default), pixels in [0, 255].

    Args:
        include_top: end with the ``classes``-way classifier (pooling, layer norm, dense).
        include_preprocessing: normalize the pixels with the ImageNet statistics first.
        weights: None (random initialization), ``"imagenet"`` or the path of a weights file.
        input_tensor: a symbolic tensor to build the model on, instead of a new ``Input``.
        input_shape: the image shape without the batch dimension (``(224, 224, 3)`` with the
            ImageNet classifier); with ``include_top=False`` any size from 32x32, or None sides.
        pooling: with ``include_top=False``: None (the 4-D feature map), ``"avg"`` or ``"max"``;
            a layer normalization follows in every case.
        classes: the classifier's size (1000 for the ImageNet weights).
        classifier_activation: the classifier's activation; ``"softmax"`` or None with pretrained weights.
        name: the model's name; with ImageNet weights it must contain ``convnext_{lower}``.

    Returns:
        A ``loom.Model``.
    """


def ConvNeXtTiny(
    include_top=True,
    include_preprocessing=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="convnext_tiny",
):
    return _convnext("tiny", locals())


def ConvNeXtSmall(
    include_top=True,
    include_preprocessing=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="convnext_small",
):
    return _convnext("small", locals())


def ConvNeXtBase(
    include_top=True,
    include_preprocessing=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="convnext_base",
):
    return _convnext("base", locals())


def ConvNeXtLarge(
    include_top=True,
    include_preprocessing=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="convnext_large",
):
    return _convnext("large", locals())


def ConvNeXtXLarge(
    include_top=True,
    include_preprocessing=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="convnext_xlarge",
):
    return _convnext("xlarge", locals())


for _size, _constructor in zip(
    ("Tiny", "Small", "Base", "Large", "XLarge"),
    (ConvNeXtTiny, ConvNeXtSmall, ConvNeXtBase, ConvNeXtLarge, ConvNeXtXLarge),
):
    _constructor.__doc__ = _CONSTRUCTOR_DOC.format(size=_size, lower=_size.lower())


def preprocess_input(x, data_format=None):
    """Return ``x`` unchanged: ConvNeXt normalizes its input inside (``include_preprocessing``)."""
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per sample; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
