"""NumPy-style ops against NumPy (or Keras where NumPy differs), eagerly and on symbolic tensors."""

import numpy as np
import pytest
from tests.ops.op_reference import (
    KERAS,
    Table,
    assert_close,
    case,
    check_batch,
    check_concrete,
    check_symbolic,
    expected_value,
    ids,
)

import loom.ops as ops
from loom.graph import SymbolicTensor
from loom.state import Variable

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 4)).astype("float32")  # batch of 2
ROW = rng.standard_normal((3, 4)).astype("float32")  # broadcasts against X, has no batch axis
VEC = rng.standard_normal((4,)).astype("float32")
POS = (np.abs(X) + 0.5).astype("float32")
POS_ROW = (np.abs(ROW) + 0.5).astype("float32")
UNIT = rng.uniform(-0.9, 0.9, (2, 3, 4)).astype("float32")
INTS = rng.integers(0, 6, (2, 3, 4)).astype("int32")
INT_ROW = rng.integers(1, 6, (3, 4)).astype("int32")
SHIFTS = rng.integers(0, 3, (4,)).astype("int32")
BOOLS = X > 0
BOOL_ROW = ROW > 0
WITH_NAN = np.where(X > 1.0, np.nan, X).astype("float32")
WITH_INF = np.where(X > 1.0, np.inf, np.where(X < -1.0, -np.inf, X)).astype("float32")
ZERO_ROW = np.where(ROW > 0, ROW, 0.0).astype("float32")
MAT = rng.standard_normal((4, 5)).astype("float32")
SQUARE = rng.standard_normal((3, 3)).astype("float32")
SQUARES = rng.standard_normal((2, 3, 3)).astype("float32")
VEC3 = rng.standard_normal((2, 3)).astype("float32")
SORTED = np.sort(rng.standard_normal(6)).astype("float32")
FLAT = rng.standard_normal(7).astype("float32")
ONE_IN_MIDDLE = rng.standard_normal((2, 1, 4)).astype("float32")
INT_LIST = rng.integers(0, 4, 9).astype("int32")
COMPLEX = (X + 1j * ROW).astype("complex64")

UNARY = [
    case("negative", X), case("absolute", X), case("abs", X), case("sign", X), case("square", X),
    case("sqrt", POS), case("cbrt", X), case("reciprocal", POS), case("exp", X), case("exp2", X),
    case("expm1", X), case("log", POS), case("log1p", POS), case("log2", POS), case("log10", POS),
    case("sin", X), case("cos", X), case("tan", UNIT), case("arcsin", UNIT), case("arccos", UNIT),
    case("arctan", X), case("sinh", X), case("cosh", X), case("tanh", X), case("arcsinh", X),
    case("arccosh", POS + 1), case("arctanh", UNIT), case("floor", X), case("ceil", X), case("trunc", X),
    case("isnan", WITH_NAN), case("isinf", WITH_INF), case("isfinite", WITH_INF),
    case("isneginf", WITH_INF), case("isposinf", WITH_INF), case("signbit", X),
    case("logical_not", BOOLS), case("conjugate", COMPLEX), case("conj", COMPLEX),
    case("real", COMPLEX), case("imag", COMPLEX), case("isreal", COMPLEX), case("angle", COMPLEX),
    case("copy", X), case("fabs", X), case("deg2rad", X), case("rad2deg", X), case("sinc", X),
    case("i0", X, rtol=1e-4), case("bitwise_invert", INTS, ref=np.invert), case("bitwise_not", INTS, ref=np.invert),
    case("round", X * 10), case("round", X, decimals=1, label="decimals"),
    case("nan_to_num", WITH_NAN, nan=-1.0),
]

