"""The steps every application constructor shares: checking ``weights``, making the image input,
finishing the network (classifier or pooling), and loading the published ImageNet weights.

Keras's application weight files are tf.keras 2 ``.h5`` files; ``Model.load_weights`` recognises
that layout and matches them to the model's layers in order.
"""

import os

from loom.applications import imagenet_utils
from loom.config.defaults import image_data_format
from loom.layers import Dense, GlobalAveragePooling2D, GlobalMaxPooling2D, Input
from loom.models import Model
from loom.utils.file_download import get_file
from loom.utils.symbolic import get_source_inputs, is_keras_tensor


def check_weights(weights, include_top: bool, classes: int) -> None:
    """Refuse a ``weights`` value that is neither None, ``"imagenet"`` nor an existing file, and
    ImageNet classifier weights for another number of classes.

    Raises:
        ValueError: naming the value received and the accepted ones.
    """
    if not (weights in ("imagenet", None) or (isinstance(weights, (str, os.PathLike)) and os.path.exists(weights))):
        raise ValueError(
            "`weights` must be None (random initialization), 'imagenet' (pre-training on ImageNet) "
            f"or the path of an existing weights file; received weights={weights!r}."
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            "The ImageNet classifier has 1000 classes; with weights='imagenet' and include_top=True, "
            f"classes must be 1000, received classes={classes}. Pass include_top=False and add your own head."
        )


def image_input(input_tensor, input_shape):
    """The model's image input: a new ``Input`` of ``input_shape``, or ``input_tensor`` itself when it is a
    symbolic tensor (the model then starts from that tensor's own inputs), or a constant input made
    from an array."""
    if input_tensor is None:
        return Input(shape=input_shape)
    if is_keras_tensor(input_tensor):
        return input_tensor
    return Input(tensor=input_tensor, shape=input_shape)


def channel_axis() -> int:
    return 1 if image_data_format() == "channels_first" else -1


def classify_or_pool(
    x, include_top, pooling, classes, classifier_activation, weights, top_pool_name=None, named_pooling=False
):
    """Finish the network: global average pooling and a ``Dense`` named ``predictions``, or with
    ``include_top=False`` the optional global ``pooling`` (``"avg"`` or ``"max"``).

    Layer names follow each Keras model: ``top_pool_name`` names the classifier's pooling, and
    ``named_pooling`` names the feature pooling ``avg_pool`` / ``max_pool`` (else automatic names).
    """
    if include_top:
        x = GlobalAveragePooling2D(name=top_pool_name)(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        return Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return GlobalAveragePooling2D(name="avg_pool" if named_pooling else None)(x)
    if pooling == "max":
        return GlobalMaxPooling2D(name="max_pool" if named_pooling else None)(x)
    return x


def functional_model(input_tensor, img_input, outputs, name: str):
    """The finished ``Model``; its inputs are the sources of ``input_tensor`` when one was given."""
    inputs = get_source_inputs(input_tensor) if is_keras_tensor(input_tensor) else img_input
    return Model(inputs, outputs, name=name)


def load_weights(model, weights, file_name=None, origin=None, file_hash=None):
    """Load ``weights`` into ``model``: the published file (fetched into ``<cache>/models`` once)
    for ``"imagenet"``, or the user's file for a path; nothing for None."""
    if weights == "imagenet":
        path = get_file(file_name, origin, cache_subdir="models", file_hash=file_hash)
        model.load_weights(path)
    elif weights is not None:
        model.load_weights(weights)
    return model
