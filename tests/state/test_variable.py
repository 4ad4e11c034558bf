import jax
import jax.numpy as jnp
import numpy as np
import pytest

from loom.state.stateless_scope import StatelessScope
from loom.state.variable import Variable


def test_variable_from_array_keeps_shape_dtype_and_value():
    v = Variable(np.arange(6, dtype="float32").reshape(2, 3), name="w")
    assert v.shape == (2, 3) and v.dtype == "float32" and v.name == "w"
    np.testing.assert_array_equal(v.numpy(), np.arange(6).reshape(2, 3))


def test_float64_array_becomes_float32_without_x64():
    assert Variable(np.ones(3)).dtype == "float32"
    assert Variable(np.ones(3, dtype="int64")).dtype == "int32"


def test_callable_initializer_needs_shape():
    with pytest.raises(ValueError, match="needs `shape`"):
        Variable(lambda shape, dtype: jnp.zeros(shape, dtype))


def test_callable_initializer_with_shape():
    v = Variable(lambda shape, dtype: jnp.full(shape, 2.0, dtype), shape=(2,), dtype="float32")
    np.testing.assert_array_equal(v.numpy(), [2.0, 2.0])


def test_assign_checks_shape():
    v = Variable(np.zeros((2, 2)), name="w")
    with pytest.raises(ValueError, match=r"shape \(3,\) to variable 'w' of shape \(2, 2\)"):
        v.assign(np.zeros(3))
    v.assign_add(np.ones((2, 2)))
    v.assign_sub(np.full((2, 2), 0.5))
    np.testing.assert_array_equal(v.numpy(), np.full((2, 2), 0.5))


def test_scope_value_shadows_and_assign_is_recorded_not_applied():
    v = Variable(np.zeros(2))
    with StatelessScope([(v, jnp.ones(2))]) as scope:
        np.testing.assert_array_equal(np.asarray(v.value), [1, 1])
        v.assign(jnp.full(2, 5.0))
        np.testing.assert_array_equal(np.asarray(v.value), [5, 5])
    np.testing.assert_array_equal(v.numpy(), [0, 0])
    np.testing.assert_array_equal(np.asarray(scope.get_current_value(v)), [5, 5])


def test_assigning_a_tracer_outside_a_scope_explains_stateless_call():
    v = Variable(np.zeros(2), name="moving_mean")
    with pytest.raises(RuntimeError, match="stateless_call"):
        jax.jit(lambda x: v.assign(x))(jnp.ones(2))


def test_variable_operators_compute_on_current_value():
    v = Variable(np.array([1.0, 2.0]))
    np.testing.assert_allclose(np.asarray(v * 2 + 1), [3.0, 5.0])
    np.testing.assert_allclose(np.asarray(1 - v), [0.0, -1.0])
    np.testing.assert_allclose(np.asarray(v[1]), 2.0)
    np.testing.assert_allclose(np.asarray(jnp.asarray(v)), [1.0, 2.0])
    assert np.asarray(v).shape == (2,)


def test_initial_value_shape_mismatch():
    with pytest.raises(ValueError, match=r"has shape \(3,\) but shape=\(2,\)"):
        Variable(np.zeros(3), shape=(2,))
