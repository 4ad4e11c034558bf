"""Model diagrams: a model's graph written as Graphviz DOT, and drawn to an image file.

``model_to_dot`` walks the model's own graph (its nodes, so a layer called
three times is one box with three edges, each labelled with the node index
that ``get_output_at`` / ``get_input_at`` take) and returns a
``graphviz.Digraph``. ``plot_model`` writes it to a file: a ``.dot`` file
needs only the ``graphviz`` Python package, images also need Graphviz's
``dot`` program. Boxes are Keras 3's HTML-like tables, with the same options.
"""

import collections
import dataclasses
import html
import os
import sys
import warnings

from loom.utils import interactive_logging

MISSING_GRAPHVIZ_PACKAGE = (
    "loom.utils.{function} needs the `graphviz` Python package, which is not installed. "
    "Install it with `pip install graphviz` (or `pip install loom[plot]`)."
)

MISSING_DOT_PROGRAM = (
    "loom.utils.plot_model needs Graphviz's `dot` program to draw a {format!r} file, and it is not on "
    "PATH. Install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install graphviz`, or see https://graphviz.org/download/. A `.dot` file "
    "(to_file='model.dot') needs no Graphviz program."
)

NOT_BUILT = (
    "Model '{name}' has not been built yet, so it has no graph to draw. Build it first: start a "
    "Sequential with Input(shape=...), call model.build(input_shape), or call the model on a batch of data."
)

_RANKDIRS = ("TB", "LR", "BT", "RL")
_SPLINES = ("ortho", "curved", "polyline", "spline", "line", "none", "true", "false", "compound", "")
# Formats written as DOT source, without running Graphviz.
_SOURCE_FORMATS = ("dot", "gv")
_IMAGE_FORMATS = ("png", "jpg", "jpeg", "gif")

# Keras's look: a black title row, white cells, one box per layer.
_BOX_ATTRIBUTES = {"fontname": "Helvetica", "border": "0", "margin": "0"}
_CLUSTER_ATTRIBUTES = {"style": "dashed", "labeljust": "l", "fontname": "Helvetica"}


@dataclasses.dataclass(frozen=True)
class _LabelOptions:
    show_shapes: bool
    show_dtype: bool
    show_layer_names: bool
    show_layer_activations: bool
    show_trainable: bool


def _import_graphviz(function: str):
    try:
        import graphviz
    except ImportError:
        raise ImportError(MISSING_GRAPHVIZ_PACKAGE.format(function=function)) from None
    return graphviz


# --- what a box says ---------------------------------------------------------------
def _escape(text) -> str:
    """Text safe inside an HTML-like label: names may hold <, > or &."""
    return html.escape(str(text), quote=True)


def _is_tensor(value) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype")


def _tensor_leaves(structure) -> list:
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _tensor_leaves(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in _tensor_leaves(item)]
    return [structure] if _is_tensor(structure) else []


def _structure_text(structure, describe) -> str:
    """``describe`` of each tensor, nested as Keras prints it: ``[(None, 4), (None, 2)]``,
    dicts as ``key: value`` without braces."""
    if isinstance(structure, dict):
        return ", ".join(f"{key}: {_structure_text(value, describe)}" for key, value in structure.items())
    if isinstance(structure, (list, tuple)):
        parts = ", ".join(_structure_text(value, describe) for value in structure)
        return f"[{parts}]" if isinstance(structure, list) else f"({parts})"
    return describe(structure)


def _shape_text(tensor) -> str:
    return str(tuple(None if d is None else int(d) for d in tensor.shape))


def _dtype_text(tensor) -> str:
    return str(getattr(tensor.dtype, "name", tensor.dtype))


def _node_input_structure(node):
    """The tensors a node received: its first argument when that holds them all (a list for
    Concatenate, a dict for a model fed by name), else all of them in order."""
    everything = _tensor_leaves((node.arguments.args, node.arguments.kwargs))
    first = node.arguments.first_argument
    if len(_tensor_leaves(first)) == len(everything):
        return first
    return everything if len(everything) != 1 else everything[0]


def _per_node_text(nodes, structure_of, describe) -> str:
    """One text when every call gives the same, else a line per call: ``node 1: (None, 64)``."""
    texts = [(node.index, _escape(_structure_text(structure_of(node), describe))) for node in nodes]
    if not texts:
        return "?"
    if len({text for _, text in texts}) == 1:
        return texts[0][1]
    return "<br/>".join(f"node {index}: {text}" for index, text in texts)


