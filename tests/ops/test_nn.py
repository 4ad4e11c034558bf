"""Neural-network ops against NumPy formulas and Keras 3, eagerly and on symbolic tensors."""

import numpy as np
import pytest

import loom.ops as ops
from loom.graph import SymbolicTensor
from loom.ops import config
from tests.ops.op_reference import KERAS, Table, case, check_batch, check_concrete, check_symbolic, ids

rng = np.random.default_rng(1)
X = (rng.standard_normal((2, 3, 6)) * 2).astype("float32")
LABELS = rng.integers(0, 5, (2, 3)).astype("int32")
PROBS = rng.uniform(0.05, 0.95, (2, 3, 6)).astype("float32")
TARGETS = (rng.uniform(size=(2, 3, 6)) > 0.5).astype("float32")
ONE_HOT_TARGETS = np.eye(6, dtype="float32")[rng.integers(0, 6, (2, 3))]
CLASS_IDS = rng.integers(0, 6, (2, 3)).astype("int32")
GAMMA = rng.uniform(0.5, 1.5, (6,)).astype("float32")
BETA = rng.standard_normal((6,)).astype("float32")
MEAN = rng.standard_normal((6,)).astype("float32")
VARIANCE = rng.uniform(0.5, 2.0, (6,)).astype("float32")
QUERY = rng.standard_normal((2, 4, 2, 8)).astype("float32")  # (batch, time, heads, depth)
KEY = rng.standard_normal((2, 5, 2, 8)).astype("float32")
CAUSAL_KEY = rng.standard_normal((2, 4, 2, 8)).astype("float32")
MASK = rng.uniform(size=(4, 5)) > 0.3


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def _sparsemax(x, axis=-1):
    """Martins & Astudillo (2016), Algorithm 1, one row at a time."""
    rows = np.moveaxis(x, axis, -1).reshape(-1, x.shape[axis])
    out = []
    for z in rows:
        z_sorted = np.sort(z)[::-1]
        k = np.arange(1, len(z) + 1)
        support = 1 + k * z_sorted > np.cumsum(z_sorted)
        k_z = k[support][-1]
        tau = (np.cumsum(z_sorted)[k_z - 1] - 1) / k_z
        out.append(np.maximum(z - tau, 0))
    return np.moveaxis(np.reshape(out, np.moveaxis(x, axis, -1).shape), -1, axis)


