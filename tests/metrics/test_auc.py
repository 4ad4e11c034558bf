import numpy as np
import pytest

from loom import metrics


def _batches(y_shape, weighted, count=3, seed=0, logits=False):
    """Binary labels and scores; some scores sit exactly on 0, 0.5 and 1, and on a bucket edge."""
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(count):
        if logits:
            y_pred = rng.normal(scale=3.0, size=y_shape).astype("float32")
        else:
            y_pred = rng.uniform(size=y_shape).astype("float32")
            y_pred.flat[:4] = [0.0, 0.5, 1.0, 0.2]
        y_true = rng.integers(0, 2, y_shape).astype("float32")
        kwargs = {"sample_weight": rng.uniform(0, 2, y_shape[:1]).astype("float32")} if weighted else {}
        batches.append(((y_true, y_pred), kwargs))
    return batches


# Keras's eager compiles dominate this file's run time, and each new update
# configuration (threshold count, shape, weighted or not, label weights) costs
# one round of them. So the default cases cover every counting path (bucketed or
# thresholded, flattened or multi-label, weighted or not) with few
# configurations, varying the curve and summation over shared ones; the rest of
# the matrix is marked slow.
SEVEN_EVEN = [1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6]
UNEVEN = [0.1, 0.35, 0.4, 0.7, 0.9]  # with the two end points, 7 thresholds like num_thresholds=7
LABEL_WEIGHTS = [0.2, 1.0, 3.0]
SEVEN_WEIGHTED = {"num_thresholds": 7, "label_weights": LABEL_WEIGHTS}
SLOW = pytest.mark.slow
CASES = [
    pytest.param({}, (8,), False, id="roc"),
    pytest.param({"curve": "PR"}, (8,), True, id="pr-weighted"),
    pytest.param({"thresholds": UNEVEN, "curve": "PR"}, (8, 3), True, id="pr-uneven-weighted"),
    pytest.param(SEVEN_WEIGHTED, (8, 3), True, id="label-weights-weighted"),
    pytest.param({**SEVEN_WEIGHTED, "summation_method": "minoring"}, (8, 3), True, id="minoring"),
    pytest.param({**SEVEN_WEIGHTED, "summation_method": "majoring", "curve": "PR"}, (8, 3), True, id="pr-majoring"),
    pytest.param({**SEVEN_WEIGHTED, "curve": "PRGAIN"}, (8, 3), True, id="prgain"),
    pytest.param({"thresholds": SEVEN_EVEN, "label_weights": LABEL_WEIGHTS}, (8, 3), True, id="even-given"),
    pytest.param({"multi_label": True, "num_labels": 3}, (8, 3), True, id="multi-label-weighted"),
    pytest.param(
        {"multi_label": True, "num_labels": 3, "curve": "PR", "label_weights": LABEL_WEIGHTS},
        (8, 3), True, id="multi-label-pr-label-weights",
    ),  # fmt: skip
    pytest.param({"multi_label": True, "thresholds": UNEVEN}, (8, 3), False, id="multi-label-uneven"),
    pytest.param({}, (8,), True, id="roc-weighted", marks=SLOW),
    pytest.param({"curve": "PR"}, (8,), False, id="pr", marks=SLOW),
    pytest.param({"thresholds": UNEVEN}, (8, 3), False, id="roc-uneven", marks=SLOW),
    pytest.param({"num_thresholds": 7, "curve": "PRGAIN"}, (8, 3), False, id="prgain-unweighted", marks=SLOW),
    pytest.param({"multi_label": True, "num_labels": 3}, (8, 3), False, id="multi-label", marks=SLOW),
    pytest.param(
        {"multi_label": True, "thresholds": UNEVEN}, (8, 3), True, id="multi-label-uneven-weighted", marks=SLOW
    ),
]


@pytest.mark.parametrize("kwargs,y_shape,weighted", CASES)
def test_auc_matches_keras(keras, check_parity, kwargs, y_shape, weighted):
    batches = _batches(y_shape, weighted)
    check_parity(metrics.AUC(**kwargs), keras.metrics.AUC(**kwargs), batches, atol=1e-5)