def _kind(operation) -> str:
    function_name = getattr(operation, "function_name", None)
    if function_name is not None:  # a recorded loom.ops call
        return f"ops.{function_name}"
    if getattr(operation, "is_constant", False):
        return "InputLayer, constant"
    return type(operation).__name__


def _activation_name(layer) -> str:
    activation = layer.activation
    for attribute in ("name", "__name__"):
        name = getattr(activation, attribute, None)
        if isinstance(name, str):
            return name
    return type(activation).__name__


def _cell(text: str, background: str = "white", color: str | None = None, colspan: int = 1, size: int = 14) -> str:
    font_color = f' color="{color}"' if color else ""
    span = f' colspan="{colspan}"' if colspan > 1 else ""
    return f'<td bgcolor="{background}"{span}><font point-size="{size}"{font_color}>{text}</font></td>'


def _table(rows: list) -> str:
    return f'<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">{"".join(rows)}</table>>'


def _box_label(operation, display_name: str, nodes: list, options: _LabelOptions) -> str:
    """The HTML-like table of one box: title, activation, shapes, dtype, trainable."""
    cells = []
    is_input = getattr(operation, "is_input_layer", False)
    if options.show_shapes:
        if not is_input:
            cells.append(_cell(f"Input shape: <b>{_per_node_text(nodes, _node_input_structure, _shape_text)}</b>"))
        output_shape = _per_node_text(nodes, lambda node: node.output_structure, _shape_text)
        cells.append(_cell(f"Output shape: <b>{output_shape}</b>"))
    if options.show_dtype:
        dtype = _per_node_text(nodes, lambda node: node.output_structure, _dtype_text)
        cells.append(_cell(f"Output dtype: <b>{dtype}</b>"))
    if options.show_trainable and getattr(operation, "weights", None):
        if operation.trainable:
            cells.append(_cell("<b>Trainable</b>", "forestgreen", "white"))
        else:
            cells.append(_cell("<b>Non-trainable</b>", "firebrick", "white"))
    colspan = max(1, len(cells))

    kind = _escape(_kind(operation))
    title = f"<b>{_escape(display_name)}</b> ({kind})" if options.show_layer_names else f"<b>{kind}</b>"
    rows = [f"<tr>{_cell(title, 'black', 'white', colspan, size=16)}</tr>"]
    if options.show_layer_activations and getattr(operation, "activation", None) is not None:
        rows.append(f"<tr>{_cell(f'Activation: <b>{_escape(_activation_name(operation))}</b>', colspan=colspan)}</tr>")
    if cells:
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return _table(rows)


def _constant_label(array, options: _LabelOptions) -> str:
    """A box for an array the graph holds as a constant argument (``x * np.array([...])``)."""
    cells = []
    if options.show_shapes:
        cells.append(_cell(f"Shape: <b>{_escape(_shape_text(array))}</b>"))
    if options.show_dtype:
        cells.append(_cell(f"dtype: <b>{_escape(_dtype_text(array))}</b>"))
    rows = [f"<tr>{_cell('<b>constant</b>', 'gray30', 'white', max(1, len(cells)), size=16)}</tr>"]
    if cells:
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return _table(rows)


# --- walking the graph --------------------------------------------------------------
def _has_graph(model) -> bool:
    """A functional model (Sequential included) whose graph exists."""
    return hasattr(model, "_nodes") and hasattr(model, "_operations") and getattr(model, "built", False)


def _hidden_inputs(model) -> set:
    """Ids of the InputLayers not drawn: a Sequential's, as Keras draws only its layers."""
    if not hasattr(model, "_stack"):
        return set()
    return {id(op) for op in model._operations if getattr(op, "is_input_layer", False)}


def _inner_inputs_fed_by(node, tensor) -> list:
    """The input tensors of the model called at ``node`` that ``tensor`` feeds."""
    model = node.operation
    args, kwargs = node.arguments.args, node.arguments.kwargs
    given = args[0] if args else kwargs.get("inputs")
    try:
        inner, values = model._pair_inputs(given)
    except (ValueError, TypeError, KeyError):
        inner, values = model.inputs, node.input_tensors
    return [x for x, value in zip(inner, values) if value is tensor]


