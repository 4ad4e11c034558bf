"""Runs the same optimizer steps in Keras and loom, for parity tests of single optimizers."""

import jax.numpy as jnp
import numpy as np

SHAPES = {"kernel": (3, 4), "bias": (4,)}


def initial_values(shapes=SHAPES) -> dict:
    rng = np.random.default_rng(0)
    # Away from zero, so relative tolerances mean something.
    return {
        name: (rng.uniform(0.5, 1.5, shape) * rng.choice([-1, 1], shape)).astype("float32")
        for name, shape in shapes.items()
    }


def gradient_steps(steps=4, scale=3.0, shapes=SHAPES) -> list:
    rng = np.random.default_rng(1)
    return [[(rng.normal(size=shape) * scale).astype("float32") for shape in shapes.values()] for _ in range(steps)]


def run(module, make_optimizer, steps=None, shapes=SHAPES):
    """``(weights, [(path, value) of each optimizer variable])`` after applying ``steps``.

    ``make_optimizer(module)`` builds the optimizer from ``module``'s classes (keras or loom).
    """
    variables = [module.Variable(value, name=name) for name, value in initial_values(shapes).items()]
    optimizer = make_optimizer(module)
    for grads in steps or gradient_steps(shapes=shapes):
        optimizer.apply([None if g is None else jnp.asarray(g) for g in grads], variables)
    return [np.asarray(v.value) for v in variables], [(v.path, np.asarray(v.value)) for v in optimizer.variables]


def assert_same_steps(keras, loom, make_optimizer, rtol=1e-6, atol=1e-7, same_paths=True, **run_kwargs):
    """Keras and loom end with the same weights and optimizer variables (and, if asked, the same paths)."""
    keras_weights, keras_slots = run(keras, make_optimizer, **run_kwargs)
    loom_weights, loom_slots = run(loom, make_optimizer, **run_kwargs)
    for expected, actual in zip(keras_weights, loom_weights):
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)
    assert len(loom_slots) == len(keras_slots)
    if same_paths:
        assert [path for path, _ in loom_slots] == [path for path, _ in keras_slots]
    for (path, actual), (_, expected) in zip(loom_slots, keras_slots):
        assert actual.shape == expected.shape and actual.dtype == expected.dtype, path
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6, err_msg=path)
    return loom_weights


def assert_same_config(keras, loom, class_name, **kwargs):
    """Default (or given) constructor arguments give equal configs in Keras and loom."""
    keras_config = getattr(keras.optimizers, class_name)(name="opt", **kwargs).get_config()
    loom_optimizer = getattr(loom.optimizers, class_name)(name="opt", **kwargs)
    assert loom_optimizer.get_config() == keras_config
    restored = loom.optimizers.deserialize(loom.optimizers.serialize(loom_optimizer))
    assert type(restored) is type(loom_optimizer) and restored.get_config() == keras_config
