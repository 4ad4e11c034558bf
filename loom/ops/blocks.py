"""Moving blocks of values between spatial and channel axes: depth_to_space, space_to_depth, unfold, fold."""

import jax
import jax.numpy as jnp
import numpy as np

from loom.config.defaults import standardize_data_format
from loom.ops.core import convert_to_tensor
from loom.ops.operation import symbolic_op


def _check_block(x, block_size, data_format, op: str):
    x = convert_to_tensor(x)
    if x.ndim != 4:
        raise ValueError(
            f"ops.{op} needs a batch of images, rank 4 (batch, height, width, channels) or channels first; "
            f"received shape {tuple(x.shape)}."
        )
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) or block_size < 2:
        raise ValueError(f"ops.{op}: `block_size` must be an int >= 2; received block_size={block_size!r}.")
    data_format = standardize_data_format(data_format, f"ops.{op}")
    return (x if data_format == "channels_last" else jnp.transpose(x, (0, 2, 3, 1))), data_format


def _restore(x, data_format):
    return x if data_format == "channels_last" else jnp.transpose(x, (0, 3, 1, 2))


@symbolic_op
def depth_to_space(x, block_size, data_format="channels_last"):
    """Channels moved into ``block_size x block_size`` spatial blocks (pixel shuffle).

    ``(batch, height, width, channels)`` becomes ``(batch, height * block_size,
    width * block_size, channels / block_size**2)``. Channels last reads the
    channels as (row, column, channel) of the block, as ``tf.nn.depth_to_space``;
    channels first as (channel, row, column), as ``torch.nn.PixelShuffle`` (both as Keras).

    Args:
        x: a batch of images, rank 4.
        block_size: an int >= 2 whose square divides the channels.
        data_format: "channels_last" (default) or "channels_first".
    """
    x, data_format = _check_block(x, block_size, data_format, "depth_to_space")
    n, h, w, c = x.shape
    if c % block_size**2:
        raise ValueError(
            f"ops.depth_to_space: the channels ({c}) must be divisible by block_size**2 ({block_size**2}); "
            f"received shape {tuple(x.shape)} (channels last) and block_size={block_size}."
        )
    b, c_out = block_size, c // block_size**2
    if data_format == "channels_last":
        x = x.reshape(n, h, w, b, b, c_out).transpose(0, 1, 3, 2, 4, 5)  # (N, H, bh, W, bw, C')
    else:
        x = x.reshape(n, h, w, c_out, b, b).transpose(0, 1, 4, 2, 5, 3)
    return _restore(x.reshape(n, h * b, w * b, c_out), data_format)


@symbolic_op
def space_to_depth(x, block_size, data_format="channels_last"):
    """``block_size x block_size`` spatial blocks moved into channels; the inverse of ``depth_to_space``.

    Args:
        x: a batch of images, rank 4, with height and width divisible by ``block_size``.
        block_size: an int >= 2.
        data_format: "channels_last" (default) or "channels_first".
    """
    x, data_format = _check_block(x, block_size, data_format, "space_to_depth")
    n, h, w, c = x.shape
    if h % block_size or w % block_size:
        raise ValueError(
            f"ops.space_to_depth: height and width must be divisible by block_size={block_size}; received "
            f"height {h} and width {w}."
        )
    b = block_size
    x = x.reshape(n, h // b, b, w // b, b, c)
    # Channels last orders the new channels (row, column, channel), channels first (channel, row, column).
    order = (0, 1, 3, 2, 4, 5) if data_format == "channels_last" else (0, 1, 3, 5, 2, 4)
    return _restore(x.transpose(order).reshape(n, h // b, w // b, c * b * b), data_format)


def _pair(value, name: str, op: str, minimum: int) -> tuple:
    values = (value, value) if isinstance(value, (int, np.integer)) else value
    if (
        not isinstance(values, (tuple, list))
        or len(values) != 2
        or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum for v in values)
    ):
        raise ValueError(f"ops.{op}: `{name}` must be an int >= {minimum} or two such ints; received {name}={value!r}.")
    return int(values[0]), int(values[1])


@symbolic_op
def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks of a channels-first batch ``(N, C, H, W)`` as columns: ``(N, C * kh * kw, blocks)``.

    As ``torch.nn.functional.unfold``: each column is one block's values in
    (channel, row, column) order, blocks in row-major order.

    Args:
        x: ``(batch, channels, height, width)``.
        kernel_size, dilation, stride: an int or two ints.
        padding: zeros added on each side, an int or two ints.
    """
    x = convert_to_tensor(x)
    if x.ndim != 4:
        raise ValueError(
            f"ops.unfold needs a channels-first batch (batch, channels, height, width); received shape {tuple(x.shape)}."
        )
    kernel = _pair(kernel_size, "kernel_size", "unfold", 1)
    dilation = _pair(dilation, "dilation", "unfold", 1)
    padding = _pair(padding, "padding", "unfold", 0)
    stride = _pair(stride, "stride", "unfold", 1)
    patches = jax.lax.conv_general_dilated_patches(
        x, kernel, stride, [(p, p) for p in padding], rhs_dilation=dilation, dimension_numbers=("NCHW", "OIHW", "NCHW")
    )  # (N, C * kh * kw, out_h, out_w)
    return patches.reshape(patches.shape[0], patches.shape[1], -1)


@symbolic_op
def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Columns of sliding blocks summed back into a channels-first image; the adjoint of ``unfold``.

    Overlapping blocks add up, as ``torch.nn.functional.fold``.

    Args:
        x: ``(batch, channels * kh * kw, blocks)``.
        output_size: the image's ``(height, width)`` (an int for square).
        kernel_size, dilation, stride: an int or two ints, as given to ``unfold``.
        padding: as given to ``unfold``; padded positions are dropped.
    """
    x = convert_to_tensor(x)
    if x.ndim != 3:
        raise ValueError(
            f"ops.fold needs columns of shape (batch, channels * kernel_height * kernel_width, blocks); "
            f"received shape {tuple(x.shape)}."
        )
    out_h, out_w = _pair(output_size, "output_size", "fold", 1)
    kernel = _pair(kernel_size, "kernel_size", "fold", 1)
    dilation = _pair(dilation, "dilation", "fold", 1)
    padding = _pair(padding, "padding", "fold", 0)
    stride = _pair(stride, "stride", "fold", 1)
    padded = (out_h + 2 * padding[0], out_w + 2 * padding[1])
    blocks = [(padded[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(2)]
    n, columns, count = x.shape
    if columns % (kernel[0] * kernel[1]) or count != blocks[0] * blocks[1]:
        raise ValueError(
            f"ops.fold: for output_size={(out_h, out_w)}, kernel_size={kernel}, the input must have a multiple of "
            f"{kernel[0] * kernel[1]} rows and {blocks[0] * blocks[1]} blocks; received shape {tuple(x.shape)}."
        )
    # fold is the transpose (adjoint) of unfold, a linear map: differentiate unfold at zero.
    channels = columns // (kernel[0] * kernel[1])
    zeros = jnp.zeros((n, channels, out_h, out_w), x.dtype)
    _, adjoint = jax.vjp(lambda image: unfold(image, kernel, dilation, padding, stride), zeros)
    return adjoint(x)[0]
