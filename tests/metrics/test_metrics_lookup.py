import json

import numpy as np
import pytest

from loom import metrics


def _my_error(y_true, y_pred):
    return np.abs(np.asarray(y_true) - np.asarray(y_pred))


class _Counter(metrics.Metric):
    def __init__(self, step=1.0, name="counter", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.step = step
        self.count = self.add_variable((), "zeros", name="count")

    def update_state(self, *args, **kwargs):
        self.count.assign(self.count.value + self.step)

    def result(self):
        return self.count.value

    def get_config(self):
        return {**super().get_config(), "step": self.step}


@pytest.mark.parametrize(
    "identifier,cls,name",
    [
        ("mse", "MeanSquaredError", "mean_squared_error"),
        ("MAE", "MeanAbsoluteError", "mean_absolute_error"),
        ("mape", "MeanAbsolutePercentageError", "mean_absolute_percentage_error"),
        ("msle", "MeanSquaredLogarithmicError", "mean_squared_logarithmic_error"),
        ("AUC", "AUC", "auc"),
        ("auc", "AUC", "auc"),
        ("Precision", "Precision", "precision"),
        ("binary_accuracy", "BinaryAccuracy", "binary_accuracy"),
        ("top_k_categorical_accuracy", "TopKCategoricalAccuracy", "top_k_categorical_accuracy"),
        ("root_mean_squared_error", "RootMeanSquaredError", "root_mean_squared_error"),
        ("true_positives", "TruePositives", "true_positives"),
        ("bce", "BinaryCrossentropy", "binary_crossentropy"),
        ("f1_score", "F1Score", "f1_score"),
        ("f_beta_score", "FBetaScore", "fbeta_score"),
        ("categorical_crossentropy", "CategoricalCrossentropy", "categorical_crossentropy"),
        ("kl_divergence", "KLDivergence", "kl_divergence"),
        ("LogCoshError", "LogCoshError", "logcosh"),
        ("r2_score", "R2Score", "r2_score"),
        ("hinge", "Hinge", "hinge"),
        ("pearson_correlation", "PearsonCorrelation", "pearson_correlation"),
    ],
)
def test_get_resolves_names_as_keras_does(keras, identifier, cls, name):
    ours, theirs = metrics.get(identifier), keras.metrics.get(identifier)
    assert type(ours).__name__ == type(theirs).__name__ == cls
    # Keras's name counter is not reset between tests, so its names may carry a suffix.
    assert ours.name == name and theirs.name.startswith(name)


@pytest.mark.parametrize("identifier", ["accuracy", "acc", "ACC"])
def test_get_leaves_accuracy_for_the_engine(identifier):
    assert metrics.get(identifier) == identifier


def test_get_accepts_instances_classes_dicts_callables_and_none():
    instance = metrics.Recall()
    assert metrics.get(instance) is instance
    assert isinstance(metrics.get(metrics.AUC), metrics.AUC)
    assert metrics.get({"class_name": "AUC", "config": {"curve": "PR"}}).curve == "PR"
    assert metrics.get(None) is None
    wrapped = metrics.get(_my_error)
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "_my_error"
    builtin = metrics.get(metrics.mean_squared_error)
    assert isinstance(builtin, metrics.MeanMetricWrapper) and builtin.name == "mean_squared_error"
    np.testing.assert_allclose(float(wrapped([1.0, 2.0], [2.0, 2.0])), 0.5)


def test_unknown_names_suggest_close_matches():
    with pytest.raises(ValueError, match=r"Unknown metric: 'precison'\. Did you mean 'precision'.*Valid names: .*AUC"):
        metrics.get("precison")
    with pytest.raises(ValueError, match=r"Unknown metric: 'binary_acuracy'\. Did you mean 'binary_accuracy'"):
        metrics.deserialize({"class_name": "function", "config": "binary_acuracy"})


def test_uninterpretable_identifier_is_named():
    with pytest.raises(ValueError, match=r"Could not interpret metric identifier: 5\. Pass a name such as 'mse'"):
        metrics.get(5)
    message = r"metrics.deserialize expects a name or a dict with 'class_name' and 'config'"
    with pytest.raises(ValueError, match=message):
        metrics.deserialize({"config": {}})
    message = r"Cannot serialize metric 5: expected a loom.metrics.Metric or a metric function"
    with pytest.raises(ValueError, match=message):
        metrics.serialize(5)


def test_names_of_metrics_that_need_arguments_say_so():
    message = (
        r"Metric 'mean_io_u' \(MeanIoU\) needs arguments that a name cannot give: num_classes\. "
        r"Pass an instance instead, e.g\. MeanIoU\(num_classes=\.\.\.\)"
    )
    with pytest.raises(ValueError, match=message):
        metrics.get("mean_io_u")
    with pytest.raises(ValueError, match=r"PrecisionAtRecall\(recall=\.\.\.\)"):
        metrics.get("PrecisionAtRecall")


def test_new_metric_functions_deserialize_from_function_configs():
    for fn in (metrics.pearson_correlation, metrics.huber, metrics.binary_focal_crossentropy):
        assert metrics.deserialize(json.loads(json.dumps(metrics.serialize(fn)))) is fn


ROUND_TRIPS = [
    lambda: metrics.Mean(name="m"),
    lambda: metrics.Sum(),
    lambda: metrics.AUC(curve="PR", thresholds=[0.2, 0.7], multi_label=True, label_weights=[1.0, 2.0]),
    lambda: metrics.Precision(thresholds=[0.3, 0.6], top_k=2, class_id=1),
    lambda: metrics.Recall(),
    lambda: metrics.FalseNegatives(thresholds=0.3),
    lambda: metrics.BinaryAccuracy(threshold=0.7),
    lambda: metrics.SparseTopKCategoricalAccuracy(k=3, from_sorted_ids=True),
    lambda: metrics.RootMeanSquaredError(name="rmse"),
    lambda: metrics.MeanMetricWrapper(metrics.binary_accuracy, name="ba", threshold=0.2),
]


@pytest.mark.parametrize("make", ROUND_TRIPS)
def test_serialize_deserialize_round_trip_through_json(make):
    metric = make()
    config = json.loads(json.dumps(metrics.serialize(metric)))
    assert config["module"] == "loom.metrics" and config["registered_name"] is None
    clone = metrics.deserialize(config)
    assert type(clone) is type(metric)
    assert clone.get_config() == metric.get_config()


def test_keras_configs_load(keras):
    for metric in [keras.metrics.AUC(curve="PR", num_thresholds=50), keras.metrics.Precision(top_k=3),
                   keras.metrics.MeanMetricWrapper(keras.metrics.mean_squared_error, name="w")]:  # fmt: skip
        config = json.loads(json.dumps(keras.metrics.serialize(metric)))
        clone = metrics.deserialize(config)
        assert type(clone).__name__ == type(metric).__name__
        assert clone.get_config().keys() == metric.get_config().keys()
    keras_wrapper = keras.metrics.MeanMetricWrapper(keras.metrics.mean_squared_error)
    clone = metrics.deserialize(keras.metrics.serialize(keras_wrapper))
    assert clone._fn is metrics.mean_squared_error


def test_loom_configs_load_in_keras(keras):
    for metric in [metrics.AUC(curve="PR"), metrics.Precision(top_k=3), metrics.BinaryAccuracy(threshold=0.3)]:
        clone = keras.metrics.deserialize(json.loads(json.dumps(metrics.serialize(metric))))
        assert clone.get_config() == metric.get_config()


def test_custom_metrics_and_functions_through_custom_objects():
    config = metrics.serialize(_Counter(step=2.0, name="c"))
    assert config["registered_name"] == "_Counter" and config["class_name"] == "_Counter"
    with pytest.raises(ValueError, match=r"Unknown metric: '_Counter'"):
        metrics.deserialize(config)
    clone = metrics.deserialize(config, custom_objects={"_Counter": _Counter})
    assert clone.step == 2.0 and clone.name == "c"

    wrapper = metrics.MeanMetricWrapper(_my_error, name="mine")
    config = json.loads(json.dumps(metrics.serialize(wrapper)))
    clone = metrics.deserialize(config, custom_objects={"_my_error": _my_error})
    assert clone._fn is _my_error and clone.name == "mine"
    assert metrics.deserialize(metrics.serialize(_my_error), custom_objects={"_my_error": _my_error}) is _my_error
    assert metrics.deserialize("mse").name == "mean_squared_error"
    assert metrics.deserialize("my_fn", custom_objects={"my_fn": _my_error}) is _my_error


def test_serialize_functions_and_none():
    assert metrics.serialize(None) is None
    assert metrics.serialize(metrics.categorical_accuracy) == {
        "module": "builtins", "class_name": "function", "config": "categorical_accuracy", "registered_name": "function",
    }  # fmt: skip
    assert metrics.deserialize(metrics.serialize(metrics.categorical_accuracy)) is metrics.categorical_accuracy


LOSSES = ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"]
PRED_SHAPES = [(4, 1), (4, 10)]
TRUE_SHAPES = [(4,), (4, 1), (4, 10)]


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("y_pred_shape", PRED_SHAPES)
@pytest.mark.parametrize("y_true_shape", TRUE_SHAPES)
@pytest.mark.parametrize("identifier", ["accuracy", "acc"])
def test_resolve_accuracy_picks_as_keras_compile_does(keras, identifier, y_true_shape, y_pred_shape, loss):
    from keras.src.trainers.compile_utils import get_metric

    expected = get_metric(identifier, np.zeros(y_true_shape), np.zeros(y_pred_shape))
    ours = metrics.resolve_accuracy(y_true_shape, y_pred_shape, loss, name=identifier)
    assert type(ours).__name__ == type(expected).__name__
    assert ours.name == expected.name == identifier


def test_resolve_accuracy_rule_in_words():
    assert isinstance(metrics.resolve_accuracy((32, 1), (32, 1)), metrics.BinaryAccuracy)
    assert isinstance(metrics.resolve_accuracy((32,), (32, 10)), metrics.SparseCategoricalAccuracy)
    assert isinstance(metrics.resolve_accuracy((32, 1), (32, 10)), metrics.SparseCategoricalAccuracy)
    # Multi-label with binary cross-entropy: Keras 3 looks at shapes only.
    assert isinstance(metrics.resolve_accuracy((32, 10), (32, 10), "binary_crossentropy"), metrics.CategoricalAccuracy)
    # An unknown class count is not "more than one class".
    assert isinstance(metrics.resolve_accuracy((None, 1), (None, None)), metrics.CategoricalAccuracy)


def test_resolve_accuracy_needs_a_batch_axis():
    message = (
        r"metrics.resolve_accuracy: labels and predictions need at least one axis .* "
        r"received y_true shape \(\) and y_pred shape \(4, 1\)"
    )
    with pytest.raises(ValueError, match=message):
        metrics.resolve_accuracy((), (4, 1))


def test_public_names_are_pinned():
    public = sorted(name for name in dir(metrics) if not name.startswith("_"))
    modules = {
        "accuracy_metrics", "auc", "confusion_matrix", "confusion_metrics", "correlation_metrics", "f_score_metrics",
        "hinge_metrics", "iou_metrics", "lookup", "metric", "probabilistic_metrics", "r2_score", "reduction_metrics",
        "regression_metrics", "sensitivity_specificity",
    }  # fmt: skip
    assert sorted(set(public) - modules) == sorted([
        "AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "BinaryIoU", "CategoricalAccuracy",
        "CategoricalCrossentropy", "CategoricalHinge", "ConcordanceCorrelation", "CosineSimilarity", "F1Score",
        "FBetaScore", "FalseNegatives", "FalsePositives", "Hinge", "IoU", "KLDivergence", "LogCoshError", "Mean",
        "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanIoU", "MeanMetricWrapper", "MeanSquaredError",
        "MeanSquaredLogarithmicError", "Metric", "OneHotIoU", "OneHotMeanIoU", "PearsonCorrelation", "Poisson",
        "Precision", "PrecisionAtRecall", "R2Score", "Recall", "RecallAtPrecision", "RootMeanSquaredError",
        "SensitivityAtSpecificity", "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy",
        "SparseTopKCategoricalAccuracy", "SpecificityAtSensitivity", "SquaredHinge", "Sum",
        "TopKCategoricalAccuracy", "TrueNegatives", "TruePositives", "binary_accuracy", "binary_crossentropy",
        "binary_focal_crossentropy", "categorical_accuracy", "categorical_crossentropy",
        "categorical_focal_crossentropy", "categorical_hinge", "concordance_correlation", "deserialize", "get",
        "hinge", "huber", "kl_divergence", "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error",
        "mean_squared_error", "mean_squared_logarithmic_error", "pearson_correlation", "poisson",
        "resolve_accuracy", "serialize", "sparse_categorical_accuracy", "sparse_categorical_crossentropy",
        "sparse_top_k_categorical_accuracy", "squared_hinge", "top_k_categorical_accuracy",
    ])  # fmt: skip
    keras_names = set(dir(__import__("keras").metrics))
    assert set(public) - modules - {"resolve_accuracy"} <= keras_names


def test_get_names_a_wrapped_loss_object_after_its_name():
    from loom import losses

    wrapped = metrics.get(losses.MeanSquaredError(name="my_mse"))
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "my_mse"
    assert wrapped._direction == "down"
