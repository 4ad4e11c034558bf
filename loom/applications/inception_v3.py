"""InceptionV3 (Szegedy et al., 2015): "mixed" modules whose parallel branches (1x1, factorised
nxn and pooled convolutions) are concatenated along the channels.

Every convolution is followed by a batch normalization without scale and a ReLU (``conv2d_bn``).
"""

from loom.applications import imagenet_utils
from loom.applications.construction import (
    check_weights,
    classify_or_pool,
    functional_model,
    image_input,
    load_weights,
)
from loom.config.defaults import image_data_format
from loom.layers import Activation, AveragePooling2D, BatchNormalization, Conv2D, MaxPooling2D, concatenate

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
WEIGHTS_PATH = _BASE + "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"
WEIGHTS_PATH_NO_TOP = _BASE + "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
# md5 of the published files: (with the classifier, without it).
WEIGHTS_HASHES = ("9a0d58056eeedaa3f26cb7ebd46da564", "bcbd6486424b2319ff4ef7d526e38f63")


def _channel_axis():
    return 1 if image_data_format() == "channels_first" else 3


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """A ``num_row`` x ``num_col`` convolution without bias, batch normalization without scale, ReLU."""
    x = Conv2D(
        filters,
        (num_row, num_col),
        strides=strides,
        padding=padding,
        use_bias=False,
        name=None if name is None else f"{name}_conv",
    )(x)
    x = BatchNormalization(axis=_channel_axis(), scale=False, name=None if name is None else f"{name}_bn")(x)
    return Activation("relu", name=name)(x)


def _pooled_branch(x, filters):
    branch = AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(branch, filters, 1, 1)


def _module_35(x, pool_filters, name):
    """mixed0-2: 1x1, 5x5 and double 3x3 branches and a pooled one, at 35x35."""
    branch1x1 = conv2d_bn(x, 64, 1, 1)
    branch5x5 = conv2d_bn(x, 48, 1, 1)
    branch5x5 = conv2d_bn(branch5x5, 64, 5, 5)
    branch3x3dbl = conv2d_bn(x, 64, 1, 1)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)
    branch_pool = _pooled_branch(x, pool_filters)
    return concatenate([branch1x1, branch5x5, branch3x3dbl, branch_pool], axis=_channel_axis(), name=name)


def _module_17(x, width, name):
    """mixed4-7: 1x1, factorised 7x7 and double 7x7 branches and a pooled one, at 17x17."""
    branch1x1 = conv2d_bn(x, 192, 1, 1)
    branch7x7 = conv2d_bn(x, width, 1, 1)
    branch7x7 = conv2d_bn(branch7x7, width, 1, 7)
    branch7x7 = conv2d_bn(branch7x7, 192, 7, 1)
    branch7x7dbl = conv2d_bn(x, width, 1, 1)
    branch7x7dbl = conv2d_bn(branch7x7dbl, width, 7, 1)
    branch7x7dbl = conv2d_bn(branch7x7dbl, width, 1, 7)
    branch7x7dbl = conv2d_bn(branch7x7dbl, width, 7, 1)
    branch7x7dbl = conv2d_bn(branch7x7dbl, 192, 1, 7)
    branch_pool = _pooled_branch(x, 192)
    return concatenate([branch1x1, branch7x7, branch7x7dbl, branch_pool], axis=_channel_axis(), name=name)


def _module_8(x, index):
    """mixed9-10: 1x1, split 3x3 and split double 3x3 branches and a pooled one, at 8x8."""
    axis = _channel_axis()
    branch1x1 = conv2d_bn(x, 320, 1, 1)
    branch3x3 = conv2d_bn(x, 384, 1, 1)
    branch3x3_1 = conv2d_bn(branch3x3, 384, 1, 3)
    branch3x3_2 = conv2d_bn(branch3x3, 384, 3, 1)
    branch3x3 = concatenate([branch3x3_1, branch3x3_2], axis=axis, name=f"mixed9_{index}")
    branch3x3dbl = conv2d_bn(x, 448, 1, 1)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 384, 3, 3)
    branch3x3dbl_1 = conv2d_bn(branch3x3dbl, 384, 1, 3)
    branch3x3dbl_2 = conv2d_bn(branch3x3dbl, 384, 3, 1)
    branch3x3dbl = concatenate([branch3x3dbl_1, branch3x3dbl_2], axis=axis)
    branch_pool = _pooled_branch(x, 192)
    return concatenate([branch1x1, branch3x3, branch3x3dbl, branch_pool], axis=axis, name=f"mixed{9 + index}")


def InceptionV3(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="inception_v3",
):
    """InceptionV3 for images of at least 75x75 (299x299 by default).

    Args:
        include_top: end with the 1000-way (``classes``) classifier.
        weights: None (random initialization), ``"imagenet"`` or the path of a weights file.
        input_tensor: a symbolic tensor to build the model on, instead of a new ``Input``.
        input_shape: the image shape without the batch dimension (``(299, 299, 3)`` with the
            ImageNet classifier); with ``include_top=False`` any size from 75x75, or None sides.
        pooling: with ``include_top=False``: None (the 4-D feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 for the ImageNet weights).
        classifier_activation: the classifier's activation; ``"softmax"`` or None with pretrained weights.
        name: the model's name.

    Returns:
        A ``loom.Model``. Feed it images through ``inception_v3.preprocess_input``.
    """
    check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=299,
        min_size=75,
        data_format=image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    img_input = image_input(input_tensor, input_shape)
    axis = _channel_axis()
    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = MaxPooling2D((3, 3), strides=(2, 2))(x)

    x = _module_35(x, 32, "mixed0")
    x = _module_35(x, 64, "mixed1")
    x = _module_35(x, 64, "mixed2")

    branch3x3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    branch3x3dbl = conv2d_bn(x, 64, 1, 1)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = concatenate([branch3x3, branch3x3dbl, branch_pool], axis=axis, name="mixed3")

    x = _module_17(x, 128, "mixed4")
    x = _module_17(x, 160, "mixed5")
    x = _module_17(x, 160, "mixed6")
    x = _module_17(x, 192, "mixed7")

    branch3x3 = conv2d_bn(x, 192, 1, 1)
    branch3x3 = conv2d_bn(branch3x3, 320, 3, 3, strides=(2, 2), padding="valid")
    branch7x7x3 = conv2d_bn(x, 192, 1, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 1, 7)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 7, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = concatenate([branch3x3, branch7x7x3, branch_pool], axis=axis, name="mixed8")

    x = _module_8(x, 0)
    x = _module_8(x, 1)
    x = classify_or_pool(x, include_top, pooling, classes, classifier_activation, weights, top_pool_name="avg_pool")
    model = functional_model(input_tensor, img_input, x, name)
    origin = WEIGHTS_PATH if include_top else WEIGHTS_PATH_NO_TOP
    file_hash = WEIGHTS_HASHES[0 if include_top else 1]
    return load_weights(model, weights, origin.rsplit("/", 1)[1], origin, file_hash)


def preprocess_input(x, data_format=None):
    """Scale pixels from [0, 255] to [-1, 1], as InceptionV3's weights expect (``imagenet_utils``' "tf" mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per sample; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
