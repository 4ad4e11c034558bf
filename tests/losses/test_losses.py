"""Tests for the loss functions and classes: Keras parity, NumPy formulas, jit and grad."""

import os

os.environ["KERAS_BACKEND"] = "jax"  # Keras defaults to TensorFlow, which is not installed

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

from loom import losses
from loom.layers import Input

RNG = np.random.default_rng(0)
BATCH, CLASSES = 4, 3


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


LOGITS = RNG.normal(size=(BATCH, CLASSES)).astype("float32")
PROBS = _softmax(LOGITS)
SIGMOIDS = (1 / (1 + np.exp(-LOGITS))).astype("float32")
LABELS = np.array([0, 2, 1, 2], dtype="int32")
ONE_HOT = np.eye(CLASSES, dtype="float32")[LABELS]
BINARY = RNG.integers(0, 2, size=(BATCH, CLASSES)).astype("float32")
SIGNED = 2 * BINARY - 1
REAL_TRUE = RNG.normal(size=(BATCH, CLASSES)).astype("float32")
REAL_PRED = RNG.normal(size=(BATCH, CLASSES)).astype("float32")
POSITIVE_TRUE = RNG.uniform(0.1, 2.0, size=(BATCH, CLASSES)).astype("float32")
POSITIVE_PRED = RNG.uniform(0.1, 2.0, size=(BATCH, CLASSES)).astype("float32")
WEIGHTS = RNG.uniform(0.0, 2.0, size=(BATCH,)).astype("float32")

# (function name, y_true, y_pred, keyword arguments): every function form, with its variants.
FUNCTION_CASES = [
    ("mean_squared_error", REAL_TRUE, REAL_PRED, {}),
    ("mean_absolute_error", REAL_TRUE, REAL_PRED, {}),
    ("mean_absolute_percentage_error", REAL_TRUE, REAL_PRED, {}),
    ("mean_squared_logarithmic_error", POSITIVE_TRUE, POSITIVE_PRED, {}),
    ("cosine_similarity", REAL_TRUE, REAL_PRED, {}),
    ("cosine_similarity", REAL_TRUE, REAL_PRED, {"axis": 0}),
    ("huber", REAL_TRUE, REAL_PRED, {}),
    ("huber", REAL_TRUE, REAL_PRED, {"delta": 0.5}),
    ("log_cosh", REAL_TRUE, REAL_PRED, {}),
    ("kl_divergence", PROBS[::-1].copy(), PROBS, {}),
    ("poisson", POSITIVE_TRUE, POSITIVE_PRED, {}),
    ("hinge", SIGNED, REAL_PRED, {}),
    ("hinge", BINARY, REAL_PRED, {}),
    ("squared_hinge", BINARY, REAL_PRED, {}),
    ("categorical_hinge", ONE_HOT, REAL_PRED, {}),
    ("binary_crossentropy", BINARY, SIGMOIDS, {}),
    ("binary_crossentropy", BINARY, LOGITS, {"from_logits": True}),
    ("binary_crossentropy", BINARY, SIGMOIDS, {"label_smoothing": 0.2}),
    ("binary_crossentropy", BINARY, LOGITS, {"from_logits": True, "label_smoothing": 0.2, "axis": 0}),
    ("binary_focal_crossentropy", BINARY, SIGMOIDS, {}),
    ("binary_focal_crossentropy", BINARY, LOGITS, {"from_logits": True, "apply_class_balancing": True}),
    ("binary_focal_crossentropy", BINARY, SIGMOIDS, {"label_smoothing": 0.1, "alpha": 0.4, "gamma": 3.0}),
    ("categorical_crossentropy", ONE_HOT, PROBS, {}),
    ("categorical_crossentropy", ONE_HOT, LOGITS, {"from_logits": True}),
    ("categorical_crossentropy", ONE_HOT, PROBS, {"label_smoothing": 0.1}),
    ("categorical_crossentropy", ONE_HOT, LOGITS, {"from_logits": True, "label_smoothing": 0.3}),
    ("categorical_crossentropy", ONE_HOT, PROBS, {"axis": 0}),
    ("categorical_focal_crossentropy", ONE_HOT, PROBS, {}),
    ("categorical_focal_crossentropy", ONE_HOT, LOGITS, {"from_logits": True, "label_smoothing": 0.1}),
    ("categorical_focal_crossentropy", ONE_HOT, PROBS, {"alpha": [0.2, 0.3, 0.5], "gamma": 1.0}),
    ("sparse_categorical_crossentropy", LABELS, PROBS, {}),
    ("sparse_categorical_crossentropy", LABELS[:, None], PROBS, {}),
    ("sparse_categorical_crossentropy", LABELS, LOGITS, {"from_logits": True}),
    ("sparse_categorical_crossentropy", LABELS, LOGITS, {"from_logits": True, "ignore_class": 2}),
    ("dice", BINARY, SIGMOIDS, {}),
    ("dice", BINARY, SIGMOIDS, {"axis": 1}),
    ("tversky", BINARY, SIGMOIDS, {"alpha": 0.3, "beta": 0.7, "axis": 1}),
]


