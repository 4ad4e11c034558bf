import numpy as np
import pytest

import loom
from tests.optimizers.keras_parity import assert_same_config, assert_same_steps, initial_values

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
keras = pytest.importorskip("keras")


@pytest.mark.parametrize(
    "kwargs",
    [{"learning_rate": 0.01}, {"learning_rate": 0.01, "epsilon": 0.1, "weight_decay": 0.3, "clipnorm": 1.0}],
    ids=["defaults", "epsilon-decay-clipnorm"],
)
def test_steps_match_keras(kwargs):
    weights = assert_same_steps(keras, loom, lambda m: m.optimizers.Lamb(name="opt", **kwargs))
    assert np.max(np.abs(weights[0] - initial_values()["kernel"])) > 1e-3


def test_config_matches_keras():
    assert_same_config(keras, loom, "Lamb")
    assert loom.optimizers.get("lamb").get_config()["epsilon"] == 1e-7


def test_zero_weights_take_the_plain_adam_step():
    # ||w|| = 0 would make the trust ratio 0 and freeze the weights; it is 1 instead.
    w = loom.Variable([0.0, 0.0], name="w")
    loom.optimizers.Lamb(learning_rate=0.1).apply([[1.0, -1.0]], [w])
    np.testing.assert_allclose(w.numpy(), [-0.1, 0.1], rtol=1e-5)
