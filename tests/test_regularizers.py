"""Tests for loom.regularizers: penalties against NumPy sums, names, configs, and Keras parity."""

import os

os.environ["KERAS_BACKEND"] = "jax"  # Keras defaults to TensorFlow, which is not installed

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

from loom import regularizers
from loom.graph import SymbolicTensor

RNG = np.random.default_rng(0)
W = RNG.normal(size=(6, 4)).astype("float32")


def _numpy_orthogonal_penalty(w, factor, mode):
    vectors = w if mode == "rows" else w.T
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    cosines = np.abs(unit @ unit.T)
    n = len(vectors)
    mean_off_diagonal = (cosines.sum() - np.trace(cosines)) / (n * (n - 1))
    return factor * 0.5 * 2 * mean_off_diagonal  # Keras sums both triangles over the pair count


def test_l1_is_factor_times_sum_of_absolute_values():
    np.testing.assert_allclose(regularizers.L1(0.3)(W), 0.3 * np.abs(W).sum(), rtol=1e-6)


def test_l2_is_factor_times_sum_of_squares_without_a_half():
    np.testing.assert_allclose(regularizers.L2(0.3)(W), 0.3 * np.square(W).sum(), rtol=1e-6)


def test_l1l2_adds_both_penalties():
    expected = 0.1 * np.abs(W).sum() + 0.2 * np.square(W).sum()
    np.testing.assert_allclose(regularizers.L1L2(l1=0.1, l2=0.2)(W), expected, rtol=1e-6)
    assert float(regularizers.L1L2()(W)) == 0.0


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer_matches_numpy_formula(mode, penalties):
    ours, _ = penalties
    index = PARITY_CASES.index(("OrthogonalRegularizer", {"factor": 0.5, "mode": mode}))
    np.testing.assert_allclose(ours[index], _numpy_orthogonal_penalty(W, 0.5, mode), rtol=1e-5)


def test_orthogonal_regularizer_is_zero_for_orthogonal_rows():
    # Under jit, as in the training step (and one compile instead of one per op).
    assert float(jax.jit(regularizers.OrthogonalRegularizer(1.0))(np.eye(4, 6, dtype="float32") * 3)) == 0.0


def test_orthogonal_regularizer_of_a_single_vector_is_zero_not_nan():
    # Keras divides by zero pairs here and returns NaN.
    assert float(regularizers.OrthogonalRegularizer(1.0, "columns")(W[:, :1])) == 0.0


def test_orthogonal_regularizer_rejects_non_matrices():
    with pytest.raises(ValueError, match=r"OrthogonalRegularizer: inputs must be 2-D .*received shape \(2, 3, 4\)"):
        regularizers.OrthogonalRegularizer()(np.ones((2, 3, 4), "float32"))


PARITY_CASES = [
    ("L1", {"l1": 0.3}),
    ("L2", {"l2": 0.3}),
    ("L1L2", {"l1": 0.1, "l2": 0.2}),
    ("L1L2", {"l2": 0.2}),
    ("OrthogonalRegularizer", {"factor": 0.5, "mode": "rows"}),
    ("OrthogonalRegularizer", {"factor": 0.5, "mode": "columns"}),
]


@pytest.fixture(scope="module")
def penalties():
    """loom's and Keras's penalty on W for every parity case, from one jitted call.

    Regularizers run inside the compiled training step, so this is also the
    path that matters; one program compiles much faster than op-by-op eager code.
    """

    def all_cases(w):
        ours = [getattr(regularizers, name)(**kwargs)(w) for name, kwargs in PARITY_CASES]
        theirs = [getattr(keras.regularizers, name)(**kwargs)(w) for name, kwargs in PARITY_CASES]
        return ours, theirs

    return jax.device_get(jax.jit(all_cases)(jnp.asarray(W)))


@pytest.mark.parametrize("index", range(len(PARITY_CASES)), ids=[f"{n}-{k}" for n, k in PARITY_CASES])
def test_values_match_keras(index, penalties):
    ours, theirs = penalties
    np.testing.assert_allclose(ours[index], theirs[index], rtol=1e-6)


@pytest.mark.parametrize("name, kwargs", PARITY_CASES)
def test_configs_match_keras(name, kwargs):
    ours = regularizers.serialize(getattr(regularizers, name)(**kwargs))
    theirs = keras.regularizers.serialize(getattr(keras.regularizers, name)(**kwargs))
    assert ours.keys() == theirs.keys() and ours["class_name"] == theirs["class_name"]
    assert ours["module"] == "loom.regularizers" and ours["registered_name"] is None
    # Keras stores some factors as float32 tensors (0.3 -> 0.30000001192...); loom keeps the float.
    for key, value in theirs["config"].items():
        expected = value if key == "mode" else pytest.approx(value, rel=1e-6)
        assert ours["config"][key] == expected


@pytest.mark.parametrize("name, kwargs", PARITY_CASES)
def test_round_trip_gives_equal_penalty(name, kwargs):
    regularizer = getattr(regularizers, name)(**kwargs)
    restored = regularizers.deserialize(regularizers.serialize(regularizer))
    rebuilt = type(regularizer).from_config(regularizer.get_config())
    assert type(restored) is type(regularizer) and restored.get_config() == regularizer.get_config()
    original, *copies = jax.jit(lambda w: (regularizer(w), restored(w), rebuilt(w)))(W)
    for copy in copies:
        np.testing.assert_array_equal(copy, original)


