"""Bidirectional: runs a recurrent layer forwards and a copy backwards, and merges the two."""

import jax
import jax.numpy as jnp

from loom.layers.layer import Layer
from loom.layers.recurrent.cell import state_shapes_of
from loom.layers.recurrent.rnn import prefix_variable_paths
from loom.layers.recurrent.serialization import deserialize_layer, serialize_layer

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _copy_layer(layer, name: str, **overrides):
    """A fresh, unbuilt layer with ``layer``'s config, a new name and ``overrides``."""
    config = {**layer.get_config(), "name": name, **overrides}
    return type(layer).from_config(config)


def _without_prefix(name: str, prefix: str) -> str:
    return name[len(prefix) :] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Wraps a recurrent layer to read the sequence in both directions.

    The forward layer is a copy of ``layer`` named ``forward_<name>``; the
    backward one a copy with ``go_backwards=True`` named ``backward_<name>``
    (or ``backward_layer``). Weights are the forward layer's, then the
    backward layer's, as Keras's. With ``return_sequences`` the backward
    outputs are flipped back into time order before merging, and masked
    steps output zeros in both directions.

    Args:
        layer: an ``RNN`` (``LSTM``, ``GRU``, ...).
        merge_mode: "concat" (default), "sum", "mul", "ave", or None to
            return the two outputs separately.
        backward_layer: optional layer for the backward direction; it must
            have ``go_backwards`` opposite to ``layer``'s and the same
            ``return_sequences``, ``return_state`` and ``stateful``.

    Call arguments:
        sequences, mask, training: as ``RNN``.
        initial_state: the forward layer's states followed by the backward
            layer's.

    Example:
        >>> Bidirectional(LSTM(8))(Input((20, 4))).shape
        (None, 16)
    """

    def __init__(self, layer, merge_mode: str | None = "concat", backward_layer=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise TypeError(
                f"{self.describe()}: `layer` must be a recurrent layer instance (e.g. LSTM(32)); received {layer!r}."
            )
        if backward_layer is not None and not (
            isinstance(backward_layer, Layer) and hasattr(backward_layer, "go_backwards")
        ):
            raise TypeError(
                f"{self.describe()}: `backward_layer` must be a recurrent layer instance; received {backward_layer!r}."
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"{self.describe()}: `merge_mode` must be one of 'concat', 'sum', 'mul', 'ave' or None; "
                f"received merge_mode={merge_mode!r}."
            )
        self.forward_layer = _copy_layer(layer, "forward_" + _without_prefix(layer.name, "forward_"))
        if backward_layer is None:
            backward_layer = _copy_layer(
                layer, "backward_" + _without_prefix(layer.name, "backward_"), go_backwards=not layer.go_backwards
            )
        self.backward_layer = backward_layer
        self._check_directions()
        for direction in (self.forward_layer, self.backward_layer):
            if hasattr(direction, "zero_output_for_mask"):
                # As Keras: masked steps give zeros, so the merged outputs at padding are zeros too.
                direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self.stateful = self.forward_layer.stateful
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def _check_directions(self) -> None:
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                f"{self.describe()}: the forward and backward layers must read in opposite directions; both have "
                f"go_backwards={forward.go_backwards}. Give backward_layer go_backwards={not forward.go_backwards}."
            )
        for attribute in ("stateful", "return_sequences", "return_state"):
            if getattr(forward, attribute) != getattr(backward, attribute):
                raise ValueError(
                    f"{self.describe()}: the forward and backward layers must agree on `{attribute}`; received "
                    f"{getattr(forward, attribute)} (forward) and {getattr(backward, attribute)} (backward)."
                )

    def build(self, sequences_shape):
        for direction in (self.forward_layer, self.backward_layer):
            if not direction.built:
                direction.build(tuple(sequences_shape))
            prefix_variable_paths(direction, self.name)

    def _state_count(self) -> int:
        shapes = state_shapes_of(self.forward_layer.cell, None)
        return len(jax.tree_util.tree_leaves(shapes, is_leaf=lambda s: isinstance(s, tuple)))

    def compute_output_shape(self, sequences_shape):
        output = self.forward_layer.compute_output_shape(tuple(sequences_shape))
        states = ()
        if self.return_state:
            output, states = output[0], tuple(output[1:])
        if self.merge_mode == "concat":
            last = None if output[-1] is None else output[-1] * 2
            outputs = (tuple(output[:-1]) + (last,),)
        elif self.merge_mode is None:
            outputs = (output, output)
        else:
            outputs = (output,)
        if self.return_state:
            return outputs + states + states
        return outputs[0] if len(outputs) == 1 else outputs

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        masks = [output_mask] * (2 if self.merge_mode is None else 1)
        if self.return_state:
            masks += [None] * (2 * self._state_count())
        return masks[0] if len(masks) == 1 else masks

    def call(self, sequences, initial_state=None, mask=None, training=None):
        kwargs = {}
        if self.forward_layer._call_has_training:
            kwargs["training"] = training
        if self.forward_layer._call_has_mask:
            kwargs["mask"] = mask
        forward_kwargs, backward_kwargs = dict(kwargs), dict(kwargs)
        if initial_state is not None:
            initial_state = list(initial_state)
            half = len(initial_state) // 2
            forward_kwargs["initial_state"] = initial_state[:half]
            backward_kwargs["initial_state"] = initial_state[half:]
        y = self.forward_layer(sequences, **forward_kwargs)
        y_rev = self.backward_layer(sequences, **backward_kwargs)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = jnp.flip(y_rev, axis=1)  # back into time order
        if self.merge_mode == "concat":
            output = (jnp.concatenate([y, y_rev], axis=-1),)
        elif self.merge_mode == "sum":
            output = (y + y_rev,)
        elif self.merge_mode == "ave":
            output = ((y + y_rev) / 2,)
        elif self.merge_mode == "mul":
            output = (y * y_rev,)
        else:
            output = (y, y_rev)
        if self.return_state:
            return output + states
        return output[0] if len(output) == 1 else output

    @property
    def states(self):
        forward, backward = self.forward_layer.states, self.backward_layer.states
        if forward and backward:
            return tuple(forward) + tuple(backward)
        return None

    def reset_states(self, states=None) -> None:
        if not self.stateful:
            raise AttributeError(f"{self.describe()} is not stateful, so it has no states to reset.")
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
            return
        states = list(states)
        half = len(states) // 2
        self.forward_layer.reset_states(states[:half])
        self.backward_layer.reset_states(states[half:])

    reset_state = reset_states

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_layer(self.forward_layer),
            "backward_layer": serialize_layer(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize_layer(config["backward_layer"], custom_objects)
        return cls(**config)