def test_auc_from_logits_matches_keras(keras, check_parity):
    batches = _batches((8,), weighted=True, logits=True)
    check_parity(metrics.AUC(from_logits=True), keras.metrics.AUC(from_logits=True), batches, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"multi_label": True, "num_labels": 3, "curve": "PR"}],
    ids=["roc", "multi-label-pr"],
)
def test_auc_stateless_forms_match_eager(check_stateless, kwargs):
    check_stateless(metrics.AUC(**kwargs), _batches((8, 3), weighted=True, count=5, seed=5), atol=1e-5)


def test_auc_close_to_the_exact_rank_statistic():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, 400)
    y_pred = np.clip(y_true * 0.3 + rng.uniform(size=400) * 0.7, 0, 1).astype("float32")
    positives, negatives = y_pred[y_true == 1], y_pred[y_true == 0]
    exact = np.mean(positives[:, None] > negatives[None, :]) + 0.5 * np.mean(positives[:, None] == negatives[None, :])
    np.testing.assert_allclose(float(metrics.AUC()(y_true, y_pred)), exact, atol=1e-3)


def test_multi_label_without_num_labels_builds_on_first_update(keras):
    ours, theirs = metrics.AUC(multi_label=True), keras.metrics.AUC(multi_label=True)
    assert ours.variables == []
    (y_true, y_pred), kwargs = _batches((8, 3), weighted=True)[0]
    ours.update_state(y_true, y_pred, **kwargs)
    theirs.update_state(y_true, y_pred, **kwargs)
    assert ours.true_positives.shape == (200, 3)
    np.testing.assert_allclose(float(ours.result()), float(theirs.result()), atol=1e-5)


def test_thresholds_property_and_config_match_keras(keras):
    ours, theirs = metrics.AUC(thresholds=[0.6, 0.3]), keras.metrics.AUC(thresholds=[0.6, 0.3])
    np.testing.assert_allclose(ours.thresholds, theirs.thresholds)
    assert ours.num_thresholds == theirs.num_thresholds == 4
    config, keras_config = ours.get_config(), theirs.get_config()
    assert config.keys() == keras_config.keys()
    assert config["thresholds"] == [0.3, 0.6] and config["curve"] == "ROC"
    default_config = metrics.AUC(name="a").get_config()
    assert default_config == keras.metrics.AUC(name="a").get_config()
    weighted = metrics.AUC(multi_label=True, num_labels=2, label_weights=[1.0, 2.0], curve="pr")
    clone = metrics.AUC.from_config(weighted.get_config())
    assert clone.get_config() == weighted.get_config()
    assert clone.get_config()["label_weights"] == [1.0, 2.0] and clone.curve == metrics.auc.AUCCurve.PR


def test_curve_and_summation_accept_enums_and_any_case():
    m = metrics.AUC(curve=metrics.auc.AUCCurve.PR, summation_method="Minoring")
    assert m.curve == "PR" and m.curve.value == "PR" and m.summation_method == "minoring"


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match=r"AUC: `curve` must be one of 'ROC', 'PR', 'PRGAIN'; received curve='LIFT'"):
        metrics.AUC(curve="LIFT")
    message = r"AUC: `summation_method` must be one of 'interpolation', 'majoring', 'minoring'"
    with pytest.raises(ValueError, match=message):
        metrics.AUC(summation_method="trapezoid")
    with pytest.raises(ValueError, match=r"AUC: `num_thresholds` must be an int > 1; received num_thresholds=1"):
        metrics.AUC(num_thresholds=1)
    message = r"AUC: `num_labels` is used only with multi_label=True; received num_labels=3"
    with pytest.raises(ValueError, match=message):
        metrics.AUC(num_labels=3)


def test_multi_label_needs_rank_two_predictions():
    m = metrics.AUC(multi_label=True, name="ml")
    message = (
        r"AUC 'ml' has multi_label=True, so `y_pred` must have shape \(batch_size, num_labels\); "
        r"received shape \(4, 2, 3\)"
    )
    with pytest.raises(ValueError, match=message):
        m.update_state(np.ones((4, 2, 3)), np.ones((4, 2, 3), dtype="float32"))


def test_given_thresholds_must_lie_in_the_unit_interval():
    with pytest.raises(ValueError, match=r"AUC: `thresholds` must be a float or a list of floats in \[0, 1\]"):
        metrics.AUC(thresholds=[0.2, 1.5])
