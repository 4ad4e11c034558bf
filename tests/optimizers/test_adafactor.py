import numpy as np
import pytest

import loom
from tests.optimizers.keras_parity import assert_same_config, assert_same_steps

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
keras = pytest.importorskip("keras")

# A rank-3 variable too: Keras factors the last two axes of any variable of rank >= 2.
SHAPES = {"kernel": (3, 4), "bias": (4,), "conv": (2, 3, 5)}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"learning_rate": 0.01},
        {"learning_rate": 0.5, "clip_threshold": 0.5, "epsilon_2": 0.5, "beta_2_decay": -0.5, "weight_decay": 0.1},
    ],
    ids=["defaults", "clip-epsilon-decay"],
)
def test_steps_match_keras(kwargs):
    # Keras names both factored slots after the variable ("opt/kernel" twice) and the
    # placeholders of unfactored variables "bias"; loom names them for what they hold.
    def make(module):
        return module.optimizers.Adafactor(name="opt", **kwargs)

    assert_same_steps(keras, loom, make, shapes=SHAPES, same_paths=False)


def test_slots_are_row_and_column_averages():
    optimizer = loom.optimizers.Adafactor(name="opt")
    optimizer.build([loom.Variable(np.ones((3, 4), "float32"), name="kernel"), loom.Variable([1.0], name="bias")])
    assert [(v.path, v.shape, str(v.dtype)) for v in optimizer.variables[2:]] == [
        ("opt/kernel_row_velocity", (3,), "float32"),
        ("opt/kernel_column_velocity", (4,), "float32"),
        ("opt/kernel_velocity", (3, 4), "float32"),
        ("opt/bias_row_velocity", (), "int32"),
        ("opt/bias_column_velocity", (), "int32"),
        ("opt/bias_velocity", (1,), "float32"),
    ]


def test_config_matches_keras():
    assert_same_config(keras, loom, "Adafactor")
    assert_same_config(keras, loom, "Adafactor", relative_step=False, clip_threshold=2.0)
