"""DenseNet 121, 169 and 201 (Huang et al., 2016): every layer of a dense block receives the
feature maps of all the layers before it (concatenated), and transition blocks halve the width
and the resolution between dense blocks.
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
    Concatenate,
    Conv2D,
    MaxPooling2D,
    ZeroPadding2D,
)

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"

# Layers per dense block, and the md5 of the published files (with the classifier, without it).
_VARIANTS = {
    "densenet121": ((6, 12, 24, 16), "9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738"),
    "densenet169": ((6, 12, 32, 32), "d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b"),
    "densenet201": ((6, 12, 48, 32), "1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1"),
}


def _bn_axis():
    return 3 if image_data_format() == "channels_last" else 1


def _batch_norm(name):
    return BatchNormalization(axis=_bn_axis(), epsilon=1.001e-5, name=name)


def dense_block(x, blocks, name):
    """``blocks`` conv blocks, each adding 32 channels."""
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    """Normalize, scale the width by ``reduction`` with a 1x1 convolution, halve the resolution."""
    x = _batch_norm(f"{name}_bn")(x)
    x = Activation("relu", name=f"{name}_relu")(x)
    x = Conv2D(int(x.shape[_bn_axis()] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def conv_block(x, growth_rate, name):
    """A 1x1 then 3x3 convolution (pre-activated) whose ``growth_rate`` outputs join ``x``."""
    x1 = _batch_norm(f"{name}_0_bn")(x)
    x1 = Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = _batch_norm(f"{name}_1_bn")(x1)
    x1 = Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x1)
    return Concatenate(axis=_bn_axis(), name=f"{name}_concat")([x, x1])


def DenseNet(
    blocks,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet",
):
    """A DenseNet with ``blocks[i]`` layers in dense block ``i``; the other arguments are
    ``DenseNet121``'s. ImageNet weights exist for the three published block counts."""
    if image_data_format() == "channels_first":
        raise ValueError(
            "DenseNet supports only the 'channels_last' image data format; call "
            "loom.config.set_image_data_format('channels_last') first."
        )
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
    x = ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _batch_norm("conv1_bn")(x)
    x = Activation("relu", name="conv1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks, start=2):
        x = dense_block(x, count, name=f"conv{stage}")
        if stage < 5:
            x = transition_block(x, 0.5, name=f"pool{stage}")
    x = _batch_norm("bn")(x)
    x = Activation("relu", name="relu")(x)
    x = classify_or_pool(
        x, include_top, pooling, classes, classifier_activation, weights, top_pool_name="avg_pool", named_pooling=True
    )
    model = functional_model(input_tensor, img_input, x, name)
    if weights != "imagenet":
        return load_weights(model, weights)
    variant = next((key for key, (counts, *_) in _VARIANTS.items() if tuple(blocks) == counts), None)
    if variant is None:
        raise ValueError(
            f"DenseNet: ImageNet weights exist for blocks {[list(v[0]) for v in _VARIANTS.values()]}; "
            f"received blocks={list(blocks)}. Pass weights=None."
        )
    suffix = "" if include_top else "_notop"
    file_name = f"{variant}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    file_hash = _VARIANTS[variant][1 if include_top else 2]
    return load_weights(model, weights, file_name, BASE_WEIGHTS_PATH + file_name, file_hash)


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
        A ``loom.Model``. Feed it images through ``densenet.preprocess_input``.
    """


def DenseNet121(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet121",
):
    return DenseNet(
        _VARIANTS["densenet121"][0],
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name=name,
    )


def DenseNet169(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet169",
):
    return DenseNet(
        _VARIANTS["densenet169"][0],
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name=name,
    )


def DenseNet201(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet201",
):
    return DenseNet(
        _VARIANTS["densenet201"][0],
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name=name,
    )


for _constructor in (DenseNet121, DenseNet169, DenseNet201):
    _constructor.__doc__ = _CONSTRUCTOR_DOC.format(model=_constructor.__name__)


def preprocess_input(x, data_format=None):
    """Pixels to [0, 1], then standardised with the ImageNet channel statistics (``imagenet_utils``'
    "torch" mode), as DenseNet's weights expect."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per sample; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
