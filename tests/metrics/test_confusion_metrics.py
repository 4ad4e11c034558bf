import numpy as np
import pytest

from loom import metrics


def _batches(y_shape, weighted, count=3, seed=0, label_shape=None):
    """Binary labels and scores in [0, 1]; some scores sit exactly on 0, 0.5 and 1."""
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(count):
        y_pred = rng.uniform(size=y_shape).astype("float32")
        y_pred.flat[:3] = [0.0, 0.5, 1.0]
        y_true = rng.integers(0, 2, label_shape or y_shape).astype("float32")
        kwargs = {"sample_weight": rng.uniform(0, 2, y_shape[:1]).astype("float32")} if weighted else {}
        batches.append(((y_true, y_pred), kwargs))
    return batches


# None: the default 0.5; uneven thresholds (compared one by one); evenly spaced
# ones (the bucket path, where TN and FN are totals minus FP and TP).
UNEVEN, EVEN = [0.2, 0.5, 0.8], [0.0, 0.25, 0.5, 0.75, 1.0]
# Every code path once unweighted, and each weighting path once (a full cross
# product would mostly repeat Keras's eager compiles, which dominate the run).
COUNT_CASES = [
    pytest.param("TruePositives", None, False, id="tp-default"),
    pytest.param("FalsePositives", None, True, id="fp-default-weighted"),
    pytest.param("TrueNegatives", None, False, id="tn-default"),
    pytest.param("FalseNegatives", None, False, id="fn-default"),
    pytest.param("TruePositives", UNEVEN, True, id="tp-uneven-weighted"),
    pytest.param("TrueNegatives", UNEVEN, False, id="tn-uneven"),
    pytest.param("TrueNegatives", EVEN, False, id="tn-even"),
    pytest.param("TrueNegatives", EVEN, True, id="tn-even-weighted"),
    pytest.param("FalseNegatives", EVEN, False, id="fn-even"),
]


@pytest.mark.parametrize("name,thresholds,weighted", COUNT_CASES)
def test_confusion_counts_match_keras(keras, check_parity, name, thresholds, weighted):
    ours, theirs = getattr(metrics, name)(thresholds=thresholds), getattr(keras.metrics, name)(thresholds=thresholds)
    check_parity(ours, theirs, _batches((8, 3), weighted))


# (metric, arguments, y_pred shape, y_true shape if different, weighted)
PR_CASES = [
    pytest.param("Precision", {}, (8,), None, False, id="precision-default"),
    pytest.param("Recall", {}, (8,), None, True, id="recall-default-weighted"),
    pytest.param("Precision", {}, (8, 1), (8,), True, id="precision-column-weighted"),
    pytest.param("Precision", {"thresholds": UNEVEN}, (8, 3), None, False, id="precision-uneven"),
    pytest.param("Recall", {"thresholds": UNEVEN}, (8, 3), None, True, id="recall-uneven-weighted"),
    pytest.param("Precision", {"thresholds": EVEN}, (8, 3), None, True, id="precision-even-weighted"),
    pytest.param("Recall", {"thresholds": EVEN}, (8, 3), None, False, id="recall-even"),
    pytest.param("Recall", {"thresholds": 0.3}, (8,), None, False, id="recall-scalar"),
    pytest.param("Precision", {"top_k": 2}, (8, 3), None, False, id="precision-top_k"),
    pytest.param("Recall", {"top_k": 2}, (8, 3), None, True, id="recall-top_k-weighted"),
    pytest.param("Precision", {"class_id": 1}, (8, 3), None, True, id="precision-class_id-weighted"),
    pytest.param("Recall", {"class_id": 1}, (8, 3), None, False, id="recall-class_id"),
    pytest.param("Precision", {"top_k": 2, "class_id": 2}, (8, 3), None, True, id="precision-top_k-class_id-weighted"),
    pytest.param("Recall", {"top_k": 1, "thresholds": [0.2, 0.6]}, (8, 3), None, False, id="recall-top_k-thresholds"),
]


