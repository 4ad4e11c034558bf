"""The Keras 2 backend functions that user code still calls as ``K`` (``import loom.backend as K``).

Each function accepts arrays, variables and symbolic tensors and routes through
``loom.ops``, so ``K.sum(x * y, axis=-1)`` inside a ``Lambda`` or on model
tensors records graph nodes exactly as ``loom.ops`` does.
"""

import builtins

import numpy as np

from loom import ops
from loom import random as loom_random
from loom.config.defaults import backend as backend
from loom.config.defaults import epsilon as epsilon
from loom.config.defaults import floatx as floatx
from loom.config.defaults import image_data_format as image_data_format
from loom.config.defaults import set_epsilon as set_epsilon
from loom.config.defaults import set_floatx as set_floatx
from loom.config.defaults import set_image_data_format as set_image_data_format
from loom.graph import topology
from loom.graph.replay import replay
from loom.graph.symbolic_tensor import SymbolicTensor
from loom.layers import call_context
from loom.state.seed_generator import draw_key
from loom.state.stateless_scope import StatelessScope
from loom.state.variable import Variable
from loom.utils import naming

# --- session, configuration -------------------------------------------------------
# backend, floatx, epsilon and image_data_format (with their setters) come from loom.config.


def clear_session() -> None:
    """Forget the automatic names handed out so far, so new layers start at ``dense``, ``dense_1``..."""
    naming.reset_names()


# --- shapes and types -------------------------------------------------------------


def is_keras_tensor(x) -> bool:
    """Whether ``x`` is a symbolic tensor of a model graph."""
    return isinstance(x, SymbolicTensor)


def int_shape(x) -> tuple:
    """The shape of ``x`` as a tuple of ints, with None for unknown dims (the batch)."""
    return ops.shape(x)


def shape(x) -> tuple:
    """The shape of ``x``; unknown dims are None.

    Keras 2 returned a symbolic shape tensor. A tuple serves the same uses
    (``K.shape(x)[0]`` inside a ``Lambda`` is the traced batch size).
    """
    return ops.shape(x)


def ndim(x) -> int:
    """The number of axes of ``x``."""
    return len(ops.shape(x))


def dtype(x) -> str:
    """The dtype name of ``x``, e.g. ``"float32"``."""
    return ops.dtype(x)


def cast(x, dtype):
    """``x`` converted to ``dtype``."""
    return ops.cast(x, dtype)


def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None) -> SymbolicTensor:
    """A symbolic tensor to feed through ``function``.

    Args:
        shape: the shape, None for unknown dims; or give ``ndim``.
        ndim: the rank, when every dim is unknown.
        dtype: floatx by default.
        sparse: must be False; loom tensors are dense.
        name: optional name.
    """
    if sparse:
        raise ValueError("K.placeholder: sparse placeholders are not supported; pass sparse=False.")
    if shape is None:
        if ndim is None:
            raise ValueError("K.placeholder needs `shape` or `ndim`, e.g. K.placeholder(shape=(None, 3)).")
        shape = (None,) * ndim
    return SymbolicTensor(shape, dtype, name=name)


# --- constants and variables ------------------------------------------------------


def constant(value, dtype=None, shape=None, name=None):
    """An array holding ``value`` (floatx by default); a scalar fills ``shape``, else it is reshaped to it."""
    value = ops.convert_to_tensor(value, dtype=dtype or floatx())
    if shape is None:
        return value
    shape = tuple(shape)
    if value.size == 1:
        return ops.full(shape, value.reshape(()), dtype=value.dtype)
    if int(np.prod(shape)) != value.size:
        raise ValueError(
            f"K.constant: a value of {value.size} elements cannot take shape={shape}; "
            "give a scalar, or a value with as many elements as the shape."
        )
    return ops.reshape(value, shape)