class _Diagram:
    """Declares the boxes (and, with ``expand_nested``, clusters) of one drawing and its edges."""

    def __init__(self, options: _LabelOptions, expand_nested: bool, label_attribute: str):
        self.options = options
        self.expand_nested = expand_nested
        self.label_attribute = label_attribute
        self.labelled = False
        self._ids = {}
        self._edges = []
        self._seen_edges = set()

    def id_of(self, thing) -> str:
        return self._ids.setdefault(id(thing), f"n{len(self._ids)}")

    def expands(self, operation) -> bool:
        return self.expand_nested and _has_graph(operation)

    def draw(self, graphviz, model, graph) -> None:
        """Declare the boxes of ``model``'s graph in ``graph``, and remember its edges."""
        if not _has_graph(model):  # a subclassed model or a layer: one box, as Keras draws it
            nodes = list(getattr(model, "_inbound_nodes", ()))
            graph.node(self.id_of(model), label=_box_label(model, model.name, nodes, self.options), **_BOX_ATTRIBUTES)
            return
        hidden = _hidden_inputs(model)
        names = getattr(model, "_display_names", {})
        nodes_of = collections.defaultdict(list)
        for node in model._nodes:
            nodes_of[id(node.operation)].append(node)
        for operation in model._operations:
            if id(operation) in hidden:
                continue
            if self.expands(operation):
                cluster = graphviz.Digraph(name=f"cluster_{self.id_of(operation)}")
                cluster.attr(label=f"<{_escape(operation.name)}>", **_CLUSTER_ATTRIBUTES)
                self.draw(graphviz, operation, cluster)
                graph.subgraph(cluster)
                continue
            # Input layers are fed, not called in the graph: their one node is their own.
            nodes = nodes_of.get(id(operation)) or list(operation._inbound_nodes[:1])
            label = _box_label(operation, names.get(id(operation), operation.name), nodes, self.options)
            graph.node(self.id_of(operation), label=label, **_BOX_ATTRIBUTES)
        calls = collections.Counter(id(node.operation) for node in model._nodes)
        for node in model._nodes:
            self._connect(graph, node, calls, hidden)

    def _connect(self, graph, node, calls, hidden) -> None:
        for value in _tensor_leaves((node.arguments.args, node.arguments.kwargs)):
            history = getattr(value, "_history", None)
            if history is None:  # an array held by the graph
                if len(value.shape) == 0:  # scalars are arguments, not worth a box
                    continue
                tail = self.id_of(value)
                graph.node(tail, label=_constant_label(value, self.options), **_BOX_ATTRIBUTES)
                tails = [tail]
            elif id(history[0]) in hidden:
                continue
            else:
                tails = self._exits(value)
            label = _edge_label(value, node, calls)
            for tail in tails:
                for head in self._entries(node, value):
                    self._add_edge(tail, head, label)

    def _exits(self, tensor) -> list:
        """The box an edge carrying ``tensor`` leaves: inside an expanded model, the
        layer that computes that model's output."""
        operation, _, tensor_index = tensor._history
        while self.expands(operation):
            operation, _, tensor_index = operation.outputs[tensor_index]._history
        return [self.id_of(operation)]

    def _entries(self, node, tensor) -> list:
        """The boxes an edge carrying ``tensor`` into ``node`` enters: inside an expanded
        model, the InputLayer it feeds (for a Sequential, its first layer)."""
        operation = node.operation
        if not self.expands(operation):
            return [self.id_of(operation)]
        heads = []
        hidden = _hidden_inputs(operation)
        for inner in _inner_inputs_fed_by(node, tensor):
            if id(inner.operation) not in hidden:
                heads.append(self.id_of(inner.operation))
                continue
            for inner_node in operation._nodes:
                if any(t is inner for t in inner_node.input_tensors):
                    heads.extend(self._entries(inner_node, inner))
        return heads

    def _add_edge(self, tail: str, head: str, label: str) -> None:
        key = (tail, head, label)
        if key in self._seen_edges:
            return
        self._seen_edges.add(key)
        self._edges.append(key)
        self.labelled = self.labelled or bool(label)

    def write_edges(self, graph) -> None:
        for tail, head, label in self._edges:
            attributes = {"penwidth": "2"}
            if label:  # a space each side keeps the text off the edge it sits beside
                attributes[self.label_attribute] = f" {label} "
            graph.edge(tail, head, **attributes)


def _edge_label(value, node, calls) -> str:
    """Which call an edge belongs to, where a box alone cannot say: ``node i`` for the
    node of a layer called more than once in this graph (``get_output_at(i)``,
    ``get_input_at(i)``), ``output j`` for one output of several."""
    source = []
    history = getattr(value, "_history", None)
    if history is not None:
        producer, node_index, tensor_index = history
        if calls.get(id(producer), 0) > 1:
            source.append(f"node {node_index}")
        if len(producer._inbound_nodes[node_index].outputs) > 1:
            source.append(f"output {tensor_index}")
    source_text = ", ".join(source)
    target = f"node {node.index}" if calls.get(id(node.operation), 0) > 1 else ""
    if source_text and target and source_text != target:
        return f"{source_text} \u2192 {target}"
    return source_text or target


