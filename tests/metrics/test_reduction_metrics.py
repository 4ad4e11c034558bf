import jax.numpy as jnp
import numpy as np
import pytest

from loom import metrics


def _value_batches(shape, weight_shape, count=3, seed=0):
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(count):
        kwargs = {}
        if weight_shape is not None:
            kwargs["sample_weight"] = rng.uniform(0, 2, weight_shape).astype("float32")
        batches.append(((rng.normal(size=shape).astype("float32"),), kwargs))
    return batches


VALUE_CASES = [
    ((6,), None),
    ((6,), (6,)),
    ((6, 3), (6,)),
    ((6, 3), (6, 3)),
    ((6, 3, 2), (6, 3)),
    ((6, 1), (6,)),
    ((), None),
]


@pytest.mark.parametrize("shape,weight_shape", VALUE_CASES)
@pytest.mark.parametrize("name", ["Mean", "Sum"])
def test_mean_and_sum_match_keras(keras, check_parity, name, shape, weight_shape):
    batches = _value_batches(shape, weight_shape)
    check_parity(getattr(metrics, name)(), getattr(keras.metrics, name)(), batches)


@pytest.mark.parametrize("name", ["Mean", "Sum"])
def test_mean_and_sum_stateless_forms_match_eager(check_stateless, name):
    check_stateless(getattr(metrics, name)(), _value_batches((6, 3), (6,), count=5))


def test_mean_documented_values():
    m = metrics.Mean()
    m.update_state([1, 3, 5, 7])
    assert float(m.result()) == 4.0
    m.reset_state()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(m.result()) == 2.0
    s = metrics.Sum()
    s.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(s.result()) == 4.0


def test_mean_of_nothing_is_zero():
    assert float(metrics.Mean().result()) == 0.0


def test_mean_counts_a_scalar_weight_as_that_many_samples():
    # The engine's loss tracker: the batch loss weighted by the batch size.
    m = metrics.Mean(name="loss")
    m.update_state(2.0, sample_weight=32)
    m.update_state(4.0, sample_weight=16)
    np.testing.assert_allclose(float(m.result()), (2 * 32 + 4 * 16) / 48, rtol=1e-6)


def _squared_error(y_true, y_pred):
    return jnp.square(jnp.asarray(y_true) - jnp.asarray(y_pred))


def test_mean_metric_wrapper_matches_keras_with_kwargs(keras, check_parity):
    rng = np.random.default_rng(1)
    batches = [
        ((rng.integers(0, 2, (6, 1)).astype("float32"), rng.uniform(size=(6, 1)).astype("float32")),
         {"sample_weight": rng.uniform(size=(6,)).astype("float32")})
        for _ in range(3)
    ]  # fmt: skip
    ours = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="acc_at_03", threshold=0.3)
    theirs = keras.metrics.MeanMetricWrapper(keras.metrics.binary_accuracy, name="acc_at_03", threshold=0.3)
    check_parity(ours, theirs, batches)


def test_mean_metric_wrapper_stateless_forms_match_eager(check_stateless):
    rng = np.random.default_rng(2)
    batches = [
        ((rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")), {})
        for _ in range(5)
    ]
    check_stateless(metrics.MeanMetricWrapper(_squared_error), batches)


def test_mean_metric_wrapper_names_and_config():
    m = metrics.MeanMetricWrapper(_squared_error)
    assert m.name == "mean_metric_wrapper"
    named = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="ba", threshold=0.3)
    assert named.get_config() == {
        "name": "ba",
        "dtype": "float32",
        "fn": {
            "module": "builtins", "class_name": "function", "config": "binary_accuracy", "registered_name": "function",
        },  # fmt: skip
        "threshold": 0.3,
    }


def test_mean_metric_wrapper_rejects_non_callable():
    message = r"MeanMetricWrapper: `fn` must be a function fn\(y_true, y_pred\); received fn='mse'"
    with pytest.raises(TypeError, match=message):
        metrics.MeanMetricWrapper("mse")


def test_lambda_cannot_be_serialized():
    m = metrics.MeanMetricWrapper(lambda y_true, y_pred: y_pred)
    with pytest.raises(ValueError, match="Cannot serialize metric function .* Define it with `def`"):
        m.get_config()


def test_mean_config_round_trip():
    m = metrics.Mean(name="my_mean", dtype="float32")
    assert m.get_config() == {"name": "my_mean", "dtype": "float32"}
    clone = metrics.Mean.from_config(m.get_config())
    assert clone.name == "my_mean" and clone.dtype == "float32"


def test_sample_weight_that_does_not_fit_is_named():
    m = metrics.Mean(name="loss")
    message = r"Mean 'loss': `sample_weight` of shape \(5,\) does not fit the per-sample values of shape \(8,\)"
    with pytest.raises(ValueError, match=message):
        m.update_state(np.ones(8, dtype="float32"), sample_weight=np.ones(5, dtype="float32"))
