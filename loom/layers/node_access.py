"""Node access: which tensors went into and came out of each call of a layer.

Kept from tf.keras 2 (Keras 3 dropped it): ``get_output_at(node_index)`` and
friends. ``layer.output`` of a layer called several times is its first call's,
as in Keras 3; loom also warns once, naming the other calls' accessors.
"""

import warnings


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

    def _first_node(self, attribute: str, differs=lambda nodes: True, stacklevel: int = 3):
        """The node of the layer's first call; warns (once per layer) when there are
        more calls and ``differs(nodes)`` says their ``attribute`` is not the same."""
        nodes = self._direct_nodes() or self._inbound_nodes
        if not nodes:
            raise AttributeError(
                f"{self.describe()} is not connected: it has never been called on a symbolic "
                f"tensor, so `{attribute}` is undefined. Call it on an Input first."
            )
        if len(nodes) > 1 and not self.__dict__.get("_warned_first_node") and differs(nodes):
            self.__dict__["_warned_first_node"] = True
            warnings.warn(
                f"{self.describe()} has {len(nodes)} inbound nodes (it was called {len(nodes)} times, "
                f"node indices {[node.index for node in nodes]}); `{attribute}` is that of its first "
                "call, as in Keras 3. Use `get_output_at(i)` / `get_input_at(i)` (or "
                "`get_output_shape_at(i)` / `get_input_shape_at(i)`) for the other calls.",
                UserWarning,
                stacklevel=stacklevel,
            )
        return nodes[0]

    @property
    def input(self):
        """The input tensor(s) of the layer's first call."""
        return _single_or_list(self._first_node("input").input_tensors)

    @property
    def output(self):
        """The output tensor(s) of the layer's first call."""
        return _single_or_list(self._first_node("output").outputs)

    def _first_shape(self, attribute: str, tensors_of):
        def shapes(node):
            return [t.shape for t in tensors_of(node)]

        # Calls that all had the same shape leave nothing to warn about.
        node = self._first_node(
            attribute, lambda nodes: any(shapes(n) != shapes(nodes[0]) for n in nodes), stacklevel=4
        )
        return _single_or_list(shapes(node))

    @property
    def input_shape(self):
        """The input shape(s) of the layer's first call."""
        return self._first_shape("input_shape", lambda node: node.input_tensors)

    @property
    def output_shape(self):
        """The output shape(s) of the layer's first call."""
        return self._first_shape("output_shape", lambda node: node.outputs)
