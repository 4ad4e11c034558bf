import numpy as np
import pytest

import loom
from tests.optimizers.keras_parity import assert_same_config, assert_same_steps, initial_values

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
keras = pytest.importorskip("keras")


@pytest.mark.parametrize(
    "kwargs",
    [{"learning_rate": 0.01}, {"learning_rate": 0.01, "warmup_steps": 3, "weight_decay": 0.2, "beta_1": 0.8}],
    ids=["defaults", "warmup-decay"],
)
def test_steps_match_keras(kwargs):
    assert_same_steps(
        keras, loom, lambda m: m.optimizers.ScheduleFreeAdamW(name="opt", **kwargs), rtol=1e-5, atol=1e-6
    )


def test_momentum_starts_at_the_weights():
    values = initial_values()
    variables = [loom.Variable(value, name=name) for name, value in values.items()]
    optimizer = loom.optimizers.ScheduleFreeAdamW(name="opt")
    optimizer.build(variables)
    slots = {v.path: v.numpy() for v in optimizer.variables}
    np.testing.assert_array_equal(slots["opt/kernel_momentum"], values["kernel"])
    np.testing.assert_array_equal(slots["opt/bias_velocity"], 0.0)


def test_config_matches_keras():
    assert_same_config(keras, loom, "ScheduleFreeAdamW")


def test_fit_then_save_and_load_keep_the_state(tmp_path):
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    inputs = loom.Input((3,))
    model = loom.Model(inputs, loom.layers.Dense(1)(inputs))
    model.compile(optimizer=loom.optimizers.ScheduleFreeAdamW(0.05), loss="mse")
    history = model.fit(x, x.sum(axis=1, keepdims=True), epochs=3, batch_size=8, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    model.save(tmp_path / "model.keras")
    restored = loom.saving.load_model(tmp_path / "model.keras")
    assert type(restored.optimizer) is loom.optimizers.ScheduleFreeAdamW
    for ours, theirs in zip(model.optimizer.variables, restored.optimizer.variables):
        np.testing.assert_array_equal(theirs.numpy(), ours.numpy(), err_msg=ours.path)