def variable(value, dtype=None, name=None, constraint=None) -> Variable:
    """A ``Variable`` initialized to ``value`` (floatx unless ``dtype`` says otherwise)."""
    if isinstance(value, SymbolicTensor):
        raise TypeError(
            "K.variable needs concrete numbers; received a symbolic tensor. Use it directly in the "
            "graph, or K.constant(np_array) for a fixed array."
        )
    return Variable(ops.convert_to_numpy(value), dtype=dtype or floatx(), name=name, constraint=constraint)


def zeros(shape, dtype=None, name=None) -> Variable:
    """A ``Variable`` of zeros (as in Keras 2, not a plain array)."""
    return Variable(ops.zeros(shape, dtype=dtype or floatx()), name=name)


def ones(shape, dtype=None, name=None) -> Variable:
    """A ``Variable`` of ones (as in Keras 2, not a plain array)."""
    return Variable(ops.ones(shape, dtype=dtype or floatx()), name=name)


def eye(size, dtype=None, name=None) -> Variable:
    """A ``Variable`` holding the ``size`` x ``size`` identity matrix."""
    return Variable(ops.eye(size, dtype=dtype or floatx()), name=name)


def zeros_like(x, dtype=None, name=None):
    """Zeros shaped like ``x``, of ``x``'s dtype unless ``dtype`` is given."""
    return ops.zeros_like(x, dtype=dtype)


def ones_like(x, dtype=None, name=None):
    """Ones shaped like ``x``, of ``x``'s dtype unless ``dtype`` is given."""
    return ops.ones_like(x, dtype=dtype)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples; an int ``seed`` gives the same draw every time."""
    return loom_random.normal(shape, mean=mean, stddev=stddev, dtype=dtype, seed=seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Uniform samples on ``[minval, maxval)``; an int ``seed`` gives the same draw every time."""
    return loom_random.uniform(shape, minval=minval, maxval=maxval, dtype=dtype, seed=seed)


def get_value(x) -> np.ndarray:
    """The current value of a variable (or array) as a NumPy array."""
    return ops.convert_to_numpy(x)


def batch_get_value(tensors) -> list:
    """``get_value`` of each tensor."""
    return [get_value(x) for x in tensors]


def set_value(x, value) -> None:
    """Assign ``value`` (same shape) to the variable ``x``."""
    if not isinstance(x, Variable):
        raise TypeError(
            f"K.set_value needs a variable (from K.variable or a layer's weights); received {type(x).__name__}."
        )
    x.assign(value)


def batch_set_value(tuples) -> None:
    """``set_value`` for each ``(variable, value)`` pair."""
    for x, value in tuples:
        set_value(x, value)


def eval(x) -> np.ndarray:  # noqa: A001 - Keras 2's name
    """The value of a variable or array as a NumPy array."""
    return ops.convert_to_numpy(x)


def count_params(x) -> int:
    """The number of entries of ``x``."""
    return int(np.prod(int_shape(x)))


# --- arithmetic, reductions, elementwise -------------------------------------------


