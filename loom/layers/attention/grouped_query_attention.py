"""GroupedQueryAttention: attention whose key/value heads are shared by groups of query heads."""

import inspect
import math

import jax
import jax.numpy as jnp
import numpy as np

from loom import constraints, initializers, regularizers
from loom.graph.symbolic_tensor import SymbolicTensor
from loom.layers.attention.masks import ScoresCarryNoMask, causal_mask, sliding_window_mask
from loom.layers.einsum_dense import EinsumDense
from loom.layers.layer import Layer
from loom.layers.regularization import Dropout


def _positive_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0


class GroupedQueryAttention(ScoresCarryNoMask, Layer):
    """Grouped-query attention (Ainslie et al., 2023), with Keras 3's weights and masks.

    Queries get ``num_query_heads`` heads; keys and values get
    ``num_key_value_heads``, each shared by ``num_query_heads //
    num_key_value_heads`` query heads (1 key/value head is multi-query
    attention; as many as query heads is multi-head attention). The
    projections are EinsumDense layers named ``query``, ``key``, (``gate``),
    ``value`` and ``attention_output``, in Keras's order, so
    ``set_weights(keras_layer.get_weights())`` works. Exported as
    ``loom.layers.GroupQueryAttention``, Keras's public name.

    Args:
        head_dim: size of each head.
        num_query_heads: number of query heads.
        num_key_value_heads: number of key/value heads; divides ``num_query_heads``.
        dropout: dropout rate on the attention probabilities, in [0, 1).
        use_bias: whether the projections have biases.
        sliding_window: if set, position ``i`` only attends to ``|i - j| < sliding_window``.
        flash_attention: accepted for Keras compatibility and ignored: XLA
            chooses the attention kernel.
        kernel_initializer, bias_initializer, kernel_regularizer,
            bias_regularizer, activity_regularizer, kernel_constraint,
            bias_constraint: for every projection (the activity regularizer
            applies to each projection's output, as in Keras).
        use_gate: gate the heads by ``sigmoid(gate projection of the query)``
            before the output projection.
        seed: seed of the attention dropout.

    Call arguments:
        query: ``(batch, T, dim)``. value: ``(batch, S, dim)``. key: ``(batch,
            S, dim_k)``, default ``value``.
        query_mask, value_mask, key_mask: boolean ``(batch, T)`` / ``(batch, S)``
            padding masks; in a model they default to the inputs' masks.
        attention_mask: boolean ``(batch, T, S)``, True where attention is allowed.
        return_attention_scores: also return the ``(batch, num_query_heads, T, S)`` probabilities.
        training: apply attention dropout.
        use_causal_mask: forbid attending to later positions.

    Example:
        >>> layer = GroupedQueryAttention(head_dim=8, num_query_heads=4, num_key_value_heads=2)
        >>> layer(np.ones((2, 5, 16)), np.ones((2, 7, 16))).shape
        (2, 5, 16)
    """

    def __init__(
        self,
        head_dim,
        num_query_heads,
        num_key_value_heads,
        dropout=0.0,
        use_bias=True,
        sliding_window=None,
        flash_attention=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        use_gate=False,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (
            ("head_dim", head_dim),
            ("num_query_heads", num_query_heads),
            ("num_key_value_heads", num_key_value_heads),
        ):
            if not _positive_int(value):
                raise ValueError(f"{self.describe()}: `{name}` must be a positive int; received {name}={value!r}.")
        if num_query_heads % num_key_value_heads:
            raise ValueError(
                f"{self.describe()}: `num_query_heads` must be a multiple of `num_key_value_heads` (each key/value "
                f"head serves a group of query heads); received num_query_heads={num_query_heads} and "
                f"num_key_value_heads={num_key_value_heads}."
            )
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"{self.describe()}: `dropout` must be a float in [0, 1); received dropout={dropout!r}.")
        if sliding_window is not None and not _positive_int(sliding_window):
            raise ValueError(
                f"{self.describe()}: `sliding_window` must be None or a positive int; "
                f"received sliding_window={sliding_window!r}."
            )
        self.supports_masking = True
        self.head_dim = int(head_dim)
        self.num_query_heads = int(num_query_heads)
        self.num_key_value_heads = int(num_key_value_heads)
        self.num_repeats = self.num_query_heads // self.num_key_value_heads
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self.use_gate = bool(use_gate)
        self.sliding_window = sliding_window
        self._flash_attention = flash_attention
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._projection_activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(self.head_dim))
        self._build_shapes_dict = None

    # --- building ---------------------------------------------------------------------
    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        for name, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3 or shape[-1] is None:
                raise ValueError(
                    f"{self.describe()} needs `{name}` of shape (batch, steps, features) with known features; "
                    f"received shape {tuple(shape)}."
                )
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(
                f"{self.describe()} needs `query` and `value` with the same last dimension; received query shape "
                f"{tuple(query_shape)} and value shape {tuple(value_shape)}. Project one of them first, e.g. Dense."
            )
        if value_shape[1] is not None and key_shape[1] is not None and value_shape[1] != key_shape[1]:
            raise ValueError(
                f"{self.describe()} needs `key` and `value` of the same length; received value shape "
                f"{tuple(value_shape)} and key shape {tuple(key_shape)}."
            )
        self._build_shapes_dict = {
            "query_shape": tuple(query_shape),
            "value_shape": tuple(value_shape),
            "key_shape": tuple(key_shape),
        }
        self.feature_dim = query_shape[-1]
        query_heads = (None, self.num_query_heads, self.head_dim)
        kv_heads = (None, self.num_key_value_heads, self.head_dim)
        # Einsum letters: b batch, q query step, k key step, m model dim, u query heads, v key/value heads, h head dim.
        self._query_dense = self._projection("query", "bqm,muh->bquh", query_heads, "uh", query_shape)
        self._key_dense = self._projection("key", "bkm,mvh->bkvh", kv_heads, "vh", key_shape)
        if self.use_gate:
            self._gate_dense = self._projection(
                "gate", "bqm,muh->bquh", query_heads, "uh", query_shape, activation="sigmoid"
            )
        self._value_dense = self._projection("value", "bkm,mvh->bkvh", kv_heads, "vh", value_shape)
        self._dropout_layer = Dropout(rate=self.dropout, seed=self.seed, dtype=self.dtype_policy.name)
        self._output_dense = self._projection(
            "attention_output",
            "bquh,uhm->bqm",
            (None, self.feature_dim),
            "m",
            (None, None, self.num_query_heads, self.head_dim),
        )

    def _projection(self, name, equation, output_shape, bias_axes, input_shape, activation=None):
        def clone(initializer):
            # A fresh initializer per projection, so unseeded ones do not repeat values.
            return initializer.clone() if isinstance(initializer, initializers.Initializer) else initializer

        layer = EinsumDense(
            equation,
            output_shape=output_shape,
            bias_axes=bias_axes if self.use_bias else None,
            activation=activation,
            kernel_initializer=clone(self.kernel_initializer),
            bias_initializer=clone(self.bias_initializer),
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            activity_regularizer=self._projection_activity_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint,
            dtype=self.dtype_policy.name,
            name=name,
        )
        layer.build(tuple(input_shape))
        for variable in layer.weights:
            variable.path = f"{self.name}/{name}/{variable.name}"  # Keras's paths, unique per layer
        return layer

    def get_build_config(self) -> dict | None:
        return None if self._build_shapes_dict is None else {"shapes_dict": self._build_shapes_dict}

    def build_from_config(self, config: dict) -> None:
        if config and not self.built:
            if "shapes_dict" in config:
                self.build(**config["shapes_dict"])
            else:
                self.build(config["input_shape"], config["input_shape"])
            self.built = True

    # --- calling ----------------------------------------------------------------------
    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
    ):
        key = value if key is None else key
        attention_mask = self._compute_attention_mask(
            query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
        )
        gate = self._gate_dense(query) if self.use_gate else None
        query = self._query_dense(query)  # (B, T, U, H)
        key = jnp.repeat(self._key_dense(key), self.num_repeats, axis=2)  # (B, S, V, H) -> (B, S, U, H)
        value = jnp.repeat(self._value_dense(value), self.num_repeats, axis=2)
        output, scores = self._compute_attention(query, key, value, attention_mask, training, return_attention_scores)
        if gate is not None:
            output = output * gate
        output = self._output_dense(output)  # (B, T, dim)
        return (output, scores) if return_attention_scores else output

    def _compute_attention_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal):
        """The ``(B, T, S)`` mask combining padding masks, causal/window masks and ``attention_mask``."""
        masks = []
        if query_mask is not None:
            masks.append(jnp.expand_dims(jnp.asarray(query_mask).astype(bool), -1))  # (B, T, 1)
        for mask in (value_mask, key_mask):
            if mask is not None:
                masks.append(jnp.expand_dims(jnp.asarray(mask).astype(bool), -2))  # (B, 1, S)
        if use_causal:
            masks.append(causal_mask(query.shape[1], value.shape[1]))
        if self.sliding_window is not None:
            masks.append(sliding_window_mask(query.shape[1], value.shape[1], self.sliding_window))
        if attention_mask is not None:
            masks.append(jnp.asarray(attention_mask).astype(bool))
        if not masks:
            return None
        combined = masks[0]
        for mask in masks[1:]:
            combined = combined & mask
        return combined

    def _compute_attention(self, query, key, value, attention_mask, training, return_scores):
        """Softmax attention of the projected ``(B, T|S, U, H)`` tensors: ``(output, probabilities)``."""
        query = query * jnp.asarray(self._inverse_sqrt_head_dim, query.dtype)
        scores = jnp.einsum("bquh,bkuh->buqk", query, key)  # (B, U, T, S)
        probabilities = _softmax(scores)
        if attention_mask is not None:
            mask = attention_mask
            while mask.ndim < scores.ndim:
                mask = jnp.expand_dims(mask, -3)  # broadcast over the heads
            large_negative = -3e4 if scores.dtype == jnp.float16 else -1e9
            probabilities = _softmax(jnp.where(mask, scores, jnp.asarray(large_negative, scores.dtype)))
            # Keras runs attention without dropout or returned scores through its fused kernel,
            # where a query row with every key masked averages all values; its other path
            # gives such rows zero weights. loom follows whichever Keras would use.
            if self.dropout > 0 or return_scores:
                probabilities = jnp.where(mask, probabilities, jnp.zeros((), probabilities.dtype))
        dropped = self._dropout_layer(probabilities, training=training) if self.dropout > 0 else probabilities
        output = jnp.einsum("buqk,bkuh->bquh", dropped, value)
        return output, probabilities

    def _replay(self, args, kwargs, node, input_masks):
        """In a model, each of query/value/key passes its tensor's mask as ``*_mask``
        unless that argument was given, as Keras 3 does."""
        masks = {id(t): m for t, m in zip(node.input_tensors, input_masks) if m is not None}
        bound = {}
        if masks:
            bound = inspect.signature(self.call).bind_partial(*node.arguments.args, **node.arguments.kwargs).arguments
            kwargs = dict(kwargs)
            for name in ("query", "value", "key"):
                tensor = bound.get(name)
                if isinstance(tensor, SymbolicTensor) and id(tensor) in masks and bound.get(f"{name}_mask") is None:
                    kwargs[f"{name}_mask"] = masks[id(tensor)]
        outputs = self(*args, **kwargs)
        query_mask = masks.get(id(bound.get("query")))
        return outputs, ([query_mask, None] if isinstance(outputs, tuple) else query_mask)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "sliding_window": self.sliding_window,
            "dropout": self.dropout,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._projection_activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        }


def _softmax(scores):
    # Over the key axis, in float32 at least, as Keras's fused attention computes it.
    dtype = scores.dtype
    return jax.nn.softmax(scores.astype(jnp.promote_types(dtype, jnp.float32)), axis=-1).astype(dtype)


# Keras's public name for the layer.
GroupQueryAttention = GroupedQueryAttention
