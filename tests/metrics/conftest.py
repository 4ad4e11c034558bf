"""Shared checks for the metric tests: Keras parity, and the stateless forms under jit and lax loops."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest


@pytest.fixture(scope="session")
def keras():
    """Keras 3 on the JAX backend (tests/conftest.py sets KERAS_BACKEND before this import)."""
    import keras as keras_module

    return keras_module


def _assert_close(actual, expected, atol) -> None:
    """Equal within ``atol`` of the largest value compared (and at least ``atol``).

    Float32 sums carry an error relative to their magnitude, and counts such as
    TN = (sum of negative weights) - FP keep the error of the larger total, so
    the tolerance scales with the values' size rather than each element's.
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=atol, atol=atol * scale)


def _update(metric, batch) -> None:
    args, kwargs = batch
    metric.update_state(*args, **kwargs)


@pytest.fixture
def check_parity():
    """``check(loom_metric, keras_metric, batches, atol)``: same results after accumulating, and after reset."""

    def check(loom_metric, keras_metric, batches, atol=1e-6):
        for batch in batches:
            _update(loom_metric, batch)
            _update(keras_metric, batch)
        expected = np.asarray(keras_metric.result())
        _assert_close(loom_metric.result(), expected, atol)
        loom_metric.reset_state()
        keras_metric.reset_state()
        _assert_close(loom_metric.result(), keras_metric.result(), atol)
        # The same state after a reset: nothing of the earlier batches remains.
        _update(loom_metric, batches[-1])
        _update(keras_metric, batches[-1])
        _assert_close(loom_metric.result(), keras_metric.result(), atol)
        return expected

    return check


@pytest.fixture
def check_stateless():
    """``check(metric, batches, atol)``: a jitted lax.fori_loop over the stateless forms equals eager updates.

    This is how the engine uses a metric: reset, update and result all traced
    inside one compiled chunk of steps, with the state carried by the loop.
    """

    def check(metric, batches, atol=1e-6):
        metric.reset_state()
        for batch in batches:
            _update(metric, batch)
        eager = np.asarray(metric.result())
        eager_state = [np.asarray(v.value) for v in metric.variables]

        stacked_args = jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *[args for args, _ in batches])
        stacked_kwargs = jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *[kwargs for _, kwargs in batches])

        @jax.jit
        def run(stacked_args, stacked_kwargs):
            def body(i, state):
                args = jax.tree_util.tree_map(lambda x: x[i], stacked_args)
                kwargs = jax.tree_util.tree_map(lambda x: x[i], stacked_kwargs)
                return metric.stateless_update_state(state, *args, **kwargs)

            state = jax.lax.fori_loop(0, len(batches), body, metric.stateless_reset_state())
            return metric.stateless_result(state)

        _assert_close(run(stacked_args, stacked_kwargs), eager, atol)
        # Tracing the stateless forms left the metric's own variables alone.
        for variable, value in zip(metric.variables, eager_state):
            np.testing.assert_array_equal(np.asarray(variable.value), value)
        return eager

    return check