# --- public API ---------------------------------------------------------------------
def _check_arguments(model, rankdir, dpi, splines, kwargs) -> None:
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError(
            "Argument `layer_range` is no longer supported (Keras 3 removed it too); the whole model is drawn."
        )
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {sorted(kwargs)}.")
    if not hasattr(model, "_inbound_nodes") or not hasattr(model, "name"):
        raise TypeError(f"model_to_dot expects a loom model (or layer); received {type(model).__name__}: {model!r}.")
    if not getattr(model, "built", False):
        raise ValueError(NOT_BUILT.format(name=model.name))
    if rankdir not in _RANKDIRS:
        raise ValueError(
            f"`rankdir` must be one of {list(_RANKDIRS)} ('TB' top to bottom, 'LR' left to right); "
            f"received rankdir={rankdir!r}."
        )
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or dpi <= 0:
        raise ValueError(f"`dpi` must be a positive number of dots per inch, e.g. 96; received dpi={dpi!r}.")
    if str(splines).lower() not in _SPLINES:
        raise ValueError(f"`splines` must be one of {[s for s in _SPLINES if s]}; received splines={splines!r}.")


def model_to_dot(
    model,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: float = 200,
    subgraph: bool = False,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
    **kwargs,
):
    """The model's graph as a ``graphviz.Digraph`` (its DOT text is ``.source``).

    One box per layer (and per recorded ``loom.ops`` call); one edge per tensor
    passed. A layer called several times in the graph is one box whose edges
    are labelled ``node i``: the node index of that call, as
    ``layer.get_output_at(i)`` takes it.

    Args:
        model: a built loom model; a subclassed model is drawn as one box.
        show_shapes: show each box's input and output shapes, e.g. ``(None, 32)``.
        show_dtype: show each box's output dtype.
        show_layer_names: show layer names beside their classes.
        rankdir: ``"TB"`` draws top to bottom, ``"LR"`` left to right (also ``"BT"``, ``"RL"``).
        expand_nested: draw nested models' layers inside a dashed cluster
            instead of one box per nested model.
        dpi: image resolution in dots per inch.
        subgraph: return a cluster (``cluster_<name>``) to add to another graph
            with ``graph.subgraph(cluster)``, without graph-wide attributes.
        show_layer_activations: show the activation of layers that have one.
        show_trainable: mark layers with weights as trainable or not.
        splines: how edges are drawn: ``"ortho"`` (right angles), ``"curved"``,
            ``"polyline"``, ``"spline"``, ``"line"``.

    Returns:
        A ``graphviz.Digraph``.

    Raises:
        ImportError: the ``graphviz`` Python package is missing.
        ValueError: the model is not built, or an argument is invalid.

    Example:
        >>> dot = model_to_dot(model, show_shapes=True)  # doctest: +SKIP
        >>> print(dot.source)  # doctest: +SKIP
    """
    _check_arguments(model, rankdir, dpi, splines, kwargs)
    graphviz = _import_graphviz("model_to_dot")
    options = _LabelOptions(show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable)
    # Graphviz's orthogonal router ignores plain edge labels; external labels (xlabel) still show.
    label_attribute = "xlabel" if str(splines).lower() == "ortho" else "label"
    diagram = _Diagram(options, expand_nested, label_attribute)
    if subgraph:
        dot = graphviz.Digraph(name=f"cluster_{model.name}")
        dot.attr(label=f"<{_escape(model.name)}>", **_CLUSTER_ATTRIBUTES)
        dot.attr("edge", fontname="Helvetica")
    else:
        dot = graphviz.Digraph(
            name=model.name,
            graph_attr={"rankdir": rankdir, "dpi": str(dpi), "splines": str(splines)},
            node_attr={"shape": "record"},
            edge_attr={"fontname": "Helvetica"},
        )
    diagram.draw(graphviz, model, dot)
    diagram.write_edges(dot)
    if not subgraph:
        # Keras merges edges (concentrate); that would fold a shared layer's labelled
        # calls into one line, so a graph with labelled edges keeps them apart.
        dot.graph_attr["concentrate"] = "false" if diagram.labelled else "true"
    return dot


