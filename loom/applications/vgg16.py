"""VGG16: 13 convolutions in five blocks (2, 2, 3, 3, 3) and three dense layers; see ``vgg``."""

from loom.applications.vgg import CONSTRUCTOR_DOC, build_vgg, decode_predictions, load_vgg_weights, preprocess_input

__all__ = ["VGG16", "decode_predictions", "preprocess_input"]

# md5 of the published files: (with the classifier, without it).
WEIGHTS_HASHES = ("64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc")


def VGG16(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="vgg16",
):
    model = build_vgg(
        (2, 2, 3, 3, 3), include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )
    return load_vgg_weights(model, weights, include_top, "vgg16", WEIGHTS_HASHES)


VGG16.__doc__ = CONSTRUCTOR_DOC.format(model="VGG16", module="vgg16")
