"""Operation: a computation that records a node on symbolic tensors and runs on arrays.

Layers are Operations with state. Stateless ops (``loom.ops.multiply``) are
plain functions wrapped by ``symbolic_op``: on concrete arrays they compute at
once; given any symbolic tensor they create a ``FunctionOperation`` that records
a node, with the output shape found by tracing the function itself.
"""

import functools

from loom.graph import shape_inference
from loom.graph.call_arguments import any_symbolic
from loom.graph.node import Node
from loom.utils import naming


class Operation:
    """Base of everything a graph node can call."""

    def __init__(self, name: str | None = None):
        if name is not None and (not isinstance(name, str) or not name or "/" in name):
            raise ValueError(
                f"{type(self).__name__}: `name` must be a non-empty string without '/'; received name={name!r}."
            )
        self.name = name or naming.auto_name(self)
        self._inbound_nodes = []
        self._outbound_nodes = []

    def __call__(self, *args, **kwargs):
        if any_symbolic((args, kwargs)):
            return self.symbolic_call(*args, **kwargs)
        return self.call(*args, **kwargs)

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement call().")

    def symbolic_call(self, *args, **kwargs):
        outputs = self.compute_output_spec(*args, **kwargs)
        Node(self, args, kwargs, outputs)
        return outputs

    def compute_output_spec(self, *args, **kwargs):
        return shape_inference.infer_output_spec(self.call, args, kwargs, describe=self.describe())

    def describe(self) -> str:
        return f"Operation '{self.name}'"

    def _replay(self, args, kwargs, node, input_masks):
        """Run once inside a graph replay; returns (outputs, output masks)."""
        return self(*args, **kwargs), None


class FunctionOperation(Operation):
    """One symbolic call of a ``loom.ops`` function."""

    def __init__(self, function, name: str | None = None):
        self.function = function
        self.function_name = function.__name__
        super().__init__(name=name or naming.unique_name(self.function_name))

    def call(self, *args, **kwargs):
        return self.function(*args, **kwargs)

    def describe(self) -> str:
        return f"ops.{self.function_name} ('{self.name}')"

    def get_config(self) -> dict:
        return {"name": self.name, "function": self.function_name}


def symbolic_op(function):
    """Make ``function`` record a graph node when any argument is a symbolic tensor."""

    @functools.wraps(function)
    def op(*args, **kwargs):
        if any_symbolic((args, kwargs)):
            return FunctionOperation(function)(*args, **kwargs)
        return function(*args, **kwargs)

    op.is_symbolic_op = True
    return op