def test_keras_serialized_regularizers_load_in_loom():
    loaded = regularizers.deserialize(keras.regularizers.serialize(keras.regularizers.L2(0.25)))
    assert isinstance(loaded, regularizers.L2) and loaded.l2 == 0.25


@pytest.mark.parametrize(
    "factory, match",
    [
        (lambda: regularizers.L1(-0.1), r"L1: `l1` must be a non-negative float; received l1=-0.1"),
        (lambda: regularizers.L2("0.1"), r"L2: `l2` must be a non-negative float; received l2='0.1'"),
        (lambda: regularizers.L1L2(l1=float("nan")), r"L1L2: `l1` must be a non-negative float; received l1=nan"),
        (lambda: regularizers.L1L2(l2=True), r"L1L2: `l2` must be a non-negative float; received l2=True"),
        (lambda: regularizers.OrthogonalRegularizer(-1), r"`factor` must be a non-negative float; received factor=-1"),
        (lambda: regularizers.OrthogonalRegularizer(mode="diag"), r"`mode` must be 'rows' or 'columns'; received"),
    ],
)
def test_bad_arguments_are_rejected_with_the_received_value(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


def test_none_factors_mean_the_defaults():
    assert regularizers.L1(None).l1 == 0.01 and regularizers.L2(None).l2 == 0.01
    assert regularizers.L1L2(None, None).get_config() == {"l1": 0.0, "l2": 0.0}


@pytest.mark.parametrize(
    "name, cls, config",
    [
        ("l1", "L1", {"l1": 0.01}),
        ("L1", "L1", {"l1": 0.01}),
        ("l2", "L2", {"l2": 0.01}),
        ("L2", "L2", {"l2": 0.01}),
        ("L1L2", "L1L2", {"l1": 0.0, "l2": 0.0}),
        ("l1l2", "L1L2", {"l1": 0.0, "l2": 0.0}),
        ("l1_l2", "L1L2", {"l1": 0.01, "l2": 0.01}),
        ("orthogonal_regularizer", "OrthogonalRegularizer", {"factor": 0.01, "mode": "rows"}),
        ("OrthogonalRegularizer", "OrthogonalRegularizer", {"factor": 0.01, "mode": "rows"}),
    ],
)
def test_names_resolve_with_defaults(name, cls, config):
    regularizer = regularizers.get(name)
    assert type(regularizer).__name__ == cls and regularizer.get_config() == config


def test_names_keras_resolves_resolve_to_the_same_classes():
    for name in ["l1", "l2", "L1", "L2", "L1L2", "l1l2", "orthogonal_regularizer", "OrthogonalRegularizer"]:
        assert type(regularizers.get(name)).__name__ == type(keras.regularizers.get(name)).__name__


def test_snake_case_aliases_are_the_classes():
    assert regularizers.l1 is regularizers.L1 and regularizers.l2 is regularizers.L2
    assert regularizers.l1_l2 is regularizers.L1L2
    assert regularizers.orthogonal_regularizer is regularizers.OrthogonalRegularizer


def test_get_accepts_none_dict_class_and_callable():
    assert regularizers.get(None) is None
    assert regularizers.get({"class_name": "L2", "config": {"l2": 0.5}}).l2 == 0.5
    assert isinstance(regularizers.get(regularizers.L1), regularizers.L1)

    def penalty(x):
        return 0.1 * jnp.sum(x)

    assert regularizers.get(penalty) is penalty


def test_get_unknown_name_suggests_close_matches():
    match = "Unknown regularizer: 'orthogonal'. Did you mean 'orthogonal_regularizer'.*Valid names:.*l1_l2"
    with pytest.raises(ValueError, match=match):
        regularizers.get("orthogonal")


def test_get_rejects_uninterpretable_identifiers():
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier: 0.1"):
        regularizers.get(0.1)


def test_custom_regularizer_round_trips_through_custom_objects():
    class Sum(regularizers.Regularizer):
        def __init__(self, scale=1.0):
            self.scale = scale

        def __call__(self, x):
            return self.scale * jnp.sum(x)

        def get_config(self):
            return {"scale": self.scale}

    config = regularizers.serialize(Sum(2.0))
    assert config["registered_name"] == "Sum"
    restored = regularizers.deserialize(config, custom_objects={"Sum": Sum})
    assert float(restored(np.ones(3))) == 6.0


def test_base_regularizer_penalty_is_zero_and_config_must_be_implemented():
    assert regularizers.Regularizer()(W) == 0.0
    with pytest.raises(NotImplementedError, match="Regularizer does not implement get_config"):
        regularizers.Regularizer().get_config()


def test_penalty_keeps_the_weight_dtype():
    assert regularizers.L1L2(0.1, 0.1)(jnp.ones(3, jnp.bfloat16)).dtype == jnp.bfloat16
    assert regularizers.L2()(jnp.ones(3, jnp.float16)).dtype == jnp.float16


def test_penalty_is_differentiable_and_jittable():
    grad = jax.jit(jax.grad(regularizers.L2(0.5)))(jnp.asarray(W))
    np.testing.assert_allclose(grad, 2 * 0.5 * W, rtol=1e-6)


def test_penalty_on_a_symbolic_tensor_is_a_symbolic_scalar():
    penalty = regularizers.L1L2(0.1, 0.1)(SymbolicTensor((None, 4), "float32"))
    assert isinstance(penalty, SymbolicTensor) and penalty.shape == ()
