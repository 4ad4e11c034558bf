"""Linear algebra ops: norms, inverses, decompositions, solves."""

import jax
import jax.numpy as jnp
import jax.scipy as jsp

from loom.ops.core import convert_to_tensor as _t
from loom.ops.operation import symbolic_op
from loom.utils.dtypes import floatx


@symbolic_op
def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - Keras's name
    """Vector or matrix norm of ``x`` over ``axis`` (integer input is computed in floatx)."""
    x = _t(x)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(floatx())
    axis = tuple(axis) if isinstance(axis, list) else axis
    return jnp.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


@symbolic_op
def inv(x):
    """Matrix inverse."""
    return jnp.linalg.inv(_t(x))


@symbolic_op
def det(x):
    """Matrix determinant."""
    return jnp.linalg.det(_t(x))


@symbolic_op
def solve(a, b):
    """Solution ``x`` of ``a @ x = b``."""
    return jnp.linalg.solve(_t(a), _t(b))


@symbolic_op
def cholesky(x, upper=False):
    """Cholesky factor of a positive-definite matrix: lower ``L`` with ``x = L L^T``, or upper if ``upper``.

    Eagerly, a matrix that is not positive definite raises ``ValueError``;
    under tracing the result holds NaN instead, as in Keras.
    """
    out = jnp.linalg.cholesky(_t(x), upper=upper)
    if not isinstance(out, jax.core.Tracer) and bool(jnp.any(jnp.isnan(out))):
        raise ValueError("ops.cholesky failed: the input is not a positive-definite matrix.")
    return out


@symbolic_op
def cholesky_inverse(x, upper=False):
    """The inverse of ``A`` given its Cholesky factor ``x`` (lower, or upper if ``upper``)."""
    x = _t(x)
    # Broadcast to the batch: a 2-D identity against a batch of factors is a deprecated 1-D solve.
    identity = jnp.broadcast_to(jnp.eye(x.shape[-1], dtype=x.dtype), x.shape)
    inv_factor = jsp.linalg.solve_triangular(x, identity, lower=not upper)
    if upper:
        return inv_factor @ jnp.swapaxes(inv_factor, -1, -2)
    return jnp.swapaxes(inv_factor, -1, -2) @ inv_factor


@symbolic_op
def qr(x, mode="reduced"):
    """QR decomposition ``(q, r)``; ``mode`` is ``"reduced"`` or ``"complete"``."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"ops.qr: `mode` must be 'reduced' or 'complete'; received mode={mode!r}.")
    return tuple(jnp.linalg.qr(_t(x), mode=mode))


@symbolic_op
def svd(x, full_matrices=True, compute_uv=True):
    """Singular value decomposition."""
    return jnp.linalg.svd(_t(x), full_matrices=full_matrices, compute_uv=compute_uv)


@symbolic_op
def eigh(x):
    """Eigenvalues and eigenvectors of a symmetric matrix."""
    return jnp.linalg.eigh(_t(x))


@symbolic_op
def eig(x):
    """Eigenvalues and eigenvectors of a square matrix (complex; CPU only in JAX)."""
    return jnp.linalg.eig(_t(x))


@symbolic_op
def lu_factor(x):
    """LU factorization with partial pivoting: ``(lu, pivots)``, batched over leading axes."""
    x = _t(x)
    factor = jsp.linalg.lu_factor
    for _ in range(x.ndim - 2):
        factor = jax.vmap(factor)
    return factor(x)


@symbolic_op
def solve_triangular(a, b, lower=False):
    """Solution ``x`` of ``a @ x = b`` for a triangular ``a``."""
    return jsp.linalg.solve_triangular(_t(a), _t(b), lower=lower)


@symbolic_op
def lstsq(a, b, rcond=None):
    """Least-squares solution ``x`` minimizing ``|a @ x - b|``."""
    return jnp.linalg.lstsq(_t(a), _t(b), rcond=rcond)[0]


@symbolic_op
def pinv(x, rcond=None):
    """Moore-Penrose pseudo-inverse of a matrix (rank >= 2)."""
    x = _t(x)
    if x.ndim < 2:
        raise ValueError(f"ops.pinv needs an input of rank >= 2; received shape {tuple(x.shape)}.")
    return jnp.linalg.pinv(x, rtol=rcond)


@symbolic_op
def matrix_rank(x, tol=None):
    """Rank of a matrix (rank >= 2 input), by counting singular values above ``tol``."""
    x = _t(x)
    if x.ndim < 2:
        raise ValueError(f"ops.matrix_rank needs an input of rank >= 2; received shape {tuple(x.shape)}.")
    return jnp.linalg.matrix_rank(x, tol=tol).astype("int32")


def jvp(fun, primals, tangents, has_aux=False):
    """Forward-mode derivative: ``(fun(*primals), J @ tangents)`` (``jax.jvp``)."""
    return jax.jvp(fun, primals, tangents, has_aux=has_aux)
