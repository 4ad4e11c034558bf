"""EfficientNet B0-B7 (Tan & Le, 2019): mobile inverted bottlenecks with squeeze-and-excitation,
scaled in width, depth and resolution together.

The models take raw pixels in [0, 255]: rescaling and normalization are their first layers
(``Rescaling``, ``Normalization``, and with ImageNet weights a second ``Rescaling``), so
``preprocess_input`` returns its input unchanged.
"""

import copy
import math

from loom.applications import imagenet_utils
from loom.applications.construction import channel_axis, check_weights, functional_model, image_input, load_weights
from loom.config.defaults import image_data_format
from loom.layers import (
    Activation,
    BatchNormalization,
    Conv2D,
    Dense,
    DepthwiseConv2D,
    Dropout,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    Normalization,
    Rescaling,
    Reshape,
    ZeroPadding2D,
    add,
    multiply,
)

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/keras-applications/"

# md5 of each published file: (with the classifier, without it).
WEIGHTS_HASHES = {
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}


def _stage(kernel_size, repeats, filters_in, filters_out, expand_ratio, strides):
    return {
        "kernel_size": kernel_size,
        "repeats": repeats,
        "filters_in": filters_in,
        "filters_out": filters_out,
        "expand_ratio": expand_ratio,
        "id_skip": True,
        "strides": strides,
        "se_ratio": 0.25,
    }


# The seven stages of EfficientNet-B0; the larger models widen and deepen them.
DEFAULT_BLOCKS_ARGS = [
    _stage(3, 1, 32, 16, 1, 1),
    _stage(3, 2, 16, 24, 6, 2),
    _stage(5, 2, 24, 40, 6, 2),
    _stage(3, 3, 40, 80, 6, 2),
    _stage(5, 3, 80, 112, 6, 1),
    _stage(5, 4, 112, 192, 6, 2),
    _stage(3, 1, 192, 320, 6, 1),
]

CONV_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"},
}
DENSE_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"},
}

# The ImageNet weights were trained with inputs divided by sqrt(std), not std; the model keeps
# that scaling so that the published weights give their published accuracy.
IMAGENET_STDDEV_RGB = [0.229, 0.224, 0.225]


def round_filters(filters, width_coefficient, divisor=8):
    """``filters`` scaled by ``width_coefficient``, rounded to a multiple of ``divisor`` (never
    more than 10% down)."""
    filters *= width_coefficient
    rounded = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    return int(rounded + divisor if rounded < 0.9 * filters else rounded)


def round_repeats(repeats, depth_coefficient):
    return math.ceil(depth_coefficient * repeats)


