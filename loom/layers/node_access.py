"""Node access: which tensors went into and came out of each call of a layer.

Kept from tf.keras 2 (Keras 3 dropped it): ``get_output_at(node_index)`` and
friends, and ``layer.output`` raising when a layer was called more than once
instead of silently answering for the first call.
"""


def _single_or_list(tensors: list):
    return tensors[0] if len(tensors) == 1 else list(tensors)


class NodeAccessMixin:
    """Accessors over ``self._inbound_nodes`` (one Node per call on symbolic tensors)."""

    @property
    def inbound_nodes(self) -> list:
        return list(self._inbound_nodes)

    @property
    def outbound_nodes(self) -> list:
        return list(self._outbound_nodes)

    def _node_at(self, node_index: int, what: str):
        nodes = self._inbound_nodes
        if not nodes:
            raise RuntimeError(
                f"{self.describe()} has never been called on a symbolic tensor, so it has no {what}. "
                "Call it on an Input (or another layer's output) first."
            )
        if not isinstance(node_index, int) or not -len(nodes) <= node_index < len(nodes):
            raise ValueError(
                f"{self.describe()} has {len(nodes)} inbound node(s) (indices 0..{len(nodes) - 1}); "
                f"asked for the {what} at node_index={node_index!r}."
            )
        return nodes[node_index]

    def get_input_at(self, node_index: int):
        """The input tensor(s) of the ``node_index``-th call."""
        return _single_or_list(self._node_at(node_index, "input").input_tensors)

    def get_output_at(self, node_index: int):
        """The output tensor(s) of the ``node_index``-th call."""
        node = self._node_at(node_index, "output")
        return _single_or_list(node.outputs)

    def get_input_shape_at(self, node_index: int):
        """The shape(s) of the input of the ``node_index``-th call."""
        return _single_or_list([t.shape for t in self._node_at(node_index, "input shape").input_tensors])

    def get_output_shape_at(self, node_index: int):
        """The shape(s) of the output of the ``node_index``-th call."""
        return _single_or_list([t.shape for t in self._node_at(node_index, "output shape").outputs])

    def _direct_nodes(self) -> list:
        # Nodes made by replaying an enclosing model on new tensors do not count
        # as calls of this layer for `.input` / `.output`; they still have indices.
        return [node for node in self._inbound_nodes if node.parent_node is None]

    def _only_node(self, attribute: str):
        nodes = self._direct_nodes()
        if not nodes:
            raise AttributeError(
                f"{self.describe()} is not connected: it has never been called on a symbolic "
                f"tensor, so `{attribute}` is undefined. Call it on an Input first."
            )
        if len(nodes) > 1:
            indices = [node.index for node in nodes]
            raise AttributeError(
                f"{self.describe()} has multiple inbound nodes (it was called {len(nodes)} times, "
                f"node indices {indices}), hence the notion of \"layer {attribute}\" is ill-defined. "
                f"Use `get_{attribute}_at(node_index)` instead."
            )
        return nodes[0]

    @property
    def input(self):
        """The input tensor(s) of the layer's only call."""
        return _single_or_list(self._only_node("input").input_tensors)

    @property
    def output(self):
        """The output tensor(s) of the layer's only call."""
        return _single_or_list(self._only_node("output").outputs)

    def _shared_shape(self, attribute: str, shapes_of) -> object:
        nodes = self._direct_nodes() or self._inbound_nodes
        if not nodes:
            raise AttributeError(
                f"{self.describe()} has never been called and thus has no defined {attribute}."
            )
        shapes = [_single_or_list(shapes_of(node)) for node in nodes]
        if any(shape != shapes[0] for shape in shapes[1:]):
            raise AttributeError(
                f"{self.describe()} has multiple inbound nodes with different {attribute}s "
                f"({', '.join(str(s) for s in shapes)}), hence the notion of \"{attribute}\" is "
                f"ill-defined. Use `get_{attribute}_at(node_index)` instead."
            )
        return shapes[0]

    @property
    def input_shape(self):
        """The input shape, when every call of the layer had the same one."""
        return self._shared_shape("input_shape", lambda node: [t.shape for t in node.input_tensors])

    @property
    def output_shape(self):
        """The output shape, when every call of the layer had the same one."""
        return self._shared_shape("output_shape", lambda node: [t.shape for t in node.outputs])
