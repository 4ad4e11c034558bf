"""TimeDistributed: applies a layer to every timestep of a sequence."""

import jax
import jax.numpy as jnp

from loom.layers.layer import Layer
from loom.layers.recurrent.rnn import prefix_variable_paths
from loom.layers.recurrent.serialization import deserialize_layer, serialize_layer


class TimeDistributed(Layer):
    """Applies ``layer`` to each timestep of ``(batch, time, ...)`` inputs, with shared weights.

    The time axis is folded into the batch, the layer runs once on
    ``(batch * time, ...)``, and the result is unfolded, so the work is one
    call, not one per step.

    Args:
        layer: the layer applied to each ``(batch, ...)`` slice.

    Call arguments:
        inputs: ``(batch, time, ...)``.
        training: passed to the layer.
        mask: ``(batch, time, ...)`` booleans, passed (folded) to a layer that takes one.

    Example:
        >>> TimeDistributed(Dense(8))(Input((10, 16))).shape
        (None, 10, 8)
    """

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise TypeError(f"{self.describe()}: `layer` must be a Layer instance, e.g. Dense(8); received {layer!r}.")
        self.layer = layer
        self.supports_masking = True

    def _child_shape(self, input_shape) -> tuple:
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) < 3:
            raise ValueError(
                f"{self.describe()} needs inputs of rank >= 3 (batch, time, ...); received input shape "
                f"{input_shape}. Add a time axis, e.g. with Reshape or RepeatVector."
            )
        return (input_shape[0],) + tuple(input_shape[2:])

    def build(self, input_shape):
        child_shape = self._child_shape(tuple(input_shape))
        if not self.layer.built:
            self.layer.build(child_shape)
        prefix_variable_paths(self.layer, self.name)

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_shape(tuple(input_shape)))
        return (child[0], input_shape[1]) + tuple(child[1:])

    def call(self, inputs, training=None, mask=None):
        batch, steps = inputs.shape[0], inputs.shape[1]
        kwargs = {}
        if self.layer._call_has_training:
            kwargs["training"] = training
        if self.layer._call_has_mask and mask is not None:
            kwargs["mask"] = jnp.reshape(mask, (batch * steps,) + mask.shape[2:])
        outputs = self.layer(jnp.reshape(inputs, (batch * steps,) + inputs.shape[2:]), **kwargs)
        return jax.tree_util.tree_map(lambda o: jnp.reshape(o, (batch, steps) + o.shape[1:]), outputs)

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects)
        return cls(layer, **config)