BINARY = [
    case(name, X, ROW)
    for name in [
        "add", "subtract", "multiply", "divide", "true_divide", "maximum", "minimum", "arctan2", "hypot",
        "logaddexp", "logaddexp2", "copysign", "heaviside", "fmax", "fmin", "nextafter",
    ]
] + [
    case("floor_divide", X, POS_ROW), case("mod", X, POS_ROW), case("fmod", X, POS_ROW),
    case("power", POS, ROW), case("gcd", INTS, INT_ROW), case("lcm", INTS, INT_ROW),
    case("ldexp", X, INT_ROW), case("divide_no_nan", X, ZERO_ROW, ref=KERAS),
    case("equal", INTS, INT_ROW), case("not_equal", INTS, INT_ROW), case("less", X, ROW),
    case("less_equal", INTS, INT_ROW), case("greater", X, ROW), case("greater_equal", INTS, INT_ROW),
    case("logical_and", BOOLS, BOOL_ROW), case("logical_or", BOOLS, BOOL_ROW), case("logical_xor", BOOLS, BOOL_ROW),
    case("bitwise_and", INTS, INT_ROW), case("bitwise_or", INTS, INT_ROW), case("bitwise_xor", INTS, INT_ROW),
    case("bitwise_left_shift", INTS, SHIFTS, ref=np.left_shift), case("left_shift", INTS, SHIFTS),
    case("bitwise_right_shift", INTS, SHIFTS, ref=np.right_shift), case("right_shift", INTS, SHIFTS),
    case("isclose", X, X[0] + 1e-6), case("allclose", X, X + 1e-3, batch=False),
    case("isin", INTS, [1, 3]), case("clip", X, -0.5, 0.5), case("clip", INTS, 1, None, label="one-sided"),
    case("where", BOOLS, ROW, -ROW), case("where", BOOLS, ref=np.nonzero, eager=True, label="indices"),
    case("select", [BOOLS, X < -1], [X, -X], default=9.0, batch=False),
]

PRODUCTS = [
    case("matmul", X, MAT), case("dot", X, MAT), case("inner", X, MAT.T), case("outer", VEC, VEC3, batch=False),
    case("vdot", X, X, batch=False), case("kron", SQUARE, MAT, batch=False),
    case("einsum", "bij,jk->bik", X, MAT, ref=np.einsum, batch=False),
    case("tensordot", X, MAT, axes=1), case("tensordot", X, ROW, axes=([1, 2], [0, 1]), label="pairs"),
    case("cross", VEC3, VEC3[0]), case("correlate", FLAT, FLAT[:3], mode="same", batch=False),
]

REDUCTIONS = [
    case("sum", X, axis=1),
    case("sum", X, axis=[1, 2], keepdims=True, ref=lambda x, axis, keepdims: np.sum(x, tuple(axis), keepdims=keepdims),
         label="list axis"),
    case("sum", X, batch=False, label="all"), case("mean", X, axis=-1), case("std", X, axis=1), case("var", X, axis=2),
    case("all", BOOLS, axis=1), case("any", BOOLS, axis=2), case("amax", X, axis=1), case("amin", X, axis=1),
    case("max", X, axis=-1), case("max", X, axis=1, initial=0.5, label="initial"), case("min", X, axis=2),
    case("prod", X, axis=1), case("prod", INTS, axis=1, dtype="float32", label="dtype"), case("median", X, axis=1),
    case("ptp", X, axis=2), case("nansum", WITH_NAN, axis=1), case("nanmean", WITH_NAN, axis=2),
    case("nanmax", WITH_NAN, axis=1), case("nanmin", WITH_NAN, axis=1), case("nanprod", WITH_NAN, axis=1),
    case("nanstd", WITH_NAN, axis=2), case("nanvar", WITH_NAN, axis=2), case("nanmedian", WITH_NAN, axis=1),
    case("argmax", X, axis=1), case("argmax", X, batch=False, label="flat"), case("argmin", X, axis=-1, keepdims=True),
    case("nanargmax", WITH_NAN, axis=1), case("nanargmin", WITH_NAN, axis=1),
    case("average", X, axis=1, weights=np.array([1.0, 2.0, 3.0], "float32")), case("count_nonzero", INTS, axis=1),
    case("cumsum", X, axis=1), case("cumprod", X, axis=2), case("nancumsum", WITH_NAN, axis=1),
    case("nancumprod", WITH_NAN, axis=2), case("argsort", X, axis=-1), case("sort", X, axis=1),
    case("argpartition", X, 1, ref=KERAS), case("quantile", X, 0.3, axis=1), case("nanquantile", WITH_NAN, 0.3, axis=1),
    case("percentile", X, 30.0, axis=1), case("nanpercentile", WITH_NAN, 30.0, axis=1),
    case("histogram", FLAT, bins=3, batch=False), case("bincount", INT_LIST, eager=True),
    case("bincount", INTS[:, 0], weights=X[:, 0], minlength=8, eager=True, label="2-D weights",
         ref=lambda x, weights, minlength: np.stack([np.bincount(r, w, minlength) for r, w in zip(x, weights)])),
    case("digitize", X, SORTED), case("searchsorted", SORTED, X, batch=False),
    case("searchsorted", SORTED, X, side="right", batch=False), case("unique", INT_LIST, eager=True),
    case("unique", INT_LIST, size=6, fill_value=-1, ref=KERAS, batch=False, label="size"),
    case("nonzero", INTS, eager=True), case("trapezoid", X, axis=1),
]

