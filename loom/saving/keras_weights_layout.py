"""Where Keras 3 keeps each variable of a model in a ``.weights.h5`` file: loom's layers at Keras's paths.

Keras's ``saving_lib`` walks a model's saveable objects and gives each the
group ``<path>/vars``, holding its own variables as datasets ``0``, ``1``, ...
in the order ``trainable + non-trainable`` (creation order within each):

- the model itself is ``vars`` (no datasets for a functional model);
- a functional or Sequential model's layers are ``layers/<class>``,
  ``layers/<class>_1``, ... (snake-case class name, counted within the list;
  Sequential leaves its InputLayer out, which changes no other name);
- a sublayer held in an attribute is ``<path>/<attribute>`` (LSTM's ``cell``,
  Bidirectional's ``forward_layer`` / ``backward_layer``, TimeDistributed's
  ``layer``), where Keras visits public attributes before private ones, so
  MultiHeadAttention's ``_query_dense`` is reached as ``query_dense``;
- layers in a list or dict attribute are ``<path>/<attribute>/<class>`` and
  ``.../<class>_1`` (StackedRNNCells's ``cells``);
- a layer met twice (shared) is written at its first place only;
- the optimizer is ``optimizer``: its variables in its own order (iterations,
  the learning rate unless it is a schedule, then the slots per variable).

Random-generator states and stateful RNN states are not weights, and Keras
writes neither.
"""

import dataclasses

from loom.layers.layer import _UNTRACKED, Layer
from loom.saving.variable_paths import _Counter, _item_name

# loom attribute -> the name Keras's walk reaches that sublayer by (a public property
# over the private attribute), per class.
_KERAS_ATTRIBUTE_NAMES = {
    "MultiHeadAttention": {
        "_query_dense": "query_dense",
        "_key_dense": "key_dense",
        "_value_dense": "value_dense",
        "_output_dense": "output_dense",
    },
}
# Attributes every layer has; none holds a sublayer Keras would save.
_BASE_ATTRIBUTES = frozenset(vars(Layer())) | _UNTRACKED


@dataclasses.dataclass(frozen=True)
class Slot:
    """One saveable object of the file: its path, name (the group's ``name`` attribute) and variables.

    Attributes:
        path: ``""`` for the model, ``"layers/dense"``, ``"optimizer"``, ...
        name: the object's own name.
        variables: its variables, in the order Keras numbers them.
    """

    path: str
    name: str
    variables: tuple

    @property
    def group(self) -> str:
        """The group holding the datasets, absolute (``/layers/dense/vars``)."""
        return f"/{self.path}/vars" if self.path else "/vars"

    def dataset(self, index: int) -> str:
        return f"{self.group}/{index}"


def _keras_attribute(layer, attribute: str) -> str:
    for cls in type(layer).__mro__:
        renamed = _KERAS_ATTRIBUTE_NAMES.get(cls.__name__, {}).get(attribute)
        if renamed is not None:
            return renamed
    return attribute


def _walk_order(name: str) -> str:
    """Keras visits attributes sorted by name, private ones (``_x``) last."""
    return f"~{name}" if name.startswith("_") else name


def _holds_layers(value) -> bool:
    if isinstance(value, Layer):
        return True
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, (list, tuple)) and any(_holds_layers(item) for item in value)


def _is_graph_model(layer) -> bool:
    return hasattr(layer, "_layer_names") and "_operations" in vars(layer)


def _children(layer) -> list:
    """``(Keras name, value)`` for the sublayers (and lists of them) of ``layer``, in Keras's visiting order."""
    if _is_graph_model(layer):
        return [("layers", list(layer.layers))]
    found = [
        (_keras_attribute(layer, attribute), value)
        for attribute, value in vars(layer).items()
        if attribute not in _BASE_ATTRIBUTES and value is not layer and _holds_layers(value)
    ]
    return sorted(found, key=lambda item: _walk_order(item[0]))


def _own_variables(layer) -> tuple:
    own = layer._own_variables
    return tuple([v for v in own if v.trainable] + [v for v in own if not v.trainable])


class _Walker:
    def __init__(self):
        # Keyed by id, holding the objects: a list built for the walk (a Sequential's layers) and
        # freed afterwards could otherwise hand its id to a later list, which would be skipped.
        self.slots, self._visited, self._containers = [], {}, {}

    def layer(self, layer, path: str) -> None:
        if id(layer) in self._visited:
            return
        self._visited[id(layer)] = layer
        self.slots.append(Slot(path, layer.name, _own_variables(layer)))
        for name, value in _children(layer):
            child = f"{path}/{name}" if path else name
            if isinstance(value, Layer):
                self.layer(value, child)
            else:
                self.container(value, child)

    def container(self, container, path: str) -> None:
        if id(container) in self._containers:
            return
        self._containers[id(container)] = container
        items = list(container.values()) if isinstance(container, dict) else list(container)
        counter = _Counter()
        for item in items:
            if isinstance(item, Layer):
                self.layer(item, f"{path}/{_item_name(item, counter)}")
            elif isinstance(item, (list, tuple, dict)):
                self.container(item, f"{path}/{_item_name(item, counter)}")


def keras_slots(model) -> list:
    """The ``Slot`` of every layer of ``model`` (the model first), at Keras 3's ``.weights.h5`` paths."""
    walker = _Walker()
    walker.layer(model, "")
    return walker.slots


def optimizer_slot(model) -> Slot | None:
    """The optimizer's ``Slot`` (``optimizer/vars``), or None when the model has no built optimizer."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(optimizer, "built", False):
        return None
    return Slot("optimizer", getattr(optimizer, "name", "optimizer"), tuple(optimizer.variables))