def _case_id(case):
    name, _, _, kwargs = case
    return name + "".join(f"-{key}={value}" for key, value in kwargs.items())


def _quick_compile_options() -> dict:
    """XLA CPU options that cut compile time about fourfold; {} where this jaxlib lacks one.

    Both libraries compile with the same options, so parity checks are unaffected.
    """
    options = {
        "xla_backend_optimization_level": 0,
        "xla_llvm_disable_expensive_passes": True,
        "xla_cpu_use_fusion_emitters": False,
        "xla_cpu_parallel_codegen_split_count": 1,
    }
    try:
        jax.jit(lambda x: x + 1, compiler_options=options)(np.float32(0.0))
    except Exception:  # noqa: BLE001 - an option this jaxlib does not know
        return {}
    return options


_QUICK_COMPILE = _quick_compile_options()


def quick_jit(fn):
    return jax.jit(fn, compiler_options=_QUICK_COMPILE)


def _jit_over_cases(compute, cases, strict=True):
    """``compute(case, y_true, y_pred)`` for every case, in one compiled call.

    One compile per library instead of one per operation keeps the suite fast;
    the arrays go in as arguments so XLA cannot fold the losses into constants.
    """
    arrays = [(case[2], case[3]) if isinstance(case[1], dict) else (case[1], case[2]) for case in cases]
    # Strict promotion while tracing: a silent upcast (int labels meeting float
    # predictions, a float64 constant) fails here, as in the conformance table.
    with jax.numpy_dtype_promotion("strict" if strict else "standard"):
        return quick_jit(lambda arrays: [compute(case, *pair) for case, pair in zip(cases, arrays)])(arrays)


@pytest.fixture(scope="module")
def function_values():
    def compute(module):
        return lambda case, y_true, y_pred: getattr(module, case[0])(y_true, y_pred, **case[3])

    ours = _jit_over_cases(compute(losses), FUNCTION_CASES)
    return ours, _jit_over_cases(compute(keras.losses), FUNCTION_CASES, strict=False)


@pytest.mark.parametrize("index", range(len(FUNCTION_CASES)), ids=[_case_id(c) for c in FUNCTION_CASES])
def test_function_matches_keras(index, function_values):
    ours, theirs = function_values[0][index], function_values[1][index]
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


# (class name, constructor arguments, y_true, y_pred): every class, with its variants.
CLASS_CASES = [
    ("MeanSquaredError", {}, REAL_TRUE, REAL_PRED),
    ("MeanAbsoluteError", {}, REAL_TRUE, REAL_PRED),
    ("MeanAbsolutePercentageError", {}, REAL_TRUE, REAL_PRED),
    ("MeanSquaredLogarithmicError", {}, POSITIVE_TRUE, POSITIVE_PRED),
    ("CosineSimilarity", {}, REAL_TRUE, REAL_PRED),
    ("Huber", {"delta": 0.7}, REAL_TRUE, REAL_PRED),
    ("LogCosh", {}, REAL_TRUE, REAL_PRED),
    ("KLDivergence", {}, PROBS[::-1].copy(), PROBS),
    ("Poisson", {}, POSITIVE_TRUE, POSITIVE_PRED),
    ("Hinge", {}, BINARY, REAL_PRED),
    ("SquaredHinge", {}, SIGNED, REAL_PRED),
    ("CategoricalHinge", {}, ONE_HOT, REAL_PRED),
    ("BinaryCrossentropy", {}, BINARY, SIGMOIDS),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, BINARY, LOGITS),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "gamma": 1.5}, BINARY, SIGMOIDS),
    ("BinaryFocalCrossentropy", {"from_logits": True}, BINARY, LOGITS),
    ("CategoricalCrossentropy", {}, ONE_HOT, PROBS),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, ONE_HOT, LOGITS),
    ("CategoricalFocalCrossentropy", {"from_logits": True}, ONE_HOT, LOGITS),
    ("SparseCategoricalCrossentropy", {}, LABELS, PROBS),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, LABELS[:, None], LOGITS),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 2}, LABELS, LOGITS),
    ("SparseCategoricalCrossentropy", {"ignore_class": 0}, LABELS[:, None], PROBS),
    ("Dice", {"axis": 1}, BINARY, SIGMOIDS),
    ("Tversky", {"alpha": 0.2, "beta": 0.8, "axis": 1}, BINARY, SIGMOIDS),
]


