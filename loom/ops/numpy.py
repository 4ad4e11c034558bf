"""NumPy-style ops: each computes on arrays and records a node on symbolic tensors.

Signatures and defaults follow ``keras.ops``.
"""

import jax
import jax.numpy as jnp

from loom.ops.core import convert_to_tensor as _t
from loom.ops.operation import symbolic_op
from loom.utils.dtypes import standardize_dtype


def _unary(jnp_function, name: str, doc: str):
    def op(x):
        return jnp_function(_t(x))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return symbolic_op(op)


def _binary(jnp_function, name: str, doc: str):
    def op(x1, x2):
        return jnp_function(_t(x1), _t(x2))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return symbolic_op(op)


# --- elementwise arithmetic -------------------------------------------------------
add = _binary(jnp.add, "add", "Elementwise ``x1 + x2`` with broadcasting.")
subtract = _binary(jnp.subtract, "subtract", "Elementwise ``x1 - x2``.")
multiply = _binary(jnp.multiply, "multiply", "Elementwise ``x1 * x2``.")
divide = _binary(jnp.divide, "divide", "Elementwise true division ``x1 / x2``.")
true_divide = _binary(jnp.true_divide, "true_divide", "Elementwise true division.")
floor_divide = _binary(jnp.floor_divide, "floor_divide", "Elementwise ``x1 // x2``.")
mod = _binary(jnp.mod, "mod", "Elementwise remainder ``x1 % x2``.")
power = _binary(jnp.power, "power", "Elementwise ``x1 ** x2``.")
maximum = _binary(jnp.maximum, "maximum", "Elementwise maximum.")
minimum = _binary(jnp.minimum, "minimum", "Elementwise minimum.")
arctan2 = _binary(jnp.arctan2, "arctan2", "Elementwise arc tangent of ``x1 / x2``.")
hypot = _binary(jnp.hypot, "hypot", "Elementwise ``sqrt(x1**2 + x2**2)``.")
logaddexp = _binary(jnp.logaddexp, "logaddexp", "Elementwise ``log(exp(x1) + exp(x2))``.")
copysign = _binary(jnp.copysign, "copysign", "``x1`` with the sign of ``x2``.")
heaviside = _binary(jnp.heaviside, "heaviside", "Heaviside step with ``x2`` at zero.")
negative = _unary(jnp.negative, "negative", "Elementwise ``-x``.")
absolute = _unary(jnp.abs, "absolute", "Elementwise ``|x|``.")
abs = _unary(jnp.abs, "abs", "Elementwise ``|x|``.")  # noqa: A001 - Keras's name
sign = _unary(jnp.sign, "sign", "Elementwise sign (-1, 0, 1).")
square = _unary(jnp.square, "square", "Elementwise ``x * x``.")
sqrt = _unary(jnp.sqrt, "sqrt", "Elementwise square root.")
cbrt = _unary(jnp.cbrt, "cbrt", "Elementwise cube root.")
reciprocal = _unary(jnp.reciprocal, "reciprocal", "Elementwise ``1 / x``.")
exp = _unary(jnp.exp, "exp", "Elementwise ``e ** x``.")
exp2 = _unary(jnp.exp2, "exp2", "Elementwise ``2 ** x``.")
expm1 = _unary(jnp.expm1, "expm1", "Elementwise ``exp(x) - 1``, accurate near 0.")
log = _unary(jnp.log, "log", "Elementwise natural logarithm.")
log1p = _unary(jnp.log1p, "log1p", "Elementwise ``log(1 + x)``, accurate near 0.")
log2 = _unary(jnp.log2, "log2", "Elementwise base-2 logarithm.")
log10 = _unary(jnp.log10, "log10", "Elementwise base-10 logarithm.")
sin = _unary(jnp.sin, "sin", "Elementwise sine.")
cos = _unary(jnp.cos, "cos", "Elementwise cosine.")
tan = _unary(jnp.tan, "tan", "Elementwise tangent.")
arcsin = _unary(jnp.arcsin, "arcsin", "Elementwise inverse sine.")
arccos = _unary(jnp.arccos, "arccos", "Elementwise inverse cosine.")
arctan = _unary(jnp.arctan, "arctan", "Elementwise inverse tangent.")
sinh = _unary(jnp.sinh, "sinh", "Elementwise hyperbolic sine.")
cosh = _unary(jnp.cosh, "cosh", "Elementwise hyperbolic cosine.")
tanh = _unary(jnp.tanh, "tanh", "Elementwise hyperbolic tangent.")
arcsinh = _unary(jnp.arcsinh, "arcsinh", "Elementwise inverse hyperbolic sine.")
arccosh = _unary(jnp.arccosh, "arccosh", "Elementwise inverse hyperbolic cosine.")
arctanh = _unary(jnp.arctanh, "arctanh", "Elementwise inverse hyperbolic tangent.")
floor = _unary(jnp.floor, "floor", "Elementwise floor.")
ceil = _unary(jnp.ceil, "ceil", "Elementwise ceiling.")
trunc = _unary(jnp.trunc, "trunc", "Elementwise truncation towards zero.")
isnan = _unary(jnp.isnan, "isnan", "Elementwise test for NaN.")
isinf = _unary(jnp.isinf, "isinf", "Elementwise test for infinity.")
isfinite = _unary(jnp.isfinite, "isfinite", "Elementwise test for finite values.")
logical_not = _unary(jnp.logical_not, "logical_not", "Elementwise logical NOT.")
conjugate = _unary(jnp.conjugate, "conjugate", "Elementwise complex conjugate.")
conj = _unary(jnp.conjugate, "conj", "Elementwise complex conjugate.")
real = _unary(jnp.real, "real", "Real part.")
imag = _unary(jnp.imag, "imag", "Imaginary part.")
copy = _unary(jnp.array, "copy", "A copy of ``x``.")

