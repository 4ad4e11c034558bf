"""NumPy-style ops: each computes on arrays and records a node on symbolic tensors.

Signatures and defaults follow ``keras.ops``.
"""

import builtins

import jax.numpy as jnp

from loom.ops.core import shape
from loom.ops.core import convert_to_tensor as _t
from loom.ops.operation import symbolic_op
from loom.utils.dtypes import floatx, standardize_dtype


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


def _bitwise(jnp_function, name: str, doc: str):
    # Keras names the operands of its bitwise ops (x, y), not (x1, x2).
    def op(x, y):
        return jnp_function(_t(x), _t(y))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return symbolic_op(op)


def _float_unary(jnp_function, name: str, doc: str):
    # Integer input gives floatx output, as in Keras (NumPy would give float64).
    def op(x):
        x = _t(x)
        if not jnp.issubdtype(x.dtype, jnp.inexact):
            x = x.astype(floatx())
        return jnp_function(x)

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
logaddexp2 = _binary(jnp.logaddexp2, "logaddexp2", "Elementwise ``log2(2**x1 + 2**x2)``.")
fmax = _binary(jnp.fmax, "fmax", "Elementwise maximum, ignoring NaN.")
fmin = _binary(jnp.fmin, "fmin", "Elementwise minimum, ignoring NaN.")
fmod = _binary(jnp.fmod, "fmod", "Elementwise remainder with the sign of ``x1`` (C's fmod).")
gcd = _binary(jnp.gcd, "gcd", "Elementwise greatest common divisor.")
lcm = _binary(jnp.lcm, "lcm", "Elementwise least common multiple.")
nextafter = _binary(jnp.nextafter, "nextafter", "The next float after ``x1`` towards ``x2``.")
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
fabs = _unary(jnp.fabs, "fabs", "Elementwise ``|x|`` as a float.")
signbit = _unary(jnp.signbit, "signbit", "Elementwise test for a set sign bit (true for -0.0).")
isneginf = _unary(jnp.isneginf, "isneginf", "Elementwise test for negative infinity.")
isposinf = _unary(jnp.isposinf, "isposinf", "Elementwise test for positive infinity.")
isreal = _unary(jnp.isreal, "isreal", "Elementwise test for a zero imaginary part.")
deg2rad = _float_unary(jnp.deg2rad, "deg2rad", "Degrees to radians.")
rad2deg = _float_unary(jnp.rad2deg, "rad2deg", "Radians to degrees.")
angle = _float_unary(jnp.angle, "angle", "Elementwise complex argument, in radians.")
sinc = _float_unary(jnp.sinc, "sinc", "Elementwise normalized sinc, ``sin(pi x) / (pi x)``.")
i0 = _float_unary(jnp.i0, "i0", "Modified Bessel function of the first kind, order 0.")


@symbolic_op
def ldexp(x1, x2):
    """Elementwise ``x1 * 2**x2``; ``x2`` must be integer."""
    x1, x2 = _t(x1), _t(x2)
    if not jnp.issubdtype(x2.dtype, jnp.integer):
        raise TypeError(f"ops.ldexp: the exponent `x2` must have an integer dtype; received dtype {x2.dtype}.")
    return jnp.ldexp(x1, x2)


@symbolic_op
def divide_no_nan(x1, x2):
    """Elementwise ``x1 / x2``, with 0 wherever ``x2`` is 0."""
    x1, x2 = _t(x1), _t(x2)
    # Dividing by a safe denominator keeps NaN out of the gradient of the masked branch.
    safe_x2 = jnp.where(x2 == 0, 1, x2)
    return jnp.where(x2 == 0, 0, jnp.divide(x1, safe_x2))

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
bitwise_and = _bitwise(jnp.bitwise_and, "bitwise_and", "Elementwise bitwise AND.")
bitwise_or = _bitwise(jnp.bitwise_or, "bitwise_or", "Elementwise bitwise OR.")
bitwise_xor = _bitwise(jnp.bitwise_xor, "bitwise_xor", "Elementwise bitwise XOR.")
bitwise_left_shift = _bitwise(jnp.left_shift, "bitwise_left_shift", "Elementwise ``x << y``.")
bitwise_right_shift = _bitwise(jnp.right_shift, "bitwise_right_shift", "Elementwise ``x >> y``.")
left_shift = _bitwise(jnp.left_shift, "left_shift", "Elementwise ``x << y``.")
right_shift = _bitwise(jnp.right_shift, "right_shift", "Elementwise ``x >> y``.")
bitwise_invert = _unary(jnp.invert, "bitwise_invert", "Elementwise bitwise NOT.")
bitwise_not = _unary(jnp.invert, "bitwise_not", "Elementwise bitwise NOT.")


