"""Keras 1's ``Merge`` layer and ``merge`` function, spelled with loom's merge layers.

``Merge(mode='sum')`` returns the modern layer that does the same thing
(``Add``, ``Multiply``, ``Concatenate``, ``Average``, ``Dot``, ``Maximum``, or a
``Lambda`` for a function), so models built from Keras 1 code hold only
Keras 3 layers and save, load and summarize like any other.
``Merge([model_a, model_b], mode=...)``, Keras 1's way of joining Sequential
branches, returns a ``BranchMerge`` that holds the merged graph and explains
the functional replacement when a ``Sequential`` is asked to hold it.
"""

import numpy as np

from loom.layers.core import Lambda
from loom.layers.layer import Layer
from loom.layers.merging import Add, Average, Concatenate, Dot, Maximum, Multiply

# Keras 1 mode -> the modern spelling, as shown in error messages.
MODERN_SPELLINGS = {
    "sum": "Add()",
    "mul": "Multiply()",
    "concat": "Concatenate(axis=concat_axis)",
    "ave": "Average()",
    "dot": "Dot(axes=dot_axes)",
    "cos": "Dot(axes=dot_axes, normalize=True)",
    "max": "Maximum()",
}
MODES = tuple(MODERN_SPELLINGS)


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_mode(mode, where: str = "Merge") -> None:
    """Raise unless ``mode`` is one of Keras 1's merge modes or a function."""
    if callable(mode) or (isinstance(mode, str) and mode in MODES):
        return
    spellings = "; ".join(f"'{m}' is {s}" for m, s in MODERN_SPELLINGS.items())
    raise ValueError(
        f"{where}: unknown merge mode {mode!r}; expected one of {list(MODES)} or a function of the list of "
        f"tensors. In the functional API each mode is a layer called on the list: {spellings}."
    )


def dot_axes_for(dot_axes, where: str = "Merge"):
    """Keras 1's ``dot_axes`` as ``Dot``'s ``axes``: an int (the same axis of both inputs,
    negative counting from each input's end) or a pair, one axis per input. Keras 0.x's
    nested form ``[[1], [1]]`` is read as ``(1, 1)``."""
    if _is_int(dot_axes):
        return int(dot_axes)
    if isinstance(dot_axes, (list, tuple)) and len(dot_axes) == 2:
        pair = [a[0] if isinstance(a, (list, tuple)) and len(a) == 1 else a for a in dot_axes]
        if all(_is_int(a) for a in pair):
            return [int(a) for a in pair]
    raise ValueError(
        f"{where}: dot_axes must be an int or a pair of ints (one axis per input); received "
        f"dot_axes={dot_axes!r}. Summing over several axes at once is not supported: reshape the "
        "inputs first, e.g. with Flatten()."
    )


def merge_layer(mode="sum", concat_axis=-1, dot_axes=-1, output_shape=None, arguments=None, name=None, where="Merge"):
    """The loom layer that merges a list of tensors as Keras 1's ``mode`` did."""
    check_mode(mode, where)
    if callable(mode):
        return Lambda(mode, output_shape=output_shape, arguments=arguments, name=name)
    if mode == "concat":
        return Concatenate(axis=concat_axis, name=name)
    if mode in ("dot", "cos"):
        return Dot(axes=dot_axes_for(dot_axes, where), normalize=mode == "cos", name=name)
    return {"sum": Add, "mul": Multiply, "ave": Average, "max": Maximum}[mode](name=name)


def Merge(  # Keras 1's class name; it returns loom's modern layers
    layers=None,
    mode="sum",
    concat_axis: int = -1,
    dot_axes=-1,
    output_shape=None,
    node_indices=None,
    arguments=None,
    name: str | None = None,
):
    """Keras 1's ``Merge``: a layer that merges a list of tensors by ``mode``.

    Returns the modern layer for ``mode`` (``Merge(mode='sum')`` is ``Add()``),
    to be called on a list of tensors, or, given ``layers``, a ``BranchMerge``
    holding those layers' outputs merged (Keras 1's Sequential-merging form).

    Args:
        layers: None, or the layers/models whose outputs to merge at once.
        mode: 'sum' (``Add``), 'mul' (``Multiply``), 'concat' (``Concatenate``),
            'ave' (``Average``), 'dot' (``Dot``), 'cos' (``Dot(normalize=True)``,
            cosine proximity), 'max' (``Maximum``), or a function of the list of
            tensors (a ``Lambda``).
        concat_axis: the axis for 'concat'.
        dot_axes: for 'dot'/'cos', an int (the same axis of both inputs) or a
            pair of ints, one axis per input, as in Keras 1.
        output_shape: for a function ``mode``: its output shape without the
            batch axis, or a function of the input shapes. Ignored by the other
            modes, as in Keras 1.
        node_indices: with ``layers``, which call of each layer to take the
            output of (default: the first).
        arguments: for a function ``mode``: extra keyword arguments for it.
        name: the layer's name.

    Example:
        >>> scores = Merge(mode="dot", dot_axes=1)([o1, o2])   # Dot(axes=1)([o1, o2])
    """
    layer = merge_layer(mode, concat_axis, dot_axes, output_shape, arguments, name)
    if layers is None:
        return layer
    return BranchMerge(layers, layer, mode, node_indices)


