"""Adaptive pooling: max or mean over bins that split each spatial axis into a fixed number of outputs.

Output ``i`` of an axis of length ``L`` pools input positions
``floor(i L / n) .. ceil((i + 1) L / n) - 1`` (``n`` outputs), as PyTorch and
Keras do; neighbouring bins overlap when ``n`` does not divide ``L``.
"""

import jax.numpy as jnp
import numpy as np

from loom.config.defaults import standardize_data_format
from loom.ops.core import convert_to_tensor
from loom.ops.operation import symbolic_op


def _bins(length: int, outputs: int):
    """(outputs, widest bin) gather indices and a mask of which of them are inside each bin."""
    starts = np.floor(np.arange(outputs) * length / outputs).astype(int)
    ends = np.ceil(np.arange(1, outputs + 1) * length / outputs).astype(int)
    width = int((ends - starts).max())
    offsets = np.arange(width)
    inside = starts[:, None] + offsets[None, :] < ends[:, None]
    indices = np.minimum(starts[:, None] + offsets[None, :], length - 1)
    return indices, inside


def _pool_axis(x, axis: int, outputs: int, mode: str):
    indices, inside = _bins(x.shape[axis], outputs)
    windows = jnp.moveaxis(jnp.take(x, jnp.asarray(indices), axis=axis), (axis, axis + 1), (0, 1))
    inside = jnp.asarray(inside).reshape(inside.shape + (1,) * (windows.ndim - 2))
    if mode == "max":
        lowest = jnp.asarray(-jnp.inf if jnp.issubdtype(x.dtype, jnp.floating) else jnp.iinfo(x.dtype).min, x.dtype)
        pooled = jnp.max(jnp.where(inside, windows, lowest), axis=1)
    else:
        pooled = jnp.sum(jnp.where(inside, windows, 0), axis=1) / jnp.sum(inside, axis=1).astype(x.dtype)
    return jnp.moveaxis(pooled, 0, axis)


def _adaptive_pool(inputs, output_size, data_format, mode: str):
    name = f"ops.adaptive_{mode}_pool"
    inputs = convert_to_tensor(inputs)
    data_format = standardize_data_format(data_format, name)
    rank = inputs.ndim - 2
    if rank not in (1, 2, 3):
        raise ValueError(
            f"{name} needs a batch of 1-D, 2-D or 3-D inputs, rank 3 to 5 (batch, *spatial, channels); "
            f"received shape {tuple(inputs.shape)}."
        )
    sizes = (output_size,) * rank if isinstance(output_size, (int, np.integer)) else tuple(output_size)
    if len(sizes) != rank or not all(isinstance(s, (int, np.integer)) and s >= 1 for s in sizes):
        raise ValueError(
            f"{name}: `output_size` must be a positive int or {rank} positive ints for inputs with {rank} spatial "
            f"axes; received output_size={output_size!r}."
        )
    first = 1 if data_format == "channels_last" else 2
    if mode == "average" and not jnp.issubdtype(inputs.dtype, jnp.floating):
        inputs = inputs.astype(jnp.result_type(inputs.dtype, jnp.float32))
    for offset, size in enumerate(sizes):
        inputs = _pool_axis(inputs, first + offset, int(size), mode)
    return inputs


@symbolic_op
def adaptive_average_pool(inputs, output_size, data_format=None):
    """Means over ``output_size`` bins per spatial axis of a batch of 1-D, 2-D or 3-D inputs.

    Args:
        inputs: ``(batch, *spatial, channels)`` or, channels first, ``(batch, channels, *spatial)``.
        output_size: an int or one int per spatial axis.
        data_format: "channels_last" or "channels_first"; None uses ``loom.config.image_data_format()``.
    """
    return _adaptive_pool(inputs, output_size, data_format, "average")


@symbolic_op
def adaptive_max_pool(inputs, output_size, data_format=None):
    """Maxima over ``output_size`` bins per spatial axis of a batch of 1-D, 2-D or 3-D inputs; see
    ``adaptive_average_pool``."""
    return _adaptive_pool(inputs, output_size, data_format, "max")
