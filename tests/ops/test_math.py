"""Math ops (top-k, segments, FFTs, special functions) against NumPy, SciPy and Keras."""

import numpy as np
import pytest
import scipy.special

import loom.ops as ops
from loom.graph import SymbolicTensor
from tests.ops.op_reference import KERAS, Table, case, check_batch, check_concrete, check_symbolic, ids

rng = np.random.default_rng(2)
X = rng.standard_normal((2, 3, 5)).astype("float32")
POS = (np.abs(X) + 0.5).astype("float32")
UNIT = rng.uniform(-0.9, 0.9, (2, 3, 5)).astype("float32")
SCORES = rng.standard_normal((4, 5)).astype("float32")
TARGETS = np.array([0, 3, 4, 1], "int32")
DATA = rng.standard_normal((6, 3)).astype("float32")
SEGMENTS = np.array([0, 0, 1, 2, 2, 2], "int32")
SIGNAL = rng.standard_normal((2, 10)).astype("float32")
IMAG = rng.standard_normal((2, 3, 5)).astype("float32")
PAIRS = rng.standard_normal((2, 3, 2)).astype("float32")
SPD = (lambda a: a @ a.T + 3 * np.eye(3))(rng.standard_normal((3, 3))).astype("float32")


def _top_k(x, k):
    indices = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, indices, -1), indices


def _as_pair(z):
    return z.real, z.imag


def _pair_fft(fft):
    return lambda z: _as_pair(fft(z[0] + 1j * z[1]))


def _segment(reduce, n):
    return lambda data, ids, num_segments: np.stack([reduce(data[ids == s], axis=0) for s in range(n)])


ALL = [
    case("top_k", X, 2, ref=_top_k),
    case("in_top_k", TARGETS, SCORES, 2, batch=False,
         ref=lambda t, p, k: (p > p[np.arange(len(t)), t][:, None]).sum(-1) < k),
    case("logsumexp", X, axis=1, ref=lambda x, axis: scipy.special.logsumexp(x, axis=axis)),
    case("logsumexp", X, axis=[1, 2], keepdims=True, ref=KERAS, label="list axis"),
    case("segment_sum", DATA, SEGMENTS, num_segments=3, batch=False, ref=_segment(np.sum, 3)),
    case("segment_max", DATA, SEGMENTS, num_segments=3, batch=False, ref=_segment(np.max, 3)),
    case("segment_min", DATA, SEGMENTS, num_segments=3, batch=False, ref=_segment(np.min, 3)),
    case("segment_prod", DATA, SEGMENTS, num_segments=3, batch=False, ref=_segment(np.prod, 3)),
    case("erf", X, ref=scipy.special.erf),
    case("erfc", X, ref=scipy.special.erfc),
    case("erfinv", UNIT, ref=scipy.special.erfinv, rtol=1e-4),
    case("rsqrt", POS, ref=lambda x: 1 / np.sqrt(x)),
    case("logdet", SPD, batch=False, ref=lambda x: np.linalg.slogdet(x)[1]),
    case("cdist", SCORES, DATA[:, :1].repeat(5, 1), batch=False,
         ref=lambda x, y: np.sqrt(((x[:, None] - y[None]) ** 2).sum(-1)), rtol=1e-4),
    case("extract_sequences", SIGNAL, 4, 3, ref=lambda x, n, s: np.stack([x[:, i:i + n] for i in range(0, 7, s)], 1)),
    case("fft", (X, IMAG), ref=_pair_fft(np.fft.fft), rtol=1e-4, atol=1e-5),
    case("fft2", (X, IMAG), ref=_pair_fft(np.fft.fft2), rtol=1e-4, atol=1e-5),
    case("ifft2", (X, IMAG), ref=_pair_fft(np.fft.ifft2), rtol=1e-4, atol=1e-5),
    case("rfft", X, ref=lambda x: _as_pair(np.fft.rfft(x)), rtol=1e-4, atol=1e-5),
    case("rfft", X, fft_length=8, ref=lambda x, fft_length: _as_pair(np.fft.rfft(x, fft_length)), rtol=1e-4, atol=1e-5,
         label="padded"),
    case("irfft", (X, IMAG), ref=lambda z: np.fft.irfft(z[0] + 1j * z[1]), rtol=1e-4, atol=1e-5),
    case("view_as_complex", PAIRS, ref=lambda x: x[..., 0] + 1j * x[..., 1]),
    case("view_as_real", (X + 1j * IMAG).astype("complex64"), ref=lambda z: np.stack([z.real, z.imag], -1)),
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


def test_segment_sum_without_num_segments_reads_the_ids_eagerly_but_not_symbolically():
    np.testing.assert_allclose(ops.segment_sum(DATA, SEGMENTS), _segment(np.sum, 3)(DATA, SEGMENTS, 3), rtol=1e-6)
    with pytest.raises(Exception, match="segment_sum"):
        ops.segment_sum(SymbolicTensor((None, 3)), SymbolicTensor((None,), "int32"))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ops.fft(X), "expects a pair"),
        (lambda: ops.fft((X, IMAG[0])), "equal shapes"),
        (lambda: ops.fft((X, IMAG.astype("int32"))), "must be float tensors"),
        (lambda: ops.cdist(X, DATA), "equal last dimensions"),
        (lambda: ops.view_as_complex(X), "last axis of size 2"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
