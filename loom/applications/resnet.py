"""ResNet (He et al., 2015): ResNet50, ResNet101 and ResNet152, bottleneck residual blocks with
batch normalization after each convolution. ``resnet_v2`` holds the pre-activation variant and
shares ``ResNet``, the builder both use.
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
from loom.layers import Activation, Add, BatchNormalization, Conv2D, MaxPooling2D, ZeroPadding2D

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"

# md5 of each published file: (with the classifier, without it).
WEIGHTS_HASHES = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}

# Residual blocks per stage (conv2 .. conv5).
_DEPTHS = {"resnet50": (3, 4, 6, 3), "resnet101": (3, 4, 23, 3), "resnet152": (3, 8, 36, 3)}


def _batch_norm(name):
    return BatchNormalization(axis=channel_axis(), epsilon=1.001e-5, name=name)


def ResNet(
    stack_fn,
    preact,
    use_bias,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet",
    weights_name=None,
):
    """A ResNet whose residual stages ``stack_fn(x)`` builds, between the shared 7x7 stem and the head.

    Args:
        stack_fn: a function of the stem's output returning the last stage's output.
        preact: pre-activation (V2) layout: no normalization after the stem, one before the head.
        use_bias: whether the stem's convolution has a bias.
        weights_name: the key of ``WEIGHTS_HASHES`` naming the published weights, e.g. ``"resnet50"``.

    The other arguments are those of ``ResNet50``.
    """
    check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=224,
        min_size=32,
        data_format=image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    img_input = image_input(input_tensor, input_shape)
    x = ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = _batch_norm("conv1_bn")(x)
        x = Activation("relu", name="conv1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack_fn(x)
    if preact:
        x = _batch_norm("post_bn")(x)
        x = Activation("relu", name="post_relu")(x)
    x = classify_or_pool(
        x, include_top, pooling, classes, classifier_activation, weights, top_pool_name="avg_pool", named_pooling=True
    )
    model = functional_model(input_tensor, img_input, x, name)
    if weights == "imagenet" and weights_name not in WEIGHTS_HASHES:
        return model  # Keras publishes no weights for this variant either
    suffix = "" if include_top else "_notop"
    file_name = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    file_hash = WEIGHTS_HASHES.get(weights_name, (None, None))[0 if include_top else 1]
    return load_weights(model, weights, file_name, BASE_WEIGHTS_PATH + file_name, file_hash)


def residual_block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """A bottleneck block: 1x1 (strided), ``kernel_size``, 1x1 (4x wider) convolutions plus a shortcut."""
    if conv_shortcut:
        shortcut = Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _batch_norm(f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = _batch_norm(f"{name}_1_bn")(x)
    x = Activation("relu", name=f"{name}_1_relu")(x)
    x = Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = _batch_norm(f"{name}_2_bn")(x)
    x = Activation("relu", name=f"{name}_2_relu")(x)
    x = Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = _batch_norm(f"{name}_3_bn")(x)
    x = Add(name=f"{name}_add")([shortcut, x])
    return Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(x, filters, blocks, stride1=2, name=None):
    """``blocks`` V1 blocks; the first changes width (and resolution by ``stride1``)."""
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def _stages_v1(depths):
    def stack_fn(x):
        x = stack_residual_blocks_v1(x, 64, depths[0], stride1=1, name="conv2")
        x = stack_residual_blocks_v1(x, 128, depths[1], name="conv3")
        x = stack_residual_blocks_v1(x, 256, depths[2], name="conv4")
        return stack_residual_blocks_v1(x, 512, depths[3], name="conv5")

    return stack_fn


def _resnet_v1(variant, include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name):
    return ResNet(
        _stages_v1(_DEPTHS[variant]),
        preact=False,
        use_bias=True,
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
        weights_name=variant,
    )


_CONSTRUCTOR_DOC = """{model} for images of at least 32x32 (224x224 by default).

    Args:
        include_top: end with the 1000-way (``classes``) classifier.
        weights: None (random initialization), ``"imagenet"`` or the path of a weights file.
        input_tensor: a symbolic tensor to build the model on, instead of a new ``Input``.
        input_shape: the image shape without the batch dimension (``(224, 224, 3)`` with the
            ImageNet classifier); with ``include_top=False`` any size from 32x32, or None sides.
        pooling: with ``include_top=False``: None (the 4-D feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 for the ImageNet weights).
        classifier_activation: the classifier's activation; ``"softmax"`` or None with pretrained weights.
        name: the model's name.

    Returns:
        A ``loom.Model``. Feed it images through ``{module}.preprocess_input``.
    """


def ResNet50(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet50",
):
    return _resnet_v1(
        "resnet50", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def ResNet101(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet101",
):
    return _resnet_v1(
        "resnet101", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def ResNet152(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet152",
):
    return _resnet_v1(
        "resnet152", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


for _constructor in (ResNet50, ResNet101, ResNet152):
    _constructor.__doc__ = _CONSTRUCTOR_DOC.format(model=_constructor.__name__, module="resnet")


def preprocess_input(x, data_format=None):
    """RGB to BGR, then minus the ImageNet channel means (``imagenet_utils``' "caffe" mode), as
    ResNet's weights expect."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per sample; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
