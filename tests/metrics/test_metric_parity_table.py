"""One recipe per Keras metric class added for issue 9: same data into loom and Keras 3, same numbers out."""

import json
import re

import numpy as np
import pytest

from loom import metrics

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
keras = pytest.importorskip("keras")

# Keras's IoU builds its confusion-matrix indices as int64, which JAX without x64 truncates, with a warning.
KERAS_INT64 = pytest.mark.filterwarnings("ignore:Explicitly requested dtype int64:UserWarning")


def _data(kind: str, rng):
    """One batch ``(y_true, y_pred)`` of the given kind."""
    if kind == "binary":  # labels in {0, 1}, probabilities; some exactly 0, 0.5 and 1
        y_pred = rng.uniform(size=(8, 3)).astype("float32")
        y_pred.flat[:3] = [0.0, 0.5, 1.0]
        return rng.integers(0, 2, (8, 3)).astype("float32"), y_pred
    if kind == "logits":
        return rng.integers(0, 2, (8, 3)).astype("float32"), rng.normal(0, 2, (8, 3)).astype("float32")
    if kind == "categorical":  # one-hot labels, rows of probabilities
        scores = rng.uniform(0.05, 1, (8, 4)).astype("float32")
        return np.eye(4, dtype="float32")[rng.integers(0, 4, 8)], scores / scores.sum(-1, keepdims=True)
    if kind == "sparse":  # integer labels (0 is a class to ignore in some recipes)
        scores = rng.uniform(0.05, 1, (8, 4)).astype("float32")
        return rng.integers(0, 4, 8), scores / scores.sum(-1, keepdims=True)
    if kind == "regression":
        return rng.normal(1, 1, (8, 3)).astype("float32"), rng.normal(1, 1.5, (8, 3)).astype("float32")
    if kind == "positive":  # distributions / rates, including a zero label
        y_true = rng.uniform(0, 1, (8, 3)).astype("float32")
        y_true[0, 0] = 0.0
        return y_true, rng.uniform(0.01, 2, (8, 3)).astype("float32")
    if kind == "signed":  # hinge labels in {-1, 1}
        return rng.choice([-1.0, 1.0], (8, 3)).astype("float32"), rng.normal(0, 1, (8, 3)).astype("float32")
    if kind == "class_ids":  # segmentation maps; -1 and 4 fall outside 4 classes
        return rng.integers(0, 4, (8, 5)), rng.integers(-1, 5, (8, 5))
    if kind == "one_hot_scores":
        return np.eye(4, dtype="float32")[rng.integers(0, 4, (8, 5))], rng.uniform(size=(8, 5, 4)).astype("float32")
    if kind == "binary_maps":
        return rng.integers(0, 2, (8, 5)).astype("float32"), rng.uniform(size=(8, 5)).astype("float32")
    raise AssertionError(kind)


