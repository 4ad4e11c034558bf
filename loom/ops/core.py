"""Core ops: conversion, casting, shapes, scatter/slice, and control flow."""

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np

from loom.graph.symbolic_tensor import SymbolicTensor
from loom.ops.operation import symbolic_op
from loom.state.variable import Variable
from loom.utils.dtypes import standardize_dtype


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """An array for ``x`` (array, Variable, list, scalar); symbolic tensors pass through.

    Args:
        x: an array, a ``Variable``, a nested list or a Python/NumPy scalar.
        dtype: the dtype wanted; None keeps the dtype of ``x``.
        sparse: accepted for Keras compatibility; loom arrays are always dense.
        ragged: accepted for Keras compatibility; loom arrays are never ragged.

    Returns:
        A ``jax.Array``. Float64 input becomes float32 unless JAX's x64 mode is
        on, as in Keras.
    """
    if isinstance(x, SymbolicTensor):
        return x if dtype is None or standardize_dtype(dtype) == x.dtype else cast(x, dtype)
    if isinstance(x, Variable):
        x = x.value
    if dtype is not None:
        dtype = standardize_dtype(dtype)
    if isinstance(x, jax.Array) and (dtype is None or x.dtype == dtype):
        return x
    return jnp.asarray(x, dtype=dtype)


def convert_to_numpy(x) -> np.ndarray:
    """A NumPy copy of an array or Variable; symbolic tensors raise a TypeError."""
    if isinstance(x, SymbolicTensor):
        x.numpy()  # raises the explanatory error
    if isinstance(x, Variable):
        x = x.value
    return np.asarray(x)


def is_tensor(x) -> bool:
    """Whether ``x`` is an array or a symbolic tensor (not a list, scalar or Variable)."""
    return isinstance(x, (jax.Array, SymbolicTensor))


@symbolic_op
def cast(x, dtype):
    """``x`` converted to ``dtype``."""
    return convert_to_tensor(x).astype(standardize_dtype(dtype))


@symbolic_op
def saturate_cast(x, dtype):
    """``x`` converted to ``dtype``, clipped to its range first so nothing wraps around."""
    x = convert_to_tensor(x)
    dtype = standardize_dtype(dtype)
    in_min, in_max = _dtype_range(standardize_dtype(x.dtype))
    out_min, out_max = _dtype_range(dtype)
    # Limits are taken in the input dtype; one it cannot represent exactly (float32
    # has no 2**31 - 1) rounds outward, so it is nudged back inside, as Keras does.
    low = np.maximum(in_min, out_min).astype(x.dtype)
    if low < out_min:
        low = np.nextafter(low, 0, dtype=x.dtype)
    high = np.minimum(in_max, out_max).astype(x.dtype)
    if high > out_max:
        high = np.nextafter(high, 0, dtype=x.dtype)
    return jnp.clip(x, low, high).astype(dtype)


def _dtype_range(dtype: str) -> tuple:
    if dtype == "bool":
        return 0, 1
    info = ml_dtypes.iinfo(dtype) if "int" in dtype else ml_dtypes.finfo(dtype)
    return info.min, info.max


def shape(x) -> tuple:
    """The shape of ``x`` as a tuple; unknown dims of symbolic tensors are None."""
    if isinstance(x, (SymbolicTensor, Variable)):
        return x.shape
    return tuple(x.shape) if hasattr(x, "shape") else tuple(np.shape(x))


def dtype(x) -> str:
    """The dtype name of ``x`` (``"float32"``), for arrays, variables and symbolic tensors."""
    if isinstance(x, (SymbolicTensor, Variable)):
        return x.dtype
    return standardize_dtype(convert_to_tensor(x).dtype)


@symbolic_op
def stop_gradient(variable):
    """``variable`` with its gradient blocked."""
    return jax.lax.stop_gradient(convert_to_tensor(variable))


@symbolic_op
def slice(inputs, start_indices, shape):  # noqa: A001 - Keras's name
    """A slice of ``shape`` starting at ``start_indices`` (which may be traced).

    A size of -1 in ``shape`` takes everything from the start index on.
    """
    inputs = convert_to_tensor(inputs)
    sizes = tuple(inputs.shape[i] - start_indices[i] if s == -1 else s for i, s in enumerate(shape))
    return jax.lax.dynamic_slice(inputs, start_indices, sizes)