LAYOUT = [
    case("reshape", X, (-1, 12)), case("transpose", X, batch=False), case("transpose", X, (0, 2, 1), label="axes"),
    case("swapaxes", X, 1, 2), case("moveaxis", X, 1, 2), case("expand_dims", X, 1), case("squeeze", ONE_IN_MIDDLE, 1),
    case("ravel", X, batch=False), case("broadcast_to", ONE_IN_MIDDLE, (2, 3, 4), batch=False),
    case("tile", X, (1, 2, 1)), case("repeat", X, 2, axis=2), case("flip", X, axis=2), case("fliplr", X),
    case("flipud", X, batch=False), case("rot90", X, axes=(1, 2)), case("roll", X, 1, axis=2),
    case("pad", X, ((0, 0), (1, 1), (2, 0))), case("pad", X, ((0, 0), (1, 1), (0, 0)), mode="reflect", label="reflect"),
    case("concatenate", [X, X], axis=1), case("stack", [X, X], axis=1), case("hstack", [X, X]),
    case("vstack", [X, X], batch=False), case("dstack", [X, X]), case("append", X, X, axis=1, batch=False),
    case("split", X, 2, axis=2), case("split", X, [1], axis=1, label="indices"), case("array_split", X, 3, axis=2),
    case("hsplit", X, 3), case("vsplit", X, 2, batch=False), case("dsplit", X, 2),
    case("take", X, np.array([3, 0, -1]), axis=2), case("take", X, np.array([[0, 5]]), batch=False, label="flat"),
    case("take_along_axis", X, np.argsort(X, axis=2), axis=2, batch=False),
    case("tril", SQUARES), case("triu", SQUARES, 1), case("diag", SQUARE, batch=False),
    case("diag", VEC, batch=False, label="vector"),
    case("diagonal", X, axis1=1, axis2=2), case("trace", X, axis1=1, axis2=2), case("diagflat", VEC3, batch=False),
    case("diff", X, axis=2), case("diff", X, 2, axis=1, label="n=2"), case("vander", VEC, 3),
    case("corrcoef", MAT, batch=False),
    case("unravel_index", INTS, (2, 3)), case("slogdet", SQUARES, ref=lambda x: tuple(np.linalg.slogdet(x))),
    case("view", X, "int32", ref=lambda x, dtype: x.view(dtype)), case("meshgrid", VEC, VEC3[0], batch=False),
]

GET_ITEM = [
    case("get_item", X, (slice(None), 1), ref=lambda x, k: x[k], label="int"),
    case("get_item", X, (Ellipsis, slice(1, None), None), ref=lambda x, k: x[k], label="ellipsis-newaxis"),
    case("get_item", X, (slice(None), np.array([2, 0])), ref=lambda x, k: x[k], label="gather"),
    case("get_item", X, np.array([1, 0, 1]), ref=lambda x, k: x[k], batch=False, label="gather-axis0"),
    case("get_item", X, (slice(None), [0, 0, 2]), ref=lambda x, k: x[(k[0], np.array(k[1]))], label="list"),
    case("get_item", X, BOOLS[..., 0], ref=lambda x, k: x[k], eager=True, label="mask"),
]

LIKE = [
    case("ones_like", X), case("zeros_like", INTS), case("zeros_like", X, dtype="int32", label="dtype"),
    case("full_like", X, 2.5), case("empty_like", X, ref=np.zeros_like),
]

ALL = UNARY + BINARY + PRODUCTS + REDUCTIONS + LAYOUT + GET_ITEM + LIKE
TABLE = Table(ALL)


@pytest.mark.parametrize("c", ALL, ids=ids(ALL))
def test_op_matches_reference(c):
    check_concrete(c)


@pytest.mark.parametrize("c", TABLE.symbolic(), ids=ids(TABLE.symbolic()))
def test_op_on_symbolic_tensors_records_a_node(c):
    check_symbolic(c)


@pytest.mark.parametrize("c", TABLE.batched(), ids=ids(TABLE.batched()))
def test_op_keeps_unknown_batch_next_to_numpy_constants(c):
    check_batch(c)


def _like_numpy(name, dtype="float32"):
    return lambda *args, **kwargs: getattr(np, name)(*args, **kwargs).astype(dtype)