# --- comparison and logic ---------------------------------------------------------
equal = _binary(jnp.equal, "equal", "Elementwise ``x1 == x2``.")
not_equal = _binary(jnp.not_equal, "not_equal", "Elementwise ``x1 != x2``.")
less = _binary(jnp.less, "less", "Elementwise ``x1 < x2``.")
less_equal = _binary(jnp.less_equal, "less_equal", "Elementwise ``x1 <= x2``.")
greater = _binary(jnp.greater, "greater", "Elementwise ``x1 > x2``.")
greater_equal = _binary(jnp.greater_equal, "greater_equal", "Elementwise ``x1 >= x2``.")
logical_and = _binary(jnp.logical_and, "logical_and", "Elementwise logical AND.")
logical_or = _binary(jnp.logical_or, "logical_or", "Elementwise logical OR.")
logical_xor = _binary(jnp.logical_xor, "logical_xor", "Elementwise logical XOR.")
bitwise_and = _binary(jnp.bitwise_and, "bitwise_and", "Elementwise bitwise AND.")
bitwise_or = _binary(jnp.bitwise_or, "bitwise_or", "Elementwise bitwise OR.")
bitwise_xor = _binary(jnp.bitwise_xor, "bitwise_xor", "Elementwise bitwise XOR.")
bitwise_invert = _unary(jnp.invert, "bitwise_invert", "Elementwise bitwise NOT.")


@symbolic_op
def clip(x, x_min, x_max):
    """``x`` limited to ``[x_min, x_max]``."""
    return jnp.clip(_t(x), x_min, x_max)


