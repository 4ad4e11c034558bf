"""Graph: Keras 1's container of named inputs, nodes and outputs, as a functional model.

Keras 1 wired a multi-input model by names: ``add_input('a')``,
``add_node(Dense(8), name='h', input='a')``, ``add_output('out', input='h')``.
Each call here is one symbolic-tensor call (``h = Dense(8)(a)``), and
``add_output`` rebuilds the model from the tensors named so far, so a Graph
*is* a functional model whose inputs and outputs are dicts keyed by those
names: it compiles, trains, saves and summarizes as one.
"""

import contextlib

from loom.config.defaults import floatx
from loom.layers.input_layer import Input
from loom.layers.layer import Layer
from loom.legacy.merge import check_mode, merge_layer
from loom.models.functional import Functional

_KERAS1_DTYPES = {"float": None, "int": "int32"}  # None: floatx, read when the input is made


def _epochs(nb_epoch, epochs, default: int = 10) -> int:
    if nb_epoch is not None and epochs is not None and nb_epoch != epochs:
        raise ValueError(
            f"fit received nb_epoch={nb_epoch} and epochs={epochs}; nb_epoch is Keras 1's name for epochs, so "
            "pass only one of them (epochs=... in Keras 3)."
        )
    chosen = epochs if epochs is not None else nb_epoch
    return default if chosen is None else chosen


