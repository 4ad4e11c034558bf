"""VGG (Simonyan & Zisserman, 2014): five blocks of 3x3 convolutions, each ending in a 2x2 max
pooling, then two 4096-wide dense layers. ``vgg16`` and ``vgg19`` differ only in how many
convolutions the last three blocks hold.
"""

from loom.applications import imagenet_utils
from loom.applications.construction import check_weights, classify_or_pool, functional_model, image_input
from loom.applications.construction import load_weights as _load_weights
from loom.config.defaults import image_data_format
from loom.layers import Conv2D, Dense, Flatten, MaxPooling2D

_WIDTHS = (64, 128, 256, 512, 512)


def build_vgg(
    convs_per_block, include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
):
    """A VGG with ``convs_per_block[i]`` convolutions in block ``i + 1``; returns the model before
    any weights are loaded."""
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
    x = img_input
    for block, (width, convs) in enumerate(zip(_WIDTHS, convs_per_block), start=1):
        for conv in range(1, convs + 1):
            x = Conv2D(width, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{conv}")(x)
        x = MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = Flatten(name="flatten")(x)
        x = Dense(4096, activation="relu", name="fc1")(x)
        x = Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = classify_or_pool(x, False, pooling, classes, classifier_activation, weights)
    return functional_model(input_tensor, img_input, x, name)


def load_vgg_weights(model, weights, include_top, base_name, hashes):
    """Load ``weights``; ``"imagenet"`` fetches ``<base_name>_weights_tf_dim_ordering_tf_kernels[_notop].h5``."""
    suffix = "" if include_top else "_notop"
    file_name = f"{base_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    origin = f"https://storage.googleapis.com/tensorflow/keras-applications/{base_name}/{file_name}"
    return _load_weights(model, weights, file_name, origin, hashes[0 if include_top else 1])


CONSTRUCTOR_DOC = """{model} for images of at least 32x32 (224x224 by default).

    Args:
        include_top: end with the two 4096-wide dense layers and the ``classes``-way classifier.
        weights: None (random initialization), ``"imagenet"`` or the path of a weights file.
        input_tensor: a symbolic tensor to build the model on, instead of a new ``Input``.
        input_shape: the image shape without the batch dimension (``(224, 224, 3)`` with the
            classifier and ImageNet weights); with ``include_top=False`` any size from 32x32.
        pooling: with ``include_top=False``: None (the 4-D feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 for the ImageNet weights).
        classifier_activation: the classifier's activation; ``"softmax"`` or None with pretrained weights.
        name: the model's name.

    Returns:
        A ``loom.Model``. Feed it images through ``{module}.preprocess_input`` ("caffe" mode:
        BGR, minus the ImageNet channel means).
    """


def preprocess_input(x, data_format=None):
    """RGB to BGR, then minus the ImageNet channel means (``imagenet_utils``' "caffe" mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per sample; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