@symbolic_op
def clip(x, x_min, x_max):
    """``x`` limited to ``[x_min, x_max]`` (booleans are clipped as int32, as in Keras)."""
    x = _t(x)
    if x.dtype == jnp.bool_:
        x = x.astype("int32")
    return jnp.clip(x, _t_or_none(x_min), _t_or_none(x_max))


def _t_or_none(x):
    return None if x is None else _t(x)


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
    """Elementwise ``|x1 - x2| <= atol + rtol * |x2|``."""
    return jnp.isclose(_t(x1), _t(x2), rtol=rtol, atol=atol, equal_nan=equal_nan)


@symbolic_op
def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether ``isclose`` holds everywhere (a boolean scalar)."""
    return jnp.allclose(_t(x1), _t(x2), rtol=rtol, atol=atol, equal_nan=equal_nan)


@symbolic_op
def isin(x1, x2, assume_unique=False, invert=False):
    """Elementwise test whether each entry of ``x1`` occurs in ``x2``."""
    return jnp.isin(_t(x1), _t(x2), assume_unique=assume_unique, invert=invert)


@symbolic_op
def select(condlist, choicelist, default=0):
    """Entries of ``choicelist[i]`` for the first ``condlist[i]`` that holds, else ``default``."""
    return jnp.select([_t(c) for c in condlist], [_t(c) for c in choicelist], default=default)


# --- products ---------------------------------------------------------------------
matmul = _binary(jnp.matmul, "matmul", "Matrix product, batched over leading dims.")
dot = _binary(
    jnp.dot,
    "dot",
    "NumPy ``dot``: inner product of vectors, matrix product, or sum-product over the last "
    "axis of ``x1`` and second-to-last of ``x2``.",
)
inner = _binary(jnp.inner, "inner", "Inner product over the last axes.")
outer = _binary(jnp.outer, "outer", "Outer product of two vectors (flattened).")
vdot = _binary(jnp.vdot, "vdot", "Dot product of two flattened arrays.")
kron = _binary(jnp.kron, "kron", "Kronecker product.")


@symbolic_op
def einsum(subscripts, *operands, **kwargs):
    """Einstein summation, e.g. ``einsum("bi,ij->bj", x, w)``; ``kwargs`` go to ``jnp.einsum``."""
    return jnp.einsum(subscripts, *[_t(o) for o in operands], **kwargs)


@symbolic_op
def tensordot(x1, x2, axes=2):
    """Sum-product over ``axes`` of ``x1`` and ``x2``."""
    return jnp.tensordot(_t(x1), _t(x2), axes=axes)


@symbolic_op
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors."""
    return jnp.cross(_t(x1), _t(x2), axisa=axisa, axisb=axisb, axisc=axisc, axis=axis)