def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras 2's name
    """Sum over ``axis`` (all axes if None)."""
    return ops.sum(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """Mean over ``axis``; booleans are averaged as floatx, as in Keras 2."""
    if dtype(x) == "bool":
        x = ops.cast(x, floatx())
    return ops.mean(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001 - Keras 2's name
    """Maximum over ``axis``."""
    return ops.max(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001 - Keras 2's name
    """Minimum over ``axis``."""
    return ops.min(x, axis=axis, keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    """Product over ``axis``."""
    return ops.prod(x, axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    """Standard deviation over ``axis``."""
    return ops.std(x, axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    """Variance over ``axis``."""
    return ops.var(x, axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001 - Keras 2's name
    """Whether any entry is true over ``axis``."""
    return ops.any(x, axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001 - Keras 2's name
    """Whether all entries are true over ``axis``."""
    return ops.all(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=-1):
    """Index of the maximum along ``axis`` (the last by default, as in Keras 2)."""
    return ops.argmax(x, axis=axis)


def argmin(x, axis=-1):
    """Index of the minimum along ``axis`` (the last by default, as in Keras 2)."""
    return ops.argmin(x, axis=axis)


def exp(x):
    """Elementwise ``e ** x``."""
    return ops.exp(x)


def log(x):
    """Elementwise natural logarithm."""
    return ops.log(x)


def square(x):
    """Elementwise ``x * x``."""
    return ops.square(x)


def sqrt(x):
    """Elementwise square root, with negative entries clipped to 0 first (Keras 2's guard)."""
    return ops.sqrt(ops.maximum(x, 0.0))


def abs(x):  # noqa: A001 - Keras 2's name
    """Elementwise ``|x|``."""
    return ops.abs(x)


def sign(x):
    """Elementwise sign."""
    return ops.sign(x)


def round(x):  # noqa: A001 - Keras 2's name
    """Elementwise rounding to the nearest integer (halves to even)."""
    return ops.round(x)


def pow(x, a):  # noqa: A001 - Keras 2's name
    """Elementwise ``x ** a``."""
    return ops.power(x, a)


def clip(x, min_value, max_value):
    """``x`` limited to ``[min_value, max_value]``; None means unbounded, as in Keras 2."""
    if max_value is not None and min_value is not None and max_value < min_value:
        max_value = min_value
    return ops.clip(x, min_value, max_value)


def maximum(x, y):
    """Elementwise maximum."""
    return ops.maximum(x, y)


def minimum(x, y):
    """Elementwise minimum."""
    return ops.minimum(x, y)


def equal(x, y):
    """Elementwise ``x == y``."""
    return ops.equal(x, y)


def not_equal(x, y):
    """Elementwise ``x != y``."""
    return ops.not_equal(x, y)


def greater(x, y):
    """Elementwise ``x > y``."""
    return ops.greater(x, y)


def greater_equal(x, y):
    """Elementwise ``x >= y``."""
    return ops.greater_equal(x, y)


def less(x, y):
    """Elementwise ``x < y``."""
    return ops.less(x, y)


def less_equal(x, y):
    """Elementwise ``x <= y``."""
    return ops.less_equal(x, y)


def switch(condition, then_expression, else_expression):
    """``then_expression`` where ``condition`` holds, else ``else_expression``.

    As in Keras 2, either expression may be a callable taking no arguments, and
    a condition of lower rank selects along the leading axes (a (batch,)
    condition picks whole samples). Both expressions are computed.
    """
    then_expression = then_expression() if callable(then_expression) else then_expression
    else_expression = else_expression() if callable(else_expression) else else_expression
    condition = ops.cast(condition, "bool")
    cond_ndim, expr_ndim = ndim(condition), ndim(then_expression)
    if cond_ndim > expr_ndim:
        raise ValueError(
            f"K.switch: the condition's rank ({cond_ndim}) must not exceed the expressions' rank "
            f"({expr_ndim}); received shapes {int_shape(condition)} and {int_shape(then_expression)}."
        )
    for _ in range(expr_ndim - cond_ndim):
        condition = ops.expand_dims(condition, -1)
    return ops.where(condition, then_expression, else_expression)


def stop_gradient(variables):
    """``variables`` (a tensor or a list of them) with gradients blocked."""
    if isinstance(variables, (list, tuple)):
        return [ops.stop_gradient(v) for v in variables]
    return ops.stop_gradient(variables)


# --- activations and losses ---------------------------------------------------------


def softmax(x, axis=-1):
    """Softmax along ``axis``."""
    return ops.softmax(x, axis=axis)


def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return ops.sigmoid(x)


def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(x)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with Keras 2's options.

    Args:
        x: input tensor.
        alpha: slope below ``threshold``.
        max_value: upper bound of the output, if given.
        threshold: inputs at or below it give ``alpha * (x - threshold)``.
    """
    negative_part = ops.relu(threshold - x) if alpha != 0 else None
    if threshold != 0:
        x = x * ops.cast(ops.greater(x, threshold), dtype(x))
    else:
        x = ops.relu(x)
    if max_value is not None:
        x = ops.clip(x, 0.0, max_value)
    if negative_part is not None:
        x = x - alpha * negative_part
    return x


def l2_normalize(x, axis=None):
    """``x / sqrt(max(sum(x ** 2), 1e-12))`` over ``axis`` (all axes if None)."""
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x * ops.rsqrt(ops.maximum(square_sum, 1e-12))


def one_hot(indices, num_classes):
    """Integer ``indices`` as one-hot vectors on a new last axis."""
    return ops.one_hot(indices, num_classes)


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary crossentropy."""
    return ops.binary_crossentropy(target, output, from_logits=from_logits)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Crossentropy between one-hot ``target`` and ``output`` along ``axis``."""
    return ops.categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Crossentropy between integer ``target`` and ``output`` along ``axis``."""
    return ops.sparse_categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


# --- shapes and layout --------------------------------------------------------------


def transpose(x):
    """``x`` with all axes reversed."""
    return ops.transpose(x)


def permute_dimensions(x, pattern):
    """``x`` with axes in the order ``pattern``."""
    return ops.transpose(x, tuple(pattern))


def reshape(x, shape):
    """``x`` with a new shape; one dim may be -1."""
    return ops.reshape(x, tuple(shape))


def batch_flatten(x):
    """``x`` flattened to (batch, everything else)."""
    return ops.reshape(x, (-1, int(np.prod(int_shape(x)[1:]))))


def flatten(x):
    """``x`` flattened to one dimension."""
    return ops.reshape(x, (-1,))


def expand_dims(x, axis=-1):
    """``x`` with a new axis of size 1 at ``axis`` (the end by default)."""
    return ops.expand_dims(x, axis)


def squeeze(x, axis):
    """``x`` without its size-1 axis ``axis``."""
    return ops.squeeze(x, axis)


def stack(x, axis=0):
    """The tensors of ``x`` stacked along a new ``axis``."""
    return ops.stack(x, axis=axis)


def concatenate(tensors, axis=-1):
    """``tensors`` joined along ``axis`` (the last by default, as in Keras 2)."""
    return ops.concatenate(tensors, axis=axis)


def tile(x, n):
    """``x`` repeated ``n[i]`` times along axis ``i``."""
    return ops.tile(x, n)


def repeat_elements(x, rep, axis):
    """Each slice of ``x`` along ``axis`` repeated ``rep`` times."""
    return ops.repeat(x, rep, axis=axis)


def gather(reference, indices):
    """Rows of ``reference`` at ``indices`` (a gather along axis 0)."""
    return ops.take(reference, indices, axis=0)


# --- products -------------------------------------------------------------------------


def dot(x, y):
    """Keras 2's ``dot``: a matrix product, and for n-D inputs the sum over x's last axis
    and y's second-to-last (y's only axis if it is 1-D), as ``tf.keras.backend.dot``.

    Shapes: (2, 3) . (3, 4) -> (2, 4); (32, 28, 3) . (3,) -> (32, 28);
    (2, 3, 4) . (5, 4, 6) -> (2, 3, 5, 6).
    """
    x_shape, y_shape = int_shape(x), int_shape(y)
    if not x_shape or not y_shape:
        raise ValueError(f"K.dot needs inputs of rank >= 1; received shapes {x_shape} and {y_shape}.")
    y_axis = 0 if len(y_shape) == 1 else len(y_shape) - 2
    if None not in (x_shape[-1], y_shape[y_axis]) and x_shape[-1] != y_shape[y_axis]:
        raise ValueError(
            f"K.dot sums x's last axis against y's {'only' if len(y_shape) == 1 else 'second-to-last'} axis, "
            f"so their sizes must match; received shapes {x_shape} and {y_shape}."
        )
    return ops.tensordot(x, y, axes=([len(x_shape) - 1], [y_axis]))


def batch_dot(x, y, axes=None):
    """The dot product of ``x`` and ``y`` sample by sample, with Keras 2's shape rules.

    Args:
        x: tensor of rank >= 2, axis 0 the batch.
        y: tensor of rank >= 2 with the same batch size.
        axes: an int (the same axis of both), a pair ``(x_axis, y_axis)``, or
            None for x's last axis and y's second-to-last (its last if 2-D).

    Returns:
        A tensor shaped as x's shape without the summed axis, followed by y's
        shape without the batch and the summed axis; a result of rank 1 is
        reshaped to (batch, 1). Examples: x (32, 20), y (32, 30, 20),
        axes=(1, 2) -> (32, 30); x (32, 20, 1), y (32, 30, 20), axes=(1, 2)
        -> (32, 1, 30); x (32, 20), y (32, 20), axes=1 -> (32, 1).
    """
    x_shape, y_shape = int_shape(x), int_shape(y)
    x_ndim, y_ndim = len(x_shape), len(y_shape)
    if x_ndim < 2 or y_ndim < 2:
        raise ValueError(
            f"K.batch_dot needs inputs of rank >= 2 (axis 0 is the batch); received shapes {x_shape} "
            f"and {y_shape}. Add a batch axis with K.expand_dims(x, 0)."
        )
    if None not in (x_shape[0], y_shape[0]) and x_shape[0] != y_shape[0]:
        raise ValueError(f"K.batch_dot needs equal batch sizes; received shapes {x_shape} and {y_shape}.")
    axes = _batch_dot_axes(axes, x_ndim, y_ndim, x_shape, y_shape)
    letters = "abcdefghijklmnopqrstuvwxyz"
    x_letters = list(letters[:x_ndim])
    y_letters = [x_letters[0]] + list(letters[x_ndim:x_ndim + y_ndim - 1])
    y_letters[axes[1]] = x_letters[axes[0]]  # the summed axis
    out_letters = [c for i, c in enumerate(x_letters) if i != axes[0]]
    out_letters += [c for i, c in enumerate(y_letters) if i not in (0, axes[1])]
    result = ops.einsum(f"{''.join(x_letters)},{''.join(y_letters)}->{''.join(out_letters)}", x, y)
    return ops.expand_dims(result, 1) if len(out_letters) == 1 else result


def _batch_dot_axes(axes, x_ndim: int, y_ndim: int, x_shape: tuple, y_shape: tuple) -> list:
    if axes is None:
        axes = [x_ndim - 1, y_ndim - 1 if y_ndim == 2 else y_ndim - 2]
    elif isinstance(axes, int):
        axes = [axes, axes]
    elif not (isinstance(axes, (list, tuple)) and len(axes) == 2 and builtins.all(isinstance(a, int) for a in axes)):
        raise ValueError(
            f"K.batch_dot: `axes` must be an int or a pair of ints (one axis of each input); received axes={axes!r}."
        )
    axes = [axes[0] % x_ndim if axes[0] < 0 else axes[0], axes[1] % y_ndim if axes[1] < 0 else axes[1]]
    if 0 in axes:
        raise ValueError(
            f"K.batch_dot cannot sum over axis 0, the batch; received axes={axes}. If your inputs "
            "are not batched, add a batch axis with K.expand_dims(x, 0)."
        )
    if axes[0] >= x_ndim or axes[1] >= y_ndim:
        raise ValueError(f"K.batch_dot: axes={axes} is out of range for shapes {x_shape} and {y_shape}.")
    d1, d2 = x_shape[axes[0]], y_shape[axes[1]]
    if None not in (d1, d2) and d1 != d2:
        raise ValueError(
            f"K.batch_dot with axes={axes} needs x.shape[{axes[0]}] == y.shape[{axes[1]}]; received "
            f"shapes {x_shape} and {y_shape} ({d1} != {d2})."
        )
    return axes



# --- the learning phase and K.function ---------------------------------------------


class _LearningPhase:
    """The placeholder returned by ``learning_phase()``: feed 0 or 1 to ``function``."""

    def __repr__(self):
        return "<K.learning_phase()>"


_LEARNING_PHASE = _LearningPhase()


def learning_phase() -> _LearningPhase:
    """A placeholder for the training flag, to list among the inputs of ``function``.

    Its fed value (0 or 1, False or True) becomes ``training`` for every layer
    the function runs, so ``K.function([model.input, K.learning_phase()], outputs)``
    called with ``[x, 1]`` runs dropout as in training.
    """
    return _LEARNING_PHASE


class Function:
    """A callable that computes ``outputs`` from arrays fed for ``inputs``; see ``function``."""

    def __init__(self, inputs, outputs, name=None):
        self.name = name
        self.inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        self._outputs_structure = outputs
        self.outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        for kind, tensors in (("inputs", self.inputs), ("outputs", self.outputs)):
            for i, t in enumerate(tensors):
                if not isinstance(t, SymbolicTensor) and not (kind == "inputs" and t is _LEARNING_PHASE):
                    raise TypeError(
                        f"K.function: {kind}[{i}] must be a symbolic tensor (a model's input or a "
                        f"layer's output){' or K.learning_phase()' if kind == 'inputs' else ''}; "
                        f"received {type(t).__name__}."
                    )
        self._fed = [t for t in self.inputs if t is not _LEARNING_PHASE]
        try:
            self._nodes, _ = topology.nodes_between(self._fed, self.outputs)
        except topology.DisconnectedError as err:
            raise ValueError(
                f"K.function: the output {err.output!r} needs {err.missing_input!r}, which is not "
                "among `inputs`; add it to the inputs list."
            ) from None

    def __call__(self, inputs):
        """Run the graph on ``inputs``, one array per entry of ``self.inputs``, in order.

        Returns:
            NumPy arrays in the structure of ``outputs`` (a list for a list).
        """
        if not isinstance(inputs, (list, tuple)):
            inputs = [inputs]
        if len(inputs) != len(self.inputs):
            raise ValueError(
                f"K.function{f' {self.name!r}' if self.name else ''} was built with {len(self.inputs)} "
                f"inputs but called with {len(inputs)} arrays; pass one array per input, in order."
            )
        training = False
        values = {}
        for tensor, value in zip(self.inputs, inputs):
            if tensor is _LEARNING_PHASE:
                training = bool(value)
            else:
                values[id(tensor)] = ops.convert_to_tensor(value, dtype=tensor.dtype)
        # As a Keras 2 function without `updates`: no state changes (batch-norm statistics,
        # seed counters) survive the call, and random layers draw fresh keys every call.
        with StatelessScope(rng=draw_key(None), collect_losses=False), call_context.enter(None, training):
            values, _ = replay(self._nodes, values)
        results = [ops.convert_to_numpy(values[id(t)]) for t in self.outputs]
        return results if isinstance(self._outputs_structure, (list, tuple)) else results[0]


def function(inputs, outputs, updates=None, name=None, **kwargs) -> Function:
    """A callable computing ``outputs`` from arrays fed for ``inputs`` (Keras 2's ``K.function``).

    Args:
        inputs: the symbolic tensors to feed (a model's inputs, any layer
            output), optionally with ``learning_phase()`` among them.
        outputs: a symbolic tensor or a list of them, computed from ``inputs``.
        updates: not supported (must be None or empty); train with ``fit``.
        name: optional name used in error messages.

    Returns:
        ``f(list_of_arrays)`` returning NumPy arrays in the structure of ``outputs``.

    Example:
        >>> f = K.function([model.input, K.learning_phase()], [model.layers[1].output])
        >>> hidden = f([x, 0])[0]
    """
    if updates:
        raise ValueError(
            "K.function: `updates` are not supported; loom applies state updates inside fit(). "
            "Pass updates=None."
        )
    if kwargs:
        raise TypeError(f"K.function got unexpected keyword arguments {sorted(kwargs)}.")
    return Function(inputs, outputs, name=name)
