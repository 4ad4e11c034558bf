"""VGG19: 16 convolutions in five blocks (2, 2, 4, 4, 4) and three dense layers; see ``vgg``."""

from loom.applications.vgg import CONSTRUCTOR_DOC, build_vgg, decode_predictions, load_vgg_weights, preprocess_input

__all__ = ["VGG19", "decode_predictions", "preprocess_input"]

# md5 of the published files: (with the classifier, without it).
WEIGHTS_HASHES = ("cbe5617147160e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6")


def VGG19(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="vgg19",
):
    model = build_vgg(
        (2, 2, 4, 4, 4), include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )
    return load_vgg_weights(model, weights, include_top, "vgg19", WEIGHTS_HASHES)


VGG19.__doc__ = CONSTRUCTOR_DOC.format(model="VGG19", module="vgg19")
