import numpy as np
import pytest

from loom import metrics


def _f_beta_reference(y_true, y_pred, weights, beta, threshold, average):
    """F-beta from its definition, with per-class (or pooled) weighted counts."""
    if threshold is None:
        predicted = (y_pred == y_pred.max(-1, keepdims=True)) & (y_pred != 0)
    else:
        predicted = y_pred > threshold
    predicted = predicted.astype("float64")
    w = weights[:, None]
    axis = None if average == "micro" else 0
    tp = (w * predicted * y_true).sum(axis)
    fp = (w * predicted * (1 - y_true)).sum(axis)
    fn = (w * (1 - predicted) * y_true).sum(axis)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    score = (1 + beta**2) * precision * recall / (beta**2 * precision + recall)
    if average == "weighted":
        support = (w * y_true).sum(0)
        return (score * support).sum() / support.sum()
    return score if average is None else np.mean(score)


@pytest.mark.parametrize(
    "beta,threshold,average",
    [(1.0, None, None), (1.0, 0.4, "micro"), (2.0, 0.5, "macro"), (0.5, None, "weighted")],
)
def test_f_beta_over_batches_equals_numpy_over_all_data(beta, threshold, average):
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 2, (30, 4)).astype("float32")
    y_true[:4] = np.eye(4)  # every class has positives: no 0 / 0
    y_pred = np.clip(y_true * 0.4 + rng.uniform(0, 0.7, (30, 4)), 0, 1).astype("float32")
    weights = rng.uniform(0.5, 2, 30).astype("float32")
    m = metrics.FBetaScore(beta=beta, threshold=threshold, average=average)
    for rows in np.split(np.arange(30), 3):
        m.update_state(y_true[rows], y_pred[rows], sample_weight=weights[rows])
    expected = _f_beta_reference(y_true, y_pred, weights, beta, threshold, average)
    np.testing.assert_allclose(np.asarray(m.result()), expected, rtol=1e-5)


def test_f1_score_is_f_beta_with_beta_one_and_documented_values():
    y_true = np.array([[0, 1], [1, 0], [1, 0]], "float32")
    y_pred = np.array([[0.2, 0.9], [0.6, 0.3], [0.1, 0.8]], "float32")
    f1, fbeta = metrics.F1Score(threshold=0.5), metrics.FBetaScore(beta=1.0, threshold=0.5)
    np.testing.assert_allclose(np.asarray(f1(y_true, y_pred)), np.asarray(fbeta(y_true, y_pred)))
    np.testing.assert_allclose(np.asarray(f1.result()), [2 / 3, 2 / 3], rtol=1e-5)
    assert "beta" not in f1.get_config() and f1.get_config()["threshold"] == 0.5


def test_an_all_zero_row_predicts_nothing():
    m = metrics.F1Score(average="micro")
    m.update_state(np.array([[1.0, 0.0]]), np.array([[0.0, 0.0]]))
    assert float(m.false_positives.value) == 0.0 and float(m.false_negatives.value) == 1.0


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"average": "mean"}, r"FBetaScore: `average` must be one of \(None, 'micro', 'macro', 'weighted'\)"),
        ({"beta": 2}, r"FBetaScore: `beta` must be a Python float > 0, e.g. beta=2.0; received beta=2"),
        ({"beta": -1.0}, r"`beta` must be a Python float > 0"),
        ({"threshold": 1.5}, r"FBetaScore: `threshold` must be a Python float in \(0, 1\], or None"),
    ],
)
def test_f_beta_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        metrics.FBetaScore(**kwargs)


def test_f_score_shape_errors_are_named():
    with pytest.raises(ValueError, match=r"F1Score 'f1' expects 2D inputs of shape \(batch_size, num_classes\)"):
        metrics.F1Score(name="f1").update_state(np.ones(4), np.ones(4))
    m = metrics.F1Score(name="f1")
    with pytest.raises(ValueError, match=r"`sample_weight` must hold one weight per sample, shape \(4,\); received"):
        m.update_state(np.ones((4, 2)), np.ones((4, 2)), sample_weight=np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"F1Score 'f1': y_true of shape \(4, 3\) and y_pred of shape \(4, 2\) need"):
        m.update_state(np.ones((4, 3)), np.ones((4, 2)))


def test_build_creates_the_counts_before_any_data():
    m = metrics.FBetaScore(beta=2.0)
    assert m.variables == []
    m.build((None, 5), (None, 5))
    assert [(v.name, v.shape) for v in m.variables] == [
        ("true_positives", (5,)), ("false_positives", (5,)), ("false_negatives", (5,)), ("intermediate_weights", (5,))
    ]  # fmt: skip
    m.build((None, 7), (None, 7))  # once built, later calls change nothing
    assert len(m.variables) == 4 and m.variables[0].shape == (5,)
    np.testing.assert_array_equal(np.asarray(m.result()), np.zeros(5))