class Graph(Functional):
    """Keras 1's ``Graph``: a model built from named inputs, nodes and outputs.

    Build it with ``add_input``, ``add_node``, ``add_shared_node`` and
    ``add_output``; then ``compile(optimizer, loss={output_name: loss})``,
    ``fit(data)``, ``predict(data)`` and ``evaluate(data)`` take one dict that
    holds arrays by input and output name, and ``predict`` returns a dict by
    output name. It is a functional model (``isinstance(graph, Model)``) with
    dict inputs and outputs, and saves as one; ``load_model`` rebuilds it as a
    ``Graph`` once ``loom.legacy`` has been imported (before that, pass
    ``custom_objects={"Graph": Graph}``).

    The functional API writes the same model with tensors as variables::

        a = Input(shape=(32,), name="a")          # graph.add_input("a", input_shape=(32,))
        h = Dense(8)(a)                           # graph.add_node(Dense(8), name="h", input="a")
        model = Model({"a": a}, {"out": h})       # graph.add_output("out", input="h")

    Args:
        name: the model's name.
        trainable: whether its weights are trainable.
    """

    def __init__(self, inputs=None, outputs=None, name: str | None = None, trainable: bool = True, **kwargs):
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        self._graph_inputs = {}  # input name -> its Input tensor
        self._graph_nodes = {}  # node name -> its tensor, or the list of a shared node's tensors
        self._graph_outputs = {}  # output name -> tensor
        self._names_in_use = set()  # layer names given out in this graph, kept unique
        self._inputs, self._outputs, self._inputs_struct, self._outputs_struct = [], [], {}, {}
        self._operations, self._nodes = [], []
        self.built = False
        if inputs is not None or outputs is not None:
            self._adopt(inputs, outputs)

    def _adopt(self, inputs, outputs) -> None:
        """Take the dicts of tensors a saved Graph is rebuilt from (``functional_from_config``)."""
        if not isinstance(inputs, dict) or not isinstance(outputs, dict):
            raise TypeError(
                "Graph(inputs, outputs) rebuilds a saved Graph from dicts of tensors keyed by name; received "
                f"{type(inputs).__name__} and {type(outputs).__name__}. For lists of tensors use "
                "loom.Model(inputs, outputs)."
            )
        self._graph_inputs, self._graph_outputs = dict(inputs), dict(outputs)
        self._rebuild()

    # --- names ------------------------------------------------------------------------
    def _where(self, method: str, name) -> str:
        return f"Graph '{self.name}': {method}({name!r})"

    def _known_names(self) -> list:
        return list(self._graph_inputs) + list(self._graph_nodes)

    def _check_new_name(self, name, method: str, what: str = "name") -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"{self._where(method, name)}: the {what} must be a non-empty string; received {name!r}.")
        if name in self._graph_inputs or name in self._graph_nodes:
            kind = "an input" if name in self._graph_inputs else "a node"
            raise ValueError(
                f"{self._where(method, name)}: the name {name!r} is already used by {kind} of this graph; every "
                f"input and node needs its own name. Pick another {what}. (In the functional API each tensor "
                "is a Python variable, and a layer takes name=... .)"
            )

    def _lookup(self, name, method: str, node) -> object:
        """The tensor (or a shared node's list of tensors) named ``name``."""
        if name in self._graph_inputs:
            return self._graph_inputs[name]
        if name in self._graph_nodes:
            return self._graph_nodes[name]
        raise ValueError(
            f"{self._where(method, node)} reads from {name!r}, which is not an input or node of this graph; known "
            f"names: {self._known_names()}. Add it first with add_input({name!r}, input_shape=...) or "
            f"add_node(layer, name={name!r}, input=...). (In the functional API the tensor must exist before "
            "a layer is called on it: y = layer(x).)"
        )

    def _single(self, name, method: str, node):
        found = self._lookup(name, method, node)
        if isinstance(found, list):
            raise TypeError(
                f"{self._where(method, node)} reads from {name!r}, a shared node with {len(found)} outputs and no "
                f"merge_mode. Name its outputs with add_shared_node(..., outputs=[...]) and read one of them, or "
                "list it in inputs=[...] with a merge_mode."
            )
        return found

    def _gather(self, names, method: str, node) -> list:
        """The tensors named in ``names``; a shared node without merge_mode gives all of its outputs."""
        if isinstance(names, str) or not isinstance(names, (list, tuple)):
            raise TypeError(
                f"{self._where(method, node)}: `inputs` must be a list of names; received {names!r}. "
                f"For one node use input={names!r}."
            )
        tensors = []
        for name in names:
            found = self._lookup(name, method, node)
            tensors.extend(found if isinstance(found, list) else [found])
        return tensors

    def _layer_name(self, base: str) -> str:
        name, count = base, 0
        while name in self._names_in_use:
            count += 1
            name = f"{base}_{count}"
        self._names_in_use.add(name)
        return name

    def _check_layer(self, layer, node: str, method: str) -> None:
        if not isinstance(layer, Layer):
            kind = f"the class {layer.__name__}" if isinstance(layer, type) else type(layer).__name__
            raise TypeError(
                f"{self._where(method, node)} takes a layer instance; received {kind}. Create the layer first, "
                f"e.g. {method}(Dense(8), name={node!r}, ...)."
            )

    def _adopt_layer(self, layer, node: str) -> None:
        """Name a never-called ``layer`` after its node, as Keras 1 did (summaries read like the code)."""
        if not layer._inbound_nodes and node not in self._names_in_use:
            layer.name = node
        self._names_in_use.add(layer.name)

    @contextlib.contextmanager
    def _undo_on_error(self, layer=None):
        """A failed ``add_*`` call leaves the graph's names (and the layer's) as they were."""
        names, old_name = set(self._names_in_use), getattr(layer, "name", None)
        try:
            yield
        except BaseException:
            self._names_in_use = names
            if layer is not None and layer.name != old_name:
                layer.name = old_name
            raise

    # --- merging ----------------------------------------------------------------------
    def _merged(self, tensors, node: str, method: str, merge_mode, concat_axis, dot_axes, names):
        """``tensors`` merged by ``merge_mode`` (a new merge layer named ``<node>_merge``)."""
        where = self._where(method, node)
        check_mode(merge_mode, where)
        if len(tensors) < 2:
            single = names[0] if names else "..."
            raise ValueError(
                f"{where} merges its inputs with merge_mode={merge_mode!r}, which needs 2 or more; received "
                f"{len(tensors)} ({list(names)}). To feed one node, pass input={single!r} instead of inputs=[...] "
                "(functional API: y = layer(x)); to merge, list every input."
            )
        if merge_mode in ("dot", "cos") and len(tensors) != 2:
            raise ValueError(
                f"{where}: merge_mode={merge_mode!r} takes exactly 2 inputs; received {len(tensors)} "
                f"({list(names)}). Merge them in pairs with separate nodes (functional API: Dot(axes)([a, b]))."
            )
        layer = merge_layer(merge_mode, concat_axis, dot_axes, name=self._layer_name(f"{node}_merge"), where=where)
        try:
            return layer(tensors)
        except ValueError as err:
            what = "the shared layer's results for" if method == "add_shared_node" else "the inputs"
            raise ValueError(f"{where}: merge_mode={merge_mode!r} cannot merge {what} {list(names)}. {err}") from err

    # --- building ---------------------------------------------------------------------
    def add_input(self, name: str, input_shape=None, batch_input_shape=None, dtype="float") -> None:
        """Add an input named ``name``: ``Input(shape=input_shape, name=name)``.

        Args:
            name: the input's name, the key of its array in ``fit``/``predict`` data.
            input_shape: the shape of one sample (without the batch axis).
            batch_input_shape: the shape with the batch axis, instead of ``input_shape``.
            dtype: Keras 1's 'float' (floatx) or 'int' (int32), or a dtype name.
        """
        self._check_new_name(name, "add_input")
        if input_shape is None and batch_input_shape is None:
            raise ValueError(
                f"{self._where('add_input', name)} needs the shape of one sample, input_shape=(...), or "
                f"batch_input_shape=(batch, ...). (Functional API: Input(shape=(...), name={name!r}).)"
            )
        dtype = _KERAS1_DTYPES.get(dtype, dtype) if isinstance(dtype, str) else dtype
        shape = None if batch_input_shape is not None else input_shape
        self._graph_inputs[name] = Input(shape=shape, batch_shape=batch_input_shape, dtype=dtype or floatx(), name=name)
        self._names_in_use.add(name)

    def add_node(
        self,
        layer,
        name: str,
        input: str | None = None,  # Keras 1's argument name
        inputs=(),
        merge_mode="concat",
        concat_axis: int = -1,
        dot_axes=-1,
        create_output: bool = False,
    ) -> None:
        """Add a node: ``layer`` called on the node or input named ``input``, or on
        the nodes named in ``inputs`` merged by ``merge_mode``.

        Args:
            layer: a layer instance.
            name: the node's name (a never-called layer takes it as its name).
            input: the name of the one input or node to feed.
            inputs: names of 2 or more inputs or nodes, merged first by
                ``merge_mode`` ('concat', 'sum', 'mul', 'ave', 'dot', 'cos',
                'max' or a function). With ``merge_mode=None`` the layer
                receives the list itself (e.g. a ``Lambda`` of two tensors).
            concat_axis, dot_axes: as for ``Merge``.
            create_output: also add an output of the same name.
        """
        self._check_new_name(name, "add_node")
        self._check_layer(layer, name, "add_node")
        if (input is None) == (not inputs):
            raise ValueError(
                f"{self._where('add_node', name)} needs exactly one of input='node' (one source) or "
                f"inputs=['a', 'b'] (merged by merge_mode); received input={input!r}, inputs={list(inputs)!r}."
            )
        with self._undo_on_error(layer):
            if input is not None:
                source = self._single(input, "add_node", name)
            elif merge_mode is None:
                source = self._gather(inputs, "add_node", name)  # the layer takes the list (loom's extension)
            else:
                tensors = self._gather(inputs, "add_node", name)
                source = self._merged(tensors, name, "add_node", merge_mode, concat_axis, dot_axes, list(inputs))
            self._adopt_layer(layer, name)
            self._graph_nodes[name] = layer(source)
        if create_output:
            self.add_output(name, input=name)

    def add_shared_node(
        self,
        layer,
        name: str,
        inputs=(),
        merge_mode=None,
        concat_axis: int = -1,
        dot_axes=-1,
        outputs=(),
        create_output: bool = False,
    ) -> None:
        """Call one ``layer`` (one set of weights) on each of ``inputs``.

        With ``merge_mode`` the results are merged into the node ``name``;
        without, ``outputs`` names each result (``name`` itself stands for the
        list: listed in another node's ``inputs`` it gives every result).

        Args:
            layer: a layer instance, shared by every input.
            name: the node's name.
            inputs: names of the inputs or nodes to apply the layer to.
            merge_mode: None, or how to merge the results ('concat', 'sum',
                'mul', 'ave', 'dot', 'cos', 'max' or a function).
            concat_axis, dot_axes: as for ``Merge``.
            outputs: with ``merge_mode=None``, one name per input for its result.
            create_output: also add outputs: ``name`` when merged, else each of
                ``outputs``.
        """
        where = self._where("add_shared_node", name)
        self._check_new_name(name, "add_shared_node")
        self._check_layer(layer, name, "add_shared_node")
        outputs = list(outputs)
        for output in outputs:
            self._check_new_name(output, "add_shared_node", "output name")
        if len(set(outputs)) != len(outputs) or name in outputs:
            raise ValueError(f"{where}: outputs={outputs} repeats a name; give each result its own name.")
        if merge_mode is not None:
            check_mode(merge_mode, where)
            if outputs:
                raise ValueError(
                    f"{where}: outputs={outputs} names the separate results, which merge_mode={merge_mode!r} "
                    f"merges into one node named {name!r}. Drop outputs=..., or set merge_mode=None to keep "
                    "the results apart."
                )
        if not inputs:
            raise ValueError(f"{where} needs inputs=['a', 'b', ...]: the names the layer is applied to.")
        tensors = self._gather(inputs, "add_shared_node", name)
        if outputs and len(outputs) != len(tensors):
            modern = ", ".join(f"y{i} = layer(x{i})" for i in range(len(tensors)))
            raise ValueError(
                f"{where} applies its layer to {len(tensors)} input(s) {list(inputs)}, so it has {len(tensors)} "
                f"result(s); received {len(outputs)} output name(s) {outputs}. Give one name per input. "
                f"(Functional API: one layer called once per input, {modern}.)"
            )
        if create_output and merge_mode is None and not outputs:
            raise ValueError(
                f"{where}: create_output=True with merge_mode=None needs outputs=[...], one name per result."
            )
        if merge_mode is not None and len(tensors) < 2:
            raise ValueError(
                f"{where} shares its layer over {len(tensors)} input ({list(inputs)}), so merge_mode="
                f"{merge_mode!r} has nothing to merge. Use add_node(layer, name={name!r}, input={inputs[0]!r}) "
                "(functional API: y = layer(x)), or list more inputs."
            )
        with self._undo_on_error(layer):
            self._adopt_layer(layer, name)
            results = [layer(tensor) for tensor in tensors]
            if merge_mode is not None:
                args = (name, "add_shared_node", merge_mode, concat_axis, dot_axes, list(inputs))
                results = self._merged(results, *args)
        # Without merge_mode the node's name stands for the list of results.
        self._graph_nodes[name] = results
        if merge_mode is None:
            self._graph_nodes.update(zip(outputs, results))
        for output in (outputs or [name]) if create_output else ():
            self.add_output(output, input=output)

    def add_output(
        self,
        name: str,
        input: str | None = None,  # Keras 1's argument name
        inputs=(),
        merge_mode="concat",
        concat_axis: int = -1,
        dot_axes=-1,
    ) -> None:
        """Make the node named ``input`` (or ``inputs`` merged by ``merge_mode``)
        an output named ``name``: the key of its loss, its targets and its predictions."""
        where = self._where("add_output", name)
        if not isinstance(name, str) or not name:
            raise TypeError(f"{where}: the output name must be a non-empty string.")
        if name in self._graph_outputs:
            raise ValueError(
                f"{where}: this graph already has an output named {name!r}; outputs {list(self._graph_outputs)}. "
                "Give each output its own name."
            )
        if name in self._graph_inputs:
            raise ValueError(
                f"{where}: {name!r} is the name of an input, and fit/predict take one dict holding inputs and "
                "outputs by name. Give the output another name."
            )
        if (input is None) == (not inputs):
            raise ValueError(
                f"{where} needs exactly one of input='node' or inputs=['a', 'b'] (merged by merge_mode); "
                f"received input={input!r}, inputs={list(inputs)!r}."
            )
        if input is not None:
            tensor = self._single(input, "add_output", name)
        else:
            tensors = self._gather(inputs, "add_output", name)
            if merge_mode is None:
                raise ValueError(f"{where}: an output is one tensor; merge inputs={list(inputs)} with a merge_mode.")
            with self._undo_on_error():
                tensor = self._merged(tensors, name, "add_output", merge_mode, concat_axis, dot_axes, list(inputs))
        self._graph_outputs[name] = tensor
        try:
            self._rebuild()
        except BaseException:
            del self._graph_outputs[name]
            raise

    def _rebuild(self) -> None:
        self._init_graph(dict(self._graph_inputs), dict(self._graph_outputs))

    def _require_outputs(self, method: str) -> None:
        if not self._graph_outputs:
            raise RuntimeError(
                f"Graph '{self.name}' has no outputs yet, so it cannot {method}. Add one first with "
                "add_output(name, input='node')."
            )

    # --- data dicts -------------------------------------------------------------------
    def _split(self, data, method: str, with_outputs: bool = True) -> tuple:
        """``(x, y)``: the arrays of ``data`` for the inputs and for the outputs (or None)."""
        inputs, outputs = list(self._graph_inputs), list(self._graph_outputs)
        if not isinstance(data, dict):
            raise TypeError(
                f"Graph '{self.name}'.{method} takes one dict of arrays keyed by input and output name "
                f"(inputs {inputs}, outputs {outputs}); received {type(data).__name__}. E.g. "
                f"{method}({{{', '.join(repr(n) + ': ...' for n in inputs + outputs)}}})."
            )
        unknown = sorted(set(data) - set(inputs) - set(outputs))
        missing = [n for n in inputs + (outputs if with_outputs else []) if n not in data]
        if unknown or missing:
            problems = ([f"unknown names {unknown}"] if unknown else []) + (
                [f"no array for {missing}"] if missing else []
            )
            raise ValueError(
                f"Graph '{self.name}'.{method}: the data dict has {' and '.join(problems)}; its keys must be the "
                f"input names {inputs}" + (f" and the output names {outputs}." if with_outputs else ".")
            )
        x = {n: data[n] for n in inputs}
        return x, ({n: data[n] for n in outputs} if with_outputs else None)

    # --- Keras 1's training API -------------------------------------------------------
    def compile(self, optimizer, loss=None, metrics=None, sample_weight_modes=None, loss_weights=None, **kwargs):
        """Keras 1's compile: ``loss`` is a dict ``{output_name: loss}`` (or one loss for
        every output); ``metrics`` and ``loss_weights`` as in ``Model.compile``."""
        self._require_outputs("compile")
        outputs = list(self._graph_outputs)
        if isinstance(loss, dict):
            unknown = sorted(set(loss) - set(outputs))
            missing = [n for n in outputs if n not in loss]
            if unknown or missing:
                raise ValueError(
                    f"Graph '{self.name}'.compile: the loss dict needs one entry per output {outputs}; "
                    + (f"unknown outputs {unknown}. " if unknown else "")
                    + (f"no loss for {missing}." if missing else "")
                )
        if sample_weight_modes and any(mode is not None for mode in dict(sample_weight_modes).values()):
            raise ValueError(
                f"Graph '{self.name}'.compile: sample_weight_modes={sample_weight_modes!r} (Keras 1's per-timestep "
                "weights) is not supported. Weight each sample with fit(..., sample_weight={output: array})."
            )
        super().compile(optimizer=optimizer, loss=loss, loss_weights=loss_weights or None, metrics=metrics, **kwargs)

    def fit(
        self,
        data,
        batch_size: int = 32,
        nb_epoch: int | None = None,
        verbose=1,
        callbacks=None,
        validation_split: float = 0.0,
        validation_data=None,
        shuffle: bool = True,
        class_weight=None,
        sample_weight=None,
        epochs: int | None = None,
        **kwargs,
    ):
        """Train on ``data``, one dict of arrays keyed by input and output name.

        ``nb_epoch`` is Keras 1's name for ``epochs`` (either may be given; the
        default is Keras 1's 10). ``validation_data`` is a dict like ``data``;
        ``sample_weight`` a dict keyed by output name. Returns the History.
        """
        self._require_outputs("fit")
        x, y = self._split(data, "fit")
        if isinstance(validation_data, dict):
            validation_data = self._split(validation_data, "fit (validation_data)")
        return super().fit(
            x,
            y,
            batch_size=batch_size,
            epochs=_epochs(nb_epoch, epochs),
            verbose=verbose,
            callbacks=callbacks,
            validation_split=validation_split,
            validation_data=validation_data,
            shuffle=shuffle,
            class_weight=class_weight or None,
            sample_weight=sample_weight or None,
            **kwargs,
        )

    def evaluate(self, data, batch_size: int = 128, verbose=0, sample_weight=None, **kwargs):
        """The loss (and metrics) on ``data``, a dict of arrays keyed by input and output name."""
        self._require_outputs("evaluate")
        x, y = self._split(data, "evaluate")
        return super().evaluate(
            x, y, batch_size=batch_size, verbose=verbose, sample_weight=sample_weight or None, **kwargs
        )

    def predict(self, data, batch_size: int = 128, verbose=0, **kwargs) -> dict:
        """A dict ``{output_name: predictions}`` for ``data`` (arrays keyed by input name;
        arrays for outputs may be present and are ignored)."""
        self._require_outputs("predict")
        x, _ = self._split(data, "predict", with_outputs=False)
        return super().predict(x, batch_size=batch_size, verbose=verbose, **kwargs)

    def train_on_batch(self, data, class_weight=None, sample_weight=None, **kwargs):
        """One training step on ``data`` (a dict by input and output name); returns the loss."""
        self._require_outputs("train_on_batch")
        x, y = self._split(data, "train_on_batch")
        return super().train_on_batch(
            x, y, sample_weight=sample_weight or None, class_weight=class_weight or None, **kwargs
        )

    def test_on_batch(self, data, sample_weight=None, **kwargs):
        """The loss on one batch ``data`` (a dict by input and output name), without training."""
        self._require_outputs("test_on_batch")
        x, y = self._split(data, "test_on_batch")
        return super().test_on_batch(x, y, sample_weight=sample_weight or None, **kwargs)

    def predict_on_batch(self, data) -> dict:
        """A dict ``{output_name: predictions}`` for one batch ``data``."""
        self._require_outputs("predict_on_batch")
        x, _ = self._split(data, "predict_on_batch", with_outputs=False)
        return super().predict_on_batch(x)

    def summary(self, *args, **kwargs) -> None:
        """Print the layer table (see ``Model.summary``)."""
        self._require_outputs("summarize itself")
        super().summary(*args, **kwargs)
