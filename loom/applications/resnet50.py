"""``keras.applications.resnet50``'s names: ResNet50 with its preprocessing and decoding (see ``resnet``)."""

from loom.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "decode_predictions", "preprocess_input"]
