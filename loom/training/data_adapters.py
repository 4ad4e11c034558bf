"""Data adapters: user data (arrays, lists, dicts) checked and shaped for a model."""

import jax
import numpy as np

from loom.graph.symbolic_tensor import SymbolicTensor


def _as_array(value, what: str):
    if isinstance(value, SymbolicTensor):
        raise TypeError(
            f"{what} received a symbolic tensor ({value!r}); pass NumPy or JAX arrays with data. "
            "Symbolic tensors only describe a model's graph."
        )
    if isinstance(value, jax.Array):
        return value
    array = np.asarray(value)
    if array.dtype == object:
        raise TypeError(f"{what} received data that is not a numeric array: {type(value).__name__}.")
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    return array


def _is_nested_numbers(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_is_nested_numbers(v) for v in value)
    return isinstance(value, (int, float, bool, np.number))


def convert_inputs(model, x, what: str = "predict"):
    """``x`` with every leaf converted to an array (a list of plain numbers is one array)."""
    if x is None:
        raise ValueError(f"{what} needs input data `x`; received None.")
    if isinstance(x, dict):
        return {k: _as_array(v, what) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        if _is_nested_numbers(x) and len(getattr(model, "_fed_inputs", [None])) == 1:
            return _as_array(x, what)
        return [_as_array(v, what) for v in x]
    return _as_array(x, what)


def validate_inputs(model, x, what: str = "predict") -> int:
    """Check ``x`` against the model's inputs; returns the number of samples.

    Raises:
        ValueError: wrong number of arrays, unknown or missing dict keys, shapes
            that do not fit the model's inputs, or differing sample counts.
    """
    feed = getattr(model, "_feed", None)
    if feed is not None and getattr(model, "_inputs", None) is not None:
        feed(x, check_batch_dim=False)  # raises on wrong count, unknown keys, bad shapes
    return check_sample_counts(x, what, getattr(model, "_fed_input_names", None))


def check_sample_counts(structure, what: str, names=None) -> int:
    """The shared number of samples (rows) of the arrays in ``structure``."""
    leaves = list(structure.items()) if isinstance(structure, dict) else None
    if leaves is None:
        flat = jax.tree_util.tree_leaves(structure)
        labels = names if names and len(names) == len(flat) else [f"array {i}" for i in range(len(flat))]
        leaves = list(zip(labels, flat))
    counts = {}
    for label, array in leaves:
        if np.ndim(array) == 0:
            raise ValueError(f"{what}: input '{label}' is a scalar; every input needs one row per sample.")
        counts[label] = int(np.shape(array)[0])
    if not counts:
        raise ValueError(f"{what} received no arrays.")
    if len(set(counts.values())) > 1:
        detail = ", ".join(f"'{k}' has {v}" for k, v in counts.items())
        raise ValueError(
            f"{what} received input arrays with different numbers of samples: {detail}. "
            "All arrays must have the same first dimension (one row per sample)."
        )
    count = next(iter(counts.values()))
    if count == 0:
        raise ValueError(f"{what} received empty arrays (0 samples).")
    return count


def slice_rows(structure, start: int, stop: int):
    return jax.tree_util.tree_map(lambda a: a[start:stop], structure)


def fixed_batch_size(model) -> int | None:
    """The batch size baked into the model's inputs (Input(batch_shape=(32, ...))), if any."""
    sizes = {t.shape[0] for t in getattr(model, "_fed_inputs", []) if t.shape and t.shape[0] is not None}
    if len(sizes) > 1:
        raise ValueError(f"Model '{model.name}' has inputs with different fixed batch sizes {sorted(sizes)}.")
    return next(iter(sizes), None)
