"""Xception (Chollet, 2016): depthwise separable convolutions throughout, in residual blocks —
an entry flow that downsamples, eight middle blocks at 728 channels, and an exit flow.
"""

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
from loom.layers import Activation, BatchNormalization, Conv2D, MaxPooling2D, SeparableConv2D, add

WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/xception/xception_weights_tf_dim_ordering_tf_kernels.h5"
WEIGHTS_PATH_NO_TOP = (
    "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
    "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"
)
# md5 of the published files: (with the classifier, without it).
WEIGHTS_HASHES = ("0a58e3b7378bc2990ea3b43d5981f1f6", "b0042744bf5b25fce3cb969f33bebb97")


def _batch_norm(name=None):
    return BatchNormalization(axis=channel_axis(), name=name)


def _separable(x, filters, name):
    """A 3x3 separable convolution and its batch normalization, named ``<name>`` and ``<name>_bn``."""
    x = SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return _batch_norm(f"{name}_bn")(x)


def _downsampling_block(x, block, filters, residual_filters, activate_first=True):
    """Two separable convolutions and a strided max pooling, added to a strided 1x1 projection of
    the input (whose layers Keras leaves unnamed)."""
    residual = Conv2D(residual_filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    residual = _batch_norm()(residual)
    if activate_first:
        x = Activation("relu", name=f"block{block}_sepconv1_act")(x)
    x = _separable(x, filters[0], f"block{block}_sepconv1")
    x = Activation("relu", name=f"block{block}_sepconv2_act")(x)
    x = _separable(x, filters[1], f"block{block}_sepconv2")
    x = MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return add([x, residual])


def Xception(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="xception",
):
    """Xception for images of at least 71x71 (299x299 by default).

    Args:
        include_top: end with the 1000-way (``classes``) classifier.
        weights: None (random initialization), ``"imagenet"`` or the path of a weights file.
        input_tensor: a symbolic tensor to build the model on, instead of a new ``Input``.
        input_shape: the image shape without the batch dimension (``(299, 299, 3)`` with the
            ImageNet classifier); with ``include_top=False`` any size from 71x71, or None sides.
        pooling: with ``include_top=False``: None (the 4-D feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 for the ImageNet weights).
        classifier_activation: the classifier's activation; ``"softmax"`` or None with pretrained weights.
        name: the model's name.

    Returns:
        A ``loom.Model``. Feed it images through ``xception.preprocess_input``.
    """
    check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=299,
        min_size=71,
        data_format=image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    img_input = image_input(input_tensor, input_shape)
    x = Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = _batch_norm("block1_conv1_bn")(x)
    x = Activation("relu", name="block1_conv1_act")(x)
    x = Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = _batch_norm("block1_conv2_bn")(x)
    x = Activation("relu", name="block1_conv2_act")(x)
    x = _downsampling_block(x, 2, (128, 128), 128, activate_first=False)
    x = _downsampling_block(x, 3, (256, 256), 256)
    x = _downsampling_block(x, 4, (728, 728), 728)
    for block in range(5, 13):
        residual = x
        for conv in (1, 2, 3):
            x = Activation("relu", name=f"block{block}_sepconv{conv}_act")(x)
            x = _separable(x, 728, f"block{block}_sepconv{conv}")
        x = add([x, residual])
    x = _downsampling_block(x, 13, (728, 1024), 1024)
    x = _separable(x, 1536, "block14_sepconv1")
    x = Activation("relu", name="block14_sepconv1_act")(x)
    x = _separable(x, 2048, "block14_sepconv2")
    x = Activation("relu", name="block14_sepconv2_act")(x)
    x = classify_or_pool(x, include_top, pooling, classes, classifier_activation, weights, top_pool_name="avg_pool")
    model = functional_model(input_tensor, img_input, x, name)
    if include_top:
        file_name, origin, file_hash = WEIGHTS_PATH.rsplit("/", 1)[1], WEIGHTS_PATH, WEIGHTS_HASHES[0]
    else:
        file_name, origin, file_hash = WEIGHTS_PATH_NO_TOP.rsplit("/", 1)[1], WEIGHTS_PATH_NO_TOP, WEIGHTS_HASHES[1]
    return load_weights(model, weights, file_name, origin, file_hash)


def preprocess_input(x, data_format=None):
    """Scale pixels from [0, 255] to [-1, 1], as Xception's weights expect (``imagenet_utils``' "tf" mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per sample; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
