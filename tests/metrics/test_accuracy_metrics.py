import numpy as np
import pytest

from loom import metrics


def _batches(make, weighted, count=3, seed=0):
    """``count`` batches of ``make(rng) -> (y_true, y_pred, sample_weight)``, weights dropped unless ``weighted``."""
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(count):
        y_true, y_pred, weight = make(rng)
        batches.append(((y_true, y_pred), {"sample_weight": weight} if weighted else {}))
    return batches


def _one_hot(rng, shape=(8,)):
    return np.eye(3, dtype="float32")[rng.integers(0, 3, shape)]


def _uniform(rng, shape):
    return rng.uniform(size=shape).astype("float32")


def _weights(rng):
    return rng.uniform(0, 2, (8,)).astype("float32")


# Few distinct shapes on purpose: every new shape costs an eager compile of each op.
DATA = {
    "equal_ints": lambda r: (r.integers(0, 3, (8, 1)), r.integers(0, 3, (8, 1)), _weights(r)),
    "binary_column": lambda r: (r.integers(0, 2, (8, 1)).astype("float32"), _uniform(r, (8, 1)), _weights(r)),
    "binary_flat_labels": lambda r: (r.integers(0, 2, (8,)).astype("float32"), _uniform(r, (8, 1)), _weights(r)),
    "binary_multilabel": lambda r: (r.integers(0, 2, (8, 3)).astype("float32"), _uniform(r, (8, 3)), _weights(r)),
    "one_hot": lambda r: (_one_hot(r), _uniform(r, (8, 3)), _weights(r)),
    "one_hot_sequence": lambda r: (_one_hot(r, (8, 2)), _uniform(r, (8, 2, 3)), _weights(r)),
    "sparse": lambda r: (r.integers(0, 3, (8,)), _uniform(r, (8, 3)), _weights(r)),
    "sparse_column": lambda r: (r.integers(0, 3, (8, 1)), _uniform(r, (8, 3)), _weights(r)),
    "sparse_sequence": lambda r: (r.integers(0, 3, (8, 2)), _uniform(r, (8, 2, 3)), _weights(r)),
    "sorted_ids": lambda r: (r.integers(0, 4, (8,)), np.argsort(-_uniform(r, (8, 3)), 1).astype("f4"), _weights(r)),
}  # fmt: skip

# (class name, arguments, data, weighted): each case once; the weighted ones
# cover every shape the per-sample values take ((8,), (8, 1), (8, 2), (8, 3)).
CASES = [
    ("Accuracy", {}, "equal_ints", False),
    ("BinaryAccuracy", {}, "binary_column", True),
    ("BinaryAccuracy", {"threshold": 0.7}, "binary_flat_labels", False),
    ("BinaryAccuracy", {}, "binary_multilabel", True),
    ("CategoricalAccuracy", {}, "one_hot", True),
    ("CategoricalAccuracy", {}, "one_hot_sequence", True),
    ("SparseCategoricalAccuracy", {}, "sparse", False),
    ("SparseCategoricalAccuracy", {}, "sparse_column", True),
    ("SparseCategoricalAccuracy", {}, "sparse_sequence", False),
    ("TopKCategoricalAccuracy", {"k": 2}, "one_hot", False),
    ("TopKCategoricalAccuracy", {}, "one_hot", True),
    ("TopKCategoricalAccuracy", {"k": 2}, "one_hot_sequence", False),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse", True),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse_sequence", False),
    ("SparseTopKCategoricalAccuracy", {"k": 2, "from_sorted_ids": True}, "sorted_ids", True),
]
IDS = [
    f"{name}-{data}-{'-'.join(map(str, kwargs.values())) or 'default'}{'-weighted' * weighted}"
    for name, kwargs, data, weighted in CASES
]


