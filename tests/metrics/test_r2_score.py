import jax.numpy as jnp
import numpy as np
import pytest

from loom import metrics


def _r2_reference(y_true, y_pred, weights, aggregation, num_regressors=0):
    """R2 per output from the definition: 1 - weighted SSE / weighted total sum of squares about the mean."""
    w = weights[:, None] * np.ones_like(y_true)
    mean = (w * y_true).sum(0) / w.sum(0)
    total = (w * (y_true - mean) ** 2).sum(0)
    raw = 1 - (w * (y_true - y_pred) ** 2).sum(0) / total
    if aggregation == "uniform_average":
        score = raw.mean()
    elif aggregation == "variance_weighted_average":
        score = (total * raw).sum() / total.sum()
    else:
        score = raw
    if num_regressors:
        n = y_true.size
        score = 1 - (1 - score) * (n - 1) / (n - num_regressors - 1)
    return score


@pytest.mark.parametrize(
    "aggregation,num_regressors",
    [("uniform_average", 0), ("variance_weighted_average", 0), (None, 0), ("uniform_average", 3)],
)
def test_r2_score_over_batches_equals_numpy_over_all_data(aggregation, num_regressors):
    rng = np.random.default_rng(0)
    y_true = rng.normal(size=(24, 3)).astype("float32")
    y_pred = (y_true + rng.normal(0, 0.5, (24, 3))).astype("float32")
    weights = rng.uniform(0.5, 2, 24).astype("float32")
    m = metrics.R2Score(class_aggregation=aggregation, num_regressors=num_regressors)
    for rows in np.split(np.arange(24), 3):
        m.update_state(y_true[rows], y_pred[rows], sample_weight=weights[rows])
    expected = _r2_reference(y_true.astype("float64"), y_pred.astype("float64"), weights, aggregation, num_regressors)
    np.testing.assert_allclose(np.asarray(m.result()), expected, rtol=1e-4)


def test_r2_score_documented_value_and_column_inputs():
    m = metrics.R2Score()
    # (batch,) labels against (batch, 1) predictions line up as one output.
    m.update_state(np.array([1.0, 4.0, 3.0]), np.array([[2.0], [4.0], [4.0]]))
    np.testing.assert_allclose(float(m.result()), 0.57142854, rtol=1e-6)
    assert [v.shape for v in m.variables] == [(), (1,), (1,), (1,), (1,)]


def test_r2_score_needs_2d_inputs():
    with pytest.raises(ValueError, match=r"R2Score 'r2' expects 2D inputs of shape \(batch_size, num_outputs\)"):
        metrics.R2Score(name="r2").update_state(np.ones((4, 2, 2)), np.ones((4, 2, 2)))


def test_r2_score_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"`class_aggregation` must be one of .*received class_aggregation='mean'"):
        metrics.R2Score(class_aggregation="mean")
    with pytest.raises(ValueError, match=r"`num_regressors` must be an int >= 0 .*received num_regressors=-1"):
        metrics.R2Score(num_regressors=-1)


def test_r2_score_result_before_any_data_is_an_error():
    with pytest.raises(RuntimeError, match=r"R2Score 'r2_score' has no state yet.*Call update_state \(or build\)"):
        metrics.R2Score().result()


def test_adjusted_r2_warns_and_falls_back_when_undefined():
    m = metrics.R2Score(num_regressors=5)
    y = jnp.array([[1.0], [2.0], [4.0]])
    m.update_state(y, y * 0.9)
    plain = metrics.R2Score()
    plain.update_state(y, y * 0.9)
    with pytest.warns(UserWarning, match=r"more regressors \(5\) than values seen minus one \(3 - 1\)"):
        value = m.result()
    np.testing.assert_allclose(float(value), float(plain.result()))
    exact = metrics.R2Score(num_regressors=2)
    exact.update_state(y, y * 0.9)
    with pytest.warns(UserWarning, match=r"num_regressors=2 equals the values seen minus one"):
        exact.result()
