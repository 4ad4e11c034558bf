"""Convolution and pooling ops (Keras's ``ops.conv``, ``ops.max_pool``, ...) on ``jax.lax``.

Inputs are ``(batch, *spatial, channels)`` ("channels_last", the default) or
``(batch, channels, *spatial)`` ("channels_first"); kernels follow Keras's layouts:
``(*kernel_size, in_channels / groups, filters)`` for ``conv``,
``(*kernel_size, in_channels, depth_multiplier)`` for ``depthwise_conv`` and
``(*kernel_size, filters, in_channels)`` for ``conv_transpose``. "same" padding
splits an odd total with the extra element after the input, as TensorFlow does.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np

from loom.config.defaults import image_data_format
from loom.ops.core import convert_to_tensor as _t
from loom.ops.operation import symbolic_op

_DATA_FORMATS = ("channels_last", "channels_first")
_PADDINGS = ("valid", "same")


def _standardize_data_format(data_format, caller: str = "ops") -> str:
    """The configured ``image_data_format()`` for None, else the lower-cased value, checked."""
    if data_format is None:
        return image_data_format()
    if not isinstance(data_format, str) or data_format.lower() not in _DATA_FORMATS:
        raise ValueError(
            f"{caller}: `data_format` must be 'channels_last' or 'channels_first'; "
            f"received data_format={data_format!r}."
        )
    return data_format.lower()


def _padding(padding, caller: str) -> str:
    if not isinstance(padding, str) or padding.lower() not in _PADDINGS:
        raise ValueError(f"{caller}: `padding` must be 'valid' or 'same'; received padding={padding!r}.")
    return padding.lower()


def _spatial_tuple(value, rank: int, name: str, caller: str, minimum: int = 1) -> tuple:
    """``value`` (an int or a sequence of ``rank`` ints) as a tuple of ``rank`` ints >= ``minimum``."""
    values = (value,) * rank if isinstance(value, (int, np.integer)) else value
    if (
        not isinstance(values, (list, tuple))
        or len(values) != rank
        or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values)
    ):
        raise ValueError(
            f"{caller}: `{name}` must be an int or {rank} ints (one per spatial axis); received {name}={value!r}."
        )
    if any(v < minimum for v in values):
        raise ValueError(f"{caller}: every entry of `{name}` must be >= {minimum}; received {name}={value!r}.")
    return tuple(int(v) for v in values)


def _rank(inputs, caller: str) -> int:
    if inputs.ndim < 3:
        raise ValueError(
            f"{caller}: `inputs` must have rank >= 3 (batch, spatial axes, channels); "
            f"received shape {tuple(inputs.shape)}."
        )
    return inputs.ndim - 2


def _dimension_numbers(rank: int, data_format: str, transpose: bool = False) -> jax.lax.ConvDimensionNumbers:
    spatial = tuple(range(1, rank + 1)) if data_format == "channels_last" else tuple(range(2, rank + 2))
    io_spec = (0, rank + 1) + spatial if data_format == "channels_last" else (0, 1) + spatial
    # Kernel spec is (out-feature axis, in-feature axis, spatial axes); a transposed
    # kernel stores filters before input channels.
    kernel_spec = (rank, rank + 1) if transpose else (rank + 1, rank)
    return jax.lax.ConvDimensionNumbers(lhs_spec=io_spec, rhs_spec=kernel_spec + tuple(range(rank)), out_spec=io_spec)


def _channels(inputs, data_format: str) -> int:
    return inputs.shape[-1] if data_format == "channels_last" else inputs.shape[1]


def _common_dtype(inputs, kernel):
    dtype = jnp.promote_types(inputs.dtype, kernel.dtype)
    if not jnp.issubdtype(dtype, jnp.floating):
        dtype = jnp.float32
    return inputs.astype(dtype), kernel.astype(dtype)


def _check_kernel_rank(inputs, kernel, rank: int, caller: str, name: str = "kernel") -> None:
    if kernel.ndim != rank + 2:
        raise ValueError(
            f"{caller}: `{name}` must have rank {rank + 2} (kernel size per spatial axis, then two channel axes) "
            f"for inputs of rank {rank + 2}; received {name}.shape={tuple(kernel.shape)}, "
            f"inputs.shape={tuple(inputs.shape)}."
        )


@symbolic_op
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution (cross-correlation, as in Keras) of ``inputs`` with ``kernel``.

    Args:
        inputs: ``(batch, *spatial, channels)``, or channels first.
        kernel: ``(*kernel_size, channels // groups, filters)``; the number of
            groups is ``channels // kernel.shape[-2]``.
        strides: int or one int per spatial axis.
        padding: "valid" (no padding) or "same" (output size ``ceil(size / stride)``).
        data_format: "channels_last" or "channels_first"; None (default) uses ``loom.config.image_data_format()``.
        dilation_rate: int or one int per spatial axis (atrous convolution).

    Returns:
        ``(batch, *output_spatial, filters)``, or channels first.
    """
    inputs, kernel = _t(inputs), _t(kernel)
    data_format = _standardize_data_format(data_format, "ops.conv")
    rank = _rank(inputs, "ops.conv")
    _check_kernel_rank(inputs, kernel, rank, "ops.conv")
    channels, kernel_channels = _channels(inputs, data_format), kernel.shape[-2]
    if channels % kernel_channels:
        raise ValueError(
            f"ops.conv: the input's {channels} channels must be a multiple of the kernel's input channels "
            f"(kernel.shape[-2]={kernel_channels}); received inputs.shape={tuple(inputs.shape)}, "
            f"kernel.shape={tuple(kernel.shape)}."
        )
    inputs, kernel = _common_dtype(inputs, kernel)
    return jax.lax.conv_general_dilated(
        inputs,
        kernel,
        window_strides=_spatial_tuple(strides, rank, "strides", "ops.conv"),
        padding=_padding(padding, "ops.conv").upper(),
        rhs_dilation=_spatial_tuple(dilation_rate, rank, "dilation_rate", "ops.conv"),
        dimension_numbers=_dimension_numbers(rank, data_format),
        feature_group_count=channels // kernel_channels,
    )