# weights: None, "float" (uniform in [0, 2], one per sample) or "int" (0..2, one per label: IoU counts in int32)
def _batches(kind: str, weights, count: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(count):
        y_true, y_pred = _data(kind, rng)
        kwargs = {}
        if weights == "float":
            kwargs["sample_weight"] = rng.uniform(0, 2, len(y_true)).astype("float32")
        elif weights == "int":
            kwargs["sample_weight"] = rng.integers(0, 3, np.shape(y_true)[:2])
        batches.append(((y_true, y_pred), kwargs))
    return batches


def _recipe(name, kwargs, kind, weights=None, marks=(), suffix=""):
    return pytest.param(name, kwargs, kind, weights, marks=marks, id=f"{name}{suffix}")


RECIPES = [
    _recipe("BinaryCrossentropy", {}, "binary", "float"),
    _recipe("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "logits", suffix="-logits-smoothed"),
    _recipe("CategoricalCrossentropy", {"label_smoothing": 0.1}, "categorical", "float"),
    _recipe("SparseCategoricalCrossentropy", {}, "sparse", "float"),
    _recipe("SparseCategoricalCrossentropy", {"ignore_class": 0}, "sparse", suffix="-ignore_class"),
    _recipe("SparseCategoricalCrossentropy", {"ignore_class": 0}, "sparse", "float", suffix="-ignore_class-weighted"),
    _recipe("KLDivergence", {}, "positive", "float"),
    _recipe("Poisson", {}, "positive", "float"),
    _recipe("Hinge", {}, "binary", "float"),
    _recipe("SquaredHinge", {}, "signed", "float"),
    _recipe("CategoricalHinge", {}, "categorical", "float"),
    _recipe("CosineSimilarity", {}, "regression", "float"),
    _recipe("CosineSimilarity", {"axis": 0}, "regression", suffix="-axis0"),
    _recipe("LogCoshError", {}, "regression", "float"),
    _recipe("R2Score", {}, "regression", "float"),
    _recipe("R2Score", {"class_aggregation": None}, "regression", suffix="-per-output"),
    # After a reset no values are left, so both libraries warn that the adjusted score is undefined.
    _recipe("R2Score", {"class_aggregation": "variance_weighted_average", "num_regressors": 2}, "regression",
            marks=pytest.mark.filterwarnings("ignore:.*adjusted R2:UserWarning"), suffix="-adjusted"),  # fmt: skip
    _recipe("PearsonCorrelation", {}, "regression", "float"),
    _recipe("ConcordanceCorrelation", {}, "regression", "float"),
    _recipe("F1Score", {}, "binary", "float"),
    _recipe("F1Score", {"average": "micro", "threshold": 0.4}, "binary", suffix="-micro"),
    _recipe("FBetaScore", {"beta": 2.0, "average": "weighted"}, "categorical", "float"),
    _recipe("FBetaScore", {"beta": 0.5, "average": "macro", "threshold": 0.5}, "binary", suffix="-macro"),
    _recipe("PrecisionAtRecall", {"recall": 0.6}, "binary", "float"),
    _recipe("RecallAtPrecision", {"precision": 0.6, "num_thresholds": 7}, "binary"),
    _recipe("SensitivityAtSpecificity", {"specificity": 0.5, "class_id": 1}, "binary", "float"),
    _recipe("SpecificityAtSensitivity", {"sensitivity": 0.5, "num_thresholds": 1}, "binary"),
    _recipe("IoU", {"num_classes": 4, "target_class_ids": [0, 2]}, "class_ids", "int", marks=KERAS_INT64),
    _recipe("MeanIoU", {"num_classes": 4, "ignore_class": 1}, "class_ids", "int", marks=KERAS_INT64),
    _recipe("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, "binary_maps", "int", marks=KERAS_INT64),
    _recipe("OneHotIoU", {"num_classes": 4, "target_class_ids": [1, 3]}, "one_hot_scores", marks=KERAS_INT64),
    _recipe("OneHotMeanIoU", {"num_classes": 4}, "one_hot_scores", "int", marks=KERAS_INT64),
]
NEW_CLASSES = {
    "BinaryCrossentropy", "BinaryIoU", "CategoricalCrossentropy", "CategoricalHinge", "ConcordanceCorrelation",
    "CosineSimilarity", "F1Score", "FBetaScore", "Hinge", "IoU", "KLDivergence", "LogCoshError", "MeanIoU",
    "OneHotIoU", "OneHotMeanIoU", "PearsonCorrelation", "Poisson", "PrecisionAtRecall", "R2Score",
    "RecallAtPrecision", "SensitivityAtSpecificity", "SparseCategoricalCrossentropy", "SpecificityAtSensitivity",
    "SquaredHinge",
}  # fmt: skip
# Deliberate config departures from Keras 3, one line each in the metric's get_config.
EXTRA_CONFIG_KEYS = {"CosineSimilarity": {"axis"}}


def test_every_public_keras_metric_name_exists_in_loom():
    keras_names = {name for name in dir(keras.metrics) if not name.startswith("_")}
    assert sorted(keras_names - set(dir(metrics))) == []


def test_every_new_class_has_a_recipe():
    assert {param.values[0] for param in RECIPES} == NEW_CLASSES


@pytest.mark.parametrize("name,kwargs,kind,weights", RECIPES)
def test_metric_matches_keras(check_parity, name, kwargs, kind, weights):
    ours, theirs = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    batches = _batches(kind, weights)
    check_parity(ours, theirs, batches, atol=2e-6)
    # Keras's name counter is not reset between tests, so its names may carry a suffix.
    assert ours.name == re.sub(r"_\d+$", "", theirs.name)
    assert ours._direction == theirs._direction
    assert [v.name for v in ours.variables] == [v.name for v in theirs.variables]


@pytest.mark.parametrize("name,kwargs,kind,weights", RECIPES)
def test_config_matches_keras_and_round_trips(name, kwargs, kind, weights):
    ours = getattr(metrics, name)(name="m", **kwargs)
    config = ours.get_config()
    keras_config = getattr(keras.metrics, name)(name="m", **kwargs).get_config()
    extra = EXTRA_CONFIG_KEYS.get(name, set())
    assert set(config) == set(keras_config) | extra
    assert {k: v for k, v in config.items() if k not in extra} == keras_config
    clone = metrics.deserialize(json.loads(json.dumps(metrics.serialize(ours))))
    assert type(clone) is type(ours) and clone.get_config() == config


# One recipe per kind of state (running mean, per-output sums, lazily built counts,
# confusion matrix, threshold counts): the engine's path, with reset, update and
# result traced inside one compiled loop, equals eager updates.
STATELESS_RECIPES = [
    ("SparseCategoricalCrossentropy", {"ignore_class": 0}, "sparse", "float"),
    ("PearsonCorrelation", {}, "regression", "float"),
    ("R2Score", {"num_regressors": 1}, "regression", "float"),
    ("FBetaScore", {"beta": 2.0, "average": "weighted"}, "categorical", "float"),
    ("MeanIoU", {"num_classes": 4, "ignore_class": 1}, "class_ids", "int"),
    ("SensitivityAtSpecificity", {"specificity": 0.5, "class_id": 1}, "binary", "float"),
]


@pytest.mark.parametrize("name,kwargs,kind,weights", STATELESS_RECIPES, ids=[r[0] for r in STATELESS_RECIPES])
def test_stateless_forms_match_eager(check_stateless, name, kwargs, kind, weights):
    metric = getattr(metrics, name)(**kwargs)
    batches = _batches(kind, weights, count=3, seed=5)
    metric.build(np.shape(batches[0][0][0]), np.shape(batches[0][0][1]))
    check_stateless(metric, batches, atol=2e-6)


# The function forms keras.metrics exports beside the classes: per-sample values.
FUNCTION_RECIPES = [
    ("binary_crossentropy", {}, "binary"),
    ("binary_focal_crossentropy", {"apply_class_balancing": True}, "binary"),
    ("categorical_crossentropy", {}, "categorical"),
    ("categorical_focal_crossentropy", {}, "categorical"),
    ("sparse_categorical_crossentropy", {"from_logits": True}, "sparse"),
    ("hinge", {}, "signed"),
    ("squared_hinge", {}, "binary"),
    ("categorical_hinge", {}, "categorical"),
    ("huber", {"delta": 0.5}, "regression"),
    ("kl_divergence", {}, "positive"),
    ("log_cosh", {}, "regression"),
    ("poisson", {}, "positive"),
    ("pearson_correlation", {}, "regression"),
    ("concordance_correlation", {}, "regression"),
    ("concordance_correlation", {"axis": 0}, "regression"),
]


@pytest.mark.parametrize("name,kwargs,kind", FUNCTION_RECIPES, ids=[f"{r[0]}{r[1] or ''}" for r in FUNCTION_RECIPES])
def test_metric_function_matches_keras(name, kwargs, kind):
    y_true, y_pred = _data(kind, np.random.default_rng(3))
    ours = np.asarray(getattr(metrics, name)(y_true, y_pred, **kwargs))
    theirs = np.asarray(getattr(keras.metrics, name)(y_true, y_pred, **kwargs))
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
