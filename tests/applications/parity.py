"""Build an application in loom and in Keras with the same arguments and describe both the same way."""

import keras
import numpy as np

import loom
import loom.applications  # loom.__init__ does not import it yet


def structure(model):
    """Layer names and classes in order, the parameter count, and the output shape."""
    layers = [(layer.name, type(layer).__name__) for layer in model.layers]
    return layers, model.count_params(), tuple(model.output_shape)


def build_both(path: str, **kwargs):
    """``path`` as ``"mobilenet_v2.MobileNetV2"``: (loom's model, Keras's model), each built after
    clearing its session so that automatic layer names start from the same counters. loom's
    constructor is taken from its family module, Keras's from ``keras.applications``."""
    module, constructor = path.split(".")
    loom.backend.clear_session()
    ours = getattr(getattr(loom.applications, module), constructor)(**kwargs)
    keras.backend.clear_session()
    theirs = getattr(keras.applications, constructor)(**kwargs)
    return ours, theirs


def copy_weights(source, target):
    """Give ``target`` (loom) the weights of ``source`` (Keras), layer by layer by name."""
    for layer in source.layers:
        values = [np.asarray(w) for w in layer.get_weights()]
        if values:
            target.get_layer(layer.name).set_weights(values)