CREATION = Table([
    case("ones", (2, 3), ref=_like_numpy("ones")),
    case("zeros", (2,), dtype="int32", ref=np.zeros),
    case("full", (2, 2), 3, ref=_like_numpy("full")),
    case("full", (2,), 3, dtype="int32", ref=np.full, label="int32"),
    case("eye", 3, 4, k=1, ref=_like_numpy("eye")),
    case("identity", 3, ref=_like_numpy("identity")),
    case("tri", 3, 2, -1, ref=_like_numpy("tri")),
    case("arange", 5, ref=_like_numpy("arange", "int32")),
    case("arange", 1.0, 2.0, 0.25, ref=_like_numpy("arange"), label="float"),
    case("linspace", 0, 1, 5, ref=_like_numpy("linspace")),
    case("logspace", 0, 2, 3, ref=_like_numpy("logspace")),
    case("geomspace", 1, 8, 4, ref=_like_numpy("geomspace")),
    case("empty", (2, 1), ref=_like_numpy("zeros")),
    case("array", [[1, 2]], dtype="float32", ref=np.array),
    case("bartlett", 5, ref=_like_numpy("bartlett")),
    case("blackman", 5, ref=_like_numpy("blackman")),
    case("hamming", 5, ref=_like_numpy("hamming")),
    case("hanning", 5, ref=_like_numpy("hanning")),
    case("kaiser", 5, 2.0, ref=_like_numpy("kaiser")),
], symbolic=False)


@pytest.mark.parametrize("c", CREATION.cases, ids=ids(CREATION.cases))
def test_creation_op_matches_numpy_value_and_dtype(c):
    check_concrete(c)
    assert CREATION.result(c, "loom").dtype == expected_value(c).dtype


def test_size_ndim_and_vectorize():
    assert int(ops.size(X)) == 24
    assert ops.ndim(X) == 3 and ops.ndim(SymbolicTensor((None, 3))) == 2 and ops.ndim([1, 2]) == 1
    affine = ops.vectorize(lambda a, b: a * b + 1)
    np.testing.assert_allclose(affine(VEC, 2.0), VEC * 2 + 1, rtol=1e-6)
    row_norm = ops.vectorize(lambda row: (row**2).sum(), signature="(n)->()")
    np.testing.assert_allclose(row_norm(ROW), (ROW**2).sum(-1), rtol=1e-5)


def test_size_of_a_symbolic_tensor_is_a_symbolic_scalar():
    out = ops.size(SymbolicTensor((2, 3)))
    assert isinstance(out, SymbolicTensor) and out.shape == () and out.node.operation.function_name == "size"


def test_ops_accept_variables_where_arrays_go():
    v = Variable(X)
    assert_close(ops.add(v, ROW), X + ROW)
    assert_close(ops.clip(v, Variable(np.float32(-0.5)), 0.5), np.clip(X, -0.5, 0.5))
    assert_close(ops.stack([v, v]), np.stack([X, X]))
    assert_close(ops.einsum("bij,jk->bik", v, MAT), np.einsum("bij,jk->bik", X, MAT), rtol=1e-5)
    assert_close(ops.get_item(X, (slice(None), Variable(np.array([2, 0])))), X[:, [2, 0]])


def test_mixed_list_of_symbolic_tensor_and_constant_records_the_constant():
    x = SymbolicTensor((None, 3, 4))
    out = ops.concatenate([x, X[:1]], axis=0)
    assert out.shape == (None, 3, 4)
    assert [c.shape for c in out.node.arguments.constants()] == [(1, 3, 4)]


def test_where_with_one_of_two_branches_explains_the_fix():
    with pytest.raises(ValueError, match="needs both x1 and x2, or neither"):
        ops.where(BOOLS, X)


def test_bincount_is_value_dependent_and_says_so_on_symbolic_input():
    with pytest.raises(Exception, match="bincount"):
        ops.bincount(SymbolicTensor((4,), "int32"))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: ops.ldexp(X, X), TypeError, "exponent `x2` must have an integer dtype"),
        (lambda: ops.pad(X, 1, mode="reflect", constant_values=1.0), ValueError, "only be given with mode='constant'"),
        (lambda: ops.rot90(VEC), ValueError, "rank >= 2"),
        (lambda: ops.rot90(X, axes=(1, 1)), ValueError, "two different axes"),
        (lambda: ops.histogram(X), ValueError, "expects a 1-D input"),
        (lambda: ops.searchsorted(SQUARE, X), ValueError, "1-D sorted_sequence"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
