"""ResNet V2 (He et al., 2016): ResNet50V2, ResNet101V2 and ResNet152V2, whose residual blocks
normalize and activate before each convolution ("pre-activation"); built by ``resnet.ResNet``.
"""

from loom.applications import imagenet_utils
from loom.applications.construction import channel_axis
from loom.applications.resnet import _CONSTRUCTOR_DOC, _DEPTHS, ResNet
from loom.layers import Activation, Add, BatchNormalization, Conv2D, MaxPooling2D, ZeroPadding2D


def _batch_norm(name):
    return BatchNormalization(axis=channel_axis(), epsilon=1.001e-5, name=name)


def residual_block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """A pre-activation bottleneck block; its stride sits in the 3x3 convolution, and the identity
    shortcut of a strided block is subsampled by a 1x1 max pooling."""
    preact = _batch_norm(f"{name}_preact_bn")(x)
    preact = Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = _batch_norm(f"{name}_1_bn")(x)
    x = Activation("relu", name=f"{name}_1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = Conv2D(filters, kernel_size, strides=stride, use_bias=False, name=f"{name}_2_conv")(x)
    x = _batch_norm(f"{name}_2_bn")(x)
    x = Activation("relu", name=f"{name}_2_relu")(x)
    x = Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(x, filters, blocks, stride1=2, name=None):
    """``blocks`` V2 blocks; the first widens, the last subsamples by ``stride1``."""
    x = residual_block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _stages_v2(depths):
    def stack_fn(x):
        x = stack_residual_blocks_v2(x, 64, depths[0], name="conv2")
        x = stack_residual_blocks_v2(x, 128, depths[1], name="conv3")
        x = stack_residual_blocks_v2(x, 256, depths[2], name="conv4")
        return stack_residual_blocks_v2(x, 512, depths[3], stride1=1, name="conv5")

    return stack_fn


def _resnet_v2(variant, include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name):
    return ResNet(
        _stages_v2(_DEPTHS[variant]),
        preact=True,
        use_bias=True,
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
        weights_name=f"{variant}v2",
    )


def ResNet50V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet50v2",
):
    return _resnet_v2(
        "resnet50", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def ResNet101V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet101v2",
):
    return _resnet_v2(
        "resnet101", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def ResNet152V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet152v2",
):
    return _resnet_v2(
        "resnet152", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


for _constructor in (ResNet50V2, ResNet101V2, ResNet152V2):
    _constructor.__doc__ = _CONSTRUCTOR_DOC.format(model=_constructor.__name__, module="resnet_v2")


def preprocess_input(x, data_format=None):
    """Scale pixels from [0, 255] to [-1, 1], as ResNet V2's weights expect (``imagenet_utils``' "tf" mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per sample; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