def EfficientNet(
    width_coefficient,
    depth_coefficient,
    default_size,
    dropout_rate=0.2,
    drop_connect_rate=0.2,
    depth_divisor=8,
    activation="swish",
    blocks_args="default",
    name="efficientnet",
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    weights_name=None,
):
    """An EfficientNet of the given scaling; ``EfficientNetB0`` .. ``B7`` fix the coefficients.

    Args:
        width_coefficient: multiplies every layer's width.
        depth_coefficient: multiplies every stage's number of blocks.
        default_size: the image side the model is designed for.
        dropout_rate: dropout before the classifier.
        drop_connect_rate: the largest rate of stochastic depth (per-sample dropout of a residual
            branch), reached at the last block; it grows linearly with depth.
        depth_divisor: widths are multiples of this.
        activation: the activation of every block.
        blocks_args: ``"default"`` (``DEFAULT_BLOCKS_ARGS``) or a list of stage dicts like it.
        weights_name: ``"b0"`` .. ``"b7"``, the key of ``WEIGHTS_HASHES``.

    The other arguments are those of ``EfficientNetB0``.
    """
    blocks_args = DEFAULT_BLOCKS_ARGS if blocks_args == "default" else blocks_args
    check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=default_size,
        min_size=32,
        data_format=image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    img_input = image_input(input_tensor, input_shape)
    bn_axis = 3 if image_data_format() == "channels_last" else 1

    def filters(count):
        return round_filters(count, width_coefficient, depth_divisor)

    x = Rescaling(1.0 / 255.0)(img_input)
    x = Normalization(axis=bn_axis)(x)
    if weights == "imagenet":
        x = Rescaling([1.0 / math.sqrt(stddev) for stddev in IMAGENET_STDDEV_RGB])(x)
    x = ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = Conv2D(
        filters(32),
        3,
        strides=2,
        padding="valid",
        use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name="stem_conv",
    )(x)
    x = BatchNormalization(axis=bn_axis, name="stem_bn")(x)
    x = Activation(activation, name="stem_activation")(x)

    blocks_args = copy.deepcopy(blocks_args)
    total = float(sum(round_repeats(args["repeats"], depth_coefficient) for args in blocks_args))
    index = 0
    for i, args in enumerate(blocks_args):
        if args["repeats"] <= 0:
            raise ValueError(f"EfficientNet: every stage needs repeats > 0; stage {i} has repeats={args['repeats']}.")
        args["filters_in"] = filters(args["filters_in"])
        args["filters_out"] = filters(args["filters_out"])
        for j in range(round_repeats(args.pop("repeats"), depth_coefficient)):
            if j > 0:  # only a stage's first block changes resolution and width
                args["strides"] = 1
                args["filters_in"] = args["filters_out"]
            x = block(x, activation, drop_connect_rate * index / total, name=f"block{i + 1}{chr(j + 97)}_", **args)
            index += 1

    x = Conv2D(
        filters(1280), 1, padding="same", use_bias=False, kernel_initializer=CONV_KERNEL_INITIALIZER, name="top_conv"
    )(x)
    x = BatchNormalization(axis=bn_axis, name="top_bn")(x)
    x = Activation(activation, name="top_activation")(x)
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = Dropout(dropout_rate, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Dense(
            classes,
            activation=classifier_activation,
            kernel_initializer=DENSE_KERNEL_INITIALIZER,
            name="predictions",
        )(x)
    elif pooling == "avg":
        x = GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = GlobalMaxPooling2D(name="max_pool")(x)
    model = functional_model(input_tensor, img_input, x, name)
    if weights != "imagenet":
        return load_weights(model, weights)
    file_name = name + (".h5" if include_top else "_notop.h5")
    file_hash = WEIGHTS_HASHES[weights_name][0 if include_top else 1]
    return load_weights(model, weights, file_name, BASE_WEIGHTS_PATH + file_name, file_hash)


def block(
    inputs,
    activation="swish",
    drop_rate=0.0,
    name="",
    filters_in=32,
    filters_out=16,
    kernel_size=3,
    strides=1,
    expand_ratio=1,
    se_ratio=0.0,
    id_skip=True,
):
    """A mobile inverted bottleneck: 1x1 expansion, depthwise convolution, squeeze-and-excitation,
    1x1 projection, and (same shape) a residual connection with stochastic depth ``drop_rate``."""
    bn_axis = 3 if image_data_format() == "channels_last" else 1
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = Conv2D(
            filters,
            1,
            padding="same",
            use_bias=False,
            kernel_initializer=CONV_KERNEL_INITIALIZER,
            name=f"{name}expand_conv",
        )(x)
        x = BatchNormalization(axis=bn_axis, name=f"{name}expand_bn")(x)
        x = Activation(activation, name=f"{name}expand_activation")(x)
    if strides == 2:
        x = ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size), name=f"{name}dwconv_pad")(x)
    x = DepthwiseConv2D(
        kernel_size,
        strides=strides,
        padding="valid" if strides == 2 else "same",
        use_bias=False,
        depthwise_initializer=CONV_KERNEL_INITIALIZER,
        name=f"{name}dwconv",
    )(x)
    x = BatchNormalization(axis=bn_axis, name=f"{name}bn")(x)
    x = Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = _squeeze_excite(x, filters, max(1, int(filters_in * se_ratio)), activation, name)
    x = Conv2D(
        filters_out,
        1,
        padding="same",
        use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name=f"{name}project_conv",
    )(x)
    x = BatchNormalization(axis=bn_axis, name=f"{name}project_bn")(x)
    if id_skip and strides == 1 and filters_in == filters_out:
        if drop_rate > 0:  # drops the whole branch of a sample: stochastic depth
            x = Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = add([x, inputs], name=f"{name}add")
    return x


