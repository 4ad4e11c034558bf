"""Linear algebra ops: norms, inverses, decompositions, solves."""

import jax.numpy as jnp

from loom.ops.core import convert_to_tensor as _t
from loom.ops.operation import symbolic_op


@symbolic_op
def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - Keras's name
    """Vector or matrix norm of ``x`` over ``axis``."""
    return jnp.linalg.norm(_t(x), ord=ord, axis=axis, keepdims=keepdims)


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
def cholesky(x):
    """Lower Cholesky factor."""
    return jnp.linalg.cholesky(_t(x))


@symbolic_op
def qr(x, mode="reduced"):
    """QR decomposition ``(q, r)``."""
    return jnp.linalg.qr(_t(x), mode=mode)


@symbolic_op
def svd(x, full_matrices=True, compute_uv=True):
    """Singular value decomposition."""
    return jnp.linalg.svd(_t(x), full_matrices=full_matrices, compute_uv=compute_uv)


@symbolic_op
def eigh(x):
    """Eigenvalues and eigenvectors of a symmetric matrix."""
    return jnp.linalg.eigh(_t(x))
