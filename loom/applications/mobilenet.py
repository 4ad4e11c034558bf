"""MobileNet (Howard et al., 2017): a plain stack of depthwise separable convolutions (3x3
depthwise, then 1x1 pointwise, each with batch normalization and ReLU6). ``alpha`` scales the
widths, ``depth_multiplier`` the depthwise convolutions' outputs.
"""

import warnings

from loom.applications import imagenet_utils
from loom.applications.construction import (
    channel_axis,
    check_weights,
    classify_or_pool,
    functional_model,
    image_input,
    load_weights,
)
from loom.config.defaults import image_data_format
from loom.layers import (
    Activation,
    BatchNormalization,
    Conv2D,
    DepthwiseConv2D,
    Dropout,
    GlobalAveragePooling2D,
    ReLU,
    Reshape,
    ZeroPadding2D,
)

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"

_WEIGHT_ALPHAS = {1.0: "1_0", 0.75: "7_5", 0.50: "5_0", 0.25: "2_5"}
_WEIGHT_SIZES = (128, 160, 192, 224)

# (pointwise filters, stride) of depthwise separable blocks 1..13.
_BLOCKS = (
    [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)]
    + [(512, 1)] * 5
    + [(1024, 2), (1024, 1)]
)  # fmt: skip


def _conv_block(inputs, filters, alpha, kernel=(3, 3), strides=(1, 1)):
    x = Conv2D(int(filters * alpha), kernel, padding="same", use_bias=False, strides=strides, name="conv1")(inputs)
    x = BatchNormalization(axis=channel_axis(), name="conv1_bn")(x)
    return ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(inputs, pointwise_conv_filters, alpha, depth_multiplier=1, strides=(1, 1), block_id=1):
    strided = strides != (1, 1)
    x = ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(inputs) if strided else inputs
    x = DepthwiseConv2D(
        (3, 3),
        padding="valid" if strided else "same",
        depth_multiplier=depth_multiplier,
        strides=strides,
        use_bias=False,
        name=f"conv_dw_{block_id}",
    )(x)
    x = BatchNormalization(axis=channel_axis(), name=f"conv_dw_{block_id}_bn")(x)
    x = ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = Conv2D(
        int(pointwise_conv_filters * alpha),
        (1, 1),
        padding="same",
        use_bias=False,
        strides=(1, 1),
        name=f"conv_pw_{block_id}",
    )(x)
    x = BatchNormalization(axis=channel_axis(), name=f"conv_pw_{block_id}_bn")(x)
    return ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def MobileNet(
    input_shape=None,
    alpha=1.0,
    depth_multiplier=1,
    dropout=1e-3,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """MobileNet for images of at least 32x32 (224x224 by default).

    Args:
        input_shape: the image shape without the batch dimension; None uses ``(224, 224, 3)``
            (with ``include_top``) or any size.
        alpha: width multiplier; ImageNet weights exist for 0.25, 0.5, 0.75 and 1.0.
        depth_multiplier: outputs per channel of the depthwise convolutions (1 for the weights).
        dropout: the dropout rate before the classifier.
        include_top: end with the ``classes``-way classifier (a 1x1 convolution).
        weights: None (random initialization), ``"imagenet"`` or the path of a weights file.
        input_tensor: a symbolic tensor to build the model on, instead of a new ``Input``.
        pooling: with ``include_top=False``: None (the 4-D feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 for the ImageNet weights).
        classifier_activation: the classifier's activation; ``"softmax"`` or None with pretrained weights.
        name: the model's name; None gives ``mobilenet_<alpha>_<rows>``.

    Returns:
        A ``loom.Model``. Feed it images through ``mobilenet.preprocess_input``.
    """
    check_weights(weights, include_top, classes)
    default_size = 224
    if input_shape is not None:
        rows, cols = input_shape[1:3] if image_data_format() == "channels_first" else input_shape[:2]
        if rows == cols and rows in _WEIGHT_SIZES:
            default_size = rows
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=default_size,
        min_size=32,
        data_format=image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    rows, cols = input_shape[1:3] if image_data_format() == "channels_first" else input_shape[:2]
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError(
                f"MobileNet's ImageNet weights need depth_multiplier=1; received depth_multiplier={depth_multiplier}."
            )
        if alpha not in _WEIGHT_ALPHAS:
            raise ValueError(
                f"MobileNet's ImageNet weights exist for alpha in {tuple(_WEIGHT_ALPHAS)}; received alpha={alpha}. "
                "Pass weights=None for other widths."
            )
        if rows != cols or rows not in _WEIGHT_SIZES:
            rows = 224
            warnings.warn(
                f"MobileNet: input_shape is undefined, not square, or its size is not one of {_WEIGHT_SIZES}; "
                "the weights for 224x224 images are loaded.",
                stacklevel=2,
            )
    img_input = image_input(input_tensor, input_shape)
    x = _conv_block(img_input, 32, alpha, strides=(2, 2))
    for block_id, (filters, stride) in enumerate(_BLOCKS, start=1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier, strides=(stride, stride), block_id=block_id)
    if include_top:
        x = GlobalAveragePooling2D(keepdims=True)(x)
        x = Dropout(dropout, name="dropout")(x)
        x = Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = classify_or_pool(x, False, pooling, classes, classifier_activation, weights)
    model = functional_model(input_tensor, img_input, x, name or f"mobilenet_{alpha:0.2f}_{rows}")
    if weights != "imagenet":
        return load_weights(model, weights)
    file_name = f"mobilenet_{_WEIGHT_ALPHAS[alpha]}_{rows}_tf" + (".h5" if include_top else "_no_top.h5")
    return load_weights(model, weights, file_name, BASE_WEIGHT_PATH + file_name)


def preprocess_input(x, data_format=None):
    """Scale pixels from [0, 255] to [-1, 1], as MobileNet's weights expect (``imagenet_utils``' "tf" mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per sample; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