@symbolic_op
def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block at ``start_indices`` replaced by ``updates``."""
    return jax.lax.dynamic_update_slice(convert_to_tensor(inputs), convert_to_tensor(updates), start_indices)


@symbolic_op
def scatter(indices, values, shape):
    """A zeros tensor of ``shape`` with ``values`` added at ``indices`` (N, rank)."""
    values = convert_to_tensor(values)
    key = tuple(jnp.moveaxis(convert_to_tensor(indices), -1, 0))
    return jnp.zeros(shape, values.dtype).at[key].add(values)


_SCATTER_REDUCTIONS = {None: "set", "add": "add", "max": "max", "min": "min", "mul": "multiply"}


@symbolic_op
def scatter_update(inputs, indices, updates, reduction=None):
    """``inputs`` with entries at ``indices`` (N, rank) set to, or combined with, ``updates``.

    Args:
        inputs: the tensor to update.
        indices: integer array of shape (N, rank of the updated entries).
        updates: the new values, one per index row.
        reduction: None to overwrite, or ``"add"``, ``"max"``, ``"min"``, ``"mul"``
            to combine with the current values.
    """
    if reduction not in _SCATTER_REDUCTIONS:
        raise ValueError(
            f"ops.scatter_update: `reduction` must be one of None, 'add', 'max', 'min', 'mul'; "
            f"received reduction={reduction!r}."
        )
    key = tuple(jnp.moveaxis(convert_to_tensor(indices), -1, 0))
    ref = convert_to_tensor(inputs).at[key]
    return getattr(ref, _SCATTER_REDUCTIONS[reduction])(convert_to_tensor(updates))


@symbolic_op
def unstack(x, num=None, axis=0):
    """The slices of ``x`` along ``axis``, as a list."""
    x = convert_to_tensor(x)
    return [jax.lax.index_in_dim(x, i, axis, keepdims=False) for i in range(x.shape[axis])]


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()``, traceable (both branches compile)."""
    return jax.lax.cond(pred, true_fn, false_fn)


def switch(index, branches, *operands):
    """``branches[index](*operands)``, traceable; ``index`` is clamped to the branches."""
    return jax.lax.switch(index, branches, *operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Run ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` holds.

    Args:
        cond: callable taking the loop variables, returning a boolean scalar.
        body: callable taking the loop variables, returning new ones of the
            same structure.
        loop_vars: a tensor, or a tuple/list of tensors (unpacked into the calls).
        maximum_iterations: optional cap on the number of iterations.

    Returns:
        The final loop variables: a tensor for a tensor, a tuple for a tuple or list.
    """
    is_sequence = isinstance(loop_vars, (tuple, list))
    # The carry is always a tuple: a list returned by `body` must not change the
    # pytree structure that lax.while_loop compares between iterations.
    carry = tuple(loop_vars) if is_sequence else (loop_vars,)

    def as_tuple(outputs):
        return tuple(outputs) if is_sequence else (outputs,)

    if maximum_iterations is None:
        final = jax.lax.while_loop(lambda v: cond(*v), lambda v: as_tuple(body(*v)), carry)
    else:
        final = jax.lax.while_loop(
            lambda v: jnp.logical_and(cond(*v[:-1]), v[-1] < maximum_iterations),
            lambda v: as_tuple(body(*v[:-1])) + (v[-1] + 1,),
            carry + (0,),
        )[:-1]
    return final if is_sequence else final[0]


def fori_loop(lower, upper, body_fun, init_val):
    """``init_val`` updated by ``body_fun(i, val)`` for ``i`` in ``[lower, upper)``."""
    return jax.lax.fori_loop(lower, upper, body_fun, init_val)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """``lax.scan``: carry ``init`` through ``f(carry, x)`` over the leading axis of ``xs``."""
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"ops.scan: `unroll` must be a positive int or a bool; received unroll={unroll!r}.")
    return jax.lax.scan(f, init, xs=xs, length=length, reverse=reverse, unroll=unroll)


def associative_scan(f, elems, reverse=False, axis=0):
    """Prefix scan of ``elems`` along ``axis`` with the associative binary ``f``."""
    return jax.lax.associative_scan(f, elems, reverse=reverse, axis=axis)


def map(f, xs):  # noqa: A001 - Keras's name
    """``f`` applied to each slice of ``xs`` along its leading axis, results stacked."""
    return jax.lax.map(f, xs)


def vectorized_map(function, elements):
    """``function`` vectorized over the leading axis of ``elements`` (``jax.vmap``)."""
    return jax.vmap(function)(elements)


def custom_gradient(f):
    """Decorator: ``f`` returns ``(output, grad_fn)``; ``grad_fn(upstream)`` gives the input gradients."""
    with_gradient = jax.custom_gradient(fun=f)

    def wrapper(*args, **kwargs):
        # jax.custom_gradient flattens its arguments and cannot see inside a Variable.
        args, kwargs = jax.tree_util.tree_map(
            lambda x: x.value if isinstance(x, Variable) else x,
            (args, kwargs),
            is_leaf=lambda x: isinstance(x, Variable),
        )
        return with_gradient(*args, **kwargs)

    return wrapper