@symbolic_op
def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D arrays."""
    return jnp.correlate(_t(x1), _t(x2), mode)


# --- reductions ---------------------------------------------------------------------
def _reduction(jnp_function, name: str, doc: str):
    def op(x, axis=None, keepdims=False):
        return jnp_function(_t(x), axis=_axis(axis), keepdims=keepdims)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return symbolic_op(op)


def _axis(axis):
    # JAX needs a hashable axis; Keras users pass lists.
    return tuple(axis) if isinstance(axis, list) else axis


sum = _reduction(jnp.sum, "sum", "Sum over ``axis`` (all axes if None).")  # noqa: A001
mean = _reduction(jnp.mean, "mean", "Mean over ``axis``.")
std = _reduction(jnp.std, "std", "Standard deviation over ``axis``.")
var = _reduction(jnp.var, "var", "Variance over ``axis``.")
all = _reduction(jnp.all, "all", "Whether all entries are true over ``axis``.")  # noqa: A001
any = _reduction(jnp.any, "any", "Whether any entry is true over ``axis``.")  # noqa: A001
amax = _reduction(jnp.max, "amax", "Maximum over ``axis``.")
amin = _reduction(jnp.min, "amin", "Minimum over ``axis``.")
median = _reduction(jnp.median, "median", "Median over ``axis``.")
ptp = _reduction(jnp.ptp, "ptp", "Range (maximum minus minimum) over ``axis``.")
nansum = _reduction(jnp.nansum, "nansum", "Sum over ``axis``, ignoring NaN.")
nanmean = _reduction(jnp.nanmean, "nanmean", "Mean over ``axis``, ignoring NaN.")
nanmax = _reduction(jnp.nanmax, "nanmax", "Maximum over ``axis``, ignoring NaN.")
nanmin = _reduction(jnp.nanmin, "nanmin", "Minimum over ``axis``, ignoring NaN.")
nanprod = _reduction(jnp.nanprod, "nanprod", "Product over ``axis``, ignoring NaN.")
nanstd = _reduction(jnp.nanstd, "nanstd", "Standard deviation over ``axis``, ignoring NaN.")
nanvar = _reduction(jnp.nanvar, "nanvar", "Variance over ``axis``, ignoring NaN.")
nanmedian = _reduction(jnp.nanmedian, "nanmedian", "Median over ``axis``, ignoring NaN.")
argmax = _reduction(jnp.argmax, "argmax", "Index of the maximum along ``axis`` (of the flattened array if None).")
argmin = _reduction(jnp.argmin, "argmin", "Index of the minimum along ``axis`` (of the flattened array if None).")
nanargmax = _reduction(jnp.nanargmax, "nanargmax", "Index of the maximum along ``axis``, ignoring NaN.")
nanargmin = _reduction(jnp.nanargmin, "nanargmin", "Index of the minimum along ``axis``, ignoring NaN.")


@symbolic_op
def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - Keras's name
    """Maximum over ``axis``; ``initial`` is a lower bound that also allows empty input."""
    return jnp.max(_t(x), axis=_axis(axis), keepdims=keepdims, initial=initial)


@symbolic_op
def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - Keras's name
    """Minimum over ``axis``; ``initial`` is an upper bound that also allows empty input."""
    return jnp.min(_t(x), axis=_axis(axis), keepdims=keepdims, initial=initial)


@symbolic_op
def prod(x, axis=None, keepdims=False, dtype=None):
    """Product over ``axis``, accumulated in ``dtype`` if given."""
    return jnp.prod(_t(x), axis=_axis(axis), keepdims=keepdims, dtype=_dtype(dtype))


@symbolic_op
def average(x, axis=None, weights=None):
    """Weighted mean over ``axis``."""
    return jnp.average(_t(x), axis=_axis(axis), weights=_t_or_none(weights))


@symbolic_op
def count_nonzero(x, axis=None):
    """Number of non-zero entries over ``axis``, as int32."""
    return jnp.count_nonzero(_t(x), axis=_axis(axis)).astype("int32")


def _cumulative(jnp_function, name: str, doc: str):
    def op(x, axis=None, dtype=None):
        return jnp_function(_t(x), axis=axis, dtype=_dtype(dtype))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return symbolic_op(op)


cumsum = _cumulative(jnp.cumsum, "cumsum", "Cumulative sum along ``axis`` (flattened if None).")
cumprod = _cumulative(jnp.cumprod, "cumprod", "Cumulative product along ``axis`` (flattened if None).")
nancumsum = _cumulative(jnp.nancumsum, "nancumsum", "Cumulative sum along ``axis``, NaN counted as 0.")
nancumprod = _cumulative(jnp.nancumprod, "nancumprod", "Cumulative product along ``axis``, NaN counted as 1.")


@symbolic_op
def argsort(x, axis=-1):
    """Indices that sort ``x`` along ``axis``."""
    return jnp.argsort(_t(x), axis=axis)


@symbolic_op
def argpartition(x, kth, axis=-1):
    """Indices that put the ``kth`` entry in sorted place along ``axis``, smaller ones before it."""
    x = _t(x)
    if axis is None:
        return jnp.argpartition(jnp.ravel(x), kth, axis=0)
    return jnp.argpartition(x, kth, axis=axis)


@symbolic_op
def sort(x, axis=-1):
    """``x`` sorted along ``axis``."""
    return jnp.sort(_t(x), axis=axis)


def _quantile_op(jnp_function, name: str, doc: str):
    def op(x, q, axis=None, method="linear", keepdims=False):
        return jnp_function(_t(x), _t(q), axis=_axis(axis), method=method, keepdims=keepdims)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return symbolic_op(op)


quantile = _quantile_op(jnp.quantile, "quantile", "The ``q``-th quantile (``q`` in [0, 1]) along ``axis``.")
nanquantile = _quantile_op(jnp.nanquantile, "nanquantile", "The ``q``-th quantile along ``axis``, ignoring NaN.")
percentile = _quantile_op(jnp.percentile, "percentile", "The ``q``-th percentile (``q`` in [0, 100]) along ``axis``.")
nanpercentile = _quantile_op(
    jnp.nanpercentile, "nanpercentile", "The ``q``-th percentile along ``axis``, ignoring NaN."
)


@symbolic_op
def histogram(x, bins=10, range=None):  # noqa: A002 - Keras's name
    """Counts of a 1-D ``x`` in ``bins`` equal bins over ``range``, and the bin edges."""
    x = _t(x)
    if x.ndim != 1:
        raise ValueError(f"ops.histogram expects a 1-D input; received shape {tuple(x.shape)}. Flatten it first.")
    return jnp.histogram(x, bins=bins, range=range)


@symbolic_op
def bincount(x, weights=None, minlength=0, sparse=False):
    """Number of occurrences (or summed ``weights``) of each non-negative int; per row for 2-D ``x``.

    The output length depends on the values of ``x``, so this op cannot run on
    symbolic tensors or under ``jit`` unless every value is known to be below
    ``minlength``.
    """
    x, weights = _t(x), _t_or_none(weights)
    length = builtins.max(int(jnp.max(x)) + 1, minlength) if x.size else minlength
    if x.ndim == 2:
        if weights is None:
            return jnp.stack([jnp.bincount(row, length=length) for row in x])
        return jnp.stack([jnp.bincount(row, w, length=length) for row, w in zip(x, weights)])
    return jnp.bincount(x, weights, length=length)


@symbolic_op
def digitize(x, bins):
    """Index of the bin of ``bins`` (increasing) that each entry of ``x`` falls in."""
    return jnp.digitize(_t(x), _t(bins))


@symbolic_op
def searchsorted(sorted_sequence, values, side="left"):
    """Indices where ``values`` would be inserted into the 1-D ``sorted_sequence`` to keep it sorted."""
    sorted_sequence = _t(sorted_sequence)
    if sorted_sequence.ndim != 1:
        raise ValueError(
            "ops.searchsorted only supports a 1-D sorted_sequence; received shape "
            f"{tuple(sorted_sequence.shape)}. Use ops.vectorized_map for N-D sequences."
        )
    return jnp.searchsorted(sorted_sequence, _t(values), side=side)


@symbolic_op
def unique(
    x,
    sorted=True,  # noqa: A002 - Keras's name
    return_index=False,
    return_inverse=False,
    return_counts=False,
    axis=None,
    size=None,
    fill_value=None,
):
    """The distinct values of ``x``; ``size`` pads the result to a fixed length so it can be traced."""
    return jnp.unique(
        _t(x), return_index=return_index, return_inverse=return_inverse, return_counts=return_counts,
        axis=axis, equal_nan=False, size=size, fill_value=fill_value, sorted=sorted,
    )


@symbolic_op
def nonzero(x):
    """The indices of the non-zero entries, one array per axis (shape depends on values)."""
    return jnp.nonzero(_t(x))


@symbolic_op
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of ``y`` along ``axis`` by the trapezoidal rule."""
    return jnp.trapezoid(_t(y), _t_or_none(x), dx=dx, axis=axis)


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
def fliplr(x):
    """``x`` reversed along axis 1."""
    return jnp.fliplr(_t(x))


