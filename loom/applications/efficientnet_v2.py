"""EfficientNetV2 B0-B3, S, M and L (Tan & Le, 2021): EfficientNet with fused MBConv blocks
(one regular convolution in place of the expansion and depthwise pair) in the early stages.

The models take pixels in [0, 255] and rescale them inside (``include_preprocessing``), so
``preprocess_input`` returns its input unchanged.
"""

import copy
import math

from loom import initializers
from loom.applications import imagenet_utils
from loom.applications.construction import check_weights, functional_model, image_input, load_weights
from loom.applications.efficientnet import CONV_KERNEL_INITIALIZER, DENSE_KERNEL_INITIALIZER
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
    add,
    multiply,
)

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"

# md5 of each published file: (with the classifier, without it).
WEIGHTS_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}

_FIELDS = (
    "kernel_size",
    "num_repeat",
    "input_filters",
    "output_filters",
    "expand_ratio",
    "se_ratio",
    "strides",
    "conv_type",
)


def _stages(*rows):
    """Stage dicts from rows of ``_FIELDS``; conv_type 1 is a fused block, 0 a regular one."""
    return [dict(zip(_FIELDS, row)) for row in rows]


_B_STAGES = (
    (3, 1, 32, 16, 1, 0, 1, 1),
    (3, 2, 16, 32, 4, 0, 2, 1),
    (3, 2, 32, 48, 4, 0, 2, 1),
    (3, 3, 48, 96, 4, 0.25, 2, 0),
    (3, 5, 96, 112, 6, 0.25, 1, 0),
    (3, 8, 112, 192, 6, 0.25, 2, 0),
)

DEFAULT_BLOCKS_ARGS = {
    "efficientnetv2-s": _stages(
        (3, 2, 24, 24, 1, 0.0, 1, 1),
        (3, 4, 24, 48, 4, 0.0, 2, 1),
        (3, 4, 48, 64, 4, 0, 2, 1),
        (3, 6, 64, 128, 4, 0.25, 2, 0),
        (3, 9, 128, 160, 6, 0.25, 1, 0),
        (3, 15, 160, 256, 6, 0.25, 2, 0),
    ),
    "efficientnetv2-m": _stages(
        (3, 3, 24, 24, 1, 0, 1, 1),
        (3, 5, 24, 48, 4, 0, 2, 1),
        (3, 5, 48, 80, 4, 0, 2, 1),
        (3, 7, 80, 160, 4, 0.25, 2, 0),
        (3, 14, 160, 176, 6, 0.25, 1, 0),
        (3, 18, 176, 304, 6, 0.25, 2, 0),
        (3, 5, 304, 512, 6, 0.25, 1, 0),
    ),
    "efficientnetv2-l": _stages(
        (3, 4, 32, 32, 1, 0, 1, 1),
        (3, 7, 32, 64, 4, 0, 2, 1),
        (3, 7, 64, 96, 4, 0, 2, 1),
        (3, 10, 96, 192, 4, 0.25, 2, 0),
        (3, 19, 192, 224, 6, 0.25, 1, 0),
        (3, 25, 224, 384, 6, 0.25, 2, 0),
        (3, 7, 384, 640, 6, 0.25, 1, 0),
    ),
    **{f"efficientnetv2-b{i}": _stages(*_B_STAGES) for i in range(4)},
}


