"""Wrapper: the base class of layers that hold one other layer and change how it is applied."""

from loom.layers.layer import Layer
from loom.layers.recurrent.rnn import prefix_variable_paths
from loom.layers.recurrent.serialization import deserialize_layer, serialize_layer


class Wrapper(Layer):
    """Base class of layers that wrap another layer (``SpectralNormalization``; in Keras also
    ``TimeDistributed`` and ``Bidirectional``). Subclass it and write ``call``.

    Building a wrapper builds the wrapped layer on the same input shape (unless it
    is built already), and its variables' paths start with the wrapper's name, as
    in Keras. The config holds the wrapped layer's config under ``"layer"``.

    Args:
        layer: the wrapped ``Layer``.

    Example:
        >>> class Doubled(Wrapper):
        ...     def call(self, inputs):
        ...         return 2 * self.layer(inputs)
        >>> Doubled(Dense(3))(np.ones((2, 4))).shape
        (2, 3)
    """

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise ValueError(  # noqa: TRY004 - the type Keras raises here
                f"{self.describe()}: `layer` must be a loom Layer instance, e.g. Dense(8); received {layer!r}."
            )
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
        prefix_variable_paths(self.layer, self.name)

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects)
        return cls(layer, **config)
