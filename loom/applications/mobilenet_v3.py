"""MobileNetV3 Small and Large (Howard et al., 2019): MobileNetV2's inverted residual blocks with
squeeze-and-excitation and hard-swish activations, their layout found by architecture search.

``minimalistic=True`` drops squeeze-and-excitation, hard-swish and 5x5 kernels. The models take
pixels in [0, 255] and rescale them to [-1, 1] themselves (``include_preprocessing=True``), so
``preprocess_input`` returns its input unchanged.
"""

import warnings

from loom.applications import imagenet_utils
from loom.applications.construction import channel_axis, check_weights, functional_model, image_input, load_weights
from loom.config.defaults import image_data_format
from loom.layers import (
    Activation,
    Add,
    BatchNormalization,
    Conv2D,
    DepthwiseConv2D,
    Dropout,
    Flatten,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    Multiply,
    ReLU,
    Rescaling,
    ZeroPadding2D,
)
from loom.utils.symbolic import is_keras_tensor

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"

# md5 of each published file: (with the classifier, without it).
WEIGHTS_HASHES = {
    "large_224_0.75_float": ("765b44a33ad4005b3ac83185abf1d0eb", "40af19a13ebea4e2ee0c676887f69a2e"),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7", "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": ("675e7b876c45c57e9e63e6d90a36599c", "ec5221f64a2f6d1ef965a614bdae7973"),
    "small_224_0.75_float": ("cb65d4e5be93758266aa0a7f2c6708b7", "ebdb5cc8e0b497cd13a7c275d475c819"),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862", "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": ("99cd97fb2fcdad2bf028eb838de69e37", "cde8136e733e811080d9fcd8a252f7e4"),
}


def relu(x):
    return ReLU()(x)


def hard_sigmoid(x):
    return ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def hard_swish(x):
    return Activation("hard_swish")(x)


def _depth(value, divisor=8, min_value=None):
    """``value`` rounded to a multiple of ``divisor`` (at least ``min_value``), never 10% down."""
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _batch_norm(name):
    return BatchNormalization(axis=channel_axis(), epsilon=1e-3, momentum=0.999, name=name)


def _se_block(inputs, filters, se_ratio, prefix):
    x = GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(inputs)
    x = Conv2D(_depth(filters * se_ratio), 1, padding="same", name=f"{prefix}squeeze_excite_conv")(x)
    x = ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = Conv2D(filters, 1, padding="same", name=f"{prefix}squeeze_excite_conv_1")(x)
    x = hard_sigmoid(x)
    return Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(x, expansion, filters, kernel_size, stride, se_ratio, activation, block_id):
    shortcut = x
    prefix = "expanded_conv_"
    infilters = x.shape[channel_axis()]
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = Conv2D(_depth(infilters * expansion), 1, padding="same", use_bias=False, name=f"{prefix}expand")(x)
        x = _batch_norm(f"{prefix}expand_bn")(x)
        x = activation(x)
    if stride == 2:
        x = ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size), name=f"{prefix}depthwise_pad")(x)
    x = DepthwiseConv2D(
        kernel_size,
        strides=stride,
        padding="same" if stride == 1 else "valid",
        use_bias=False,
        name=f"{prefix}depthwise",
    )(x)
    x = _batch_norm(f"{prefix}depthwise_bn")(x)
    x = activation(x)
    if se_ratio:
        x = _se_block(x, _depth(infilters * expansion), se_ratio, prefix)
    x = Conv2D(filters, 1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = _batch_norm(f"{prefix}project_bn")(x)
    if stride == 1 and infilters == filters:
        x = Add(name=f"{prefix}add")([shortcut, x])
    return x


def _resolve_input_shape(input_shape, input_tensor):
    """The image shape: ``input_shape``, else ``input_tensor``'s, else any size; checked against
    ``input_tensor`` and the 32x32 minimum."""
    channels_first = image_data_format() == "channels_first"
    if input_tensor is not None and is_keras_tensor(input_tensor):
        given = tuple(input_tensor.shape)
        if input_shape is None:
            rows, cols = given[2:4] if channels_first else given[1:3]
            input_shape = (3, cols, rows) if channels_first else (cols, rows, 3)
        elif given[1 if channels_first else 2] != input_shape[1]:
            raise ValueError(
                f"MobileNetV3: input_shape={tuple(input_shape)} does not match input_tensor's shape {given}; "
                "pass one of them, or matching ones."
            )
    if input_shape is None:
        input_shape = (3, None, None) if channels_first else (None, None, 3)
    rows, cols = input_shape[1:3] if channels_first else input_shape[:2]
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"MobileNetV3 needs images of at least 32x32; received input_shape={tuple(input_shape)}.")
    return input_shape, rows, cols


