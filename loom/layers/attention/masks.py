"""Attention masks: causal and sliding-window masks, and which outputs carry the query's mask."""

import jax
import jax.numpy as jnp


def causal_mask(query_length, value_length):
    """``(1, T, S)`` boolean mask, True where query position ``i`` may see value position ``j <= i``."""
    shape = (1, query_length, value_length)
    return jax.lax.broadcasted_iota(jnp.int32, shape, 1) >= jax.lax.broadcasted_iota(jnp.int32, shape, 2)


def sliding_window_mask(query_length, value_length, window: int):
    """``(1, T, S)`` boolean mask, True where ``|i - j| < window``."""
    shape = (1, query_length, value_length)
    rows = jax.lax.broadcasted_iota(jnp.int32, shape, 1)
    cols = jax.lax.broadcasted_iota(jnp.int32, shape, 2)
    return jnp.abs(rows - cols) < window


class ScoresCarryNoMask:
    """Mixin for layers that may return ``(output, scores)``: only the output carries
    the query's mask (the scores have another shape), as in Keras."""

    def _attach_output_masks(self, first, mask, outputs):
        super()._attach_output_masks(first, mask, outputs[0] if isinstance(outputs, tuple) else outputs)

    def _replay(self, args, kwargs, node, input_masks):
        outputs, output_mask = super()._replay(args, kwargs, node, input_masks)
        if isinstance(outputs, tuple):
            output_mask = [output_mask] + [None] * (len(outputs) - 1)
        return outputs, output_mask