def _format_of(to_file: str) -> str:
    extension = os.path.splitext(to_file)[1][1:].lower()
    if not extension:
        return "png"  # as Keras: no extension draws a PNG under the name given
    return extension


def _in_notebook() -> bool:
    return "IPython.core.magics.namespace" in sys.modules


def _notebook_image(to_file: str, file_format: str):
    """An IPython object showing the file in a notebook, when IPython is installed."""
    try:
        from IPython import display
    except ImportError:
        return None
    if file_format in _IMAGE_FORMATS:
        return display.Image(filename=to_file)
    if file_format == "svg":
        return display.SVG(filename=to_file)
    return None


def _dot_failure(err, name: str) -> str:
    stderr = err.stderr.decode("utf-8", "replace") if isinstance(err.stderr, bytes) else str(err.stderr or "")
    detail = " ".join(stderr.split()).rstrip(".")
    return f"Graphviz's dot could not draw model '{name}' (exit status {err.returncode}): {detail}"


def _draw(graphviz, dot, file_format: str, name: str) -> bytes:
    """``dot`` run on the graph; a crash of Graphviz's orthogonal edge router is retried
    with polyline edges (dot 2.x aborts in maze.c on some graphs of wide boxes)."""
    try:
        return dot.pipe(format=file_format, quiet=True)
    except graphviz.CalledProcessError as err:
        if dot.graph_attr.get("splines") != "ortho":
            raise RuntimeError(_dot_failure(err, name) + ". Write a .dot file to inspect the graph.") from err
        failure = _dot_failure(err, name)
    warnings.warn(
        f"{failure}. It was drawn again with splines='polyline'; pass splines='polyline' (or 'spline') "
        "to choose that yourself.",
        stacklevel=3,
    )
    dot.graph_attr["splines"] = "polyline"
    try:
        return dot.pipe(format=file_format, quiet=True)
    except graphviz.CalledProcessError as err:
        raise RuntimeError(_dot_failure(err, name) + ". Write a .dot file to inspect the graph.") from err


def plot_model(
    model,
    to_file="model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = False,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: float = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
    **kwargs,
):
    """Draw the model's graph (see ``model_to_dot``) to ``to_file``, atomically.

    The file's extension picks the format: ``.png`` (also without extension),
    ``.svg``, ``.pdf``, ``.jpg`` and the other Graphviz formats need Graphviz's
    ``dot`` program; ``.dot`` (or ``.gv``) writes the DOT text and needs only
    the ``graphviz`` Python package.

    Args:
        model: a built loom model.
        to_file: the file to write.
        Others: as ``model_to_dot`` (``show_layer_names`` defaults to False here, as in Keras).

    Returns:
        An ``IPython.display`` image of the file when IPython is installed
        (PNG, JPEG, GIF, SVG), so a notebook shows it; otherwise None.

    Raises:
        ImportError: the ``graphviz`` package, or the ``dot`` program an image
            needs, is missing (in a notebook the message is printed instead, as Keras does).
        ValueError: the model is not built, an argument is invalid, or the
            extension names no Graphviz format.

    Example:
        >>> plot_model(model, to_file="model.png", show_shapes=True)  # doctest: +SKIP
    """
    to_file = os.fspath(to_file)
    file_format = _format_of(to_file)
    _check_arguments(model, rankdir, dpi, splines, dict(kwargs))
    try:
        graphviz = _import_graphviz("plot_model")
    except ImportError as err:
        if _in_notebook():  # Keras prints rather than break a notebook that lacks Graphviz
            interactive_logging.print_msg(str(err))
            return None
        raise
    if file_format not in graphviz.FORMATS:
        raise ValueError(
            f"plot_model cannot write {to_file!r}: Graphviz has no format {file_format!r}. Use an extension "
            "such as .png, .svg, .pdf or .dot."
        )
    dot = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
        splines=splines,
        **kwargs,
    )
    if file_format in _SOURCE_FORMATS:
        data = dot.source.encode("utf-8")
    else:
        try:
            data = _draw(graphviz, dot, file_format, model.name)
        except graphviz.ExecutableNotFound as err:
            message = MISSING_DOT_PROGRAM.format(format=file_format)
            if _in_notebook():
                interactive_logging.print_msg(message)
                return None
            raise ImportError(message) from err
    # loom.saving sits above loom.utils in the import graph: reached at call time.
    from loom.saving.atomic_write import atomic_write_bytes

    atomic_write_bytes(to_file, data)
    return _notebook_image(to_file, file_format)
