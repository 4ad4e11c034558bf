"""``rearrange``: einops-style reshapes and transposes written as a pattern, e.g. ``"b (h w) c -> b h w c"``."""

import math
import re

import jax.numpy as jnp

from loom.ops.core import convert_to_tensor
from loom.ops.operation import symbolic_op

_TOKEN = re.compile(r"\(([^()]*)\)|(\w+)|(\S)")


def _parse_side(side: str, pattern: str) -> list:
    """``"b (h w) c"`` -> ``[["b"], ["h", "w"], ["c"]]``: one group of axis names per tensor axis."""
    groups = []
    for group, name, other in _TOKEN.findall(side):
        if other:
            raise ValueError(
                f"ops.rearrange: unexpected {other!r} in pattern {pattern!r}; use axis names, groups in "
                "parentheses and one '->', e.g. 'b (h w) c -> b h w c'."
            )
        groups.append(group.split() if group or not name else [name])
    return groups


def _axis_sizes(groups, shape, axes_lengths, pattern) -> dict:
    if len(groups) != len(shape):
        raise ValueError(
            f"ops.rearrange: the left side of {pattern!r} names {len(groups)} axes but the tensor has "
            f"{len(shape)} (shape {tuple(shape)})."
        )
    sizes = {}
    for group, dim in zip(groups, shape):
        unknown = [a for a in group if a not in axes_lengths]
        if len(unknown) > 1:
            raise ValueError(
                f"ops.rearrange: cannot split an axis of size {dim} into {group} with {unknown} unknown; "
                f"give all but one of their sizes, e.g. rearrange(x, {pattern!r}, {unknown[0]}=...)."
            )
        known = math.prod(axes_lengths[a] for a in group if a in axes_lengths)
        if unknown:
            if dim % known:
                raise ValueError(
                    f"ops.rearrange: an axis of size {dim} cannot be split into {group} ({known} does not divide it)."
                )
            sizes[unknown[0]] = dim // known
        elif known != dim:
            raise ValueError(f"ops.rearrange: axes {group} have sizes multiplying to {known}, not the axis size {dim}.")
        sizes.update({a: axes_lengths[a] for a in group if a in axes_lengths})
    return sizes


@symbolic_op
def rearrange(tensor, pattern, **axes_lengths):
    """``tensor`` reshaped and transposed as ``pattern`` says, as ``einops.rearrange``.

    Args:
        tensor: the input.
        pattern: ``"<input axes> -> <output axes>"``; a group ``(h w)`` is one
            axis made of several (split on the left, merged on the right).
        **axes_lengths: sizes of axes that a split cannot infer, e.g. ``h=4``.

    Example:
        >>> rearrange(jnp.zeros((2, 6, 5)), "b (h w) c -> b c h w", h=2).shape
        (2, 5, 2, 3)
    """
    tensor = convert_to_tensor(tensor)
    if not isinstance(pattern, str) or pattern.count("->") != 1:
        raise ValueError(f"ops.rearrange: `pattern` must read '<input axes> -> <output axes>'; received {pattern!r}.")
    left, right = (_parse_side(side, pattern) for side in pattern.split("->"))
    inputs = [a for g in left for a in g]
    outputs = [a for g in right for a in g]
    if sorted(inputs) != sorted(outputs) or len(set(inputs)) != len(inputs):
        raise ValueError(
            f"ops.rearrange: both sides of {pattern!r} must name the same axes, each once; "
            f"received {inputs} -> {outputs}."
        )
    sizes = _axis_sizes(left, tensor.shape, dict(axes_lengths), pattern)
    tensor = jnp.reshape(tensor, [sizes[a] for a in inputs])
    tensor = jnp.transpose(tensor, [inputs.index(a) for a in outputs])
    return jnp.reshape(tensor, [math.prod(sizes[a] for a in g) for g in right])
