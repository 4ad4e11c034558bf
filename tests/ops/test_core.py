"""Core ops: conversion, casting, shapes, scatter/slice and control flow."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import loom.ops as ops
from loom.graph import SymbolicTensor
from loom.state import Variable
from tests.ops.op_reference import Table, case, check_batch, check_concrete, check_symbolic, ids

rng = np.random.default_rng(4)
X = rng.standard_normal((2, 3, 4)).astype("float32")
BIG = np.array([[-300.0, 12.7, 300.0]], "float32")
INDICES = np.array([[0, 1], [2, 3]], "int32")
UPDATES = np.array([5.0, 7.0], "float32")


def _scatter_update(x, indices, updates, reduction=None):
    out = x.copy()
    for (i, j), u in zip(indices, updates):
        out[:, i, j] = {None: u, "add": out[:, i, j] + u, "max": np.maximum(out[:, i, j], u),
                        "min": np.minimum(out[:, i, j], u), "mul": out[:, i, j] * u}[reduction]
    return out


def _dense(indices, values, shape):
    out = np.zeros(shape, "float32")
    out[indices[:, 0], indices[:, 1]] = values
    return out


ALL = [
    case("cast", X, "int32", ref=lambda x, d: x.astype(d)),
    case("cast", X, "bfloat16", ref=lambda x, d: x.astype(jnp.bfloat16), rtol=1e-2, label="bfloat16"),
    case("saturate_cast", BIG, "uint8", ref=lambda x, d: np.clip(x, 0, 255).astype(d)),
    case("saturate_cast", BIG, "int8", ref=lambda x, d: np.clip(x, -128, 127).astype(d), label="int8"),
    case("stop_gradient", X, ref=lambda x: x),
    case("slice", X, (0, 1, 2), (2, 2, 2), batch=False, ref=lambda x, start, shape: x[:, 1:3, 2:4]),
    case("slice", X, (0, 1, 1), (2, -1, 2), batch=False, ref=lambda x, start, shape: x[:, 1:, 1:3], label="-1 size"),
    case("slice_update", X, (0, 1, 0), np.zeros((2, 1, 4), "float32"), batch=False,
         ref=lambda x, start, u: np.concatenate([x[:, :1], u, x[:, 2:]], 1)),
    case("scatter", INDICES, UPDATES, (3, 4), batch=False, ref=_dense),
    case("scatter_update", np.zeros((3, 4), "float32"), INDICES, UPDATES, batch=False,
         ref=lambda x, i, u: _dense(i, u, x.shape)),
    case("unstack", X, axis=1, batch=True, ref=lambda x, axis: [x[:, i] for i in range(3)]),
]
TABLE = Table(ALL)


@pytest.mark.parametrize("c", TABLE.cases, ids=ids(TABLE.cases))
def test_op_matches_reference(c):
    check_concrete(c)


@pytest.mark.parametrize("c", TABLE.symbolic(), ids=ids(TABLE.symbolic()))
def test_op_on_symbolic_tensors_records_a_node(c):
    check_symbolic(c)


@pytest.mark.parametrize("c", TABLE.batched(), ids=ids(TABLE.batched()))
def test_op_keeps_unknown_batch_next_to_numpy_constants(c):
    check_batch(c)


def test_scatter_update_reductions():
    reductions = [None, "add", "max", "min", "mul"]
    base = np.transpose(X, (1, 2, 0))  # (3, 4, 2): updates hit whole rows of the last axis
    updates = np.stack([UPDATES, UPDATES], 1)
    outs = jax.jit(lambda: [ops.scatter_update(base, INDICES, updates, reduction=r) for r in reductions])()
    for reduction, out in zip(reductions, outs):
        expected = np.transpose(_scatter_update(X, INDICES, UPDATES, reduction), (1, 2, 0))
        np.testing.assert_allclose(out, expected, rtol=1e-6, err_msg=f"reduction={reduction}")


def test_scatter_update_rejects_an_unknown_reduction():
    with pytest.raises(ValueError, match="`reduction` must be one of"):
        ops.scatter_update(X[0], INDICES, UPDATES, reduction="sum")


def test_convert_to_tensor_and_numpy():
    v = Variable(X)
    assert isinstance(ops.convert_to_tensor(v), jax.Array)
    assert ops.convert_to_tensor(X.astype("float64")).dtype == "float32"
    assert ops.convert_to_tensor([1, 2], dtype="float32").dtype == "float32"
    np.testing.assert_array_equal(ops.convert_to_numpy(v), X)
    assert isinstance(ops.convert_to_numpy(jnp.ones(2)), np.ndarray)
    s = SymbolicTensor((None, 3))
    assert ops.convert_to_tensor(s) is s
    cast = ops.convert_to_tensor(s, dtype="int32")
    assert cast.dtype == "int32" and cast.node.operation.function_name == "cast"
    with pytest.raises(TypeError, match="symbolic tensor"):
        ops.convert_to_numpy(s)


def test_shape_dtype_and_is_tensor():
    s = SymbolicTensor((None, 3), "int32")
    assert ops.shape(s) == (None, 3) and ops.dtype(s) == "int32"
    assert ops.shape(X) == (2, 3, 4) and ops.dtype(X) == "float32"
    assert ops.shape([[1, 2, 3]]) == (1, 3) and ops.dtype([1, 2]) == "int32"
    assert ops.shape(Variable(X)) == (2, 3, 4) and ops.dtype(Variable(X)) == "float32"
    assert ops.is_tensor(jnp.ones(1)) and ops.is_tensor(s) and not ops.is_tensor(X) and not ops.is_tensor([1])


def test_stop_gradient_blocks_the_gradient():
    grad = jax.grad(lambda x: jnp.sum(ops.stop_gradient(x) * x))(jnp.float32(3.0))
    assert float(grad) == 3.0


def _control_flow():
    # One compiled program for all of them: each lax primitive would otherwise compile alone.
    steps = jnp.arange(1.0, 5.0)
    return {
        "cond": ops.cond(jnp.array(False), lambda: 1.0, lambda: 2.0),
        "switch": ops.switch(1, [lambda x: x + 1, lambda x: x * 10], 3.0),
        "while": ops.while_loop(lambda i: i < 10, lambda i: i + 3, 0),
        "while_capped": ops.while_loop(lambda i: i < 10, lambda i: i + 3, 0, maximum_iterations=2),
        # Lists of loop variables are unpacked into the calls and come back as a tuple, as in Keras.
        "while_list": ops.while_loop(lambda i, t: i < 4, lambda i, t: [i + 1, t + i], [0, 0]),
        "fori": ops.fori_loop(0, 5, lambda i, acc: acc + i, 0),
        "scan": ops.scan(lambda c, x: (c + x, c * x), 0.0, steps),
        "associative_scan": ops.associative_scan(jnp.add, steps),
        "associative_scan_reverse": ops.associative_scan(jnp.add, steps, reverse=True),
        "map": ops.map(lambda row: row.sum(), X),
        "vectorized_map": ops.vectorized_map(lambda row: row.max(), X),
    }


def test_control_flow_ops():
    out = jax.jit(_control_flow)()
    assert float(out["cond"]) == 2.0 and float(out["switch"]) == 30.0
    assert int(out["while"]) == 12 and int(out["while_capped"]) == 6 and int(out["fori"]) == 10
    assert isinstance(out["while_list"], tuple) and [int(v) for v in out["while_list"]] == [4, 6]
    carry, ys = out["scan"]
    assert float(carry) == 10.0
    np.testing.assert_allclose(ys, [0.0, 2.0, 9.0, 24.0])
    np.testing.assert_allclose(out["associative_scan"], [1, 3, 6, 10])
    np.testing.assert_allclose(out["associative_scan_reverse"], [10, 9, 7, 4])
    np.testing.assert_allclose(out["map"], X.sum((1, 2)), rtol=1e-5)
    np.testing.assert_allclose(out["vectorized_map"], X.max((1, 2)))
    with pytest.raises(ValueError, match="`unroll` must be a positive int"):
        ops.scan(lambda c, x: (c, x), 0.0, jnp.ones(3), unroll=0)


def test_while_loop_runs_eagerly_too():
    i, total = ops.while_loop(lambda i, t: i < 4, lambda i, t: (i + 1, t + i), (0, 0))
    assert (int(i), int(total)) == (4, 6)


def test_custom_gradient_replaces_the_gradient_and_accepts_variables():
    @ops.custom_gradient
    def clipped_identity(x):
        return x, lambda upstream: jnp.clip(upstream, -0.1, 0.1)

    grad = jax.grad(lambda x: jnp.sum(clipped_identity(x) * 5.0))(jnp.ones(3))
    np.testing.assert_allclose(grad, [0.1, 0.1, 0.1])
    np.testing.assert_allclose(clipped_identity(Variable(X)), X)
