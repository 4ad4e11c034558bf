"""Fixtures for the application tests.

Real Keras draws each initial weight with a random function that JAX compiles afresh for every
kernel shape (about 0.2 s each here: half a minute for one EfficientNet). These tests compare
structure and copy weights across, so Keras's initial values matter only as random numbers:
NumPy draws of the same shape, dtype and scale stand in for them.
"""

import jax
import keras
import numpy as np
import pytest
from keras.src.backend.jax import random as keras_jax_random

_rng = np.random.default_rng(0)


def _normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    values = _rng.normal(mean, stddev, size=tuple(shape))
    return jax.numpy.asarray(values, dtype=dtype or keras.config.floatx())


def _uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    values = _rng.uniform(minval, maxval, size=tuple(shape))
    return jax.numpy.asarray(values, dtype=dtype or keras.config.floatx())


@pytest.fixture(autouse=True)
def fast_keras_initializers(monkeypatch):
    monkeypatch.setattr(keras_jax_random, "normal", _normal)
    monkeypatch.setattr(keras_jax_random, "truncated_normal", _normal)
    monkeypatch.setattr(keras_jax_random, "uniform", _uniform)
    yield
    keras.backend.clear_session()
