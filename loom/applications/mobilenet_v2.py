"""MobileNetV2 (Sandler et al., 2018): inverted residual blocks with linear bottlenecks.

Each block widens its input with a 1x1 convolution, filters it with a 3x3 depthwise convolution
and projects it back with a linear 1x1 convolution; blocks that keep the shape add their input.
``alpha`` scales every layer's width.
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
from loom.layers import Add, BatchNormalization, Conv2D, DepthwiseConv2D, ReLU, ZeroPadding2D
from loom.utils.symbolic import is_keras_tensor

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"

_WEIGHT_ALPHAS = (0.35, 0.50, 0.75, 1.0, 1.3, 1.4)
_WEIGHT_SIZES = (96, 128, 160, 192, 224)

# (filters, stride, expansion) of blocks 0..16.
_BLOCKS = (
    [(16, 1, 1)]
    + [(24, 2, 6), (24, 1, 6)]
    + [(32, 2, 6)] + [(32, 1, 6)] * 2
    + [(64, 2, 6)] + [(64, 1, 6)] * 3
    + [(96, 1, 6)] * 3
    + [(160, 2, 6)] + [(160, 1, 6)] * 2
    + [(320, 1, 6)]
)  # fmt: skip


def make_divisible(value, divisor, min_value=None):
    """``value`` rounded to the nearest multiple of ``divisor`` (at least ``min_value``), never
    more than 10% below ``value``."""
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _batch_norm(name):
    return BatchNormalization(axis=channel_axis(), epsilon=1e-3, momentum=0.999, name=name)


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    in_channels = inputs.shape[channel_axis()]
    pointwise_filters = make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = Conv2D(expansion * in_channels, 1, padding="same", use_bias=False, name=f"{prefix}expand")(x)
        x = _batch_norm(f"{prefix}expand_BN")(x)
        x = ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"  # the first block does not expand
    if stride == 2:
        x = ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = DepthwiseConv2D(
        3, strides=stride, use_bias=False, padding="same" if stride == 1 else "valid", name=f"{prefix}depthwise"
    )(x)
    x = _batch_norm(f"{prefix}depthwise_BN")(x)
    x = ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = Conv2D(pointwise_filters, 1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = _batch_norm(f"{prefix}project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return Add(name=f"{prefix}add")([inputs, x])
    return x


def _spatial_size(shape):
    """(rows, cols) of a 3-D image shape in the current data format."""
    return (shape[1], shape[2]) if image_data_format() == "channels_first" else (shape[0], shape[1])


def _default_size(input_shape, input_tensor):
    """The size the model is built and its weights chosen for: the given size when it is square and
    one of the published ones, else 224."""
    if input_shape is not None:
        rows, cols = _spatial_size(input_shape)
    elif input_tensor is not None and is_keras_tensor(input_tensor):
        rows, cols = _spatial_size(tuple(input_tensor.shape)[1:])
    else:
        return 224
    return rows if rows == cols and rows in _WEIGHT_SIZES else 224


def MobileNetV2(
    input_shape=None,
    alpha=1.0,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """MobileNetV2 for images of at least 32x32 (224x224 by default).

    Args:
        input_shape: the image shape without the batch dimension, e.g. ``(224, 224, 3)``; None
            takes it from ``input_tensor`` or uses ``(224, 224, 3)``.
        alpha: width multiplier; the published weights exist for 0.35, 0.5, 0.75, 1.0, 1.3 and 1.4.
        include_top: end with the 1000-way (``classes``) classifier.
        weights: None (random initialization), ``"imagenet"`` or the path of a weights file.
        input_tensor: a symbolic tensor to build the model on, instead of a new ``Input``.
        pooling: with ``include_top=False``: None (the 4-D feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 for the ImageNet weights).
        classifier_activation: the classifier's activation; ``"softmax"`` or None with pretrained weights.
        name: the model's name; None gives ``mobilenetv2_<alpha>_<rows>``.

    Returns:
        A ``loom.Model``.

    Example:
        >>> model = MobileNetV2(input_shape=(96, 96, 3), weights=None, classes=10)
        >>> model.output_shape
        (None, 10)
    """
    check_weights(weights, include_top, classes)
    if input_shape is not None and input_tensor is not None and is_keras_tensor(input_tensor):
        given = tuple(input_tensor.shape)[1:]
        if _spatial_size(given)[1] != _spatial_size(input_shape)[1]:
            raise ValueError(
                f"MobileNetV2: input_shape={tuple(input_shape)} does not match input_tensor's shape "
                f"{tuple(input_tensor.shape)}; pass one of them, or matching ones."
            )
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=_default_size(input_shape, input_tensor),
        min_size=32,
        data_format=image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    rows, cols = _spatial_size(input_shape)
    if weights == "imagenet":
        if alpha not in _WEIGHT_ALPHAS:
            raise ValueError(
                f"MobileNetV2's ImageNet weights exist for alpha in {_WEIGHT_ALPHAS}; received alpha={alpha}. "
                "Pass weights=None for other widths."
            )
        if rows != cols or rows not in _WEIGHT_SIZES:
            rows = 224
            warnings.warn(
                f"MobileNetV2: input_shape is undefined, not square, or its size is not one of {_WEIGHT_SIZES}; "
                "the weights for 224x224 images are loaded.",
                stacklevel=2,
            )
    img_input = image_input(input_tensor, input_shape)

    x = Conv2D(make_divisible(32 * alpha, 8), 3, strides=(2, 2), padding="same", use_bias=False, name="Conv1")(
        img_input
    )
    x = _batch_norm("bn_Conv1")(x)
    x = ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, expansion=expansion, stride=stride, alpha=alpha, filters=filters, block_id=block_id)
    last_block_filters = make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = Conv2D(last_block_filters, 1, use_bias=False, name="Conv_1")(x)
    x = _batch_norm("Conv_1_bn")(x)
    x = ReLU(6.0, name="out_relu")(x)
    x = classify_or_pool(x, include_top, pooling, classes, classifier_activation, weights)

    model = functional_model(input_tensor, img_input, x, name or f"mobilenetv2_{alpha:0.2f}_{rows}")
    file_name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}" + (
        ".h5" if include_top else "_no_top.h5"
    )
    return load_weights(model, weights, file_name, BASE_WEIGHT_PATH + file_name)


def preprocess_input(x, data_format=None):
    """Scale pixels from [0, 255] to [-1, 1], as MobileNetV2's weights expect (``imagenet_utils``' "tf" mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per sample; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
