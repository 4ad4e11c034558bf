"""Categorical encoding in NumPy: integer ids as one-hot, multi-hot, count or TF-IDF vectors.

The host layers' counterpart of ``CategoryEncoding``, with Keras's shape rules
(``encode_categorical_inputs``): a scalar is one sample; ``one_hot`` drops a trailing
axis of size 1 and adds a ``depth`` axis; ``multi_hot``/``count``/``tf_idf`` reduce
the last axis of a rank-2 input (the whole input when it has rank 1).
"""

import numpy as np

ENCODED_MODES = ("one_hot", "multi_hot", "count", "tf_idf")


def encoded_shape(input_shape, output_mode: str, depth: int) -> tuple:
    """The output shape of ``encode`` for an input shape (None for unknown dims)."""
    input_shape = tuple(input_shape)
    if not input_shape:
        return (depth,)
    if output_mode == "one_hot":
        if input_shape[-1] == 1 and len(input_shape) > 1:
            input_shape = input_shape[:-1]
        return input_shape + (depth,)
    return input_shape[:-1] + (depth,)


def encode(ids, output_mode: str, depth: int, dtype="float32", count_weights=None, idf_weights=None) -> np.ndarray:
    """``ids`` (ints in ``[0, depth)``) encoded as ``output_mode`` says; ids outside give zeros."""
    ids = np.asarray(ids)
    if ids.ndim == 0:
        ids = ids[None]
    if output_mode == "one_hot":
        if ids.ndim > 1 and ids.shape[-1] == 1:
            ids = ids[..., 0]
        return (ids[..., None] == np.arange(depth)).astype(dtype)
    if ids.ndim > 2:
        raise ValueError(
            f"output_mode='{output_mode}' encodes ids of rank at most 2, (batch, ids); received shape {ids.shape}."
        )
    rows = ids[None] if ids.ndim == 1 else ids
    valid = (rows >= 0) & (rows < depth)
    weights = (
        np.ones(rows.shape)
        if count_weights is None
        else np.broadcast_to(
            np.asarray(count_weights, np.float64).reshape(ids.shape if ids.ndim == 2 else (1,) + ids.shape), rows.shape
        )
    )
    counts = np.zeros((rows.shape[0], depth))
    row_index = np.broadcast_to(np.arange(rows.shape[0])[:, None], rows.shape)
    np.add.at(counts, (row_index[valid], rows[valid]), weights[valid])
    if output_mode == "multi_hot":
        counts = (counts > 0).astype(np.float64)
    elif output_mode == "tf_idf":
        counts = counts * np.asarray(idf_weights, np.float64)
    if ids.ndim == 1:
        counts = counts[0]
    if count_weights is not None and output_mode == "count":
        dtype = np.asarray(count_weights).dtype
    return counts.astype(dtype)
