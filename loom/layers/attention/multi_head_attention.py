"""MultiHeadAttention: scaled dot-product attention over several learned projections (Keras layout)."""

import inspect
import math
import string

import jax
import jax.numpy as jnp
import numpy as np

from loom import activations, constraints, initializers, regularizers
from loom.graph.symbolic_tensor import SymbolicTensor
from loom.layers.attention.masks import ScoresCarryNoMask, causal_mask, sliding_window_mask
from loom.layers.layer import Layer
from loom.layers.regularization import Dropout
from loom.ops.core import convert_to_tensor


def _is_positive_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0


class _Projection(Layer):
    """Keras's EinsumDense as MultiHeadAttention uses it: contracts the last ``bound_dims``
    axes of its input with a kernel of shape ``input_shape[-bound_dims:] + output_dims``."""

    def __init__(self, bound_dims, output_dims, use_bias, activation=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.bound_dims = bound_dims
        self.output_dims = tuple(output_dims)
        self.use_bias = use_bias
        self.activation = activations.get(activation)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel", shape=tuple(input_shape[-self.bound_dims :]) + self.output_dims,
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=self.output_dims, initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )

    def call(self, inputs):
        outputs = jnp.tensordot(inputs, convert_to_tensor(self.kernel), axes=self.bound_dims)
        if self.bias is not None:
            outputs = outputs + convert_to_tensor(self.bias)
        return outputs if self.activation is None else self.activation(outputs)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "bound_dims": self.bound_dims,
            "output_dims": self.output_dims,
            "use_bias": self.use_bias,
            "activation": activations.serialize(self.activation),
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