def round_filters(filters, width_coefficient, min_depth, depth_divisor):
    """``filters`` scaled by ``width_coefficient``, rounded to a multiple of ``depth_divisor``."""
    filters *= width_coefficient
    minimum = min_depth or depth_divisor
    return int(max(minimum, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def round_repeats(repeats, depth_coefficient):
    return math.ceil(depth_coefficient * repeats)


def _bn_axis():
    return 3 if image_data_format() == "channels_last" else 1


def _conv(filters, kernel_size, name, strides=1, activation=None):
    return Conv2D(
        filters,
        kernel_size=kernel_size,
        strides=strides,
        activation=activation,
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        padding="same",
        use_bias=activation is not None,
        name=name,
    )


def _squeeze_excite(x, filters, filters_se, activation, name):
    se = GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se = Reshape((filters, 1, 1) if _bn_axis() == 1 else (1, 1, filters), name=f"{name}se_reshape")(se)
    se = _conv(filters_se, 1, f"{name}se_reduce", activation=activation)(se)
    se = _conv(filters, 1, f"{name}se_expand", activation="sigmoid")(se)
    return multiply([x, se], name=f"{name}se_excite")


def _residual(x, inputs, strides, input_filters, output_filters, survival_probability, name):
    """Add the block's input back when the shapes allow, after a per-sample dropout of the branch.

    As in Keras, ``survival_probability`` is used as the dropout rate."""
    if strides == 1 and input_filters == output_filters:
        if survival_probability:
            x = Dropout(survival_probability, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = add([x, inputs], name=f"{name}add")
    return x


def MBConvBlock(
    input_filters,
    output_filters,
    expand_ratio=1,
    kernel_size=3,
    strides=1,
    se_ratio=0.0,
    bn_momentum=0.9,
    activation="swish",
    survival_probability=0.8,
    name=None,
):
    """A function of ``x``: 1x1 expansion, depthwise convolution, squeeze-and-excitation, 1x1 projection."""

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _conv(filters, 1, f"{name}expand_conv")(x)
            x = BatchNormalization(axis=_bn_axis(), momentum=bn_momentum, name=f"{name}expand_bn")(x)
            x = Activation(activation, name=f"{name}expand_activation")(x)
        x = DepthwiseConv2D(
            kernel_size=kernel_size,
            strides=strides,
            depthwise_initializer=CONV_KERNEL_INITIALIZER,
            padding="same",
            use_bias=False,
            name=f"{name}dwconv2",
        )(x)
        x = BatchNormalization(axis=_bn_axis(), momentum=bn_momentum, name=f"{name}bn")(x)
        x = Activation(activation, name=f"{name}activation")(x)
        if 0 < se_ratio <= 1:
            x = _squeeze_excite(x, filters, max(1, int(input_filters * se_ratio)), activation, name)
        x = _conv(output_filters, 1, f"{name}project_conv")(x)
        x = BatchNormalization(axis=_bn_axis(), momentum=bn_momentum, name=f"{name}project_bn")(x)
        return _residual(x, inputs, strides, input_filters, output_filters, survival_probability, name)

    return apply


def FusedMBConvBlock(
    input_filters,
    output_filters,
    expand_ratio=1,
    kernel_size=3,
    strides=1,
    se_ratio=0.0,
    bn_momentum=0.9,
    activation="swish",
    survival_probability=0.8,
    name=None,
):
    """A function of ``x``: one ``kernel_size`` expansion convolution (in place of MBConv's 1x1 and
    depthwise pair), squeeze-and-excitation, 1x1 projection (the only convolution when not expanding)."""

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _conv(filters, kernel_size, f"{name}expand_conv", strides=strides)(x)
            x = BatchNormalization(axis=_bn_axis(), momentum=bn_momentum, name=f"{name}expand_bn")(x)
            x = Activation(activation=activation, name=f"{name}expand_activation")(x)
        if 0 < se_ratio <= 1:
            x = _squeeze_excite(x, filters, max(1, int(input_filters * se_ratio)), activation, name)
        expanded = expand_ratio != 1
        x = _conv(output_filters, 1 if expanded else kernel_size, f"{name}project_conv", 1 if expanded else strides)(x)
        x = BatchNormalization(axis=_bn_axis(), momentum=bn_momentum, name=f"{name}project_bn")(x)
        if not expanded:
            x = Activation(activation=activation, name=f"{name}project_activation")(x)
        return _residual(x, inputs, strides, input_filters, output_filters, survival_probability, name)

    return apply


def _default_blocks(name, weights_name):
    """The published stages for the model ``name``, or (another name) for the variant ``weights_name``."""
    if name in DEFAULT_BLOCKS_ARGS:
        return DEFAULT_BLOCKS_ARGS[name]
    variant = "efficientnetv2-" + str(weights_name).lstrip("-")
    if variant not in DEFAULT_BLOCKS_ARGS:
        raise ValueError(
            f"EfficientNetV2: no default blocks for name={name!r}; pass blocks_args, or one of the names "
            f"{sorted(DEFAULT_BLOCKS_ARGS)}."
        )
    return DEFAULT_BLOCKS_ARGS[variant]


def EfficientNetV2(
    width_coefficient,
    depth_coefficient,
    default_size,
    dropout_rate=0.2,
    drop_connect_rate=0.2,
    depth_divisor=8,
    min_depth=8,
    bn_momentum=0.9,
    activation="swish",
    blocks_args="default",
    name="efficientnetv2",
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    include_preprocessing=True,
    weights_name=None,
):
    """An EfficientNetV2 of the given scaling; ``EfficientNetV2B0`` .. ``L`` fix the coefficients.

    Args:
        width_coefficient, depth_coefficient: multiply every layer's width / stage's depth.
        default_size: the image side the model is designed for.
        dropout_rate: dropout before the classifier.
        drop_connect_rate: the largest per-sample dropout of a residual branch (last block).
        depth_divisor, min_depth: widths are multiples of ``depth_divisor``, at least ``min_depth``.
        bn_momentum: the batch normalizations' momentum.
        activation: the blocks' activation.
        blocks_args: ``"default"`` (the stages published for ``name``) or a list of stage dicts.
        weights_name: ``"b0"`` .. ``"b3"``, ``"-s"``, ``"-m"``, ``"-l"``: the key of ``WEIGHTS_HASHES``.

    The other arguments are those of ``EfficientNetV2B0``.
    """
    if blocks_args == "default":
        blocks_args = _default_blocks(name, weights_name)
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
    bn_axis = _bn_axis()

    def filters(count):
        return round_filters(count, width_coefficient, min_depth, depth_divisor)

    x = img_input
    if include_preprocessing:
        # The B models were trained on ImageNet-normalized pixels, S/M/L on pixels in [-1, 1].
        if name.split("-")[-1].startswith("b") and input_shape[bn_axis - 1] == 3:
            x = Rescaling(scale=1.0 / 255)(x)
            x = Normalization(mean=[0.485, 0.456, 0.406], variance=[0.229**2, 0.224**2, 0.225**2], axis=bn_axis)(x)
        else:
            x = Rescaling(scale=1.0 / 128.0, offset=-1)(x)
    x = _conv(filters(blocks_args[0]["input_filters"]), 3, "stem_conv", strides=2)(x)
    x = BatchNormalization(axis=bn_axis, momentum=bn_momentum, name="stem_bn")(x)
    x = Activation(activation, name="stem_activation")(x)

    blocks_args = copy.deepcopy(blocks_args)
    total = float(sum(args["num_repeat"] for args in blocks_args))
    index = 0
    for i, args in enumerate(blocks_args):
        if args["num_repeat"] <= 0:
            raise ValueError(
                f"EfficientNetV2: every stage needs num_repeat > 0; stage {i} has num_repeat={args['num_repeat']}."
            )
        args["input_filters"] = filters(args["input_filters"])
        args["output_filters"] = filters(args["output_filters"])
        block = FusedMBConvBlock if args.pop("conv_type") == 1 else MBConvBlock
        for j in range(round_repeats(args.pop("num_repeat"), depth_coefficient)):
            if j > 0:  # only a stage's first block changes resolution and width
                args["strides"] = 1
                args["input_filters"] = args["output_filters"]
            x = block(
                activation=activation,
                bn_momentum=bn_momentum,
                survival_probability=drop_connect_rate * index / total,
                name=f"block{i + 1}{chr(j + 97)}_",
                **args,
            )(x)
            index += 1

    x = _conv(filters(1280), 1, "top_conv")(x)
    x = BatchNormalization(axis=bn_axis, momentum=bn_momentum, name="top_bn")(x)
    x = Activation(activation=activation, name="top_activation")(x)
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = Dropout(dropout_rate, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Dense(
            classes,
            activation=classifier_activation,
            kernel_initializer=DENSE_KERNEL_INITIALIZER,
            bias_initializer=initializers.Constant(0.0),
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


# (width, depth, default size, weights name) of each published model.
_SCALINGS = {
    "B0": (1.0, 1.0, 224, "b0"),
    "B1": (1.0, 1.1, 240, "b1"),
    "B2": (1.1, 1.2, 260, "b2"),
    "B3": (1.2, 1.4, 300, "b3"),
    "S": (1.0, 1.0, 384, "-s"),
    "M": (1.0, 1.0, 480, "-m"),
    "L": (1.0, 1.0, 480, "-l"),
}


def _efficientnet_v2(variant, arguments):
    """The published EfficientNetV2 ``variant``, built with a constructor's ``arguments`` (its ``locals()``)."""
    width, depth, size, weights_name = _SCALINGS[variant]
    return EfficientNetV2(
        width_coefficient=width, depth_coefficient=depth, default_size=size, weights_name=weights_name, **arguments
    )


_CONSTRUCTOR_DOC = """EfficientNetV2{variant} for images of at least 32x32 ({size}x{size} by default), pixels in [0, 255].

    Args:
        include_top: end with the ``classes``-way classifier.
        weights: None (random initialization), ``"imagenet"`` or the path of a weights file.
        input_tensor: a symbolic tensor to build the model on, instead of a new ``Input``.
        input_shape: the image shape without the batch dimension (``({size}, {size}, 3)`` with the
            ImageNet classifier); with ``include_top=False`` any size from 32x32, or None sides.
        pooling: with ``include_top=False``: None (the 4-D feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 for the ImageNet weights).
        classifier_activation: the classifier's activation; ``"softmax"`` or None with pretrained weights.
        include_preprocessing: rescale (and for B0-B3 normalize) the pixels first.
        name: the model's name.

    Returns:
        A ``loom.Model``.
    """


def EfficientNetV2B0(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    include_preprocessing=True,
    name="efficientnetv2-b0",
):
    return _efficientnet_v2("B0", locals())


def EfficientNetV2B1(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    include_preprocessing=True,
    name="efficientnetv2-b1",
):
    return _efficientnet_v2("B1", locals())


def EfficientNetV2B2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    include_preprocessing=True,
    name="efficientnetv2-b2",
):
    return _efficientnet_v2("B2", locals())


def EfficientNetV2B3(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    include_preprocessing=True,
    name="efficientnetv2-b3",
):
    return _efficientnet_v2("B3", locals())


def EfficientNetV2S(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    include_preprocessing=True,
    name="efficientnetv2-s",
):
    return _efficientnet_v2("S", locals())


def EfficientNetV2M(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    include_preprocessing=True,
    name="efficientnetv2-m",
):
    return _efficientnet_v2("M", locals())


def EfficientNetV2L(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    include_preprocessing=True,
    name="efficientnetv2-l",
):
    return _efficientnet_v2("L", locals())


_CONSTRUCTORS = {
    "B0": EfficientNetV2B0,
    "B1": EfficientNetV2B1,
    "B2": EfficientNetV2B2,
    "B3": EfficientNetV2B3,
    "S": EfficientNetV2S,
    "M": EfficientNetV2M,
    "L": EfficientNetV2L,
}
for _variant, _constructor in _CONSTRUCTORS.items():
    _constructor.__doc__ = _CONSTRUCTOR_DOC.format(variant=_variant, size=_SCALINGS[_variant][2])


def preprocess_input(x, data_format=None):
    """Return ``x`` unchanged: EfficientNetV2 rescales its input inside (``include_preprocessing``)."""
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per sample; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