@symbolic_op
def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` holds, else ``x2`` (or the indices, given one argument)."""
    if x1 is None and x2 is None:
        return jnp.nonzero(_t(condition))
    if x1 is None or x2 is None:
        raise ValueError("ops.where needs both x1 and x2, or neither; received only one.")
    return jnp.where(_t(condition), _t(x1), _t(x2))


@symbolic_op
def round(x, decimals=0):  # noqa: A001 - Keras's name
    """Elementwise rounding to ``decimals`` places."""
    return jnp.round(_t(x), decimals)


@symbolic_op
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """``x`` with NaN and infinities replaced by finite numbers."""
    return jnp.nan_to_num(_t(x), nan=nan, posinf=posinf, neginf=neginf)


@symbolic_op
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Elementwise closeness test."""
    return jnp.isclose(_t(x1), _t(x2), rtol=rtol, atol=atol, equal_nan=equal_nan)


# --- products ---------------------------------------------------------------------
matmul = _binary(jnp.matmul, "matmul", "Matrix product, batched over leading dims.")
dot = _binary(jnp.dot, "dot", "NumPy ``dot``: inner product of vectors, matrix product, or sum-product over the last axis of ``x1`` and second-to-last of ``x2``.")
inner = _binary(jnp.inner, "inner", "Inner product over the last axes.")
outer = _binary(jnp.outer, "outer", "Outer product of two vectors (flattened).")
vdot = _binary(jnp.vdot, "vdot", "Dot product of two flattened arrays.")
kron = _binary(jnp.kron, "kron", "Kronecker product.")


@symbolic_op
def einsum(subscripts, *operands):
    """Einstein summation, e.g. ``einsum("bi,ij->bj", x, w)``."""
    return jnp.einsum(subscripts, *[_t(o) for o in operands])


@symbolic_op
def tensordot(x1, x2, axes=2):
    """Sum-product over ``axes`` of ``x1`` and ``x2``."""
    return jnp.tensordot(_t(x1), _t(x2), axes=axes)


@symbolic_op
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors."""
    return jnp.cross(_t(x1), _t(x2), axisa=axisa, axisb=axisb, axisc=axisc, axis=axis)


# --- reductions ---------------------------------------------------------------------
def _reduction(jnp_function, name: str, doc: str):
    def op(x, axis=None, keepdims=False):
        return jnp_function(_t(x), axis=_axis(axis), keepdims=keepdims)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return symbolic_op(op)


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


sum = _reduction(jnp.sum, "sum", "Sum over ``axis`` (all axes if None).")  # noqa: A001
mean = _reduction(jnp.mean, "mean", "Mean over ``axis``.")
max = _reduction(jnp.max, "max", "Maximum over ``axis``.")  # noqa: A001
min = _reduction(jnp.min, "min", "Minimum over ``axis``.")  # noqa: A001
prod = _reduction(jnp.prod, "prod", "Product over ``axis``.")
std = _reduction(jnp.std, "std", "Standard deviation over ``axis``.")
var = _reduction(jnp.var, "var", "Variance over ``axis``.")
all = _reduction(jnp.all, "all", "Whether all entries are true over ``axis``.")  # noqa: A001
any = _reduction(jnp.any, "any", "Whether any entry is true over ``axis``.")  # noqa: A001
amax = _reduction(jnp.max, "amax", "Maximum over ``axis``.")
amin = _reduction(jnp.min, "amin", "Minimum over ``axis``.")
median = _reduction(jnp.median, "median", "Median over ``axis``.")


@symbolic_op
def average(x, axis=None, weights=None):
    """Weighted mean over ``axis``."""
    return jnp.average(_t(x), axis=axis, weights=None if weights is None else _t(weights))


@symbolic_op
def count_nonzero(x, axis=None):
    """Number of non-zero entries over ``axis``."""
    return jnp.count_nonzero(_t(x), axis=_axis(axis))


@symbolic_op
def cumsum(x, axis=None, dtype=None):
    """Cumulative sum along ``axis`` (flattened if None)."""
    return jnp.cumsum(_t(x), axis=axis, dtype=dtype)


@symbolic_op
def cumprod(x, axis=None, dtype=None):
    """Cumulative product along ``axis`` (flattened if None)."""
    return jnp.cumprod(_t(x), axis=axis, dtype=dtype)


@symbolic_op
def argmax(x, axis=None, keepdims=False):
    """Index of the maximum along ``axis``."""
    return jnp.argmax(_t(x), axis=axis, keepdims=keepdims)


@symbolic_op
def argmin(x, axis=None, keepdims=False):
    """Index of the minimum along ``axis``."""
    return jnp.argmin(_t(x), axis=axis, keepdims=keepdims)


@symbolic_op
def argsort(x, axis=-1):
    """Indices that sort ``x`` along ``axis``."""
    return jnp.argsort(_t(x), axis=axis)


@symbolic_op
def sort(x, axis=-1):
    """``x`` sorted along ``axis``."""
    return jnp.sort(_t(x), axis=axis)


@symbolic_op
def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th quantile along ``axis``."""
    return jnp.quantile(_t(x), _t(q), axis=axis, method=method, keepdims=keepdims)


# --- shapes and layout ------------------------------------------------------------
@symbolic_op
def reshape(x, newshape):
    """``x`` with a new shape; one dim may be -1."""
    return jnp.reshape(_t(x), newshape)


@symbolic_op
def transpose(x, axes=None):
    """``x`` with axes permuted (reversed if ``axes`` is None)."""
    return jnp.transpose(_t(x), axes)


@symbolic_op
def swapaxes(x, axis1, axis2):
    """``x`` with two axes swapped."""
    return jnp.swapaxes(_t(x), axis1, axis2)


@symbolic_op
def moveaxis(x, source, destination):
    """``x`` with axes moved to new positions."""
    return jnp.moveaxis(_t(x), source, destination)


@symbolic_op
def expand_dims(x, axis):
    """``x`` with a new axis of size 1 at ``axis``."""
    return jnp.expand_dims(_t(x), axis)


@symbolic_op
def squeeze(x, axis=None):
    """``x`` without its size-1 axes (or only ``axis``)."""
    return jnp.squeeze(_t(x), axis)


@symbolic_op
def ravel(x):
    """``x`` flattened to one dimension."""
    return jnp.ravel(_t(x))


@symbolic_op
def broadcast_to(x, shape):
    """``x`` broadcast to ``shape``."""
    return jnp.broadcast_to(_t(x), shape)


@symbolic_op
def tile(x, repeats):
    """``x`` repeated ``repeats`` times along each axis."""
    return jnp.tile(_t(x), repeats)


@symbolic_op
def repeat(x, repeats, axis=None):
    """Each element of ``x`` repeated ``repeats`` times along ``axis``."""
    return jnp.repeat(_t(x), repeats, axis=axis)


@symbolic_op
def flip(x, axis=None):
    """``x`` reversed along ``axis``."""
    return jnp.flip(_t(x), axis=axis)


@symbolic_op
def roll(x, shift, axis=None):
    """``x`` rolled by ``shift`` along ``axis``."""
    return jnp.roll(_t(x), shift, axis=axis)


@symbolic_op
def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` padded by ``pad_width`` ((before, after) per axis)."""
    kwargs = {} if constant_values is None else {"constant_values": constant_values}
    return jnp.pad(_t(x), pad_width, mode=mode, **kwargs)


@symbolic_op
def concatenate(xs, axis=0):
    """The arrays of ``xs`` joined along ``axis``."""
    return jnp.concatenate([_t(x) for x in xs], axis=axis)


@symbolic_op
def stack(x, axis=0):
    """The arrays of ``x`` stacked along a new ``axis``."""
    return jnp.stack([_t(v) for v in x], axis=axis)


@symbolic_op
def hstack(xs):
    """Arrays joined column-wise."""
    return jnp.hstack([_t(x) for x in xs])


@symbolic_op
def vstack(xs):
    """Arrays joined row-wise."""
    return jnp.vstack([_t(x) for x in xs])


@symbolic_op
def append(x1, x2, axis=None):
    """``x2`` appended to ``x1`` along ``axis``."""
    return jnp.append(_t(x1), _t(x2), axis=axis)


@symbolic_op
def split(x, indices_or_sections, axis=0):
    """``x`` split into a list of arrays along ``axis``."""
    return jnp.split(_t(x), indices_or_sections, axis=axis)


@symbolic_op
def take(x, indices, axis=None):
    """Elements of ``x`` at ``indices`` along ``axis`` (gather)."""
    return jnp.take(_t(x), _t(indices), axis=axis)


@symbolic_op
def take_along_axis(x, indices, axis=None):
    """Elements of ``x`` picked by an index array shaped like ``x`` along ``axis``."""
    return jnp.take_along_axis(_t(x), _t(indices), axis=axis)


@symbolic_op
def get_item(x, key):
    """``x[key]``: ints, slices, None, Ellipsis and integer or boolean index arrays."""
    return _t(x)[_index_key(key)]


def _index_key(key):
    if isinstance(key, tuple):
        return tuple(_index_key(k) for k in key)
    if isinstance(key, list) or hasattr(key, "value"):
        return _t(key)
    return key


@symbolic_op
def tril(x, k=0):
    """Lower triangle of ``x``."""
    return jnp.tril(_t(x), k)


@symbolic_op
def triu(x, k=0):
    """Upper triangle of ``x``."""
    return jnp.triu(_t(x), k)


@symbolic_op
def diag(x, k=0):
    """Diagonal of a matrix, or a matrix with a vector on its diagonal."""
    return jnp.diag(_t(x), k)


@symbolic_op
def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal of ``x`` over ``axis1`` and ``axis2``."""
    return jnp.diagonal(_t(x), offset=offset, axis1=axis1, axis2=axis2)


