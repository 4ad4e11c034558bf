import jax.numpy as jnp
import numpy as np
import pytest

import loom
from loom.optimizers.muon import orthogonalize
from tests.optimizers.keras_parity import assert_same_config, assert_same_steps

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
keras = pytest.importorskip("keras")

# "kernel" (2-D) takes the Muon step, "bias" and "embedding" (excluded by name) the AdamW step.
SHAPES = {"kernel": (3, 4), "bias": (4,), "embedding": (5, 3), "tall": (5, 2)}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"learning_rate": 0.01},
        {"learning_rate": 0.01, "nesterov": False, "rms_rate": None, "adam_lr_ratio": 0.5, "exclude_layers": ["tall"]},
        {"learning_rate": 0.01, "weight_decay": 0.5, "adam_weight_decay": 0.2, "ns_steps": 3, "momentum": 0.8},
        {"learning_rate": 0.01, "weight_decay": None, "adam_weight_decay": None, "exclude_embeddings": False},
    ],
    ids=["defaults", "plain-momentum-excluded", "decays", "no-decay-embedding-muon"],
)
def test_steps_match_keras(kwargs):
    assert_same_steps(
        keras, loom, lambda m: m.optimizers.Muon(name="opt", **kwargs), shapes=SHAPES, rtol=1e-5, atol=1e-6
    )


def test_only_adamw_variables_get_a_velocity():
    optimizer = loom.optimizers.Muon(name="opt")
    optimizer.build([loom.Variable(np.ones((3, 4), "float32"), name="kernel"), loom.Variable([1.0], name="bias")])
    assert [v.path for v in optimizer.variables] == [
        "opt/iteration",
        "opt/learning_rate",
        "opt/kernel_momentum",
        "opt/bias_momentum",
        "opt/bias_velocity",
    ]


def test_excluded_variables_are_not_decayed():
    kernel = loom.Variable(np.eye(3, dtype="float32"), name="kernel")
    optimizer = loom.optimizers.Muon(learning_rate=0.1, weight_decay=0.5, adam_weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_names=["kernel"])
    zero_gradient = np.zeros((3, 3), "float32")
    optimizer.apply([zero_gradient], [kernel])
    np.testing.assert_allclose(kernel.numpy(), np.eye(3), atol=1e-6)


def test_orthogonalize_gives_singular_values_near_one():
    x = jnp.asarray(np.random.default_rng(0).normal(size=(6, 3)), jnp.float32)
    singular_values = np.linalg.svd(np.asarray(orthogonalize(x, 5, (3.4445, -4.7750, 2.0315))), compute_uv=False)
    assert singular_values.shape == (3,)
    assert np.all((singular_values > 0.6) & (singular_values < 1.25))


def test_config_matches_keras():
    assert_same_config(keras, loom, "Muon")
    assert_same_config(keras, loom, "Muon", exclude_layers=["head"], rms_rate=None)


def test_model_variables_pick_their_rule_by_path():
    inputs = loom.Input((3,))
    hidden = loom.layers.Dense(4, name="hidden")(loom.layers.Embedding(5, 3, name="embedding")(inputs))
    model = loom.Model(inputs, loom.layers.Dense(2, name="head")(hidden))
    optimizer = loom.optimizers.Muon(exclude_layers=["head"], name="opt")
    optimizer.build(model.trainable_variables)
    velocities = sorted(v.path for v in optimizer.variables if v.path.endswith("_velocity"))
    # Only the hidden kernel (2-D, not excluded, not an embedding) takes the Muon step.
    assert velocities == [
        "opt/embedding_embeddings_velocity",
        "opt/head_bias_velocity",
        "opt/head_kernel_velocity",
        "opt/hidden_bias_velocity",
    ]
