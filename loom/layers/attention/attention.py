"""Attention: dot-product (Luong-style) attention of a query over a value sequence."""

import jax
import jax.numpy as jnp
import numpy as np

from loom import random
from loom.layers.attention.masks import ScoresCarryNoMask, causal_mask
from loom.layers.layer import Layer
from loom.state.seed_generator import SeedGenerator

_SCORE_MODES = ("dot", "concat")


def _is_shape(value) -> bool:
    return isinstance(value, tuple) and all(d is None or isinstance(d, (int, np.integer)) for d in value)


class Attention(ScoresCarryNoMask, Layer):
    """Dot-product attention: ``softmax(query @ key^T) @ value``.

    Args:
        use_scale: learn a scalar ``scale`` multiplying the scores.
        score_mode: "dot" (``query @ key^T``) or "concat"
            (``concat_score_weight * sum(tanh(query + key))``).
        dropout: dropout rate on the attention probabilities, in [0, 1).
        seed: seed of that dropout.

    Call arguments:
        inputs: ``[query, value]`` or ``[query, value, key]``; query
            ``(batch, Tq, dim)``, value ``(batch, Tv, dim_v)``, key ``(batch, Tv, dim)``
            (default ``value``).
        mask: ``[query_mask, value_mask]`` boolean masks ``(batch, Tq)`` /
            ``(batch, Tv)``; masked values get no attention and masked query
            positions output zeros.
        return_attention_scores: also return the ``(batch, Tq, Tv)`` probabilities.
        training: apply dropout.
        use_causal_mask: forbid position ``i`` from attending to ``j > i``.

    Output shape: ``(batch, Tq, dim_v)``.
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in _SCORE_MODES:
            raise ValueError(
                f"{self.describe()}: `score_mode` must be 'dot' or 'concat'; received score_mode={score_mode!r}."
            )
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"{self.describe()}: `dropout` must be a float in [0, 1); received dropout={dropout!r}.")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        if self.dropout > 0:
            self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True

    def _validate_inputs(self, inputs, mask=None) -> None:
        if not isinstance(inputs, (list, tuple)) or _is_shape(inputs) and inputs:
            raise ValueError(
                f"{self.describe()} must be called on a list of inputs, [query, value] or [query, value, key]; "
                f"received a single input."
            )
        if not 2 <= len(inputs) <= 3:
            raise ValueError(
                f"{self.describe()} must be called on [query, value] or [query, value, key]; "
                f"received a list of {len(inputs)} inputs."
            )
        if mask is not None and (not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3):
            raise ValueError(
                f"{self.describe()}: `mask` must be a list [query_mask, value_mask]; received mask={mask!r}."
            )

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(), initializer="ones")

    def _calculate_scores(self, query, key):
        """``(batch, Tq, Tv)`` scores of each query step against each key step."""
        if self.score_mode == "dot":
            scores = jnp.matmul(query, jnp.swapaxes(key, -2, -1))
            return scores if self.scale is None else scores * self.scale.value
        pairs = jnp.expand_dims(query, -2) + jnp.expand_dims(key, -3)  # (B, Tq, Tv, dim)
        if self.scale is not None:
            pairs = self.scale.value * pairs
        return self.concat_score_weight.value * jnp.sum(jnp.tanh(pairs), axis=-1)

    def _apply_scores(self, scores, value, scores_mask, training):
        if scores_mask is not None:
            if scores_mask.ndim == 2:
                scores_mask = jnp.expand_dims(scores_mask, -2)  # (B, 1, Tv)
            # As Keras: subtract a large number rather than use -inf, so a fully masked row gives no NaN.
            large = 65504.0 if scores.dtype == jnp.float16 else 1.0e9
            scores = jnp.where(scores_mask, scores, scores - large)
        weights = jax.nn.softmax(scores, axis=-1)
        dropped = weights
        if training and self.dropout > 0:
            dropped = random.dropout(weights, self.dropout, seed=self.seed_generator)
        return jnp.matmul(dropped, value), weights

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = mask[0] if mask else None
        value_mask = mask[1] if mask else None
        if value_mask is not None:
            value_mask = jnp.asarray(value_mask).astype(bool)
        scores = self._calculate_scores(query, key)
        scores_mask = value_mask
        if use_causal_mask:
            causal = causal_mask(scores.shape[-2], scores.shape[-1])  # (1, Tq, Tv)
            scores_mask = causal if value_mask is None else jnp.expand_dims(value_mask, -2) & causal
        output, weights = self._apply_scores(scores, value, scores_mask, training)
        if query_mask is not None:
            output = jnp.where(jnp.expand_dims(jnp.asarray(query_mask).astype(bool), -1), output, 0)
        return (output, weights) if return_attention_scores else output

    def compute_mask(self, inputs, previous_mask=None):
        if not previous_mask or previous_mask[0] is None:
            return None
        return jnp.asarray(previous_mask[0])

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }

