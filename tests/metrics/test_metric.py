import jax
import jax.numpy as jnp
import numpy as np
import pytest

from loom import metrics
from loom.state import StatelessScope


class _Maximum(metrics.Metric):
    def __init__(self, name="maximum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.peak = self.add_variable((), "zeros", name="peak")
        self.calls = self.add_variable((), "zeros", dtype="int32", name="calls")

    def update_state(self, values):
        self.peak.assign(jnp.maximum(self.peak.value, jnp.max(values)))
        self.calls.assign(self.calls.value + 1)

    def result(self):
        return self.peak.value


class _Pair(metrics.Metric):
    """A metric made of two metrics: their variables are its variables."""

    def __init__(self):
        super().__init__(name="pair")
        self.first = metrics.Mean(name="first")
        self.second = metrics.Sum(name="second")

    def update_state(self, values):
        self.first.update_state(values)
        self.second.update_state(values)

    def result(self):
        return self.first.result() + self.second.result()


def test_variables_in_creation_order_with_metric_paths():
    m = _Maximum()
    assert [v.name for v in m.variables] == ["peak", "calls"]
    assert [v.path for v in m.variables] == ["maximum/peak", "maximum/calls"]
    assert all(not v.trainable for v in m.variables)
    assert m.variables[0].aggregation == "sum" and m.variables[1].dtype == "int32"


def test_nested_metrics_contribute_variables():
    m = _Pair()
    assert [v.path for v in m.variables] == ["first/total", "first/count", "second/total"]
    np.testing.assert_allclose(float(m([1.0, 3.0])), 2.0 + 4.0)


def test_call_updates_then_returns_result_and_reset_zeroes():
    m = _Maximum()
    assert float(m(jnp.array([1.0, 5.0]))) == 5.0
    assert float(m(jnp.array([2.0]))) == 5.0
    assert int(m.calls.value) == 2
    m.reset_state()
    assert float(m.result()) == 0.0 and int(m.calls.value) == 0


def test_default_names_are_snake_case_and_unique():
    assert metrics.Precision().name == "precision"
    assert metrics.Precision().name == "precision_1"
    assert metrics.AUC().name == "auc"


def test_dtype_defaults_to_floatx_and_is_standardized():
    assert metrics.Mean().dtype == "float32"
    assert metrics.Mean(dtype=np.float16).dtype == "float16"
    assert metrics.Mean(dtype="float16").total.dtype == "float16"


def test_stateless_update_leaves_variables_alone_and_returns_new_values():
    m = _Maximum()
    state = m.stateless_reset_state()
    assert [np.asarray(s).tolist() for s in state] == [0.0, 0]
    new = m.stateless_update_state(state, jnp.array([4.0, 2.0]))
    assert float(new[0]) == 4.0 and int(new[1]) == 1
    assert float(m.peak.value) == 0.0 and int(m.calls.value) == 0
    assert float(m.stateless_result(new)) == 4.0


def test_stateless_reset_state_does_not_touch_variables():
    m = _Maximum()
    m(jnp.array([3.0]))
    state = m.stateless_reset_state()
    assert float(state[0]) == 0.0 and float(m.result()) == 3.0


def test_stateless_forms_work_inside_an_enclosing_scope():
    # The engine calls metrics inside the model's own stateless scope.
    m = metrics.Mean()
    with StatelessScope():
        new = m.stateless_update_state(m.stateless_reset_state(), jnp.array([2.0, 4.0]))
        assert float(m.stateless_result(new)) == 3.0
    assert float(m.count.value) == 0.0


def test_stateless_forms_jit_and_scan():
    m = _Maximum()
    data = jnp.array([[1.0, 2.0], [7.0, 0.0], [3.0, 3.0]])

    @jax.jit
    def run(data):
        def step(state, values):
            return m.stateless_update_state(state, values), None

        state, _ = jax.lax.scan(step, m.stateless_reset_state(), data)
        return m.stateless_result(state), state

    result, state = run(data)
    assert float(result) == 7.0 and int(state[1]) == 3


def test_stateless_state_of_wrong_length_is_named():
    m = metrics.Mean(name="loss")
    message = (
        r"Mean 'loss': stateless_update_state needs one array per variable in `metric_variables`, "
        r"2 in all; received 1"
    )
    with pytest.raises(ValueError, match=message):
        m.stateless_update_state([jnp.zeros(())], jnp.ones(3))
    with pytest.raises(ValueError, match=r"Mean 'loss': stateless_result needs .* received 3"):
        m.stateless_result([jnp.zeros(())] * 3)


def test_variables_created_inside_stateless_update_are_an_error():
    m = metrics.AUC(multi_label=True, name="auc_ml")
    assert m.variables == []
    with pytest.raises(RuntimeError, match=r"AUC 'auc_ml' created variables inside stateless_update_state"):
        m.stateless_update_state([], jnp.ones((8, 3)), jnp.ones((8, 3)))
    # Now built: the stateless forms work.
    assert len(m.stateless_reset_state()) == 4


def test_missing_super_init_is_named():
    class Broken(metrics.Metric):
        def __init__(self):
            self.total = self.add_variable((), "zeros", name="total")

    with pytest.raises(RuntimeError, match=r"Broken was not initialized: its __init__ must call super\(\).__init__"):
        Broken()


def test_base_methods_must_be_implemented():
    m = metrics.Metric(name="bare")
    with pytest.raises(NotImplementedError, match=r"Metric must implement update_state"):
        m.update_state(1.0)
    with pytest.raises(NotImplementedError, match=r"Metric must implement result\(\)"):
        m.result()


def test_add_weight_alias_and_repr():
    m = metrics.Metric(name="bare")
    v = m.add_weight(shape=(2,), initializer="ones", name="w")
    np.testing.assert_array_equal(v.numpy(), [1.0, 1.0])
    assert repr(m) == "<Metric name=bare>"


def test_config_round_trip_through_from_config():
    m = _Maximum(name="peak_metric")
    clone = _Maximum.from_config(m.get_config())
    assert clone.name == "peak_metric" and clone.dtype == "float32"


@pytest.mark.parametrize("make", [lambda: metrics.Precision(thresholds=[0.3, 0.6], class_id=1)], ids=["precision"])
def test_jitted_step_by_step_updates_equal_eager(make):
    # A streaming engine keeps the state on the device between jitted steps.
    rng = np.random.default_rng(0)
    batches = [
        (rng.integers(0, 2, (8, 3)).astype("float32"), rng.uniform(size=(8, 3)).astype("float32"),
         rng.uniform(size=(8,)).astype("float32"))
        for _ in range(3)
    ]  # fmt: skip
    eager, m = make(), make()
    for y_true, y_pred, weight in batches:
        eager.update_state(y_true, y_pred, sample_weight=weight)
    update, result = jax.jit(m.stateless_update_state), jax.jit(m.stateless_result)
    state = m.stateless_reset_state()
    for y_true, y_pred, weight in batches:
        state = update(state, y_true, y_pred, sample_weight=weight)
    np.testing.assert_allclose(np.asarray(result(state)), np.asarray(eager.result()), rtol=1e-6, atol=1e-6)
    assert all(float(jnp.sum(v.value)) == 0.0 for v in m.variables)


def test_direction_for_callbacks_matches_keras(keras):
    from loom import losses

    pairs = [
        (metrics.AUC(), keras.metrics.AUC()),
        (metrics.Precision(), keras.metrics.Precision()),
        (metrics.SparseCategoricalAccuracy(), keras.metrics.SparseCategoricalAccuracy()),
        (metrics.RootMeanSquaredError(), keras.metrics.RootMeanSquaredError()),
        (
            metrics.MeanMetricWrapper(losses.mean_squared_error),
            keras.metrics.MeanMetricWrapper(keras.losses.mean_squared_error),
        ),
        (metrics.Mean(), keras.metrics.Mean()),
        (metrics.TruePositives(), keras.metrics.TruePositives()),
    ]
    for ours, theirs in pairs:
        assert ours._direction == getattr(theirs, "_direction", None), type(ours).__name__


def test_mixed_precision_policies_give_their_compute_dtype(keras):
    assert metrics.Mean(dtype="mixed_float16").dtype == "float16" == keras.metrics.Mean(dtype="mixed_float16").dtype
    assert metrics.Mean(dtype=keras.DTypePolicy("mixed_bfloat16")).dtype == "bfloat16"


def test_bad_dtype_is_named():
    message = r"Precision: `dtype` must be a dtype such as 'float32' .*received dtype='flaot32'"
    with pytest.raises(TypeError, match=message):
        metrics.Precision(dtype="flaot32")
