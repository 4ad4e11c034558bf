import numpy as np
import pytest

from loom import metrics

NAMES = [
    "MeanSquaredError",
    "MeanAbsoluteError",
    "RootMeanSquaredError",
    "MeanSquaredLogarithmicError",
    "MeanAbsolutePercentageError",
]
# (y_true shape, y_pred shape, sample_weight shape)
SHAPES = [((8, 3), (8, 3), (8,)), ((8,), (8, 1), (8,)), ((8, 3), (8, 3), (8, 1))]


def _batches(shapes, weighted, count=3, seed=0):
    true_shape, pred_shape, weight_shape = shapes
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(count):
        # Some zeros and negatives: MAPE's and MSLE's epsilon floors matter.
        y_true = rng.normal(1.0, 1.0, true_shape).astype("float32")
        y_true.flat[0] = 0.0
        y_pred = rng.normal(1.0, 1.0, pred_shape).astype("float32")
        kwargs = {"sample_weight": rng.uniform(0, 2, weight_shape).astype("float32")} if weighted else {}
        batches.append(((y_true, y_pred), kwargs))
    return batches


@pytest.mark.parametrize(
    "shapes,weighted",
    [(SHAPES[0], False), (SHAPES[0], True), (SHAPES[1], True), (SHAPES[2], True)],
    ids=["matrix", "matrix-weighted", "flat-vs-column-weighted", "column-weights"],
)
@pytest.mark.parametrize("name", NAMES)
def test_regression_metric_matches_keras(keras, check_parity, name, shapes, weighted):
    check_parity(getattr(metrics, name)(), getattr(keras.metrics, name)(), _batches(shapes, weighted))


@pytest.mark.parametrize("name", ["RootMeanSquaredError", "MeanSquaredLogarithmicError"])
def test_regression_metric_stateless_forms_match_eager(check_stateless, name):
    check_stateless(getattr(metrics, name)(), _batches(SHAPES[0], weighted=True, count=5, seed=9))


@pytest.mark.parametrize(
    "name",
    ["mean_squared_error", "mean_absolute_error", "mean_squared_logarithmic_error", "mean_absolute_percentage_error"],
)
def test_regression_function_matches_keras_per_sample(keras, name):
    (y_true, y_pred), _ = _batches(SHAPES[0], weighted=False)[0]
    ours, theirs = getattr(metrics, name)(y_true, y_pred), getattr(keras.metrics, name)(y_true, y_pred)
    assert ours.shape == theirs.shape == (8,)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_regression_config_matches_keras_and_round_trips(keras, name):
    config = getattr(metrics, name)(name="m").get_config()
    assert config == getattr(keras.metrics, name)(name="m").get_config() == {"name": "m", "dtype": "float32"}
    assert getattr(metrics, name).from_config(config).get_config() == config