@pytest.mark.parametrize("name,kwargs,y_shape,label_shape,weighted", PR_CASES)
def test_precision_recall_match_keras(keras, check_parity, name, kwargs, y_shape, label_shape, weighted):
    batches = _batches(y_shape, weighted, label_shape=label_shape)
    check_parity(getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs), batches)


@pytest.mark.parametrize(
    "metric",
    [
        lambda: metrics.TruePositives(thresholds=UNEVEN),
        lambda: metrics.Precision(top_k=2, class_id=2),
        lambda: metrics.Recall(thresholds=EVEN),
    ],
    ids=["tp-uneven", "precision-top_k-class_id", "recall-even"],
)
def test_confusion_metric_stateless_forms_match_eager(check_stateless, metric):
    check_stateless(metric(), _batches((8, 3), weighted=True, count=5, seed=7))


def test_config_matches_keras(keras):
    assert metrics.Precision(top_k=2, name="p").get_config() == keras.metrics.Precision(top_k=2, name="p").get_config()
    assert metrics.Recall(thresholds=[0.2, 0.4], class_id=1, name="r").get_config() == keras.metrics.Recall(
        thresholds=[0.2, 0.4], class_id=1, name="r"
    ).get_config()
    assert metrics.TruePositives(name="tp").get_config() == keras.metrics.TruePositives(name="tp").get_config()
    clone = metrics.Recall.from_config(metrics.Recall(thresholds=[0.2, 0.4], class_id=1).get_config())
    assert clone.thresholds == [0.2, 0.4] and clone.class_id == 1


def test_variables_are_named_as_in_keras():
    p, r = metrics.Precision(thresholds=[0.1, 0.2]), metrics.Recall()
    assert [v.name for v in p.variables] == ["true_positives", "false_positives"]
    assert [v.name for v in r.variables] == ["true_positives", "false_negatives"]
    assert p.false_positives is p.variables[1] and r.false_negatives is r.variables[1]
    assert p.variables[0].shape == (2,)
    assert [v.name for v in metrics.FalsePositives().variables] == ["accumulator"]


@pytest.mark.parametrize("thresholds", [1.5, [0.2, -0.1], [None], "high", []])
def test_thresholds_outside_unit_interval_are_rejected(thresholds):
    message = r"Precision: `thresholds` must be a float or a list of floats in \[0, 1\]; received"
    with pytest.raises(ValueError, match=message):
        metrics.Precision(thresholds=thresholds)
    with pytest.raises(ValueError, match=r"TruePositives: `thresholds` must be"):
        metrics.TruePositives(thresholds=thresholds)


def test_bad_top_k_and_class_id_are_rejected():
    with pytest.raises(ValueError, match=r"Recall: `top_k` must be a positive int or None; received top_k=0"):
        metrics.Recall(top_k=0)
    message = r"Precision: `class_id` must be an int \(a class index\) or None; received 1.5"
    with pytest.raises(ValueError, match=message):
        metrics.Precision(class_id=1.5)


def test_class_id_needs_a_class_axis():
    m = metrics.Precision(class_id=2, name="p2")
    message = (
        r"Precision 'p2' has class_id=2, so `y_pred` must have shape \(batch_size, num_classes\); "
        r"received shape \(4,\)"
    )
    with pytest.raises(ValueError, match=message):
        m.update_state(np.ones(4), np.ones(4, dtype="float32"))


def test_shapes_that_do_not_line_up_are_named():
    m = metrics.Recall(name="r")
    message = r"Recall 'r': received y_true of shape \(8,\), y_pred of shape \(8, 3\), which do not line up"
    with pytest.raises(ValueError, match=message):
        m.update_state(np.ones(8), np.ones((8, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"and sample_weight of shape \(5,\), which do not line up"):
        m.update_state(np.ones((8, 3)), np.ones((8, 3), dtype="float32"), sample_weight=np.ones(5))


def test_class_id_beyond_the_classes_is_rejected():
    m = metrics.Recall(class_id=3, name="r3")
    with pytest.raises(ValueError, match=r"Recall 'r3' has class_id=3, but `y_pred` has 3 classes \(shape \(8, 3\)\)"):
        m.update_state(np.ones((8, 3)), np.ones((8, 3), dtype="float32"))
