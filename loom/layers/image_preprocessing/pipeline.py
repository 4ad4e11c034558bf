"""Pipeline: preprocessing layers applied one after another, as one layer."""

from loom.layers.layer import Layer
from loom.layers.recurrent.serialization import deserialize_layer, serialize_layer


class Pipeline(Layer):
    """Runs ``layers`` in sequence: the output of each is the input of the next.

    Unlike a ``Sequential`` model it is a plain layer, made for preprocessing
    chains (e.g. inside a data pipeline or at the start of a model), and it
    passes ``training`` on to each layer. Dict inputs (``{"images", "labels",
    ...}``) flow through whole.

    Args:
        layers: the layers, in order.
        name: the layer's name.

    Example:
        >>> augment = Pipeline([RandomFlip(), RandomRotation(0.1)])
        >>> augment(np.zeros((2, 8, 8, 3)), training=False).shape
        (2, 8, 8, 3)
    """

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(layers, (list, tuple)) or not all(isinstance(layer, Layer) for layer in layers):
            raise TypeError(f"{self.describe()}: `layers` must be a list of layers; received layers={layers!r}.")
        self._pipeline_layers = list(layers)

    @property
    def layers(self) -> list:
        return list(self._pipeline_layers)

    def call(self, inputs, training=True):
        for layer in self._pipeline_layers:
            inputs = layer(inputs, training=training) if layer._call_has_training else layer(inputs)
        return inputs

    def get_config(self) -> dict:
        return {"layers": [serialize_layer(layer) for layer in self._pipeline_layers], "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise TypeError(
                f"A Pipeline config needs a `layers` list of serialized layers; received layers={layers!r}."
            )
        config = {**config, "layers": [deserialize_layer(layer, custom_objects) for layer in layers]}
        return cls(**config)