def _class_case_id(case):
    name, kwargs, _, _ = case
    return name + "".join(f"-{key}={value}" for key, value in kwargs.items())


@pytest.fixture(scope="module")
def class_values():
    def compute(module):
        def weighted(case, y_true, y_pred):
            loss = getattr(module, case[0])(**case[1])
            return [loss(y_true, y_pred, sample_weight=w) for w in (None, WEIGHTS[:, None])]

        return weighted

    ours = _jit_over_cases(compute(losses), CLASS_CASES)
    return ours, _jit_over_cases(compute(keras.losses), CLASS_CASES, strict=False)


@pytest.mark.parametrize("index", range(len(CLASS_CASES)), ids=[_class_case_id(c) for c in CLASS_CASES])
def test_class_matches_keras_with_and_without_sample_weight(index, class_values):
    for ours, theirs in zip(class_values[0][index], class_values[1][index]):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


def test_dice_without_axis_gives_one_value_like_keras():
    ours = losses.Dice()(BINARY, SIGMOIDS, sample_weight=2.0)
    np.testing.assert_allclose(ours, keras.losses.Dice()(BINARY, SIGMOIDS, sample_weight=2.0), rtol=1e-6)
    assert ours.shape == ()


REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]


TIME_TRUE, TIME_PRED = REAL_TRUE.reshape(2, 2, 3), REAL_PRED.reshape(2, 2, 3)
TIME_WEIGHTS = (WEIGHTS.reshape(2, 2), WEIGHTS.reshape(2, 2, 1), WEIGHTS[:2, None])
# MSE over (batch, features) and over (batch, time, features), with every weight shape Keras
# lines up with per-sample losses of shape (batch,) or (batch, time); the reduction code is
# shared by all losses. Sparse labels add Keras's (batch, 1) label squeeze.
REDUCTION_CASES = [
    (name, {"reduction": reduction}, y_true, y_pred, weights)
    for reduction in REDUCTIONS
    for name, y_true, y_pred, weights in (
        ("MeanSquaredError", REAL_TRUE, REAL_PRED, (None, 0.5, WEIGHTS, WEIGHTS[:, None])),
        ("MeanSquaredError", TIME_TRUE, TIME_PRED, TIME_WEIGHTS),
        ("SparseCategoricalCrossentropy", LABELS[:, None], PROBS, (WEIGHTS,)),
    )
]


@pytest.fixture(scope="module")
def reduction_values():
    def compute(module):
        def weighted(case, y_true, y_pred):
            loss = getattr(module, case[0])(**case[1])
            return [loss(y_true, y_pred, sample_weight=w) for w in case[4]]

        return weighted

    cases = [case[:4] + (case[4],) for case in REDUCTION_CASES]
    return _jit_over_cases(compute(losses), cases), _jit_over_cases(compute(keras.losses), cases, strict=False)


def _reduction_case_id(case):
    return f"{case[0]}-rank{case[2].ndim}-reduction={case[1]['reduction']}"


@pytest.mark.parametrize("index", range(len(REDUCTION_CASES)), ids=[_reduction_case_id(c) for c in REDUCTION_CASES])
def test_every_reduction_and_weight_shape_matches_keras(index, reduction_values):
    for ours, theirs in zip(reduction_values[0][index], reduction_values[1][index]):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


