"""Tests for loom.constraints: projections against NumPy re-implementations and Keras."""

import itertools
import os

os.environ["KERAS_BACKEND"] = "jax"  # Keras defaults to TensorFlow, which is not installed

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

from loom import constraints

EPSILON = 1e-7  # Keras's backend.epsilon()
RNG = np.random.default_rng(0)
DENSE = RNG.normal(size=(5, 4)).astype("float32") * 2
DENSE[:, 1] *= 1e-6  # a column whose norm is near Keras's epsilon, so the epsilon shows in the results
CONV = RNG.normal(size=(3, 3, 2, 4)).astype("float32")


def _np_norms(w, axis):
    axis = tuple(axis) if isinstance(axis, list) else axis
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


def _np_max_norm(w, max_value, axis):
    norms = _np_norms(w, axis)
    return w * (np.clip(norms, 0, max_value) / (EPSILON + norms))


def _np_unit_norm(w, axis):
    return w / (EPSILON + _np_norms(w, axis))


def _np_min_max_norm(w, min_value, max_value, rate, axis):
    norms = _np_norms(w, axis)
    desired = rate * np.clip(norms, min_value, max_value) + (1 - rate) * norms
    return w * (desired / (EPSILON + norms))


def _np_simplex_by_bisection(v):
    """Projection onto the simplex by solving sum(max(v - tau, 0)) = 1 for tau (not by sorting)."""
    v = np.asarray(v, np.float64)
    low, high = v.min() - 1.0, v.max()
    for _ in range(200):
        tau = (low + high) / 2
        low, high = (tau, high) if np.maximum(v - tau, 0).sum() > 1 else (low, tau)
    return np.maximum(v - (low + high) / 2, 0)


@pytest.mark.parametrize("w, axis", [(DENSE, 0), (DENSE, 1), (CONV, [0, 1, 2])])
def test_max_norm_matches_numpy(w, axis):
    np.testing.assert_allclose(constraints.MaxNorm(1.5, axis)(w), _np_max_norm(w, 1.5, axis), rtol=1e-6)
    norms = _np_norms(np.asarray(constraints.MaxNorm(1.5, axis)(w)), axis)
    assert norms.max() <= 1.5 + 1e-5


@pytest.mark.parametrize("w, axis", [(DENSE, 0), (DENSE, 1), (CONV, [0, 1, 2])])
def test_unit_norm_matches_numpy(w, axis):
    np.testing.assert_allclose(constraints.UnitNorm(axis)(w), _np_unit_norm(w, axis), rtol=1e-6)
    norms = _np_norms(w.astype(np.float64), axis)
    expected_norms = norms / (EPSILON + norms)  # 1, except where the norm is near epsilon
    np.testing.assert_allclose(_np_norms(np.asarray(constraints.UnitNorm(axis)(w)), axis), expected_norms, rtol=1e-5)


@pytest.mark.parametrize("rate", [1.0, 0.3])
@pytest.mark.parametrize("w, axis", [(DENSE, 0), (CONV, [0, 1, 2])])
def test_min_max_norm_matches_numpy(w, axis, rate):
    expected = _np_min_max_norm(w, 2.0, 3.0, rate, axis)
    np.testing.assert_allclose(constraints.MinMaxNorm(2.0, 3.0, rate, axis)(w), expected, rtol=1e-6)


def test_non_neg_zeroes_negative_weights():
    np.testing.assert_array_equal(constraints.NonNeg()(DENSE), np.maximum(DENSE, 0))


KERAS_CASES = [
    ("MaxNorm", {"max_value": 1.5, "axis": 0}),
    ("MaxNorm", {"max_value": 1.0, "axis": [0, 1, 2]}),
    ("UnitNorm", {"axis": 1}),
    ("UnitNorm", {"axis": [0, 1, 2]}),
    ("MinMaxNorm", {"min_value": 0.5, "max_value": 1.0, "rate": 0.5, "axis": 0}),
    ("NonNeg", {}),
]