@symbolic_op
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Depthwise convolution: each input channel convolved with its own ``depth_multiplier`` filters.

    Args:
        inputs: ``(batch, *spatial, channels)``, or channels first.
        kernel: ``(*kernel_size, channels, depth_multiplier)``.
        strides, padding, data_format, dilation_rate: as in ``conv``.

    Returns:
        ``(batch, *output_spatial, channels * depth_multiplier)``; output channel
        ``c * depth_multiplier + m`` is input channel ``c`` through filter ``m``.
    """
    inputs, kernel = _t(inputs), _t(kernel)
    data_format = _standardize_data_format(data_format, "ops.depthwise_conv")
    rank = _rank(inputs, "ops.depthwise_conv")
    _check_kernel_rank(inputs, kernel, rank, "ops.depthwise_conv")
    channels = _channels(inputs, data_format)
    if kernel.shape[-2] != channels:
        raise ValueError(
            f"ops.depthwise_conv: kernel.shape[-2] must equal the input's {channels} channels; received "
            f"kernel.shape={tuple(kernel.shape)}, inputs.shape={tuple(inputs.shape)}."
        )
    inputs, kernel = _common_dtype(inputs, kernel)
    # One group per input channel: (*k, channels, mult) -> (*k, 1, channels * mult).
    kernel = jnp.reshape(kernel, kernel.shape[:-2] + (1, channels * kernel.shape[-1]))
    return jax.lax.conv_general_dilated(
        inputs,
        kernel,
        window_strides=_spatial_tuple(strides, rank, "strides", "ops.depthwise_conv"),
        padding=_padding(padding, "ops.depthwise_conv").upper(),
        rhs_dilation=_spatial_tuple(dilation_rate, rank, "dilation_rate", "ops.depthwise_conv"),
        dimension_numbers=_dimension_numbers(rank, data_format),
        feature_group_count=channels,
    )


@symbolic_op
def separable_conv(
    inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None, dilation_rate=1
):
    """Depthwise convolution followed by a pointwise (1x1) convolution that mixes channels.

    Args:
        inputs: ``(batch, *spatial, channels)``, or channels first.
        depthwise_kernel: ``(*kernel_size, channels, depth_multiplier)``.
        pointwise_kernel: ``(1, ..., 1, channels * depth_multiplier, filters)``.
        strides, padding, data_format, dilation_rate: of the depthwise step, as in ``conv``.

    Returns:
        ``(batch, *output_spatial, filters)``, or channels first.
    """
    depthwise = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(depthwise, pointwise_kernel, strides=1, padding="valid", data_format=data_format)


def _conv_transpose_padding(kernel_size: int, stride: int, dilation_rate: int, padding: str, output_padding):
    """(before, after) padding of the stride-dilated input that gives Keras's output length.

    Output length: "valid" -> ``(n - 1) * s + max(k, s)`` (``+ output_padding``
    instead of the ``max``); "same" -> ``n * s`` (or ``(n - 1) * s + k % 2 +
    output_padding``), with ``k`` the dilated kernel size.
    """
    kernel_size = (kernel_size - 1) * dilation_rate + 1
    if padding == "valid":
        if output_padding is None:
            output_padding = max(kernel_size, stride) - kernel_size
        return kernel_size - 1, kernel_size - 1 + output_padding
    if output_padding is None:
        total = stride + kernel_size - 2
    else:
        total = kernel_size + kernel_size % 2 - 2 + output_padding
    before = min(total // 2 + total % 2, kernel_size - 1)
    return before, total - before


@symbolic_op
def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None, dilation_rate=1):
    """Transposed convolution (the gradient of ``conv``; "deconvolution").

    Args:
        inputs: ``(batch, *spatial, channels)``, or channels first.
        kernel: ``(*kernel_size, filters, channels)``.
        strides: int or one int per spatial axis; the upsampling factor.
        padding: "valid" or "same" (output size ``size * stride``).
        output_padding: None, an int or one int per axis: extra rows/columns
            added after the output; each must be less than its stride.
        data_format, dilation_rate: as in ``conv``.

    Returns:
        ``(batch, *output_spatial, filters)``, or channels first.
    """
    inputs, kernel = _t(inputs), _t(kernel)
    caller = "ops.conv_transpose"
    data_format = _standardize_data_format(data_format, caller)
    rank = _rank(inputs, caller)
    _check_kernel_rank(inputs, kernel, rank, caller)
    channels = _channels(inputs, data_format)
    if kernel.shape[-1] != channels:
        raise ValueError(
            f"{caller}: kernel.shape[-1] must equal the input's {channels} channels (transposed kernels are "
            f"(*kernel_size, filters, channels)); received kernel.shape={tuple(kernel.shape)}, "
            f"inputs.shape={tuple(inputs.shape)}."
        )
    padding = _padding(padding, caller)
    strides = _spatial_tuple(strides, rank, "strides", caller)
    dilation_rate = _spatial_tuple(dilation_rate, rank, "dilation_rate", caller)
    if output_padding is not None:
        output_padding = _spatial_tuple(output_padding, rank, "output_padding", caller, minimum=0)
        if any(p >= s for p, s in zip(output_padding, strides)):
            raise ValueError(
                f"{caller}: each entry of `output_padding` must be less than its stride; received "
                f"output_padding={output_padding}, strides={strides}."
            )
    pads = [
        _conv_transpose_padding(k, s, d, padding, None if output_padding is None else p)
        for k, s, d, p in zip(kernel.shape[:rank], strides, dilation_rate, output_padding or (0,) * rank)
    ]
    inputs, kernel = _common_dtype(inputs, kernel)
    # A transposed convolution is a convolution of the stride-dilated input with the
    # spatially flipped kernel (what jax.lax.conv_transpose does with transpose_kernel=True).
    kernel = jnp.flip(kernel, axis=tuple(range(rank)))
    return jax.lax.conv_general_dilated(
        inputs,
        kernel,
        window_strides=(1,) * rank,
        padding=pads,
        lhs_dilation=strides,
        rhs_dilation=dilation_rate,
        dimension_numbers=_dimension_numbers(rank, data_format, transpose=True),
    )


def _window(inputs, pool_size, strides, data_format: str, caller: str):
    """Full-rank window and stride tuples (1 on the batch and channel axes)."""
    rank = _rank(inputs, caller)
    pool_size = _spatial_tuple(pool_size, rank, "pool_size", caller)
    strides = pool_size if strides is None else _spatial_tuple(strides, rank, "strides", caller)
    if data_format == "channels_last":
        return (1, *pool_size, 1), (1, *strides, 1)
    return (1, 1, *pool_size), (1, 1, *strides)


@symbolic_op
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Maximum over sliding windows of the spatial axes.

    Args:
        inputs: ``(batch, *spatial, channels)``, or channels first.
        pool_size: int or one int per spatial axis.
        strides: int, one int per axis, or None for ``pool_size``.
        padding: "valid" or "same" (padded values never win the maximum).
        data_format: "channels_last" or "channels_first"; None (default) uses ``loom.config.image_data_format()``.
    """
    inputs = _t(inputs)
    data_format = _standardize_data_format(data_format, "ops.max_pool")
    window, strides = _window(inputs, pool_size, strides, data_format, "ops.max_pool")
    padding = _padding(padding, "ops.max_pool").upper()
    # NumPy scalars (concrete even under jit) let JAX pick its differentiable max/sum reducers.
    if jnp.issubdtype(inputs.dtype, jnp.floating):
        initial = np.array(-np.inf, inputs.dtype)
    else:
        initial = np.array(jnp.iinfo(inputs.dtype).min, inputs.dtype)
    return jax.lax.reduce_window(inputs, initial, jax.lax.max, window, strides, padding)


@symbolic_op
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Mean over sliding windows of the spatial axes.

    With "same" padding each mean is taken over the window's real values only
    (padded positions are not counted), as in Keras.

    Args:
        inputs, pool_size, strides, padding, data_format: as in ``max_pool``.
    """
    inputs = _t(inputs)
    data_format = _standardize_data_format(data_format, "ops.average_pool")
    window, strides = _window(inputs, pool_size, strides, data_format, "ops.average_pool")
    padding = _padding(padding, "ops.average_pool").upper()
    if not jnp.issubdtype(inputs.dtype, jnp.floating):
        inputs = inputs.astype(jnp.float32)
    zero = np.array(0, inputs.dtype)
    sums = jax.lax.reduce_window(inputs, zero, jax.lax.add, window, strides, padding)
    if padding == "VALID":
        return sums / math.prod(window)
    # Count the real values in each window: pool a tensor of ones shaped like the
    # input on the pooled axes (size 1 elsewhere, so the count broadcasts).
    ones_shape = tuple(size if w > 1 else 1 for size, w in zip(inputs.shape, window))
    counts = jax.lax.reduce_window(jnp.ones(ones_shape, inputs.dtype), zero, jax.lax.add, window, strides, padding)
    return sums / counts
