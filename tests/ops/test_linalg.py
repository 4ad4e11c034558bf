"""Linear-algebra ops against numpy.linalg and scipy.linalg, eagerly and on symbolic tensors."""

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

import loom.ops as ops
from tests.ops.op_reference import KERAS, Table, case, check_batch, check_concrete, check_symbolic, ids

rng = np.random.default_rng(3)
X = rng.standard_normal((2, 3, 4)).astype("float32")
MAT = rng.standard_normal((4, 3)).astype("float32")
SPD = np.stack([a @ a.T + 3 * np.eye(3) for a in rng.standard_normal((2, 3, 3))]).astype("float32")
LOWER = np.linalg.cholesky(SPD).astype("float32")
RHS = rng.standard_normal((3, 2)).astype("float32")
# Decompositions with sign-ambiguous factors (qr, svd, eig) are compared with Keras, which
# runs the same JAX kernels; test_decompositions_reconstruct_their_input checks the maths.

ALL = [
    case("norm", X, ref=np.linalg.norm, batch=False),
    case("norm", X, axis=-1, ref=np.linalg.norm, label="axis"),
    case("norm", X, ord=1, axis=-1, keepdims=True, ref=np.linalg.norm, label="ord=1"),
    case("norm", X, ord="fro", axis=[1, 2], ref=lambda x, ord, axis: np.linalg.norm(x, ord, tuple(axis)), label="fro"),
    case("norm", np.arange(6, dtype="int32"), ref=lambda x: np.float32(np.linalg.norm(x)), batch=False, label="int"),
    case("inv", SPD, ref=np.linalg.inv, rtol=1e-4),
    case("det", SPD, ref=np.linalg.det, rtol=1e-4),
    case("solve", SPD[0], RHS, ref=np.linalg.solve, rtol=1e-4, batch=False),
    case("cholesky", SPD, ref=np.linalg.cholesky, rtol=1e-4),
    case("cholesky", SPD, upper=True, ref=lambda x, upper: np.swapaxes(np.linalg.cholesky(x), -1, -2), rtol=1e-4,
         label="upper"),
    case("cholesky_inverse", LOWER, ref=lambda l: np.linalg.inv(l @ np.swapaxes(l, -1, -2)), rtol=1e-4, atol=1e-5),
    case("cholesky_inverse", np.swapaxes(LOWER, -1, -2), upper=True,
         ref=lambda u, upper: np.linalg.inv(np.swapaxes(u, -1, -2) @ u), rtol=1e-4, atol=1e-5, label="upper"),
    case("qr", MAT, ref=KERAS, batch=False, rtol=1e-4, atol=1e-5),
    case("qr", MAT, mode="complete", ref=KERAS, batch=False, rtol=1e-4, atol=1e-5, label="complete"),
    case("svd", MAT, ref=KERAS, batch=False, rtol=1e-4, atol=1e-5),
    case("svd", X, compute_uv=False, ref=lambda x, compute_uv: np.linalg.svd(x, compute_uv=False), rtol=1e-4,
         label="values"),
    case("eigh", SPD, ref=KERAS, rtol=1e-4, atol=1e-5),
    case("eig", SPD[0], ref=KERAS, batch=False, rtol=1e-4, atol=1e-5),
    case("lu_factor", SPD, ref=KERAS, rtol=1e-4, atol=1e-5),
    case("solve_triangular", LOWER[0], RHS, lower=True, ref=scipy.linalg.solve_triangular, rtol=1e-4, batch=False),
    case("lstsq", MAT, RHS[:, 0].repeat(2)[:4], ref=lambda a, b: np.linalg.lstsq(a, b)[0], rtol=1e-4, atol=1e-5,
         batch=False),
    case("pinv", X, ref=np.linalg.pinv, rtol=1e-3, atol=1e-5),
    case("matrix_rank", X, ref=lambda x: np.linalg.matrix_rank(x).astype("int32")),
]
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


def test_decompositions_reconstruct_their_input():
    q, r = ops.qr(MAT)
    np.testing.assert_allclose(q @ r, MAT, atol=1e-5)
    u, s, vt = ops.svd(MAT, full_matrices=False)
    np.testing.assert_allclose((u * s) @ vt, MAT, atol=1e-5)
    values, vectors = ops.eigh(SPD[0])
    np.testing.assert_allclose(values, np.linalg.eigvalsh(SPD[0]), rtol=1e-4)
    np.testing.assert_allclose(vectors @ jnp.diag(values) @ vectors.T, SPD[0], atol=1e-4)


def test_jvp_is_the_forward_derivative():
    primal_out, tangent_out = ops.jvp(lambda x: jnp.sin(x) * 2, (X,), (jnp.ones_like(X),))
    np.testing.assert_allclose(primal_out, 2 * np.sin(X), rtol=1e-6)
    np.testing.assert_allclose(tangent_out, 2 * np.cos(X), rtol=1e-5)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ops.cholesky(-SPD[0]), "not a positive-definite matrix"),
        (lambda: ops.qr(MAT, mode="r"), "'reduced' or 'complete'"),
        (lambda: ops.pinv(X[0, 0]), "rank >= 2"),
        (lambda: ops.matrix_rank(X[0, 0]), "rank >= 2"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
