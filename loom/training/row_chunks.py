"""Row chunks: array data cut into compiled calls of a fixed number of batches.

predict and evaluate hand the device chunks of ``steps * batch_size`` rows, the last
one padded with zero rows, so every call of a model has the same shapes: a new
data length compiles nothing new. Chunks hold at most ``CHUNK_BYTES`` of input and
the first call's step count is kept for every later call (see predictor.py).
"""

import jax
import numpy as np

CHUNK_BYTES = 64 * 2**20
MAX_CHUNK_STEPS = 1024


def _power_of_two_at_most(value: int) -> int:
    return 1 << (max(1, value).bit_length() - 1)


def _power_of_two_at_least(value: int) -> int:
    return 1 << max(0, value - 1).bit_length()


def steps_per_chunk(x, steps: int, batch_size: int) -> int:
    """Batches per compiled call for ``steps`` batches of ``x``: all of them, rounded up to
    a power of two, within the byte and step caps."""
    row_bytes = sum(int(np.prod(np.shape(a)[1:], dtype=np.int64)) * np.dtype(a.dtype).itemsize
                    for a in jax.tree_util.tree_leaves(x))
    cap = min(MAX_CHUNK_STEPS, CHUNK_BYTES // max(1, row_bytes * batch_size))
    return min(_power_of_two_at_least(steps), _power_of_two_at_most(cap))


def signature(x) -> tuple:
    """The structure, row shapes and dtypes of ``x``: what a chunk's program depends on besides its size."""
    leaves, structure = jax.tree_util.tree_flatten(x)
    return structure, tuple((np.shape(a)[1:], np.dtype(a.dtype).str) for a in leaves)


def chunk_steps_for(model, kind: str, x, steps: int, batch_size: int) -> int:
    """The chunk size of ``model``'s ``kind`` ("predict", "evaluate") calls on data like ``x``:
    chosen by the first call, kept by every later one, so a new length reuses its program
    (a shorter call pads, a longer one makes more calls)."""
    sizes = model.__dict__.setdefault("_chunk_steps", {})
    key = (kind, batch_size, signature(x))
    if key not in sizes:
        sizes[key] = steps_per_chunk(x, steps, batch_size)
    return sizes[key]


def host_arrays(x):
    """``x`` with device arrays brought to the host once, so chunks are NumPy slices
    (slicing a device array compiles a program per slice)."""
    return jax.tree_util.tree_map(np.asarray, x)


def chunk_rows(x, start: int, rows: int):
    """Rows ``start .. start+rows`` of every array in ``x``, zero-padded to ``rows``."""

    def cut(array):
        piece = array[start : start + rows]
        missing = rows - piece.shape[0]
        if missing:
            piece = np.concatenate([piece, np.zeros((missing,) + piece.shape[1:], piece.dtype)])
        return piece

    return jax.tree_util.tree_map(cut, x)
