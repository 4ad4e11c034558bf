"""Helpers shared by the saving tests: round trips and bitwise comparisons."""

import jax
import numpy as np

import loom


def assert_bitwise_equal(actual, expected) -> None:
    """Same structure, shapes, dtypes and bits (NaNs included)."""
    actual_leaves, actual_tree = jax.tree_util.tree_flatten(actual)
    expected_leaves, expected_tree = jax.tree_util.tree_flatten(expected)
    assert actual_tree == expected_tree
    for a, e in zip(actual_leaves, expected_leaves):
        a, e = np.asarray(a), np.asarray(e)
        assert a.shape == e.shape and a.dtype == e.dtype
        assert a.tobytes() == e.tobytes(), f"values differ: max |diff| {np.max(np.abs(a.astype(float) - e.astype(float)))}"


def round_trip(model, path, **load_kwargs):
    """Save ``model`` to ``path`` and load it back."""
    model.save(path)
    return loom.models.load_model(path, **load_kwargs)


def assert_same_weights(model, other) -> None:
    assert [v.path for v in model.weights] == [v.path for v in other.weights]
    assert_bitwise_equal(model.get_weights(), other.get_weights())
