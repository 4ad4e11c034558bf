"""split_dataset: the samples of a dataset in two parts (e.g. train / test), optionally shuffled first."""

import numbers
import random

import jax
import numpy as np

from loom.utils.batched_dataset import BatchedDataset, take_rows
from loom.utils.py_dataset import PyDataset

_ACCEPTED = "a NumPy or JAX array, a list/tuple/dict of arrays of equal length, or a PyDataset"


def _size_kind(value, name):
    """``int``, ``float`` or None for a split size; other kinds raise TypeError as in Keras."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, numbers.Real)):
        raise TypeError(f"Invalid `{name}` Type. Expected: int or float or None, Received: type({name})={type(value)}.")
    return int if isinstance(value, numbers.Integral) else float


def rescale_split_sizes(left_size, right_size, total_length: int) -> tuple[int, int]:
    """``(left, right)`` sample counts from fractions or counts (either may be None: the complement).

    The same results and errors as Keras 3's ``_rescale_dataset_split_sizes``.
    """
    left_kind, right_kind = _size_kind(left_size, "left_size"), _size_kind(right_size, "right_size")
    if left_size is None and right_size is None:
        raise ValueError(
            "At least one of the `left_size` or `right_size` must be specified. Received: left_size=None and "
            "right_size=None"
        )
    if left_size == 0 and right_size == 0:
        raise ValueError(
            "Both `left_size` and `right_size` are zero. At least one of the split sizes must be non-zero."
        )
    for name, size, kind in (("left_size", left_size, left_kind), ("right_size", right_size, right_kind)):
        if (kind is int and not 0 < size < total_length) or (kind is float and not 0 < size < 1):
            raise ValueError(
                f"`{name}` should be either a positive integer smaller than {total_length}, or a float within "
                f"the range `[0, 1]`. Received: {name}={size}"
            )
    if left_kind is float and right_kind is float and left_size + right_size > 1:
        raise ValueError(
            "The sum of `left_size` and `right_size` is greater than 1. It must be less than or equal to 1."
        )
    left, right = (
        None if size is None else (round(size * total_length) if kind is float else int(size))
        for size, kind in ((left_size, left_kind), (right_size, right_kind))
    )
    left = total_length - right if left is None else left
    right = total_length - left if right is None else right
    if left + right > total_length:
        raise ValueError(
            f"The sum of `left_size` and `right_size` should be smaller than the {total_length}. Received: "
            f"left_size + right_size = {left + right} and total_length = {total_length}"
        )
    for split, side in ((left, "left"), (right, "right")):
        if split == 0:
            raise ValueError(
                f"With `dataset` of length={total_length}, `left_size`={left} and `right_size`={right}. Resulting "
                f"{side} side dataset split will be empty. Adjust any of the aforementioned parameters"
            )
    return int(left), int(right)


def _as_array(value, where: str):
    array = value if isinstance(value, (np.ndarray, jax.Array)) else np.asarray(value)
    if array.ndim == 0 or array.dtype == object:
        raise ValueError(
            f"split_dataset expects {_ACCEPTED}; {where} is {type(value).__name__} of shape {array.shape}, not an "
            "array of samples."
        )
    return array


def _samples_of(dataset):
    """``(structure of arrays, batch size of the result or None)`` for any accepted dataset."""
    if isinstance(dataset, BatchedDataset):
        return dataset.samples(), dataset.batch_size
    if isinstance(dataset, PyDataset):
        batches = list(dataset)
        if not batches:
            raise ValueError("Received an empty dataset: the PyDataset produced no batches.")
        batch_size = len(jax.tree_util.tree_leaves(batches[0])[0])
        return jax.tree_util.tree_map(lambda *parts: np.concatenate(parts), *batches), batch_size
    if isinstance(dataset, (np.ndarray, jax.Array)):
        return _as_array(dataset, "the dataset"), None
    if isinstance(dataset, dict) and dataset:
        return {key: _as_array(value, f"entry {key!r}") for key, value in dataset.items()}, None
    if isinstance(dataset, (list, tuple)) and dataset:
        # As Keras: a list's samples are tuples.
        return tuple(_as_array(value, f"element {i}") for i, value in enumerate(dataset)), None
    raise TypeError(f"split_dataset expects {_ACCEPTED}; received {type(dataset).__name__}: {dataset!r:.80}.")


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None, preferred_backend=None):
    """Splits a dataset into a left part and a right part (e.g. train / test).

    Args:
        dataset: a NumPy or JAX array (rows are samples), a list/tuple (or dict) of
            arrays with the same number of rows, or a ``PyDataset``.
        left_size: a float in (0, 1), the left part's fraction, or an int, its number of
            samples; None is the complement of ``right_size``.
        right_size: the same for the right part; None is the complement of ``left_size``.
        shuffle: shuffle the samples before splitting.
        seed: the shuffle's seed (the same permutation as Keras's for the same seed).
        preferred_backend: Keras's choice between tf.data and torch datasets; loom
            returns its own ``BatchedDataset`` (None or ``"jax"``).

    Returns:
        Two ``BatchedDataset``s of samples (``(x, y)`` tuples for a tuple of arrays):
        unbatched for arrays, as Keras's ``tf.data`` results, so ``.batch(32)`` them
        for ``fit``; batched like the input for a ``PyDataset``.

    Example:

    >>> import numpy as np
    >>> left, right = split_dataset((np.arange(10), np.arange(10) * 2), left_size=0.8)
    >>> len(left), len(right), right[0]
    (8, 2, (np.int64(8), np.int64(16)))
    """
    if preferred_backend not in (None, "jax"):
        raise ValueError(
            f"split_dataset: preferred_backend={preferred_backend!r} asks for a tf.data or torch dataset; loom "
            "returns its own BatchedDataset. Leave preferred_backend=None."
        )
    if left_size is None and right_size is None:
        raise ValueError(
            "At least one of the `left_size` or `right_size` must be specified. Received: left_size=None and "
            "right_size=None"
        )
    structure, batch_size = _samples_of(dataset)
    counts = {len(leaf) for leaf in jax.tree_util.tree_leaves(structure)}
    if len(counts) != 1:
        raise ValueError(
            f"split_dataset: the arrays have different numbers of samples ({sorted(counts)}); every array must "
            "have one row per sample."
        )
    total = counts.pop()
    if total == 0:
        raise ValueError("Received an empty dataset. Argument `dataset` must hold at least one sample.")
    left_count, right_count = rescale_split_sizes(left_size, right_size, total)
    order = list(range(total))
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))
        # Keras seeds the global `random` and shuffles the list of samples: the same permutation,
        # drawn here without touching the global state.
        random.Random(seed).shuffle(order)
    parts = []
    for indices in (np.asarray(order[:left_count]), np.asarray(order[total - right_count :])):
        part = jax.tree_util.tree_map(lambda array: array[indices], structure)
        parts.append(BatchedDataset(take_rows(part), len(indices), batch_size=batch_size))
    return parts[0], parts[1]