def merge(inputs, mode="sum", concat_axis: int = -1, dot_axes=-1, output_shape=None, arguments=None, name=None):
    """Keras 1's ``merge`` function: ``merge([a, b], mode='mul')`` is ``Multiply()([a, b])``."""
    return merge_layer(mode, concat_axis, dot_axes, output_shape, arguments, name, where="merge")(inputs)


def modern_spelling(layer) -> str:
    """How the functional API writes ``layer`` (``Dot(axes=1, normalize=True)``)."""
    if isinstance(layer, Dot):
        return f"Dot(axes={layer.axes}" + (", normalize=True)" if layer.normalize else ")")
    if isinstance(layer, Concatenate):
        return f"Concatenate(axis={layer.axis})"
    if isinstance(layer, Lambda):
        return "Lambda(function)"
    return f"{type(layer).__name__}()"


def _source_inputs(tensor) -> list:
    """The Input tensors ``tensor`` is computed from, in first-seen order."""
    found, stack, seen = [], [tensor], set()
    while stack:
        current = stack.pop()
        node = current.node
        if id(current) in seen or node is None:
            continue
        seen.add(id(current))
        if node.is_input:
            if not getattr(node.operation, "is_constant", False):
                found.append(current)
            continue
        stack.extend(reversed(node.input_tensors))
    return found


class BranchMerge(Layer):
    """Keras 1's ``Merge([branch_a, branch_b], mode=...)``: the branches' outputs, merged.

    It holds the merged graph: ``inputs`` (every branch's inputs) and ``output``
    make the functional model ``Model(merge.inputs, merge.output)``. loom's
    ``Sequential`` has one input and one chain of layers, so adding this to one
    raises an error that shows the functional spelling.
    """

    def __init__(self, layers, merging: Layer, mode, node_indices=None):
        if not isinstance(layers, (list, tuple)) or len(layers) < 2:
            raise ValueError(
                f"Merge(layers, mode={mode!r}) merges 2 or more layers or models; received {layers!r}. "
                "Pass a list, e.g. Merge([branch_a, branch_b], mode='concat')."
            )
        node_indices = list(node_indices) if node_indices is not None else [0] * len(layers)
        if len(node_indices) != len(layers):
            raise ValueError(
                f"Merge: node_indices gives {len(node_indices)} indices for {len(layers)} layers; "
                "give one per layer, or leave it out to use each layer's first call."
            )
        for layer in layers:
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"Merge(layers=...) takes layers or models; received {type(layer).__name__}. To merge "
                    f"tensors, call the layer on them: Merge(mode={mode!r})([x1, x2])."
                )
        tensors = [layer.output if i == 0 else layer.get_output_at(i) for layer, i in zip(layers, node_indices)]
        inputs = []
        for tensor in tensors:
            inputs.extend(t for t in _source_inputs(tensor) if all(t is not known for known in inputs))
        merged = merging(tensors)
        # Sequential.add calls a first layer that carries an input shape: that call raises
        # the explanation below at the user's `add` line.
        super().__init__(name=f"{merging.name}_branches", batch_input_shape=inputs[0].shape)
        self.merging = merging
        self.branches = list(layers)
        self.mode = mode
        self.merged_inputs = inputs
        self.merged_output = merged

    @property
    def inputs(self) -> list:
        """The Input tensors of every branch, in order (the functional model's inputs)."""
        return list(self.merged_inputs)

    @property
    def output(self):
        """The merged tensor (the functional model's output, or where its next layer starts)."""
        return self.merged_output

    def __call__(self, *args, **kwargs):
        branches = [getattr(b, "name", type(b).__name__) for b in self.branches]
        inputs = ", ".join(f"{b}.input" for b in branches)
        outputs = ", ".join(f"{b}.output" for b in branches)
        raise TypeError(
            f"Merge({branches}, mode={self.mode!r}) joins models that have their own inputs, and loom's "
            "Sequential holds one input and one chain of layers, so it cannot hold this merge. Write it with the "
            f"functional API: merged = {modern_spelling(self.merging)}([{outputs}]); y = Dense(...)(merged); "
            f"model = Model(inputs=[{inputs}], outputs=y). This Merge already holds the merged tensor: "
            "Model(merge.inputs, merge.output) is the model up to the merge."
        )
