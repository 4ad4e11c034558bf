"""ReversibleEmbedding: an Embedding that can also project vectors back to vocabulary logits."""

import jax.numpy as jnp
import numpy as np

from loom.layers.embedding import Embedding
from loom.ops.core import convert_to_tensor
from loom.utils import dtypes


class ReversibleEmbedding(Embedding):
    """An ``Embedding`` that also maps ``(..., output_dim)`` vectors to ``(..., input_dim)`` logits.

    ``call(ids)`` looks ids up as ``Embedding`` does; ``call(vectors, reverse=True)``
    projects back to the vocabulary.

    The reverse projection multiplies by the transposed embedding table (tied
    weights, as in language models since Press & Wolf, 2016), or by a separate
    ``reverse_embeddings`` table of shape ``(output_dim, input_dim)`` when
    ``tie_weights=False``. There is no bias.

    Args:
        input_dim, output_dim: vocabulary size and vector size, as ``Embedding``.
        tie_weights: whether the reverse projection reuses the embedding table.
        embeddings_initializer, embeddings_regularizer, embeddings_constraint,
            mask_zero: as ``Embedding`` (the initializer also fills the
            untied ``reverse_embeddings``).
        reverse_dtype: dtype of the reverse projection's computation (default
            the layer's compute dtype), e.g. "float32" under mixed precision.
        logit_soft_cap: if set, reverse logits become
            ``tanh(logits / logit_soft_cap) * logit_soft_cap``.

    Call arguments:
        inputs: ids ``(batch, ...)``, or vectors ``(batch, ..., output_dim)`` with ``reverse=True``.
        reverse: project back to the vocabulary instead of looking ids up.

    Example:
        >>> embedding = ReversibleEmbedding(100, 32)
        >>> hidden = embedding(np.zeros((2, 5), "int32"))  # (2, 5, 32)
        >>> embedding(hidden, reverse=True).shape
        (2, 5, 100)
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        tie_weights: bool = True,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero: bool = False,
        reverse_dtype=None,
        logit_soft_cap=None,
        **kwargs,
    ):
        super().__init__(
            input_dim,
            output_dim,
            embeddings_initializer=embeddings_initializer,
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            mask_zero=mask_zero,
            **kwargs,
        )
        if logit_soft_cap is not None and (
            isinstance(logit_soft_cap, bool)
            or not isinstance(logit_soft_cap, (int, float, np.number))
            or not logit_soft_cap > 0
        ):
            raise ValueError(
                f"{self.describe()}: `logit_soft_cap` must be a positive number or None; "
                f"received logit_soft_cap={logit_soft_cap!r}."
            )
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = None if reverse_dtype is None else dtypes.standardize_dtype(reverse_dtype)
        self.logit_soft_cap = logit_soft_cap
        self._reverse_call = False

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                name="reverse_embeddings",
                shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer,
            )

    def __call__(self, *args, **kwargs):
        # compute_mask has no `reverse` argument; remember which way this call goes,
        # as only the lookup produces a mask (logits carry none, as in Keras).
        self._reverse_call = bool(kwargs["reverse"] if "reverse" in kwargs else len(args) > 1 and args[1])
        return super().__call__(*args, **kwargs)

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        if self.tie_weights:
            kernel = jnp.transpose(convert_to_tensor(self.embeddings))
        else:
            kernel = convert_to_tensor(self.reverse_embeddings)
        dtype = self.reverse_dtype or self.compute_dtype
        if inputs.shape[-1] != self.output_dim:
            raise ValueError(
                f"{self.describe()} called with reverse=True needs vectors of size output_dim={self.output_dim} "
                f"on the last axis; received shape {tuple(inputs.shape)}."
            )
        logits = jnp.matmul(inputs.astype(dtype), kernel.astype(dtype))
        if self.logit_soft_cap is not None:
            cap = jnp.asarray(self.logit_soft_cap, logits.dtype)
            logits = jnp.tanh(logits / cap) * cap
        return logits

    def compute_mask(self, inputs, mask=None):
        return None if self._reverse_call else super().compute_mask(inputs, mask)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("input_length")  # Embedding keeps it for tf.keras 2 programs; Keras 3's ReversibleEmbedding has none
        return {
            **config,
            "tie_weights": self.tie_weights,
            "reverse_dtype": self.reverse_dtype,
            "logit_soft_cap": self.logit_soft_cap,
        }

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        config.pop("quantization_config", None)  # Keras writes it; loom does not quantize
        return cls(**config)