def _attention_equations(rank: int, attention_axes: tuple) -> tuple[str, str, int]:
    """Keras's einsum equations for projected tensors of ``rank`` (heads on axis ``rank - 2``).

    Returns ``(scores equation (key, query -> scores), combine equation (scores,
    value -> output), rank of the scores)``; the scores are laid out as
    (batch axes..., heads, query attention axes..., key attention axes...).
    """
    letters = string.ascii_lowercase
    target = letters[:rank]
    batch_axes = [i for i in range(rank) if i not in attention_axes and i != rank - 1]
    source, offset = "", rank
    for i in range(rank):
        if i in batch_axes or i == rank - 1:
            source += target[i]
        else:
            source += letters[offset]
            offset += 1
    product = "".join([target[i] for i in batch_axes] + [target[i] for i in attention_axes]
                      + [source[i] for i in attention_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


class MultiHeadAttention(ScoresCarryNoMask, Layer):
    """Multi-head attention as in "Attention Is All You Need", with Keras 3's weights.

    Query, key and value are projected to ``num_heads`` heads (kernels of shape
    ``(dim, num_heads, key_dim)`` named ``query``, ``key``, ``value``); each head
    attends with scaled dot products; the heads are merged by the
    ``attention_output`` kernel of shape ``(num_heads, value_dim, dim)``. Weights
    come in Keras's order, so ``set_weights(keras_layer.get_weights())`` works.

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value (default ``key_dim``).
        dropout: dropout rate on the attention probabilities, in [0, 1).
        use_bias: whether the projections have biases.
        output_shape: last dims of the output (int or tuple); default the
            query's last dim.
        attention_axes: axes of the inputs attention runs over (default every
            axis between batch and features).
        sliding_window: if set, position ``i`` only attends to ``|i - j| < sliding_window``.
        flash_attention: accepted for Keras compatibility and ignored: XLA
            chooses the attention kernel.
        kernel_initializer, bias_initializer, kernel_regularizer,
            bias_regularizer, activity_regularizer, kernel_constraint,
            bias_constraint: for every projection (the activity regularizer
            applies to each projection's output, as in Keras).
        use_gate: gate the attention output by ``sigmoid(query projection)``
            before the output projection (adds a ``gate`` kernel).
        seed: seed of the attention dropout.

    Call arguments:
        query: ``(batch, T, dim)``. value: ``(batch, S, dim_v)``. key:
            ``(batch, S, dim_k)``, default ``value``.
        query_mask, value_mask, key_mask: boolean ``(batch, T)`` / ``(batch, S)``
            padding masks; in a model they default to the inputs' masks
            (e.g. from ``Embedding(mask_zero=True)``).
        attention_mask: boolean ``(batch, T, S)``, True where attention is allowed.
        return_attention_scores: also return the ``(batch, heads, T, S)`` probabilities.
        training: apply attention dropout.
        use_causal_mask: forbid attending to later positions.

    Example:
        >>> layer = MultiHeadAttention(num_heads=2, key_dim=8)
        >>> layer(np.ones((4, 5, 16)), np.ones((4, 7, 16))).shape
        (4, 5, 16)
    """

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        dropout=0.0,
        use_bias=True,
        output_shape=None,
        attention_axes=None,
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
        for name, value in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not _is_positive_int(value):
                raise ValueError(f"{self.describe()}: `{name}` must be a positive int; received {name}={value!r}.")
        if value_dim is not None and not _is_positive_int(value_dim):
            raise ValueError(
                f"{self.describe()}: `value_dim` must be a positive int or None; received value_dim={value_dim!r}."
            )
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"{self.describe()}: `dropout` must be a float in [0, 1); received dropout={dropout!r}.")
        if sliding_window is not None and not _is_positive_int(sliding_window):
            raise ValueError(
                f"{self.describe()}: `sliding_window` must be None or a positive int; "
                f"received sliding_window={sliding_window!r}."
            )
        self.supports_masking = True
        self._num_heads = int(num_heads)
        self._key_dim = int(key_dim)
        self._value_dim = int(value_dim) if value_dim else self._key_dim
        self._dropout = float(dropout)
        self._use_bias = bool(use_bias)
        self._use_gate = bool(use_gate)
        self._output_shape = self._check_output_shape(output_shape)
        self._attention_axes = self._check_attention_axes(attention_axes)
        self._sliding_window = sliding_window
        self._flash_attention = flash_attention
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._projection_activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))
        self._build_shapes_dict = None

    def _check_output_shape(self, output_shape):
        if not output_shape:
            return None
        shape = (output_shape,) if _is_positive_int(output_shape) else output_shape
        if not isinstance(shape, (list, tuple)) or not all(_is_positive_int(d) for d in shape):
            raise ValueError(
                f"{self.describe()}: `output_shape` must be a positive int or a tuple of them; "
                f"received output_shape={output_shape!r}."
            )
        return tuple(int(d) for d in shape)

    def _check_attention_axes(self, attention_axes):
        if attention_axes is None:
            return None
        axes = (attention_axes,) if isinstance(attention_axes, (int, np.integer)) else attention_axes
        if not isinstance(axes, (list, tuple)) or not axes or not all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes
        ):
            raise ValueError(
                f"{self.describe()}: `attention_axes` must be an int or a list/tuple of ints; "
                f"received attention_axes={attention_axes!r}."
            )
        return tuple(int(a) for a in axes)

    # --- Keras's read-only properties ----------------------------------------------
    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)

    # --- building ---------------------------------------------------------------------
    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError(
                f"{self.describe()} needs `value` and `key` to agree on every dimension but the last; "
                f"received value shape {tuple(value_shape)} and key shape {tuple(key_shape)}."
            )
        for name, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) < 3 or shape[-1] is None:
                raise ValueError(
                    f"{self.describe()} needs `{name}` of rank >= 3, e.g. (batch, steps, features), with a known "
                    f"last dimension; received shape {tuple(shape)}."
                )
        self._build_shapes_dict = {
            "query_shape": tuple(query_shape), "value_shape": tuple(value_shape), "key_shape": tuple(key_shape)
        }
        heads_and_keys = (self._num_heads, self._key_dim)
        self._query_dense = self._projection("query", 1, heads_and_keys, query_shape)
        self._key_dense = self._projection("key", 1, heads_and_keys, key_shape)
        if self._use_gate:
            self._gate_dense = self._projection(
                "gate", 1, (self._num_heads, self._value_dim), query_shape, activation="sigmoid"
            )
        self._value_dense = self._projection("value", 1, (self._num_heads, self._value_dim), value_shape)
        self._build_attention(len(query_shape) + 1)
        output_dims = self._output_shape or (query_shape[-1],)
        heads_shape = tuple(query_shape[:-1]) + (self._num_heads, self._value_dim)
        self._output_dense = self._projection("attention_output", 2, output_dims, heads_shape)

    def _projection(self, name, bound_dims, output_dims, input_shape, activation=None):
        def clone(initializer):
            return initializer.clone() if isinstance(initializer, initializers.Initializer) else initializer

        layer = _Projection(
            bound_dims, output_dims, self._use_bias, activation=activation,
            kernel_initializer=clone(self._kernel_initializer), bias_initializer=clone(self._bias_initializer),
            kernel_regularizer=self._kernel_regularizer, bias_regularizer=self._bias_regularizer,
            kernel_constraint=self._kernel_constraint, bias_constraint=self._bias_constraint,
            activity_regularizer=self._projection_activity_regularizer, dtype=self.dtype_policy.name, name=name,
        )
        layer.build(tuple(input_shape))
        for variable in layer.weights:
            variable.path = f"{self.name}/{name}/{variable.name}"  # Keras's paths, unique per layer
        return layer

    def _build_attention(self, rank: int) -> None:
        """Einsum equations and the softmax axes for projected tensors of ``rank``."""
        if self._attention_axes is None:
            axes = tuple(range(1, rank - 2))
        else:
            axes = tuple(a if a >= 0 else (rank - 1) + a for a in self._attention_axes)
            if any(not 1 <= a < rank - 2 for a in axes):
                raise ValueError(
                    f"{self.describe()}: attention_axes={self._attention_axes} must name axes of the query "
                    f"between the batch axis and the features axis (1 to {rank - 3} for rank-{rank - 1} inputs)."
                )
        self._normalized_attention_axes = axes
        self._dot_product_equation, self._combine_equation, scores_rank = _attention_equations(rank, axes)
        self._softmax_axes = tuple(range(scores_rank - len(axes), scores_rank))
        self._dropout_layer = Dropout(rate=self._dropout, seed=self.seed, dtype=self.dtype_policy.name)

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
    def _as_input(self, x):
        x = convert_to_tensor(x)
        return x.astype(self.compute_dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x

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
        query, value = self._as_input(query), self._as_input(value)
        key = value if key is None else self._as_input(key)
        # As Keras: a causal mask alone is applied inside the attention kernel.
        causal_only = use_causal_mask and self._sliding_window is None and all(
            m is None for m in (query_mask, value_mask, key_mask, attention_mask)
        )
        if not causal_only:
            attention_mask = self._compute_attention_mask(
                query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
            )
        gate = self._gate_dense(query) if self._use_gate else None
        query = self._query_dense(query)  # (B, T, N, key_dim)
        key = self._key_dense(key)  # (B, S, N, key_dim)
        value = self._value_dense(value)  # (B, S, N, value_dim)
        output, scores = self._compute_attention(
            query, key, value, attention_mask, training, return_attention_scores, causal_only
        )
        if gate is not None:
            output = output * gate
        output = self._output_dense(output)
        return (output, scores) if return_attention_scores else output

    def _compute_attention_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask):
        """The ``(B, T, S)`` mask combining the padding masks, causal/window masks and ``attention_mask``."""
        auto_mask = None

        def combine(mask, new):
            return new if mask is None else mask & new

        if query_mask is not None:
            auto_mask = jnp.expand_dims(jnp.asarray(query_mask).astype(bool), -1)  # (B, T, 1)
        for mask in (value_mask, key_mask):
            if mask is not None:
                auto_mask = combine(auto_mask, jnp.expand_dims(jnp.asarray(mask).astype(bool), -2))  # (B, 1, S)
        if use_causal_mask:
            auto_mask = combine(auto_mask, causal_mask(query.shape[1], value.shape[1]))
        if self._sliding_window is not None:
            auto_mask = combine(auto_mask, sliding_window_mask(query.shape[1], value.shape[1], self._sliding_window))
        if attention_mask is not None:
            attention_mask = jnp.asarray(attention_mask).astype(bool)
        if auto_mask is not None:
            attention_mask = auto_mask if attention_mask is None else attention_mask & auto_mask
        return attention_mask

    def _compute_attention(self, query, key, value, attention_mask, training, return_scores, causal_only):
        """Softmax attention of the projected tensors; returns ``(output, probabilities)``."""
        if causal_only:
            attention_mask = causal_mask(query.shape[1], value.shape[1])
        query = query * jnp.asarray(self._inverse_sqrt_key_dim, query.dtype)
        scores = jnp.einsum(self._dot_product_equation, key, query)  # (B, N, T, S) for rank-3 inputs
        if attention_mask is not None:
            # Broadcast the (B, T, S) mask over the heads axis (and any further batch axes).
            axis = -len(self._normalized_attention_axes) * 2 - 1
            for _ in range(scores.ndim - attention_mask.ndim):
                attention_mask = jnp.expand_dims(attention_mask, axis)
        # Keras runs rank-3 attention without dropout or returned scores through its
        # fused kernel, where a query row with every key masked averages all values;
        # its other path (this layer's Softmax) gives such rows zero weights. loom
        # follows whichever Keras would use, so outputs match Keras in both cases.
        fused_in_keras = self._dropout == 0 and not return_scores and query.ndim == 4
        probabilities = self._masked_softmax(scores, attention_mask, zero_masked_rows=not fused_in_keras)
        dropped = self._dropout_layer(probabilities, training=training) if self._dropout > 0 else probabilities
        output = jnp.einsum(self._combine_equation, dropped, value)
        return output, probabilities

    def _masked_softmax(self, scores, mask, zero_masked_rows):
        if mask is None:
            return _softmax(scores, self._softmax_axes)
        large_negative = -3e4 if scores.dtype == jnp.float16 else -1e9
        probabilities = _softmax(jnp.where(mask, scores, jnp.asarray(large_negative, scores.dtype)), self._softmax_axes)
        return jnp.where(mask, probabilities, jnp.zeros((), probabilities.dtype)) if zero_masked_rows else probabilities

    def _replay(self, args, kwargs, node, input_masks):
        """In a model, each of query/value/key passes its tensor's mask as ``*_mask``
        unless that argument was given, as Keras 3 does."""
        masks = {id(t): m for t, m in zip(node.input_tensors, input_masks) if m is not None}
        bound = {}
        if masks:
            bound = self._bind_call(node.arguments.args, node.arguments.kwargs)
            kwargs = dict(kwargs)
            for name in ("query", "value", "key"):
                tensor = bound.get(name)
                if isinstance(tensor, SymbolicTensor) and id(tensor) in masks and bound.get(f"{name}_mask") is None:
                    kwargs[f"{name}_mask"] = masks[id(tensor)]
        outputs = self(*args, **kwargs)
        query_mask = masks.get(id(bound.get("query")))
        return outputs, ([query_mask, None] if isinstance(outputs, tuple) else query_mask)

    def _bind_call(self, args, kwargs) -> dict:
        return inspect.signature(self.call).bind_partial(*args, **kwargs).arguments

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "output_shape": self._output_shape,
            "attention_axes": self._attention_axes,
            "sliding_window": self._sliding_window,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._projection_activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "seed": self.seed,
        }


def _softmax(x, axes: tuple):
    # Computed in float32 at least, as Keras's fused attention does.
    dtype = x.dtype
    x = x.astype(jnp.promote_types(dtype, jnp.float32))
    return jax.nn.softmax(x, axis=axes).astype(dtype)
