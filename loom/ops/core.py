"""Core ops: conversion, casting, shapes, and control flow."""

import jax
import jax.numpy as jnp
import numpy as np

from loom.graph.symbolic_tensor import SymbolicTensor, shape_of
from loom.ops.operation import symbolic_op
from loom.state.variable import Variable
from loom.utils.dtypes import standardize_dtype


def convert_to_tensor(x, dtype=None, sparse=None):
    """An array for ``x`` (array, Variable, list, scalar); symbolic tensors pass through.

    Float64 input becomes float32 unless JAX's x64 mode is on, as in Keras.
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
    """A NumPy copy of an array or Variable."""
    if isinstance(x, SymbolicTensor):
        x.numpy()  # raises the explanatory error
    if isinstance(x, Variable):
        x = x.value
    return np.asarray(x)


def is_tensor(x) -> bool:
    return isinstance(x, (jax.Array, SymbolicTensor))


@symbolic_op
def cast(x, dtype):
    """``x`` converted to ``dtype``."""
    return convert_to_tensor(x).astype(standardize_dtype(dtype))


def shape(x) -> tuple:
    """The shape of ``x`` as a tuple; unknown dims of symbolic tensors are None."""
    if isinstance(x, SymbolicTensor):
        return x.shape
    if isinstance(x, Variable):
        return x.shape
    return shape_of(jnp.shape(x)) if not hasattr(x, "shape") else tuple(x.shape)


def dtype(x) -> str:
    if isinstance(x, (SymbolicTensor, Variable)):
        return x.dtype
    return standardize_dtype(jnp.asarray(x).dtype)


@symbolic_op
def stop_gradient(variable):
    """``variable`` with its gradient blocked."""
    return jax.lax.stop_gradient(convert_to_tensor(variable))


@symbolic_op
def slice(inputs, start_indices, shape):  # noqa: A001 - Keras's name
    """A slice of ``shape`` starting at ``start_indices`` (which may be traced)."""
    return jax.lax.dynamic_slice(convert_to_tensor(inputs), start_indices, shape)


@symbolic_op
def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block at ``start_indices`` replaced by ``updates``."""
    return jax.lax.dynamic_update_slice(convert_to_tensor(inputs), convert_to_tensor(updates), start_indices)


@symbolic_op
def scatter(indices, values, shape):
    """A zeros tensor of ``shape`` with ``values`` added at ``indices`` (N, rank)."""
    indices = convert_to_tensor(indices)
    zeros = jnp.zeros(shape, convert_to_tensor(values).dtype)
    key = tuple(jnp.moveaxis(indices, -1, 0))
    return zeros.at[key].add(convert_to_tensor(values))


@symbolic_op
def scatter_update(inputs, indices, updates):
    """``inputs`` with entries at ``indices`` (N, rank) set to ``updates``."""
    indices = convert_to_tensor(indices)
    key = tuple(jnp.moveaxis(indices, -1, 0))
    return convert_to_tensor(inputs).at[key].set(convert_to_tensor(updates))


@symbolic_op
def unstack(x, num=None, axis=0):
    """The slices of ``x`` along ``axis``, as a list."""
    x = convert_to_tensor(x)
    return [jnp.take(x, i, axis=axis) for i in range(x.shape[axis])]


def cond(pred, true_fn, false_fn):
    return jax.lax.cond(pred, true_fn, false_fn)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    if maximum_iterations is None:
        return jax.lax.while_loop(lambda v: cond(*v) if isinstance(v, tuple) else cond(v), _splat(body), loop_vars)
    counted = (0, loop_vars)

    def counted_cond(state):
        i, v = state
        return jnp.logical_and(i < maximum_iterations, cond(*v) if isinstance(v, tuple) else cond(v))

    def counted_body(state):
        i, v = state
        return i + 1, _splat(body)(v)

    return jax.lax.while_loop(counted_cond, counted_body, counted)[1]


def _splat(fn):
    return lambda v: fn(*v) if isinstance(v, tuple) else fn(v)


def fori_loop(lower, upper, body_fun, init_val):
    return jax.lax.fori_loop(lower, upper, body_fun, init_val)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    return jax.lax.scan(f, init, xs=xs, length=length, reverse=reverse, unroll=unroll)


def map(f, xs):  # noqa: A001 - Keras's name
    return jax.lax.map(f, xs)
