"""InputLayer and Input: the entry points of a model graph, fed or constant."""

import jax.numpy as jnp
import numpy as np

from loom.graph.node import Node
from loom.graph.symbolic_tensor import SymbolicTensor
from loom.layers.layer import Layer
from loom.state.variable import Variable
from loom.utils import dtypes


def _normalize_shape(shape, argument: str) -> tuple:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(
            f"Input: `{argument}` must be a tuple of ints (None for unknown dims), e.g. {argument}=(100,); "
            f"received {argument}={shape!r}."
        ) from None
    for dim in shape:
        if dim is not None and (not isinstance(dim, (int, np.integer)) or dim < 0):
            raise ValueError(
                f"Input: every dim of `{argument}` must be a non-negative int or None; "
                f"received {argument}={shape!r}."
            )
    return tuple(None if d is None else int(d) for d in shape)


def _standardize_input_dtype(dtype) -> str:
    """Keras's dtype name for an input: "string" for text (str, object, "string"), else numeric."""
    if dtype in ("string", "str") or dtype is str or dtype is object:
        return "string"
    return dtypes.standardize_dtype(dtype)


class InputLayer(Layer):
    """The layer behind ``Input``: it produces one symbolic tensor and has no weights.

    Args:
        shape: shape without the batch dim, e.g. ``(100,)`` (an int is accepted).
        batch_size: fixed batch size, or None.
        dtype: input dtype (floatx by default).
        batch_shape: full shape including the batch dim (instead of shape).
        input_tensor: a concrete array (or Variable) for a constant input that is
            part of the model but never fed; its full shape is the tensor's shape.
        name: the input's name (used for dict inputs to ``predict``/``fit``).
    """

    is_input_layer = True

    def __init__(
        self,
        shape=None,
        batch_size=None,
        dtype=None,
        sparse=None,
        batch_shape=None,
        input_tensor=None,
        optional=False,
        name=None,
        **kwargs,
    ):
        legacy_shape = kwargs.pop("input_shape", None)
        legacy_batch_shape = kwargs.pop("batch_input_shape", None)
        super().__init__(name=name, **kwargs)
        shape = legacy_shape if shape is None else shape
        batch_shape = legacy_batch_shape if batch_shape is None else batch_shape
        self._constant = None
        if input_tensor is not None:
            batch_shape, dtype = self._adopt_constant(input_tensor, shape, batch_shape, dtype)
        elif batch_shape is not None:
            if shape is not None:
                raise ValueError("Input: pass either `shape` or `batch_shape`, not both.")
            batch_shape = _normalize_shape(batch_shape, "batch_shape")
        elif shape is not None:
            batch_shape = (batch_size,) + _normalize_shape(shape, "shape")
        else:
            raise ValueError(
                "Input needs a shape: pass shape=(...) without the batch dim, e.g. Input(shape=(100,)), "
                "batch_shape=(32, 100), or tensor=array for a constant input."
            )
        self.batch_shape = batch_shape
        self.sparse = bool(sparse)
        self.optional = optional
        self._input_dtype = _standardize_input_dtype(dtype)
        self.built = True
        # JAX has no string dtype, so a string input's tensor carries Keras's name for it;
        # host layers (see host_layer.py) are the ones that consume it.
        tensor = SymbolicTensor(
            batch_shape, "int32" if self._input_dtype == "string" else self._input_dtype, name=self.name
        )
        tensor.dtype = self._input_dtype
        Node(self, (), {}, tensor)

    def _adopt_constant(self, value, shape, batch_shape, dtype):
        if isinstance(value, SymbolicTensor):
            raise TypeError(
                "Input(tensor=...) takes a concrete array, which becomes a constant input of the model; "
                "received a symbolic tensor. Use that tensor directly instead of wrapping it in Input."
            )
        if not isinstance(value, Variable):
            value = np.asarray(value)
            if value.dtype == np.float64:
                value = value.astype(dtypes.floatx())
        full_shape = tuple(value.shape)
        for argument, given in (("shape", shape), ("batch_shape", batch_shape)):
            if given is not None:
                given = _normalize_shape(given, argument)
                if given not in (full_shape, full_shape[1:]):
                    raise ValueError(
                        f"Input: {argument}={given} does not match the constant tensor of shape {full_shape}."
                    )
        self._constant = value
        return full_shape, dtype or value.dtype

    @property
    def is_constant(self) -> bool:
        return self._constant is not None

    def constant_value(self):
        """The array a constant input supplies every time the model runs."""
        value = self._constant.value if isinstance(self._constant, Variable) else self._constant
        return jnp.asarray(value, dtype=self._input_dtype)

    @property
    def output(self):
        return self._inbound_nodes[0].outputs[0]

    def call(self, *args, **kwargs):
        raise RuntimeError(f"{self.describe()} cannot be called; use its output tensor (`Input(...)`) instead.")

    def __call__(self, *args, **kwargs):
        return self.call()

    def get_config(self) -> dict:
        return {
            "batch_shape": self.batch_shape,
            "dtype": self._input_dtype,
            "sparse": self.sparse,
            "name": self.name,
            "optional": self.optional,
        }


def Input(
    shape=None,
    batch_size=None,
    dtype=None,
    sparse=None,
    batch_shape=None,
    name=None,
    tensor=None,
    optional=False,
):
    """A symbolic tensor that starts a model graph.

    Args:
        shape: shape of one sample, e.g. ``(100,)`` or ``100``; None marks an unknown dim.
        batch_size: fixed batch size (optional).
        dtype: dtype of the input (floatx by default); "string" for text, which
            host layers (TextVectorization, StringLookup, Hashing) turn into numbers.
        batch_shape: full shape including the batch dim, instead of ``shape``.
        name: name of the input; ``predict``/``fit`` accept dicts keyed by it.
        tensor: a NumPy/JAX array (or ``loom.backend.variable``) making this a
            constant input: part of the model, never fed by the user.

    Example:
        >>> x = Input(shape=(100,))
        >>> x.shape
        (None, 100)
    """
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        sparse=sparse,
        batch_shape=batch_shape,
        input_tensor=tensor,
        optional=optional,
        name=name,
    )
    return layer.output