def MobileNetV3(
    stack_fn,
    last_point_ch,
    input_shape=None,
    alpha=1.0,
    model_type="large",
    minimalistic=False,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    classes=1000,
    pooling=None,
    dropout_rate=0.2,
    classifier_activation="softmax",
    include_preprocessing=True,
    name=None,
):
    """The MobileNetV3 whose blocks ``stack_fn(x, kernel, activation, se_ratio)`` builds.

    Args:
        stack_fn: builds the inverted residual blocks between the stem and the last convolutions.
        last_point_ch: the width of the classifier's hidden 1x1 convolution.
        model_type: ``"small"`` or ``"large"``, naming the published weights.

    The other arguments are those of ``MobileNetV3Small``.
    """
    check_weights(weights, include_top, classes)
    input_shape, rows, cols = _resolve_input_shape(input_shape, input_tensor)
    if weights == "imagenet":
        if (not minimalistic and alpha not in (0.75, 1.0)) or (minimalistic and alpha != 1.0):
            raise ValueError(
                "MobileNetV3's ImageNet weights exist for alpha 0.75 or 1.0 (1.0 only with minimalistic=True); "
                f"received alpha={alpha}, minimalistic={minimalistic}. Pass weights=None for other widths."
            )
        if rows != cols or rows != 224:
            warnings.warn(
                "MobileNetV3: input_shape is undefined, not square, or not 224x224; the weights for 224x224 "
                "images are loaded.",
                stacklevel=3,
            )
    img_input = image_input(input_tensor, input_shape)
    if minimalistic:
        kernel, activation, se_ratio = 3, relu, None
    else:
        kernel, activation, se_ratio = 5, hard_swish, 0.25

    x = img_input
    if include_preprocessing:
        x = Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = Conv2D(16, 3, strides=(2, 2), padding="same", use_bias=False, name="conv")(x)
    x = _batch_norm("conv_bn")(x)
    x = activation(x)
    x = stack_fn(x, kernel, activation, se_ratio)
    last_conv_ch = _depth(x.shape[channel_axis()] * 6)
    if alpha > 1.0:
        last_point_ch = _depth(last_point_ch * alpha)
    x = Conv2D(last_conv_ch, 1, padding="same", use_bias=False, name="conv_1")(x)
    x = _batch_norm("conv_1_bn")(x)
    x = activation(x)
    if include_top:
        x = GlobalAveragePooling2D(keepdims=True)(x)
        x = Conv2D(last_point_ch, 1, padding="same", use_bias=True, name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = Dropout(dropout_rate)(x)
        x = Conv2D(classes, 1, padding="same", name="logits")(x)
        x = Flatten()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Activation(activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = GlobalMaxPooling2D(name="max_pool")(x)
    model = functional_model(input_tensor, img_input, x, name)
    if weights != "imagenet":
        return load_weights(model, weights)
    model_name = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
    file_name = f"weights_mobilenet_v3_{model_name}" + (".h5" if include_top else "_no_top_v2.h5")
    file_hash = WEIGHTS_HASHES[model_name][0 if include_top else 1]
    return load_weights(model, weights, file_name, BASE_WEIGHT_PATH + file_name, file_hash)


# (expansion, filters, kernel ("k": 3, or 5 unless minimalistic), stride, squeeze-excite, activation
# ("relu", or "act": hard-swish unless minimalistic)) of each block.
_SMALL_BLOCKS = (
    (1, 16, 3, 2, True, "relu"),
    (72.0 / 16, 24, 3, 2, False, "relu"),
    (88.0 / 24, 24, 3, 1, False, "relu"),
    (4, 40, "k", 2, True, "act"),
    (6, 40, "k", 1, True, "act"),
    (6, 40, "k", 1, True, "act"),
    (3, 48, "k", 1, True, "act"),
    (3, 48, "k", 1, True, "act"),
    (6, 96, "k", 2, True, "act"),
    (6, 96, "k", 1, True, "act"),
    (6, 96, "k", 1, True, "act"),
)
_LARGE_BLOCKS = (
    (1, 16, 3, 1, False, "relu"),
    (4, 24, 3, 2, False, "relu"),
    (3, 24, 3, 1, False, "relu"),
    (3, 40, "k", 2, True, "relu"),
    (3, 40, "k", 1, True, "relu"),
    (3, 40, "k", 1, True, "relu"),
    (6, 80, 3, 2, False, "act"),
    (2.5, 80, 3, 1, False, "act"),
    (2.3, 80, 3, 1, False, "act"),
    (2.3, 80, 3, 1, False, "act"),
    (6, 112, 3, 1, True, "act"),
    (6, 112, 3, 1, True, "act"),
    (6, 160, "k", 2, True, "act"),
    (6, 160, "k", 1, True, "act"),
    (6, 160, "k", 1, True, "act"),
)


def _stack(table, alpha):
    def stack_fn(x, kernel, activation, se_ratio):
        for block_id, (expansion, filters, kernel_size, stride, excite, act) in enumerate(table):
            x = _inverted_res_block(
                x,
                expansion,
                _depth(filters * alpha),
                kernel if kernel_size == "k" else kernel_size,
                stride,
                se_ratio if excite else None,
                activation if act == "act" else relu,
                block_id,
            )
        return x

    return stack_fn


_CONSTRUCTOR_DOC = """{model}: for images of at least 32x32, pixels in [0, 255] (224x224 for the ImageNet weights).

    Args:
        input_shape: the image shape without the batch dimension; None takes it from
            ``input_tensor`` or accepts any size.
        alpha: width multiplier; ImageNet weights exist for 0.75 and 1.0 (1.0 when minimalistic).
        minimalistic: no squeeze-and-excitation, hard-swish or 5x5 kernels.
        include_top: end with the ``classes``-way classifier.
        weights: None (random initialization), ``"imagenet"`` or the path of a weights file.
        input_tensor: a symbolic tensor to build the model on, instead of a new ``Input``.
        classes: the classifier's size (1000 for the ImageNet weights).
        pooling: with ``include_top=False``: None (the 4-D feature map), ``"avg"`` or ``"max"``.
        dropout_rate: dropout before the last 1x1 convolution of the classifier.
        classifier_activation: the classifier's activation; ``"softmax"`` or None with pretrained weights.
        include_preprocessing: start with a ``Rescaling`` from [0, 255] to [-1, 1].
        name: the model's name.

    Returns:
        A ``loom.Model``.
    """


def MobileNetV3Small(
    input_shape=None,
    alpha=1.0,
    minimalistic=False,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    classes=1000,
    pooling=None,
    dropout_rate=0.2,
    classifier_activation="softmax",
    include_preprocessing=True,
    name="MobileNetV3Small",
):
    return MobileNetV3(
        _stack(_SMALL_BLOCKS, alpha),
        1024,
        input_shape,
        alpha,
        "small",
        minimalistic,
        include_top,
        weights,
        input_tensor,
        classes,
        pooling,
        dropout_rate,
        classifier_activation,
        include_preprocessing,
        name=name,
    )


def MobileNetV3Large(
    input_shape=None,
    alpha=1.0,
    minimalistic=False,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    classes=1000,
    pooling=None,
    dropout_rate=0.2,
    classifier_activation="softmax",
    include_preprocessing=True,
    name="MobileNetV3Large",
):
    return MobileNetV3(
        _stack(_LARGE_BLOCKS, alpha),
        1280,
        input_shape,
        alpha,
        "large",
        minimalistic,
        include_top,
        weights,
        input_tensor,
        classes,
        pooling,
        dropout_rate,
        classifier_activation,
        include_preprocessing,
        name=name,
    )


MobileNetV3Small.__doc__ = _CONSTRUCTOR_DOC.format(model="MobileNetV3Small")
MobileNetV3Large.__doc__ = _CONSTRUCTOR_DOC.format(model="MobileNetV3Large")


def preprocess_input(x, data_format=None):
    """Return ``x`` unchanged: MobileNetV3 rescales its input inside (``include_preprocessing``)."""
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per sample; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