@pytest.fixture(scope="module")
def projections():
    """loom's and Keras's result for every Keras case, from one jitted call.

    Constraints run inside the compiled training step, so this is the path that
    matters; one program compiles much faster than Keras's op-by-op eager code.
    """

    def all_cases(dense, conv):
        def run(module):
            return [
                getattr(module, name)(**kwargs)(conv if isinstance(kwargs.get("axis"), list) else dense)
                for name, kwargs in KERAS_CASES
            ]

        return run(constraints), run(keras.constraints)

    return jax.device_get(jax.jit(all_cases)(jnp.asarray(DENSE), jnp.asarray(CONV)))


@pytest.mark.parametrize("index", range(len(KERAS_CASES)), ids=[f"{n}-{k}" for n, k in KERAS_CASES])
def test_values_match_keras(index, projections):
    ours, theirs = projections
    np.testing.assert_allclose(ours[index], theirs[index], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name, kwargs", KERAS_CASES)
def test_serialization_matches_keras(name, kwargs):
    ours = constraints.serialize(getattr(constraints, name)(**kwargs))
    theirs = keras.constraints.serialize(getattr(keras.constraints, name)(**kwargs))
    assert ours == {**theirs, "module": "loom.constraints"}
    loaded = constraints.deserialize(theirs)
    assert type(loaded) is getattr(constraints, name) and loaded.get_config() == ours["config"]


@pytest.mark.parametrize("name, kwargs", KERAS_CASES + [("Simplex", {"axis": 0})])
def test_round_trip_gives_equal_projection(name, kwargs):
    constraint = getattr(constraints, name)(**kwargs)
    w = CONV if isinstance(kwargs.get("axis"), list) else DENSE
    restored = constraints.deserialize(constraints.serialize(constraint))
    np.testing.assert_array_equal(restored(w), constraint(w))
    np.testing.assert_array_equal(type(constraint).from_config(constraint.get_config())(w), constraint(w))


@pytest.mark.parametrize("axis", [-1, 0])
def test_simplex_is_nonnegative_sums_to_one_and_matches_bisection(axis):
    projected = np.asarray(constraints.Simplex(axis=axis)(DENSE))
    assert projected.min() >= 0
    np.testing.assert_allclose(projected.sum(axis=axis), 1.0, rtol=1e-5)
    expected = np.apply_along_axis(_np_simplex_by_bisection, axis, DENSE)
    np.testing.assert_allclose(projected, expected, atol=1e-5)
    # A telling case: some entries are cut to 0, and some slice keeps more than one.
    assert (projected == 0).any() and (projected > 0).sum() > DENSE.size // DENSE.shape[axis]


def test_simplex_projection_is_the_closest_point_on_the_simplex():
    # Brute force: no point of a fine grid on the 3-simplex is closer to v than the projection.
    v = np.array([0.9, 0.4, -0.3], dtype="float32")
    projected = np.asarray(constraints.Simplex()(v), np.float64)
    steps = np.linspace(0, 1, 201)
    grid = np.array([(a, b, 1 - a - b) for a, b in itertools.product(steps, steps) if a + b <= 1 + 1e-12])
    best = grid[np.argmin(np.sum((grid - v) ** 2, axis=1))]
    assert np.sum((projected - v) ** 2) <= np.sum((best - v) ** 2) + 1e-9
    np.testing.assert_allclose(projected, best, atol=1e-2)


def test_simplex_keeps_points_already_on_the_simplex():
    w = RNG.dirichlet(np.ones(4), size=5).astype("float32")  # DENSE's shape: reuses its compiled projection
    w[0] = [1.0, 0.0, 0.0, 0.0]
    np.testing.assert_allclose(constraints.Simplex()(w), w, atol=1e-6)


def test_simplex_of_mixing_weights_example():
    np.testing.assert_allclose(constraints.Simplex()(np.array([0.5, 1.0, -1.0], "float32")), [0.25, 0.75, 0.0])


@pytest.mark.parametrize(
    "constraint",
    [
        constraints.MaxNorm(1.0),
        constraints.UnitNorm(),
        constraints.MinMaxNorm(0.5, 1.0),
        constraints.NonNeg(),
        constraints.Simplex(),
    ],
)
def test_constraints_run_inside_jit_with_the_same_result(constraint):
    np.testing.assert_allclose(jax.jit(constraint)(jnp.asarray(DENSE)), constraint(DENSE), rtol=1e-6, atol=1e-7)


def test_constraints_keep_the_weight_shape_and_dtype():
    w = jnp.asarray(DENSE, jnp.bfloat16)
    for constraint in [constraints.MaxNorm(), constraints.UnitNorm(), constraints.NonNeg(), constraints.Simplex()]:
        out = constraint(w)
        assert out.shape == w.shape and out.dtype == jnp.bfloat16


@pytest.mark.parametrize(
    "factory, match",
    [
        (lambda: constraints.MaxNorm(-1.0), r"MaxNorm: `max_value` must be a number >= 0; received max_value=-1.0"),
        (lambda: constraints.MaxNorm(axis="rows"), r"MaxNorm: `axis` must be an int or a list of ints .*axis='rows'"),
        (lambda: constraints.UnitNorm(axis=[]), r"UnitNorm: `axis` must be an int or a list of ints .*axis=\[\]"),
        (lambda: constraints.MinMaxNorm(2.0, 1.0), r"MinMaxNorm: `max_value` must be a number >= 2.0; .*max_value=1.0"),
        (lambda: constraints.MinMaxNorm(rate=1.5), r"MinMaxNorm: `rate` must be a number in \[0, 1\]; .*rate=1.5"),
        (lambda: constraints.Simplex(axis=0.5), r"Simplex: `axis` must be an int; received axis=0.5"),
    ],
)
def test_bad_arguments_are_rejected_with_the_received_value(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


@pytest.mark.parametrize(
    "name, cls",
    [
        ("max_norm", "MaxNorm"), ("MaxNorm", "MaxNorm"), ("min_max_norm", "MinMaxNorm"), ("MinMaxNorm", "MinMaxNorm"),
        ("non_neg", "NonNeg"), ("NonNeg", "NonNeg"), ("unit_norm", "UnitNorm"), ("UnitNorm", "UnitNorm"),
        ("simplex", "Simplex"), ("Simplex", "Simplex"),
    ],
)  # fmt: skip
def test_names_resolve_to_classes(name, cls):
    assert type(constraints.get(name)).__name__ == cls
    if cls != "Simplex":
        assert type(keras.constraints.get(name)).__name__ == cls


def test_snake_case_aliases_are_the_classes():
    assert constraints.max_norm is constraints.MaxNorm and constraints.non_neg is constraints.NonNeg
    assert constraints.unit_norm is constraints.UnitNorm and constraints.min_max_norm is constraints.MinMaxNorm
    assert constraints.simplex is constraints.Simplex


def test_get_accepts_none_dict_class_and_callable():
    assert constraints.get(None) is None
    assert constraints.get({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 1}}).max_value == 3
    assert isinstance(constraints.get(constraints.Simplex), constraints.Simplex)

    def clip(w):
        return jnp.clip(w, -1, 1)

    assert constraints.get(clip) is clip


def test_get_unknown_name_suggests_close_matches():
    with pytest.raises(ValueError, match="Unknown constraint: 'nonneg'. Did you mean 'non_neg'.*Valid names:.*simplex"):
        constraints.get("nonneg")


def test_get_rejects_uninterpretable_identifiers():
    with pytest.raises(ValueError, match="Could not interpret constraint identifier: 2"):
        constraints.get(2)


def test_custom_constraint_round_trips_through_custom_objects():
    class Clip(constraints.Constraint):
        def __call__(self, w):
            return jnp.clip(w, -1.0, 1.0)

    config = constraints.serialize(Clip())
    with pytest.raises(ValueError, match="Unknown constraint: 'Clip'"):
        constraints.deserialize(config)
    restored = constraints.deserialize(config, custom_objects={"Clip": Clip})
    np.testing.assert_array_equal(restored(np.array([-3.0, 0.5])), [-1.0, 0.5])


def test_base_constraint_is_the_identity():
    np.testing.assert_array_equal(constraints.Constraint()(DENSE), DENSE)
