"""HostLayer: a layer computed in NumPy on the host, for data JAX cannot hold (strings) or
lookups TensorFlow does for Keras (hashing, vocabularies).

Keras runs these layers through TensorFlow ops, eagerly or in a ``tf.data`` pipeline,
never inside a compiled JAX function. loom runs them in NumPy: called on arrays they
return NumPy arrays; called on symbolic tensors they record a node whose outputs come
from ``compute_output_shape`` (strings cannot be traced). A functional model runs its
host layers before the compiled part (see ``host_prefix``).
"""

import jax
import numpy as np

from loom.graph.call_arguments import any_symbolic
from loom.graph.node import Node
from loom.graph.symbolic_tensor import SymbolicTensor
from loom.layers.layer import Layer

TRACED_HOST_LAYER_MESSAGE = """\
{layer} runs on the host in NumPy (it works on strings or lookup tables that JAX
cannot trace), so it cannot be called inside a compiled function (jax.jit, a Lambda
in the compiled part of a model, a custom train_step). Put it at the start of the
model, right after its Input, where fit/evaluate/predict run it on each batch's
host data before the compiled part:

    inputs = loom.Input(shape=(1,), dtype="string")
    ids = loom.layers.StringLookup(vocabulary=words)(inputs)   # host prefix
    outputs = loom.layers.Embedding(len(words) + 1, 8)(ids)    # compiled
"""


def index_dtype() -> str:
    """The integer dtype of lookup and hashing outputs: Keras's int64 when JAX has 64-bit
    types enabled (jax_enable_x64), else int32, the widest integer JAX then holds."""
    return "int64" if jax.config.jax_enable_x64 else "int32"


def string_tensor(shape) -> SymbolicTensor:
    """A symbolic tensor of strings (dtype "string", as Keras names it)."""
    tensor = SymbolicTensor(shape, "int32")
    tensor.dtype = "string"
    return tensor


def host_array(value, what: str) -> np.ndarray:
    """``value`` (a list, NumPy or JAX array) as a NumPy array; bytes become str."""
    if isinstance(value, jax.core.Tracer):
        raise TypeError(TRACED_HOST_LAYER_MESSAGE.format(layer=what))
    array = np.asarray(value)
    if array.dtype.kind == "S":
        array = np.char.decode(array, "utf-8")
    if array.dtype.kind == "O" and array.size and isinstance(array.reshape(-1)[0], bytes):
        array = np.vectorize(lambda b: b.decode("utf-8") if isinstance(b, bytes) else b, otypes=[object])(array)
    return array


class HostLayer(Layer):
    """Base of layers whose ``call`` takes and returns NumPy arrays, run on the host.

    Subclasses define ``call(inputs)`` in NumPy, ``compute_output_shape`` and
    ``output_dtype`` (a dtype name, or "string").
    """

    runs_on_host = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._convert_input_args = False

    @property
    def output_dtype(self) -> str:
        return index_dtype()

    def __call__(self, inputs, *args, **kwargs):
        kwargs.pop("training", None)
        kwargs.pop("mask", None)
        if any_symbolic(inputs):
            shapes = jax.tree_util.tree_map(lambda t: t.shape, inputs, is_leaf=lambda t: isinstance(t, SymbolicTensor))
            self._build_once(shapes)
            outputs = self.compute_output_spec(inputs)
            Node(self, (inputs,), kwargs, outputs)
            return outputs
        if isinstance(inputs, (list, tuple)) and self._takes_several_inputs:
            values = type(inputs)(host_array(v, self.describe()) for v in inputs)
            shapes = [v.shape for v in values]
        else:
            values = host_array(inputs, self.describe())
            shapes = values.shape
        self._build_once(shapes)
        return self.call(values, *args, **kwargs)

    _takes_several_inputs = False

    def _build_once(self, shapes) -> None:
        if not self.built:
            self.build(shapes)
            self.built = True

    def build(self, input_shape) -> None:
        self.built = True

    def compute_output_spec(self, inputs, *args, **kwargs):
        shapes = jax.tree_util.tree_map(lambda t: t.shape, inputs, is_leaf=lambda t: isinstance(t, SymbolicTensor))
        shape = self.compute_output_shape(shapes)
        if self.output_dtype == "string":
            return string_tensor(shape)
        return SymbolicTensor(shape, self.output_dtype)

    def _replay(self, args, kwargs, node, input_masks):
        return self(*args, **kwargs), None

    def _cast_output(self, array: np.ndarray) -> np.ndarray:
        """``array`` in this layer's output dtype (NumPy; strings stay as they are)."""
        if self.output_dtype == "string":
            return array
        return np.asarray(array).astype(self.output_dtype, copy=False)