@symbolic_op
def trace(x, offset=0, axis1=0, axis2=1):
    """Sum of the diagonal."""
    return jnp.trace(_t(x), offset=offset, axis1=axis1, axis2=axis2)


# --- creation -----------------------------------------------------------------------
def _dtype(dtype):
    return None if dtype is None else standardize_dtype(dtype)


@symbolic_op
def ones_like(x, dtype=None):
    """Ones with the shape (and by default the dtype) of ``x``."""
    return jnp.ones_like(_t(x), dtype=_dtype(dtype))


@symbolic_op
def zeros_like(x, dtype=None):
    """Zeros with the shape (and by default the dtype) of ``x``."""
    return jnp.zeros_like(_t(x), dtype=_dtype(dtype))


@symbolic_op
def full_like(x, fill_value, dtype=None):
    """``fill_value`` everywhere, shaped like ``x``."""
    return jnp.full_like(_t(x), fill_value, dtype=_dtype(dtype))


def ones(shape, dtype=None):
    """An array of ones (floatx by default)."""
    return jnp.ones(shape, dtype=standardize_dtype(dtype))


def zeros(shape, dtype=None):
    """An array of zeros (floatx by default)."""
    return jnp.zeros(shape, dtype=standardize_dtype(dtype))


def full(shape, fill_value, dtype=None):
    """An array filled with ``fill_value``."""
    return jnp.full(shape, fill_value, dtype=_dtype(dtype))


def eye(N, M=None, k=0, dtype=None):
    """A 2-D array with ones on the ``k``-th diagonal."""
    return jnp.eye(N, M, k=k, dtype=standardize_dtype(dtype))


def identity(n, dtype=None):
    """The ``n`` x ``n`` identity matrix."""
    return jnp.identity(n, dtype=standardize_dtype(dtype))


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the ``k``-th diagonal."""
    return jnp.tri(N, M, k, dtype=standardize_dtype(dtype))


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values in ``[start, stop)``."""
    return jnp.arange(start, stop, step, dtype=_dtype(dtype))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop``."""
    return jnp.linspace(start, stop, num, endpoint=endpoint, retstep=retstep, dtype=_dtype(dtype), axis=axis)


def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D arrays."""
    return jnp.meshgrid(*[_t(v) for v in x], indexing=indexing)


@symbolic_op
def size(x):
    """Number of elements."""
    return jnp.size(_t(x))
