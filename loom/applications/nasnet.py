"""NASNet Mobile and Large (Zoph et al., 2017): "normal" and "reduction" cells found by
architecture search, each combining the two previous cells' outputs through separable
convolutions, poolings and additions, stacked ``num_blocks`` deep between reductions.
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
from loom.layers import (
    Activation,
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Cropping2D,
    MaxPooling2D,
    SeparableConv2D,
    ZeroPadding2D,
    add,
    concatenate,
)

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/nasnet/"
# (cached name, published name, md5) of each published file.
_WEIGHT_FILES = {
    (224, True): ("nasnet_mobile.h5", "NASNet-mobile.h5", "020fb642bf7360b370c678b08e0adf61"),
    (224, False): ("nasnet_mobile_no_top.h5", "NASNet-mobile-no-top.h5", "1ed92395b5b598bdda52abe5c0dbfd63"),
    (331, True): ("nasnet_large.h5", "NASNet-large.h5", "11577c9a518f0070763c2b964a382f17"),
    (331, False): ("nasnet_large_no_top.h5", "NASNet-large-no-top.h5", "d81d89dc07e6e56530c4e77faddd61b5"),
}


def _batch_norm(name):
    return BatchNormalization(axis=-1, momentum=0.9997, epsilon=1e-3, name=name)


def _conv1x1(filters, name):
    return Conv2D(filters, (1, 1), padding="same", use_bias=False, name=name, kernel_initializer="he_normal")


def _separable_conv_block(ip, filters, kernel_size=(3, 3), strides=(1, 1), block_id=None):
    """ReLU, separable convolution (strided and padded like TensorFlow), batch norm, twice."""
    x = Activation("relu")(ip)
    if strides == (2, 2):
        x = ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size), name=f"separable_conv_1_pad_{block_id}")(
            x
        )
    x = SeparableConv2D(
        filters,
        kernel_size,
        strides=strides,
        name=f"separable_conv_1_{block_id}",
        padding="valid" if strides == (2, 2) else "same",
        use_bias=False,
    )(x)
    x = _batch_norm(f"separable_conv_1_bn_{block_id}")(x)
    x = Activation("relu")(x)
    x = SeparableConv2D(filters, kernel_size, name=f"separable_conv_2_{block_id}", padding="same", use_bias=False)(x)
    return _batch_norm(f"separable_conv_2_bn_{block_id}")(x)


def _adjust_block(p, ip, filters, block_id=None):
    """The previous cell's output ``p`` brought to the resolution and width of ``ip``."""
    if p is None:
        return ip
    if p.shape[-2] != ip.shape[-2]:  # halve the resolution with two offset 1x1 paths
        p = Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
        p1 = AveragePooling2D((1, 1), strides=(2, 2), padding="valid", name=f"adjust_avg_pool_1_{block_id}")(p)
        p1 = _conv1x1(filters // 2, f"adjust_conv_1_{block_id}")(p1)
        p2 = ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
        p2 = Cropping2D(cropping=((1, 0), (1, 0)))(p2)
        p2 = AveragePooling2D((1, 1), strides=(2, 2), padding="valid", name=f"adjust_avg_pool_2_{block_id}")(p2)
        p2 = _conv1x1(filters // 2, f"adjust_conv_2_{block_id}")(p2)
        p = concatenate([p1, p2], axis=-1)
        return _batch_norm(f"adjust_bn_{block_id}")(p)
    if p.shape[-1] != filters:
        p = Activation("relu")(p)
        p = _conv1x1(filters, f"adjust_conv_projection_{block_id}")(p)
        return _batch_norm(f"adjust_bn_{block_id}")(p)
    return p


def _normal_a_cell(ip, p, filters, block_id=None):
    p = _adjust_block(p, ip, filters, block_id)
    h = Activation("relu")(ip)
    h = _conv1x1(filters, f"normal_conv_1_{block_id}")(h)
    h = _batch_norm(f"normal_bn_1_{block_id}")(h)
    x1_1 = _separable_conv_block(h, filters, kernel_size=(5, 5), block_id=f"normal_left1_{block_id}")
    x1_2 = _separable_conv_block(p, filters, block_id=f"normal_right1_{block_id}")
    x1 = add([x1_1, x1_2], name=f"normal_add_1_{block_id}")
    x2_1 = _separable_conv_block(p, filters, (5, 5), block_id=f"normal_left2_{block_id}")
    x2_2 = _separable_conv_block(p, filters, (3, 3), block_id=f"normal_right2_{block_id}")
    x2 = add([x2_1, x2_2], name=f"normal_add_2_{block_id}")
    x3 = AveragePooling2D((3, 3), strides=(1, 1), padding="same", name=f"normal_left3_{block_id}")(h)
    x3 = add([x3, p], name=f"normal_add_3_{block_id}")
    x4_1 = AveragePooling2D((3, 3), strides=(1, 1), padding="same", name=f"normal_left4_{block_id}")(p)
    x4_2 = AveragePooling2D((3, 3), strides=(1, 1), padding="same", name=f"normal_right4_{block_id}")(p)
    x4 = add([x4_1, x4_2], name=f"normal_add_4_{block_id}")
    x5 = _separable_conv_block(h, filters, block_id=f"normal_left5_{block_id}")
    x5 = add([x5, h], name=f"normal_add_5_{block_id}")
    x = concatenate([p, x1, x2, x3, x4, x5], axis=-1, name=f"normal_concat_{block_id}")
    return x, ip


def _reduction_a_cell(ip, p, filters, block_id=None):
    p = _adjust_block(p, ip, filters, block_id)
    h = Activation("relu")(ip)
    h = _conv1x1(filters, f"reduction_conv_1_{block_id}")(h)
    h = _batch_norm(f"reduction_bn_1_{block_id}")(h)
    h3 = ZeroPadding2D(padding=imagenet_utils.correct_pad(h, 3), name=f"reduction_pad_1_{block_id}")(h)
    x1_1 = _separable_conv_block(h, filters, (5, 5), strides=(2, 2), block_id=f"reduction_left1_{block_id}")
    x1_2 = _separable_conv_block(p, filters, (7, 7), strides=(2, 2), block_id=f"reduction_right1_{block_id}")
    x1 = add([x1_1, x1_2], name=f"reduction_add_1_{block_id}")
    x2_1 = MaxPooling2D((3, 3), strides=(2, 2), padding="valid", name=f"reduction_left2_{block_id}")(h3)
    x2_2 = _separable_conv_block(p, filters, (7, 7), strides=(2, 2), block_id=f"reduction_right2_{block_id}")
    x2 = add([x2_1, x2_2], name=f"reduction_add_2_{block_id}")
    x3_1 = AveragePooling2D((3, 3), strides=(2, 2), padding="valid", name=f"reduction_left3_{block_id}")(h3)
    x3_2 = _separable_conv_block(p, filters, (5, 5), strides=(2, 2), block_id=f"reduction_right3_{block_id}")
    x3 = add([x3_1, x3_2], name=f"reduction_add3_{block_id}")
    x4 = AveragePooling2D((3, 3), strides=(1, 1), padding="same", name=f"reduction_left4_{block_id}")(x1)
    x4 = add([x2, x4])
    x5_1 = _separable_conv_block(x1, filters, (3, 3), block_id=f"reduction_left4_{block_id}")
    x5_2 = MaxPooling2D((3, 3), strides=(2, 2), padding="valid", name=f"reduction_right5_{block_id}")(h3)
    x5 = add([x5_1, x5_2], name=f"reduction_add4_{block_id}")
    x = concatenate([x2, x3, x4, x5], axis=-1, name=f"reduction_concat_{block_id}")
    return x, ip


def NASNet(
    input_shape=None,
    penultimate_filters=4032,
    num_blocks=6,
    stem_block_filters=96,
    skip_reduction=True,
    filter_multiplier=2,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    default_size=None,
    classifier_activation="softmax",
    name="NASNet",
):
    """A NASNet-A; ``NASNetMobile`` and ``NASNetLarge`` fix the published settings.

    Args:
        penultimate_filters: the width of the last cells; a multiple of 24 * filter_multiplier**2.
        num_blocks: normal cells between reductions.
        stem_block_filters: the width of the stem convolution.
        skip_reduction: whether the cells after a reduction skip its input (Large) or see it (Mobile).
        filter_multiplier: the width factor of each reduction.
        default_size: the image side (224: Mobile's weights, 331: Large's; None: 331).

    The other arguments are those of ``NASNetMobile``.
    """
    if image_data_format() == "channels_first":
        raise ValueError(
            "NASNet supports only the 'channels_last' image data format; call "
            "loom.config.set_image_data_format('channels_last') first."
        )
    check_weights(weights, include_top, classes)
    if isinstance(input_shape, tuple) and None in input_shape and weights == "imagenet":
        raise ValueError(
            f"NASNet with ImageNet weights needs a static input_shape (no None); received input_shape={input_shape}."
        )
    default_size = 331 if default_size is None else default_size
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=default_size,
        min_size=32,
        data_format=image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    img_input = image_input(input_tensor, input_shape)
    if penultimate_filters % (24 * (filter_multiplier**2)) != 0:
        raise ValueError(
            "NASNet: penultimate_filters must be a multiple of 24 * filter_multiplier**2 = "
            f"{24 * filter_multiplier**2}; received penultimate_filters={penultimate_filters}."
        )
    filters = penultimate_filters // 24
    x = Conv2D(
        stem_block_filters,
        (3, 3),
        strides=(2, 2),
        padding="valid",
        use_bias=False,
        name="stem_conv1",
        kernel_initializer="he_normal",
    )(img_input)
    x = _batch_norm("stem_bn1")(x)
    p = None
    x, p = _reduction_a_cell(x, p, filters // (filter_multiplier**2), block_id="stem_1")
    x, p = _reduction_a_cell(x, p, filters // filter_multiplier, block_id="stem_2")
    for stage in range(3):
        width = filters * filter_multiplier**stage
        if stage:
            x, p0 = _reduction_a_cell(x, p, width, block_id=f"reduce_{stage * num_blocks}")
            p = p if skip_reduction else p0
        for i in range(num_blocks):
            x, p = _normal_a_cell(x, p, width, block_id=f"{stage * num_blocks + i + (1 if stage else 0)}")
    x = Activation("relu")(x)
    x = classify_or_pool(x, include_top, pooling, classes, classifier_activation, weights)
    model = functional_model(input_tensor, img_input, x, name)
    if weights == "imagenet" and (default_size, True) not in _WEIGHT_FILES:
        raise ValueError(
            f"NASNet: ImageNet weights exist for NASNetMobile (224) and NASNetLarge (331); received "
            f"default_size={default_size}."
        )
    cached, published, file_hash = _WEIGHT_FILES.get((default_size, bool(include_top)), (None, None, None))
    origin = None if published is None else BASE_WEIGHTS_PATH + published
    return load_weights(model, weights, cached, origin, file_hash)


def NASNetMobile(
    input_shape=None,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="nasnet_mobile",
):
    """NASNetMobile for images of at least 32x32 (224x224 by default).

    Args:
        input_shape: the image shape without the batch dimension; ``(224, 224, 3)`` by default.
        include_top: end with the ``classes``-way classifier.
        weights: None (random initialization), ``"imagenet"`` or the path of a weights file.
        input_tensor: a symbolic tensor to build the model on, instead of a new ``Input``.
        pooling: with ``include_top=False``: None (the 4-D feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 for the ImageNet weights).
        classifier_activation: the classifier's activation; ``"softmax"`` or None with pretrained weights.
        name: the model's name.

    Returns:
        A ``loom.Model``. Feed it images through ``nasnet.preprocess_input``.
    """
    if not include_top and input_shape is None:
        input_shape = (224, 224, 3)
    return NASNet(
        input_shape,
        penultimate_filters=1056,
        num_blocks=4,
        stem_block_filters=32,
        skip_reduction=False,
        filter_multiplier=2,
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        pooling=pooling,
        classes=classes,
        default_size=224,
        classifier_activation=classifier_activation,
        name=name,
    )


def NASNetLarge(
    input_shape=None,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="nasnet_large",
):
    """NASNetLarge for images of at least 32x32 (331x331 by default); arguments as ``NASNetMobile``'s."""
    return NASNet(
        input_shape,
        penultimate_filters=4032,
        num_blocks=6,
        stem_block_filters=96,
        skip_reduction=True,
        filter_multiplier=2,
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        pooling=pooling,
        classes=classes,
        default_size=331,
        classifier_activation=classifier_activation,
        name=name,
    )


def preprocess_input(x, data_format=None):
    """Scale pixels from [0, 255] to [-1, 1] (``imagenet_utils``' "tf" mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per sample; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
