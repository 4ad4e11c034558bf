"""AdditiveAttention: Bahdanau-style attention scored by ``sum(scale * tanh(query + key))``."""

import jax.numpy as jnp

from loom.layers.attention.attention import Attention


class AdditiveAttention(Attention):
    """Additive attention: scores ``sum(scale * tanh(query + key), axis=-1)``.

    Args:
        use_scale: learn a ``scale`` vector of the query's last dimension
            (initialized glorot-uniform); otherwise the scale is 1.
        dropout: dropout rate on the attention probabilities, in [0, 1).
        seed: seed of that dropout.

    Call arguments, masks and shapes: as ``Attention``.
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.concat_score_weight = None
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(input_shape[0][-1],), initializer="glorot_uniform")

    def _calculate_scores(self, query, key):
        pairs = jnp.tanh(jnp.expand_dims(query, -2) + jnp.expand_dims(key, -3))  # (B, Tq, Tv, dim)
        if self.scale is not None:
            pairs = self.scale.value * pairs
        return jnp.sum(pairs, axis=-1)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["score_mode"]
        return config