def test_targets_of_shape_batch_line_up_with_predictions_of_shape_batch_by_one_as_in_keras():
    column_true, column_pred = BINARY[:, :1], SIGMOIDS[:, :1]
    pairs = [(column_true[:, 0], column_pred), (column_true, column_pred[:, 0])]
    names = ("MeanSquaredError", "BinaryCrossentropy", "Hinge")

    def compute(module):
        values = [getattr(module, name)()(y_true, y_pred) for name in names for y_true, y_pred in pairs]
        # The function forms of MSE-like losses line them up too.
        return values + [module.mean_squared_error(column_true[:, 0], column_pred)]

    ours, theirs = quick_jit(lambda: compute(losses))(), quick_jit(lambda: compute(keras.losses))()
    for got, expected in zip(ours, theirs):
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_mask_argument_matches_keras_mask_on_predictions():
    mask = np.array([True, False, True, True])
    reductions = ("sum_over_batch_size", "sum", "mean_with_sample_weight")

    def keras_values(y_pred, mask):
        y_pred = y_pred + 0  # a fresh array to carry Keras's mask attribute
        keras.src.backend.set_keras_mask(y_pred, mask)
        return [keras.losses.BinaryCrossentropy(reduction=r)(BINARY, y_pred, sample_weight=WEIGHTS) for r in reductions]

    def loom_values(y_pred, mask):
        return [
            losses.BinaryCrossentropy(reduction=r)(BINARY, y_pred, sample_weight=WEIGHTS, mask=mask) for r in reductions
        ]

    for got, expected in zip(quick_jit(loom_values)(SIGMOIDS, mask), quick_jit(keras_values)(SIGMOIDS, mask)):
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_ignore_class_is_left_out_of_the_average():
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)
    logits = LOGITS.astype("float64")
    per_sample = np.log(np.exp(logits).sum(axis=-1)) - logits[np.arange(BATCH), LABELS]
    kept = LABELS != 2
    np.testing.assert_allclose(quick_jit(loss)(LABELS, LOGITS), per_sample[kept].mean(), rtol=1e-6)


def test_dtype_argument_sets_the_computation_dtype():
    loss = losses.MeanSquaredError(dtype="float16")
    assert loss.dtype == "float16"
    assert quick_jit(loss)(REAL_TRUE, REAL_PRED).dtype == jnp.float16
    assert losses.MeanSquaredError().dtype == "float32"


# --- the core losses against formulas written out in NumPy -------------------------------------


def _reference_weighted_mean(per_sample, sample_weight):
    return (per_sample * sample_weight).sum() / per_sample.size


def test_mean_squared_error_matches_numpy():
    per_sample = ((REAL_TRUE - REAL_PRED) ** 2).mean(axis=-1)
    function_value, class_value = quick_jit(
        lambda t, p, w: (losses.mean_squared_error(t, p), losses.MeanSquaredError()(t, p, sample_weight=w))
    )(REAL_TRUE, REAL_PRED, WEIGHTS)
    np.testing.assert_allclose(function_value, per_sample, rtol=1e-6)
    np.testing.assert_allclose(class_value, _reference_weighted_mean(per_sample, WEIGHTS), rtol=1e-6)


def test_binary_crossentropy_matches_numpy_for_probabilities_and_logits():
    p = np.clip(SIGMOIDS.astype("float64"), 1e-7, 1 - 1e-7)
    per_sample = -(BINARY * np.log(p) + (1 - BINARY) * np.log(1 - p)).mean(axis=-1)
    x = LOGITS.astype("float64")
    from_logits = (np.maximum(x, 0) - x * BINARY + np.log1p(np.exp(-np.abs(x)))).mean(axis=-1)
    smoothed = BINARY * 0.8 + 0.1
    smoothed_loss = -(smoothed * np.log(p) + (1 - smoothed) * np.log(1 - p)).mean(axis=-1)
    got = quick_jit(
        lambda t, s, x: (
            losses.binary_crossentropy(t, s),
            losses.binary_crossentropy(t, x, from_logits=True),
            losses.BinaryCrossentropy(label_smoothing=0.2)(t, s),
        )
    )(BINARY, SIGMOIDS, LOGITS)
    np.testing.assert_allclose(got[0], per_sample, rtol=1e-5)
    np.testing.assert_allclose(got[1], from_logits, rtol=1e-5)
    np.testing.assert_allclose(got[2], smoothed_loss.mean(), rtol=1e-5)


def test_categorical_crossentropy_matches_numpy_for_probabilities_and_logits():
    per_sample = -np.log(PROBS[np.arange(BATCH), LABELS].astype("float64"))
    logits = LOGITS.astype("float64")
    log_softmax = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    smoothed = ONE_HOT * 0.7 + 0.3 / CLASSES
    expected = -(smoothed * log_softmax).sum(axis=-1)
    probabilities, smoothed_logits = quick_jit(
        lambda t, p, x: (
            losses.categorical_crossentropy(t, p),
            losses.categorical_crossentropy(t, x, from_logits=True, label_smoothing=0.3),
        )
    )(ONE_HOT, PROBS, LOGITS)
    np.testing.assert_allclose(probabilities, per_sample, rtol=1e-5)
    np.testing.assert_allclose(smoothed_logits, expected, rtol=1e-5)


