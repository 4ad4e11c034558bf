"""Host prefix: the host layers at the start of a functional model, run in NumPy before its compiled part.

Strings cannot enter a JAX program, and Keras's lookup, hashing and text layers are
TensorFlow ops that a compiled JAX step cannot hold. A functional model whose first
layers are host layers (``HostLayer``: TextVectorization, StringLookup, IntegerLookup,
Hashing, HashedCrossing) is therefore run in two parts:

1. the *host prefix*: those layers, applied in NumPy to each batch of raw data (string
   arrays in, integer or float arrays out) by ``data_adapters.convert_inputs``, which
   fit, evaluate and predict call on every array or batch they receive;
2. the *compiled part*: every other layer, traced and compiled as usual, starting at
   the prefix's outputs (the *boundary* tensors) and the model's numeric inputs.

Between the two, data travels as ``HostEncoded``: a pytree that slicing, device
placement and ``jax.jit`` treat like any other arrays, and that the model's ``call``
recognizes as already encoded. Calling the model eagerly on raw data runs both parts;
calling it on symbolic tensors records every layer as usual, so ``Input(shape=(1,),
dtype="string") -> TextVectorization -> Embedding -> ...`` builds like any model.

The split is decided when the model's graph is made: a host layer must take the
model's inputs or other host layers' outputs, and a string input may feed host layers
only; either mistake is reported then, naming the layer.
"""

from typing import NamedTuple

import numpy as np

from loom.graph.replay import replay


class HostEncoded(NamedTuple):
    """A model's inputs after its host prefix ran: the fed inputs the compiled part reads
    (in the model's fed-input order, host-only inputs left out) and the boundary arrays."""

    inputs: tuple
    boundary: tuple


class HostPrefix:
    """The host nodes of a functional model and the tensors where its compiled part starts.

    Args:
        model_name: the model's name, for errors.
        nodes: the model's nodes in topological order.
        fed_inputs: the model's fed input tensors.
        outputs: the model's output tensors.
    """

    def __init__(self, model_name: str, nodes: list, fed_inputs: list, outputs: list):
        self.host_nodes = [n for n in nodes if _runs_on_host(n)]
        host_outputs = {id(t) for n in self.host_nodes for t in n.outputs}
        fed_ids = {id(t) for t in fed_inputs}
        consumers = {}
        for node in nodes:
            for tensor in node.input_tensors:
                consumers.setdefault(id(tensor), []).append(node)
        for node in self.host_nodes:
            for tensor in node.input_tensors:
                if id(tensor) not in fed_ids and id(tensor) not in host_outputs:
                    source = tensor.operation.name if tensor.operation is not None else repr(tensor)
                    raise ValueError(
                        f"Model '{model_name}': layer '{node.operation.name}' ({type(node.operation).__name__}) runs on "
                        f"the host in NumPy, so it must take the model's inputs (or other host layers' outputs); it "
                        f"receives the output of '{source}', which is computed in the compiled part. Move it to the "
                        "start of the model, or apply it to the data before fit/predict."
                    )
        output_ids = {id(t) for t in outputs}
        self.host_only_inputs = [
            t
            for t in fed_inputs
            if id(t) not in output_ids and consumers.get(id(t)) and all(_runs_on_host(n) for n in consumers[id(t)])
        ]
        host_only = {id(t) for t in self.host_only_inputs}
        for tensor in fed_inputs:
            if tensor.dtype == "string" and id(tensor) not in host_only:
                raise ValueError(
                    f"Model '{model_name}': input '{tensor.name}' holds strings, which only host layers "
                    "(TextVectorization, StringLookup, Hashing, ...) can take; it also feeds compiled layers or is an "
                    "output. Turn the strings into numbers first, e.g. StringLookup(vocabulary=...)(inputs)."
                )
        self.compiled_inputs = [t for t in fed_inputs if id(t) not in host_only]
        self.boundary = []
        for node in self.host_nodes:
            for tensor in node.outputs:
                used = any(not _runs_on_host(n) for n in consumers.get(id(tensor), [])) or id(tensor) in output_ids
                if used:
                    self.boundary.append(tensor)
        host_node_ids = {id(n) for n in self.host_nodes}
        self.compiled_nodes = [
            n for n in nodes if id(n) not in host_node_ids and not (n.is_input and id(n.outputs[0]) in host_only)
        ]

    def encode(self, fed_inputs: list, values: list) -> HostEncoded:
        """Run the host nodes on raw ``values`` (one per fed input) and return the compiled part's inputs."""
        computed, _ = replay(self.host_nodes, {id(t): v for t, v in zip(fed_inputs, values)})
        by_id = {id(t): v for t, v in zip(fed_inputs, values)}
        return HostEncoded(
            tuple(by_id[id(t)] for t in self.compiled_inputs),
            tuple(np.asarray(computed[id(t)]) for t in self.boundary),
        )

    def feed(self, encoded: HostEncoded) -> dict:
        """``{id(tensor): value}`` for the compiled part, from encoded inputs."""
        if len(encoded.inputs) != len(self.compiled_inputs) or len(encoded.boundary) != len(self.boundary):
            raise ValueError(
                f"Encoded inputs hold {len(encoded.inputs)} inputs and {len(encoded.boundary)} host outputs; this "
                f"model's compiled part takes {len(self.compiled_inputs)} and {len(self.boundary)}."
            )
        pairs = list(zip(self.compiled_inputs, encoded.inputs)) + list(zip(self.boundary, encoded.boundary))
        return {id(t): v for t, v in pairs}

    def tensors(self) -> list:
        """The compiled part's input tensors, in ``HostEncoded`` order."""
        return list(self.compiled_inputs) + list(self.boundary)


def _runs_on_host(node) -> bool:
    return getattr(node.operation, "runs_on_host", False)


def find_host_prefix(model_name: str, nodes: list, fed_inputs: list, outputs: list) -> HostPrefix | None:
    """The model's host prefix, or None when no layer runs on the host."""
    if not any(_runs_on_host(n) for n in nodes):
        return None
    return HostPrefix(model_name, nodes, fed_inputs, outputs)
