import numpy as np
import pytest

from loom import metrics


def _pearson(t, p):
    return np.corrcoef(t, p)[0, 1]


def _concordance(t, p):
    # Lin's coefficient with population (co)variances.
    covariance = np.mean((t - t.mean()) * (p - p.mean()))
    return 2 * covariance / (t.var() + p.var() + (t.mean() - p.mean()) ** 2)


def test_correlations_per_row_equal_numpy():
    rng = np.random.default_rng(4)
    y_true = rng.normal(size=(6, 10))
    y_pred = 0.5 * y_true + rng.normal(0.3, 0.5, (6, 10))
    pearson = np.asarray(metrics.pearson_correlation(y_true.astype("float32"), y_pred.astype("float32")))
    concordance = np.asarray(metrics.concordance_correlation(y_true.astype("float32"), y_pred.astype("float32")))
    np.testing.assert_allclose(pearson, [_pearson(t, p) for t, p in zip(y_true, y_pred)], rtol=1e-4)
    np.testing.assert_allclose(concordance, [_concordance(t, p) for t, p in zip(y_true, y_pred)], rtol=1e-4)


@pytest.mark.parametrize("name,fn", [("PearsonCorrelation", _pearson), ("ConcordanceCorrelation", _concordance)])
def test_correlation_metric_is_the_weighted_mean_of_the_row_coefficients(name, fn):
    rng = np.random.default_rng(5)
    y_true = rng.normal(size=(8, 6)).astype("float32")
    y_pred = (y_true + rng.normal(0, 1, (8, 6))).astype("float32")
    weights = rng.uniform(0, 2, 8).astype("float32")
    m = getattr(metrics, name)()
    m.update_state(y_true[:4], y_pred[:4], sample_weight=weights[:4])
    m.update_state(y_true[4:], y_pred[4:], sample_weight=weights[4:])
    rows = np.array([fn(t.astype("float64"), p.astype("float64")) for t, p in zip(y_true, y_pred)])
    np.testing.assert_allclose(float(m.result()), np.sum(rows * weights) / np.sum(weights), rtol=1e-4)


def test_concordance_is_one_only_for_equal_values():
    y = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(np.asarray(metrics.pearson_correlation(y, 2 * y + 1)), [1.0], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(metrics.concordance_correlation(y, y)), [1.0], rtol=1e-6)
    assert float(metrics.concordance_correlation(y, 2 * y + 1)[0]) < 0.5


def test_axis_tuple_survives_a_json_config():
    m = metrics.PearsonCorrelation(axis=(1, 2))
    clone = metrics.PearsonCorrelation.from_config({**m.get_config(), "axis": [1, 2]})
    y_true = np.random.default_rng(6).normal(size=(3, 2, 4)).astype("float32")
    np.testing.assert_allclose(float(clone(y_true, y_true * 2.0)), 1.0, rtol=1e-5)
