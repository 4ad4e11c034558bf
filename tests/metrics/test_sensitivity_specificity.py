import numpy as np
import pytest

from loom import metrics

# Five samples: three negatives scored 0, 0.3, 0.8 and two positives scored 0.3, 0.8.
Y_TRUE = np.array([0, 0, 0, 1, 1], "float32")
Y_PRED = np.array([0.0, 0.3, 0.8, 0.3, 0.8], "float32")


def _rates_at(threshold):
    predicted = Y_PRED > threshold
    tp = np.sum(predicted & (Y_TRUE == 1))
    fp = np.sum(predicted & (Y_TRUE == 0))
    tn, fn = np.sum(~predicted & (Y_TRUE == 0)), np.sum(~predicted & (Y_TRUE == 1))
    recall = tp / (tp + fn)
    return {
        "sensitivity": recall, "recall": recall, "specificity": tn / (tn + fp),
        "precision": tp / (tp + fp) if tp + fp else 0.0,
    }  # fmt: skip


@pytest.mark.parametrize(
    "name,target,constrained,dependent",
    [
        ("SensitivityAtSpecificity", 0.5, "specificity", "sensitivity"),
        ("SpecificityAtSensitivity", 0.5, "sensitivity", "specificity"),
        ("PrecisionAtRecall", 0.5, "recall", "precision"),
        ("RecallAtPrecision", 0.5, "precision", "recall"),
    ],
)
def test_best_rate_at_the_target_equals_a_search_over_thresholds(name, target, constrained, dependent):
    thresholds = np.linspace(0, 1, 11)
    feasible = [_rates_at(t)[dependent] for t in thresholds if _rates_at(t)[constrained] >= target]
    m = getattr(metrics, name)(target, num_thresholds=11)
    np.testing.assert_allclose(float(m(Y_TRUE, Y_PRED)), max(feasible, default=0.0), rtol=1e-6)


def test_thresholds_are_evenly_spaced_from_zero_to_one():
    assert metrics.PrecisionAtRecall(0.5, num_thresholds=5).thresholds == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert metrics.PrecisionAtRecall(0.5, num_thresholds=1).thresholds == [0.5]
    m = metrics.RecallAtPrecision(0.3)
    assert m.precision == 0.3 and [v.shape for v in m.variables] == [(200,)] * 4


@pytest.mark.parametrize(
    "build,message",
    [
        (lambda: metrics.SensitivityAtSpecificity(1.5),
         r"SensitivityAtSpecificity: `specificity` must be a number in \[0, 1\]"),
        (lambda: metrics.RecallAtPrecision(-0.1), r"RecallAtPrecision: `precision` must be a number in \[0, 1\]"),
        (lambda: metrics.PrecisionAtRecall(0.5, num_thresholds=0), r"`num_thresholds` must be an int > 0"),
        (lambda: metrics.SpecificityAtSensitivity(0.5, class_id=0.5), r"`class_id` must be an int"),
    ],
)  # fmt: skip
def test_bad_arguments_are_named(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_class_id_needs_that_class():
    m = metrics.PrecisionAtRecall(0.5, class_id=3, name="par")
    with pytest.raises(ValueError, match=r"PrecisionAtRecall 'par' has class_id=3, but `y_pred` has 3 classes"):
        m.update_state(np.ones((4, 3)), np.ones((4, 3), "float32"))