@symbolic_op
def flipud(x):
    """``x`` reversed along axis 0."""
    return jnp.flipud(_t(x))


@symbolic_op
def rot90(array, k=1, axes=(0, 1)):
    """``array`` rotated by 90 degrees ``k`` times in the plane of ``axes``."""
    array = _t(array)
    if array.ndim < 2:
        raise ValueError(f"ops.rot90 needs an array of rank >= 2; received shape {tuple(array.shape)}.")
    if len(axes) != 2 or axes[0] == axes[1]:
        raise ValueError(f"ops.rot90: `axes` must name two different axes; received axes={axes!r}.")
    return jnp.rot90(array, k=k, axes=tuple(axes))


@symbolic_op
def roll(x, shift, axis=None):
    """``x`` rolled by ``shift`` along ``axis``."""
    return jnp.roll(_t(x), shift, axis=axis)


@symbolic_op
def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` padded by ``pad_width`` ((before, after) per axis)."""
    if constant_values is None:
        return jnp.pad(_t(x), pad_width, mode=mode)
    if mode != "constant":
        raise ValueError(
            f"ops.pad: `constant_values` can only be given with mode='constant'; received mode={mode!r}."
        )
    return jnp.pad(_t(x), pad_width, mode=mode, constant_values=constant_values)


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
def dstack(xs):
    """Arrays joined along the third axis."""
    return jnp.dstack([_t(x) for x in xs])


@symbolic_op
def append(x1, x2, axis=None):
    """``x2`` appended to ``x1`` along ``axis``."""
    return jnp.append(_t(x1), _t(x2), axis=axis)


@symbolic_op
def split(x, indices_or_sections, axis=0):
    """``x`` split into a list of arrays along ``axis`` (equal sections, or at indices)."""
    return jnp.split(_t(x), indices_or_sections, axis=axis)


@symbolic_op
def array_split(x, indices_or_sections, axis=0):
    """Like ``split``, but sections may differ in size by one."""
    return jnp.array_split(_t(x), indices_or_sections, axis=axis)


@symbolic_op
def hsplit(x, indices_or_sections):
    """``x`` split along axis 1 (axis 0 for 1-D ``x``)."""
    return jnp.hsplit(_t(x), indices_or_sections)


@symbolic_op
def vsplit(x, indices_or_sections):
    """``x`` split along axis 0."""
    return jnp.vsplit(_t(x), indices_or_sections)


@symbolic_op
def dsplit(x, indices_or_sections):
    """``x`` split along axis 2."""
    return jnp.dsplit(_t(x), indices_or_sections)


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


@symbolic_op
def slogdet(x):
    """Sign and natural log of the absolute determinant: ``(sign, logabsdet)``."""
    return tuple(jnp.linalg.slogdet(_t(x)))


@symbolic_op
def diagflat(x, k=0):
    """A matrix with the flattened ``x`` on its ``k``-th diagonal."""
    return jnp.diagflat(_t(x), k=k)


@symbolic_op
def diff(a, n=1, axis=-1):
    """The ``n``-th discrete difference of ``a`` along ``axis``."""
    return jnp.diff(_t(a), n=n, axis=axis)


@symbolic_op
def vander(x, N=None, increasing=False):  # noqa: N803 - NumPy's name
    """The Vandermonde matrix of the 1-D ``x`` (columns are powers of ``x``)."""
    return jnp.vander(_t(x), N=N, increasing=increasing)


@symbolic_op
def corrcoef(x):
    """Pearson correlation coefficients between the rows of ``x``."""
    return jnp.corrcoef(_t(x))


@symbolic_op
def unravel_index(indices, shape):
    """Flat ``indices`` as a tuple of coordinate arrays into an array of ``shape``."""
    return jnp.unravel_index(_t(indices), shape)


@symbolic_op
def view(x, dtype=None):
    """The bytes of ``x`` reinterpreted as ``dtype`` (no conversion)."""
    return _t(x).view(_dtype(dtype))


def ndim(x) -> int:
    """The number of axes of ``x``.

    A Python int even for symbolic tensors, whose rank is always known (Keras
    returns a symbolic tensor there, which cannot drive Python code).
    """
    return len(shape(x))


def vectorize(pyfunc, *, excluded=None, signature=None):
    """``pyfunc`` made to broadcast over array arguments (``jnp.vectorize``)."""
    return jnp.vectorize(pyfunc, excluded=excluded or set(), signature=signature)


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
    return jnp.full_like(_t(x), _t(fill_value), dtype=_dtype(dtype))


@symbolic_op
def empty_like(x, dtype=None):
    """An array shaped like ``x`` (JAX has no uninitialized memory: it holds zeros)."""
    return jnp.empty_like(_t(x), dtype=_dtype(dtype))


def array(x, dtype=None):
    """An array holding a copy of ``x``."""
    return jnp.array(_t(x), dtype=_dtype(dtype))


def empty(shape, dtype=None):
    """An array of ``shape`` (floatx by default); JAX fills it with zeros."""
    return jnp.empty(shape, dtype=standardize_dtype(dtype))


def ones(shape, dtype=None):
    """An array of ones (floatx by default)."""
    return jnp.ones(shape, dtype=standardize_dtype(dtype))


def zeros(shape, dtype=None):
    """An array of zeros (floatx by default)."""
    return jnp.zeros(shape, dtype=standardize_dtype(dtype))


def full(shape, fill_value, dtype=None):
    """An array filled with ``fill_value`` (floatx by default, as in Keras)."""
    return jnp.full(shape, _t(fill_value), dtype=standardize_dtype(dtype))


def eye(N, M=None, k=0, dtype=None):
    """A 2-D array with ones on the ``k``-th diagonal."""
    return jnp.eye(N, M, k=k, dtype=standardize_dtype(dtype))


def identity(n, dtype=None):
    """The ``n`` x ``n`` identity matrix."""
    return jnp.identity(n, dtype=standardize_dtype(dtype))


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the ``k``-th diagonal."""
    return jnp.tri(N, M, k, dtype=standardize_dtype(dtype))


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in ``[start, stop)`` (``[0, start)`` given one bound)."""
    return jnp.arange(start, stop, step, dtype=_dtype(dtype))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop``."""
    return jnp.linspace(start, stop, num, endpoint=endpoint, retstep=retstep, dtype=_dtype(dtype), axis=axis)


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``num`` values from ``base**start`` to ``base**stop``, evenly spaced in log scale."""
    return jnp.logspace(start, stop, num, endpoint=endpoint, base=base, dtype=_dtype(dtype), axis=axis)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``num`` values from ``start`` to ``stop`` in geometric progression."""
    return jnp.geomspace(start, stop, num, endpoint=endpoint, dtype=_dtype(dtype), axis=axis)


def _window(jnp_function, name: str, doc: str):
    def op(x):
        return jnp_function(x).astype(floatx())

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


bartlett = _window(jnp.bartlett, "bartlett", "The Bartlett (triangular) window of ``x`` points.")
blackman = _window(jnp.blackman, "blackman", "The Blackman window of ``x`` points.")
hamming = _window(jnp.hamming, "hamming", "The Hamming window of ``x`` points.")
hanning = _window(jnp.hanning, "hanning", "The Hann window of ``x`` points.")


def kaiser(x, beta):
    """The Kaiser window of ``x`` points with shape parameter ``beta``."""
    return jnp.kaiser(x, beta).astype(floatx())


@symbolic_op
def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D arrays."""
    return jnp.meshgrid(*[_t(v) for v in x], indexing=indexing)


@symbolic_op
def size(x):
    """Number of elements."""
    return jnp.size(_t(x))