NUMPY_FORMULAS = [
    case("relu", X, ref=lambda x: np.maximum(x, 0)),
    case("relu6", X, ref=lambda x: np.clip(x, 0, 6)),
    case("sigmoid", X, ref=lambda x: 1 / (1 + np.exp(-x))),
    case("softplus", X, ref=lambda x: np.log1p(np.exp(x))),
    case("softsign", X, ref=lambda x: x / (1 + np.abs(x))),
    case("silu", X, ref=lambda x: x / (1 + np.exp(-x))),
    case("elu", X, alpha=0.5, ref=lambda x, alpha: np.where(x > 0, x, alpha * np.expm1(x))),
    case("leaky_relu", X, ref=lambda x: np.where(x > 0, x, 0.2 * x)),
    case("mish", X, ref=lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    # Keras 3.15's sparsemax sums every cumulative sum into tau, so its rows stop summing to 1
    # once the support has more than one entry; loom follows the paper.
    case("sparsemax", X / 4, ref=_sparsemax),
    case("sparsemax", X / 4, axis=1, ref=_sparsemax, label="axis=1"),
    case("softmax", X, ref=_softmax),
    case("softmax", X, axis=1, ref=_softmax, label="axis=1"),
    case("log_softmax", X, ref=lambda x: np.log(_softmax(x))),
    case("one_hot", LABELS, 5, ref=lambda x, n: np.eye(n, dtype="float32")[x]),
    case("one_hot", LABELS, 5, axis=1, dtype="int32", label="axis-dtype", batch=True,
         ref=lambda x, n, axis, dtype: np.moveaxis(np.eye(n, dtype=dtype)[x], -1, axis)),
    case("moments", X, [1, 2], ref=lambda x, axes: (x.mean(tuple(axes)), x.var(tuple(axes)))),
    case("batch_normalization", X, MEAN, VARIANCE, -1, offset=BETA, scale=GAMMA, batch=True,
         ref=lambda x, m, v, axis, offset, scale: (x - m) / np.sqrt(v + 1e-3) * scale + offset),
]

KERAS_PARITY = [
    case(name, X, ref=KERAS)
    for name in [
        "log_sigmoid", "hard_sigmoid", "hard_silu", "hard_swish", "swish", "selu", "celu", "gelu", "tanh_shrink",
        "hard_tanh", "soft_shrink", "hard_shrink", "squareplus", "sparse_plus", "sparse_sigmoid", "glu", "normalize",
        "layer_normalization", "rms_normalization",
    ]
] + [
    case("gelu", X, approximate=False, ref=KERAS, label="exact"),
    case("threshold", X, 0.5, -1.0, ref=KERAS),
    case("normalize", X, axis=1, order=1, ref=KERAS, label="order=1"),
    case("layer_normalization", X, GAMMA, BETA, ref=KERAS, label="affine"),
    case("layer_normalization", X, axis=[1, 2], ref=KERAS, label="two axes"),
    case("rms_normalization", X, GAMMA, ref=KERAS, label="scale"),
    case("multi_hot", LABELS, 5, ref=KERAS),
    case("multi_hot", LABELS[0], num_tokens=5, ref=KERAS, batch=False, label="num_tokens"),
    case("moments", X, [0, 2], keepdims=True, ref=KERAS, batch=False, label="keepdims"),
    case("binary_crossentropy", TARGETS, PROBS, ref=KERAS, batch=False),
    case("binary_crossentropy", TARGETS, X, from_logits=True, ref=KERAS, batch=False, label="logits"),
    case("categorical_crossentropy", ONE_HOT_TARGETS, PROBS, ref=KERAS, batch=False),
    case("categorical_crossentropy", ONE_HOT_TARGETS, X, from_logits=True, ref=KERAS, batch=False, label="logits"),
    case("sparse_categorical_crossentropy", CLASS_IDS, PROBS, ref=KERAS, batch=False),
    case("sparse_categorical_crossentropy", CLASS_IDS[..., None], X, from_logits=True, ref=KERAS, batch=False,
         label="logits"),
    case("psnr", PROBS, TARGETS, 1.0, ref=KERAS, batch=False),
    case("polar", PROBS, X[0], ref=KERAS),
    case("dot_product_attention", QUERY, KEY, KEY, ref=KERAS, batch=False, rtol=1e-4),
    case("dot_product_attention", QUERY, KEY, KEY, mask=MASK, bias=np.float32(0.5), scale=0.3, ref=KERAS, batch=False,
         rtol=1e-4, label="mask-bias"),
    case("dot_product_attention", QUERY, CAUSAL_KEY, CAUSAL_KEY, is_causal=True, ref=KERAS, batch=False, rtol=1e-4,
         label="causal"),
]

ALL = NUMPY_FORMULAS + KERAS_PARITY
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


def test_crossentropies_read_the_global_epsilon():
    probabilities = np.array([[0.0, 1.0]], "float32")
    targets = np.array([[1.0, 0.0]], "float32")
    default = float(ops.categorical_crossentropy(targets, probabilities)[0])
    np.testing.assert_allclose(default, -np.log(1e-7), rtol=1e-4)
    try:
        config.set_epsilon(1e-3)
        loose = float(ops.categorical_crossentropy(targets, probabilities)[0])
        np.testing.assert_allclose(loose, -np.log(1e-3), rtol=1e-4)
    finally:
        config.set_epsilon(1e-7)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: ops.binary_crossentropy(TARGETS, PROBS[0]), ValueError, "must have the same shape"),
        (lambda: ops.sparse_categorical_crossentropy(CLASS_IDS[0], PROBS), ValueError, "without its last axis"),
        (lambda: ops.normalize(X, order=0), ValueError, "`order` must be an int >= 1"),
        (lambda: ops.multi_hot(LABELS), ValueError, "needs `num_classes`"),
        (lambda: ops.multi_hot(LABELS, 5, num_labels=3), TypeError, "unexpected keyword arguments"),
        (lambda: ops.layer_normalization(X, rms_scaling=True), ValueError, "use ops.rms_normalization"),
        (lambda: ops.layer_normalization(X, center=True), TypeError, "unexpected keyword arguments"),
        (lambda: ops.categorical_crossentropy(PROBS[0, 0, 0], PROBS[0, 0, 0]), ValueError, "rank >= 1"),
        (lambda: ops.sparse_categorical_crossentropy(CLASS_IDS[0, 0], PROBS[0, 0, 0]), ValueError, "rank >= 1"),
        (lambda: ops.dot_product_attention(QUERY, KEY, KEY, attn_logits_soft_cap=30.0), ValueError, "only on TPU"),
        (lambda: ops.moments(X, [1], synchronized=True), NotImplementedError, "synchronized=True"),
        (lambda: ops.dot_product_attention(X, X, X), ValueError, "needs 4-D"),
        (lambda: ops.dot_product_attention(QUERY, KEY, KEY, flash_attention=True), ValueError, "flash_attention=True"),
        (lambda: ops.psnr(PROBS, PROBS[0], 1.0), ValueError, "equal shapes"),
        (lambda: config.set_epsilon(-1.0), ValueError, "non-negative float"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_shape_error_on_symbolic_tensors_names_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"ops.categorical_crossentropy.*\(None, 3\), \(None, 4\)"):
        ops.categorical_crossentropy(SymbolicTensor((None, 3)), SymbolicTensor((None, 4)))
