"""Optimizer slots start from ``init`` of the rule. Constant starts (zeros, an initial
accumulator value) are built on the host without compiling; anything else compiles
``init`` once. Either way the values equal what ``init`` computes."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import loom
from loom.optimizers.optimizer import _initial_state

PLACEHOLDERS = [np.zeros((3, 2), np.float32), np.zeros((2,), np.float32), np.zeros((), np.float32)]


def _assert_same(actual, expected):
    assert jax.tree_util.tree_structure(actual) == jax.tree_util.tree_structure(expected)
    for a, b in zip(jax.tree_util.tree_leaves(actual), jax.tree_util.tree_leaves(expected)):
        assert isinstance(a, jax.Array) and a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize(
    "name", ["adam", "adamw", "adagrad", "adafactor", "ftrl", "lion", "sgd", "rmsprop", "nadam", "lamb", "adadelta",
             "adamax"],
)
def test_every_built_in_rule_starts_as_init_computes(name):
    optimizer = loom.optimizers.get(name)
    init = optimizer._update_rule(np.float32(1.0)).init
    _assert_same(_initial_state(init, PLACEHOLDERS), jax.jit(init)(PLACEHOLDERS))


def test_a_start_computed_from_the_parameters_is_compiled_not_guessed():
    def init(params):  # a state that is not a constant: a function of the parameters' values
        return [p + jnp.arange(p.size, dtype=p.dtype).reshape(p.shape) for p in params], optax.EmptyState()

    _assert_same(_initial_state(init, PLACEHOLDERS), jax.jit(init)(PLACEHOLDERS))


def test_building_inside_a_trace_gives_concrete_slots():
    variables = [loom.Variable(np.ones((3, 2), "float32")), loom.Variable(np.ones((2,), "float32"))]
    optimizer = loom.optimizers.Adagrad(initial_accumulator_value=0.25)

    @jax.jit
    def build_inside(x):
        optimizer.build(variables)
        return x + 1

    build_inside(1.0)
    slots = [np.asarray(v.value) for v in optimizer.variables if v.shape == (3, 2)]
    assert slots and all(np.allclose(s, 0.25) for s in slots)