def test_sparse_categorical_crossentropy_matches_numpy_for_both_label_shapes():
    expected = -np.log(PROBS[np.arange(BATCH), LABELS].astype("float64"))
    label_forms = (LABELS, LABELS[:, None], LABELS.astype("float32"))
    *function_values, class_value = quick_jit(
        lambda forms, p, w: [losses.sparse_categorical_crossentropy(labels, p) for labels in forms]
        + [losses.SparseCategoricalCrossentropy()(forms[1], p, sample_weight=w)]
    )(label_forms, PROBS, WEIGHTS)
    for value in function_values:
        np.testing.assert_allclose(value, expected, rtol=1e-5)
    np.testing.assert_allclose(class_value, _reference_weighted_mean(expected, WEIGHTS), rtol=1e-5)


def test_sparse_categorical_crossentropy_over_a_class_axis_that_is_not_last():
    # (batch, classes, time) predictions with (batch, time) labels: the same loss as classes-last.
    logits = LOGITS.reshape(2, 2, 3).transpose(0, 2, 1)
    labels = LABELS.reshape(2, 2)
    expected, got = quick_jit(
        lambda t, x: (
            losses.sparse_categorical_crossentropy(t, x.transpose(0, 2, 1), from_logits=True),
            losses.sparse_categorical_crossentropy(t, x, from_logits=True, axis=1),
        )
    )(labels, logits)
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_huber_matches_numpy_on_both_sides_of_delta():
    error = np.array([[0.2, -0.4, 1.5, -3.0]], dtype="float32")
    delta = 1.0
    quadratic = 0.5 * error**2
    linear = delta * np.abs(error) - 0.5 * delta**2
    expected = np.where(np.abs(error) <= delta, quadratic, linear).mean(axis=-1)
    got = quick_jit(lambda t, p: losses.huber(t, p, delta=delta))(np.zeros_like(error), error)
    np.testing.assert_allclose(got, expected, rtol=1e-6)


# --- inside the compiled training step ---------------------------------------------------------

GRADIENT_CASES = [case for case in CLASS_CASES if case[0] not in ("Hinge",)] + [("Hinge", {}, SIGNED, REAL_PRED)]


@pytest.fixture(scope="module")
def gradients():
    def value_grad_and_slope(case, y_true, y_pred):
        loss = getattr(losses, case[0])(**case[1])
        value, gradient = jax.value_and_grad(lambda p: loss(y_true, p, sample_weight=WEIGHTS))(y_pred)
        # The slope along the gradient by central differences; it should be |gradient|.
        direction, step = gradient / (jnp.linalg.norm(gradient) + 1e-12), 1e-3
        plus = loss(y_true, y_pred + step * direction, sample_weight=WEIGHTS)
        minus = loss(y_true, y_pred - step * direction, sample_weight=WEIGHTS)
        return gradient, (plus - minus) / (2 * step)

    return _jit_over_cases(value_grad_and_slope, GRADIENT_CASES)


@pytest.mark.parametrize("index", range(len(GRADIENT_CASES)), ids=[_class_case_id(c) for c in GRADIENT_CASES])
def test_class_gradients_are_finite_and_match_finite_differences(index, gradients):
    gradient, slope = gradients[index]
    assert gradient.shape == GRADIENT_CASES[index][3].shape
    assert bool(jnp.all(jnp.isfinite(gradient)))
    np.testing.assert_allclose(slope, jnp.linalg.norm(gradient), rtol=1e-2, atol=1e-3)


def test_jit_gives_the_eager_value():
    loss = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    eager = loss(ONE_HOT, LOGITS, sample_weight=WEIGHTS)
    np.testing.assert_allclose(jax.jit(loss)(ONE_HOT, LOGITS, WEIGHTS), eager, rtol=1e-6)


def test_ignored_probability_rows_get_zero_gradient_not_nan():
    loss = losses.SparseCategoricalCrossentropy(ignore_class=1)
    gradient = quick_jit(jax.grad(lambda p: loss(np.array([1, 0, 1, 2]), p)))(jnp.asarray(PROBS))
    assert bool(jnp.all(jnp.isfinite(gradient)))
    np.testing.assert_array_equal(gradient[np.array([0, 2])], 0.0)


def test_binary_crossentropy_from_logits_stays_finite_for_huge_logits():
    logits = jnp.array([[-200.0, 200.0]])
    loss = losses.BinaryCrossentropy(from_logits=True)
    value, gradient = quick_jit(jax.value_and_grad(lambda x: loss(jnp.array([[1.0, 0.0]]), x)))(logits)
    np.testing.assert_allclose(value, 200.0, rtol=1e-6)
    assert bool(jnp.all(jnp.isfinite(gradient)))


def test_function_form_on_symbolic_tensors_records_a_graph_node():
    y_true, y_pred = Input((3,)), Input((3,))
    out = losses.mean_squared_error(y_true, y_pred)
    assert out.shape == (None,)
    assert out.node is not None