@pytest.mark.parametrize("name,kwargs,data,weighted", CASES, ids=IDS)
def test_accuracy_metric_matches_keras(keras, check_parity, name, kwargs, data, weighted):
    batches = _batches(DATA[data], weighted)
    check_parity(getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs), batches)


STATELESS = [CASES[2][:3], CASES[4][:3], CASES[12][:3]]


@pytest.mark.parametrize("name,kwargs,data", STATELESS, ids=[IDS[2], IDS[4], IDS[12]])
def test_accuracy_metric_stateless_forms_match_eager(check_stateless, name, kwargs, data):
    check_stateless(getattr(metrics, name)(**kwargs), _batches(DATA[data], weighted=True, count=5, seed=3))


FUNCTION_CASES = [
    ("binary_accuracy", {}, "binary_column"),
    ("binary_accuracy", {"threshold": 0.2}, "binary_flat_labels"),
    ("categorical_accuracy", {}, "one_hot"),
    ("sparse_categorical_accuracy", {}, "sparse_column"),
    ("sparse_categorical_accuracy", {}, "sparse"),
    ("top_k_categorical_accuracy", {"k": 2}, "one_hot_sequence"),
    ("sparse_top_k_categorical_accuracy", {"k": 2}, "sparse"),
    ("sparse_top_k_categorical_accuracy", {"k": 1, "from_sorted_ids": True}, "sorted_ids"),
]


@pytest.mark.parametrize("name,kwargs,data", FUNCTION_CASES)
def test_accuracy_function_matches_keras_per_sample(keras, name, kwargs, data):
    y_true, y_pred, _ = DATA[data](np.random.default_rng(4))
    ours = np.asarray(getattr(metrics, name)(y_true, y_pred, **kwargs))
    theirs = np.asarray(getattr(keras.metrics, name)(y_true, y_pred, **kwargs))
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


def test_top_k_ties_count_as_hits_and_nan_never_does():
    y_pred = np.array([[0.5, 0.5, 0.1], [np.nan, 0.2, 0.1]], dtype="float32")
    np.testing.assert_array_equal(metrics.sparse_top_k_categorical_accuracy([1, 0], y_pred, k=1), [1.0, 0.0])


@pytest.mark.parametrize(
    "name,config",
    [
        ("Accuracy", {"name": "accuracy", "dtype": "float32"}),
        ("BinaryAccuracy", {"name": "binary_accuracy", "dtype": "float32", "threshold": 0.5}),
        ("CategoricalAccuracy", {"name": "categorical_accuracy", "dtype": "float32"}),
        ("SparseCategoricalAccuracy", {"name": "sparse_categorical_accuracy", "dtype": "float32"}),
        ("TopKCategoricalAccuracy", {"name": "top_k_categorical_accuracy", "dtype": "float32", "k": 5}),
        ("SparseTopKCategoricalAccuracy", {"name": "sparse_top_k_categorical_accuracy", "dtype": "float32", "k": 5}),
    ],
)
def test_accuracy_config_matches_keras_and_round_trips(keras, name, config):
    assert getattr(metrics, name)().get_config() == config == getattr(keras.metrics, name)().get_config()
    clone = getattr(metrics, name).from_config(config)
    assert clone.get_config() == config


def test_sorted_ids_flag_is_in_config_only_when_set():
    config = metrics.SparseTopKCategoricalAccuracy(k=3, from_sorted_ids=True).get_config()
    assert config["from_sorted_ids"] is True and config["k"] == 3


@pytest.mark.parametrize(
    "function",
    [
        "categorical_accuracy",
        "sparse_categorical_accuracy",
        "top_k_categorical_accuracy",
        "sparse_top_k_categorical_accuracy",
    ],
)
def test_class_scores_without_a_class_axis_are_rejected(function):
    message = rf"{function}: `y_pred` must hold one score per class .* received shape \(4,\)"
    with pytest.raises(ValueError, match=message):
        getattr(metrics, function)(np.zeros(4), np.zeros(4, dtype="float32"))
