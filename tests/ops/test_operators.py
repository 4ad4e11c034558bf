"""Python operators on symbolic tensors (record nodes) and on variables (compute values)."""

import operator

import jax
import numpy as np
import pytest

import loom.ops as ops
from loom.graph import SymbolicTensor
from loom.state import Variable

rng = np.random.default_rng(5)
A = rng.uniform(0.5, 2.0, (2, 3, 4)).astype("float32")
B = rng.uniform(0.5, 2.0, (2, 3, 4)).astype("float32")
MAT = rng.standard_normal((4, 2)).astype("float32")
MASK_A, MASK_B = A > 1, B > 1

# (operator, op name recorded in the node, left value, right value)
BINARY = [
    (operator.add, "add", A, B),
    (operator.sub, "subtract", A, B),
    (operator.mul, "multiply", A, B),
    (operator.truediv, "divide", A, B),
    (operator.floordiv, "floor_divide", A, B),
    (operator.mod, "mod", A, B),
    (operator.pow, "power", A, B),
    (operator.matmul, "matmul", A, MAT),
    (operator.lt, "less", A, B),
    (operator.le, "less_equal", A, B),
    (operator.gt, "greater", A, B),
    (operator.ge, "greater_equal", A, B),
    (operator.eq, "equal", A, B),
    (operator.ne, "not_equal", A, B),
    (operator.and_, "logical_and", MASK_A, MASK_B),
    (operator.or_, "logical_or", MASK_A, MASK_B),
    (operator.xor, "logical_xor", MASK_A, MASK_B),
]
UNARY = [
    (operator.neg, "negative", A, -A),
    (abs, "absolute", A - 1, np.abs(A - 1)),
    (operator.invert, "logical_not", MASK_A, ~MASK_A),
    (round, "round", A * 10, np.round(A * 10)),
]
KEYS = [
    (slice(None), 1),
    (Ellipsis, slice(None, None, -1)),
    (slice(None), None, slice(1, 3)),
    (slice(None), np.array([2, 0, 2])),  # gather along axis 1
    (slice(None), [0, 2], slice(None)),  # a list is an integer index array, as in NumPy
    (slice(None), slice(None), -1),
]


def _symbolic(value, batch=True):
    return SymbolicTensor(((None,) + value.shape[1:]) if batch else value.shape, value.dtype)


@pytest.mark.parametrize("op, name, left, right", BINARY, ids=[b[1] for b in BINARY])
def test_binary_operator_records_a_node_and_reflects_with_constants(op, name, left, right):
    batched_right = right.ndim == 3
    constant_right = right[0] if batched_right else right
    calls = [
        (op(_symbolic(left), _symbolic(right, batched_right)), op(left, right)),
        (op(_symbolic(left), constant_right), op(left, constant_right)),  # symbolic op constant
    ]
    if batched_right:
        calls.append((op(left[0], _symbolic(right)), op(left[0], right)))  # a NumPy array on the left
    for i, (out, expected) in enumerate(calls):
        assert isinstance(out, SymbolicTensor)
        # NumPy dispatches `array & x` as its bitwise_and ufunc (the same as logical_and on booleans).
        expected_name = name.replace("logical", "bitwise") if i == 2 else name
        assert out.node.operation.function_name == expected_name
        assert out.shape == (None,) + expected.shape[1:] and out.dtype == np.dtype(expected.dtype).name


def _on_variables():
    return [
        (op(Variable(left), Variable(right)), op(Variable(left), right), op(left, Variable(right)))
        for op, _, left, right in BINARY
    ]


_variable_results = []


@pytest.mark.parametrize("index", range(len(BINARY)), ids=[b[1] for b in BINARY])
def test_binary_operator_on_variables_computes_the_value(index):
    # Computed in one compiled program for all rows (one compile, not 17); `add` also runs eagerly.
    if not _variable_results:
        _variable_results.extend(jax.jit(_on_variables)())
    op, _, left, right = BINARY[index]
    expected = op(left, right)
    for out in _variable_results[index]:
        np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-5)
    if index == 0:
        np.testing.assert_allclose(Variable(left) + right, expected, rtol=1e-6)


@pytest.mark.parametrize("op, name, value, expected", UNARY, ids=[u[1] for u in UNARY])
def test_unary_operator(op, name, value, expected):
    out = op(_symbolic(value))
    assert out.node.operation.function_name == name and out.shape == (None, 3, 4)
    np.testing.assert_allclose(np.asarray(op(Variable(value))), expected, rtol=1e-6)


@pytest.mark.parametrize("key", KEYS, ids=range(len(KEYS)))
def test_indexing_symbolic_tensor_and_variable(key):
    expected = A[key]
    out = _symbolic(A)[key]
    assert out.node.operation.function_name == "get_item"
    assert out.shape == (None,) + expected.shape[1:]
    np.testing.assert_allclose(np.asarray(Variable(A)[key]), expected)


def test_indexing_with_a_symbolic_index_tensor_gathers():
    indices = SymbolicTensor((5,), "int32")
    out = _symbolic(A)[:, indices]
    assert out.shape == (None, 5, 4) and out.node.input_tensors[1] is indices


def test_numpy_array_on_the_left_defers_to_the_symbolic_tensor():
    x = _symbolic(A)
    for out, name in [(B[0] * x, "multiply"), (B[0] - x, "subtract"), (B[0] < x, "less"), (np.exp(x), "exp")]:
        assert isinstance(out, SymbolicTensor) and out.node.operation.function_name == name
        assert out.shape == (None, 3, 4)
    with pytest.raises(TypeError, match="symbolic tensor"):
        np.add.reduce(x)


def test_equality_is_identity_when_asked_for_a_truth_value():
    a, b = _symbolic(A), _symbolic(A)
    assert bool(a == a) and not bool(a == b)
    assert bool(a != b) and not bool(a != a)
    assert (a == b).node.operation.function_name == "equal"
    with pytest.raises(TypeError, match="has no truth value"):
        bool(a < b)
    with pytest.raises(TypeError, match="has no truth value"):
        bool(a == 1.0)


def test_symbolic_tensors_stay_hashable_and_iteration_is_refused():
    a = _symbolic(A)
    assert {a: 1}[a] == 1
    with pytest.raises(TypeError, match="Cannot iterate"):
        list(a)


def test_transpose_property_and_chained_expressions():
    x, y = _symbolic(A), _symbolic(B)
    assert x.T.shape == (4, 3, None)
    out = ops.sum(x * y, -1) / 2 + 1
    assert out.shape == (None, 3) and out.node.operation.function_name == "add"


def test_iterating_a_variable_yields_its_rows():
    rows = list(Variable(A))
    assert len(rows) == 2
    np.testing.assert_allclose(rows[1], A[1])