def _squeeze_excite(x, filters, filters_se, activation, name):
    """Reweight the channels of ``x`` by a gate computed from their global average."""
    se = GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se_shape = (filters, 1, 1) if channel_axis() == 1 else (1, 1, filters)
    se = Reshape(se_shape, name=f"{name}se_reshape")(se)
    se = Conv2D(
        filters_se,
        1,
        padding="same",
        activation=activation,
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name=f"{name}se_reduce",
    )(se)
    se = Conv2D(
        filters,
        1,
        padding="same",
        activation="sigmoid",
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name=f"{name}se_expand",
    )(se)
    return multiply([x, se], name=f"{name}se_excite")


# (width, depth, default size, dropout) of each published model.
_SCALINGS = {
    "b0": (1.0, 1.0, 224, 0.2),
    "b1": (1.0, 1.1, 240, 0.2),
    "b2": (1.1, 1.2, 260, 0.3),
    "b3": (1.2, 1.4, 300, 0.3),
    "b4": (1.4, 1.8, 380, 0.4),
    "b5": (1.6, 2.2, 456, 0.4),
    "b6": (1.8, 2.6, 528, 0.5),
    "b7": (2.0, 3.1, 600, 0.5),
}


def _efficientnet(variant, include_top, weights, input_tensor, input_shape, pooling, classes, activation, name):
    width, depth, size, dropout = _SCALINGS[variant]
    return EfficientNet(
        width,
        depth,
        size,
        dropout,
        name=name,
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=activation,
        weights_name=variant,
    )


_CONSTRUCTOR_DOC = """EfficientNet{variant} for images of at least 32x32 ({size}x{size} by default), pixels in [0, 255].

    Args:
        include_top: end with the 1000-way (``classes``) classifier.
        weights: None (random initialization), ``"imagenet"`` or the path of a weights file.
        input_tensor: a symbolic tensor to build the model on, instead of a new ``Input``.
        input_shape: the image shape without the batch dimension (``({size}, {size}, 3)`` with the
            ImageNet classifier); with ``include_top=False`` any size from 32x32, or None sides.
        pooling: with ``include_top=False``: None (the 4-D feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 for the ImageNet weights).
        classifier_activation: the classifier's activation; ``"softmax"`` or None with pretrained weights.
        name: the model's name.

    Returns:
        A ``loom.Model``.
    """


def EfficientNetB0(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb0",
):
    return _efficientnet(
        "b0", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def EfficientNetB1(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb1",
):
    return _efficientnet(
        "b1", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def EfficientNetB2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb2",
):
    return _efficientnet(
        "b2", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def EfficientNetB3(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb3",
):
    return _efficientnet(
        "b3", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def EfficientNetB4(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb4",
):
    return _efficientnet(
        "b4", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def EfficientNetB5(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb5",
):
    return _efficientnet(
        "b5", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def EfficientNetB6(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb6",
):
    return _efficientnet(
        "b6", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def EfficientNetB7(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb7",
):
    return _efficientnet(
        "b7", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


for _variant, _constructor in zip(
    _SCALINGS,
    (
        EfficientNetB0,
        EfficientNetB1,
        EfficientNetB2,
        EfficientNetB3,
        EfficientNetB4,
        EfficientNetB5,
        EfficientNetB6,
        EfficientNetB7,
    ),
):
    _constructor.__doc__ = _CONSTRUCTOR_DOC.format(variant=_variant.upper(), size=_SCALINGS[_variant][2])


def preprocess_input(x, data_format=None):
    """Return ``x`` unchanged: EfficientNet models rescale and normalize inside (kept so that code
    written for other applications runs as it is)."""
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per sample; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
