"""Merge layers: combine a list of tensors into one (add, multiply, concatenate, dot, ...).

Shapes follow Keras 3's ``Merge`` rules: the batch axes must agree, the other
axes broadcast from the right, and an input of lower rank gets new axes after
its batch axis. loom checks them whenever the layer is called on symbolic
tensors, so a mistake is named before any data flows. Concrete arrays in the
list are constants of the graph; see ``Merge``.
"""

import string

import jax
import jax.numpy as jnp
import numpy as np

from loom.graph.call_arguments import any_symbolic
from loom.graph.symbolic_tensor import SymbolicTensor, shape_of
from loom.layers.layer import Layer
from loom.utils import dtypes

# Keras's `backend.epsilon()`, the floor of the norm when Dot(normalize=True).
_NORM_EPSILON = 1e-7


def _shapes_text(shapes) -> str:
    parts = [str(tuple(s)) for s in shapes]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _is_constant(x) -> bool:
    return not isinstance(x, SymbolicTensor)


class Merge(Layer):
    """Base of the element-wise merge layers: validates shapes, aligns ranks, merges.

    Called on a list of at least 2 tensors. Arrays (NumPy or JAX) in the list
    are graph constants: next to symbolic tensors, one of lower rank gets
    leading axes of size 1 (NumPy broadcasting, as ``x * array`` does), and a
    batch axis of size 1 broadcasts over the batch. Subclasses implement
    ``_merge_function(inputs, masks)``.
    """

    _exact_inputs: int | None = None
    _exact_inputs_hint = ""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    # --- checking the inputs ------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if args:
            inputs, args = args[0], args[1:]
        elif "inputs" in kwargs:
            inputs = kwargs.pop("inputs")
        else:
            return super().__call__(*args, **kwargs)
        inputs = self._standardize_inputs(inputs)
        self._output_shape([shape_of(x) for x in inputs])
        return super().__call__(inputs, *args, **kwargs)

    def _standardize_inputs(self, inputs) -> list:
        cls = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            self._check_tensors(inputs)
            raise ValueError(
                f"{self.describe()} merges a list of tensors; received a single tensor of shape "
                f"{shape_of(inputs) if hasattr(inputs, 'shape') else inputs!r}. "
                f"Pass a list, e.g. {cls}()([x1, x2])."
            )
        self._check_tensors(inputs)
        inputs = [np.asarray(x) if isinstance(x, (int, float, bool, complex)) else x for x in inputs]
        for position, x in enumerate(inputs):
            if not hasattr(x, "shape"):
                raise TypeError(
                    f"{self.describe()} merges a flat list of tensors; received a {type(x).__name__} at "
                    f"position {position}. Pass the tensors themselves, e.g. {cls}()([x1, x2, x3])."
                )
        shapes = [shape_of(x) for x in inputs]
        if self._exact_inputs is not None and len(inputs) != self._exact_inputs:
            raise ValueError(
                f"{self.describe()} needs exactly {self._exact_inputs} inputs; received "
                f"{len(inputs)} (shapes {shapes}). {self._exact_inputs_hint}"
            )
        if len(inputs) < 2:
            raise ValueError(
                f"{self.describe()} needs a list of at least 2 tensors to merge; received "
                f"{len(inputs)} (shapes {shapes}). Pass every tensor in one list, e.g. {cls}()([x1, x2])."
            )
        if any_symbolic(inputs):
            rank = max(len(s) for x, s in zip(inputs, shapes) if not _is_constant(x))
            inputs = [
                x.reshape((1,) * (rank - len(s)) + tuple(s))
                if _is_constant(x) and hasattr(x, "reshape") and len(s) < rank
                else x
                for x, s in zip(inputs, shapes)
            ]
        return list(inputs)

    def _merged_batch(self, shapes):
        """The output batch size; batch axes must agree (None is unknown, 1 broadcasts)."""
        if any(len(s) == 0 for s in shapes):
            raise ValueError(
                f"{self.describe()} merges tensors with a batch axis; received shapes "
                f"{_shapes_text(shapes)}, where a scalar has none. Give it a batch axis, e.g. "
                "np.array([[value]])."
            )
        sizes = {s[0] for s in shapes} - {None, 1}
        if len(sizes) > 1:
            raise ValueError(
                f"{self.describe()} needs inputs with the same batch size; received shapes "
                f"{_shapes_text(shapes)}. Feed every input the same number of samples "
                "(a constant may use a batch axis of size 1)."
            )
        if sizes:
            return sizes.pop()
        return None if any(s[0] is None for s in shapes) else 1

    def _output_shape(self, shapes) -> tuple:
        """The output shape for these input shapes; raises ValueError when they do not merge."""
        batch = self._merged_batch(shapes)
        output = tuple(shapes[0][1:])
        for shape in shapes[1:]:
            output = self._broadcast(output, tuple(shape[1:]), shapes)
        return (batch,) + output

    def _broadcast(self, first, second, shapes) -> tuple:
        # Keras's _compute_elemwise_op_output_shape: right-aligned, None stays unknown.
        if len(first) < len(second):
            first, second = second, first
        if not second:
            return first
        merged = list(first[: -len(second)])
        for i, j in zip(first[-len(second) :], second):
            if i is None or j is None:
                merged.append(None)
            elif i == 1 or j == 1 or i == j:
                merged.append(j if i == 1 else i)
            else:
                raise ValueError(
                    f"{self.describe()} needs inputs of the same shape, or shapes that broadcast along the "
                    f"non-batch axes; received shapes {_shapes_text(shapes)}, whose sizes {i} and {j} "
                    f"do not broadcast. Project the inputs to one size first, e.g. Dense({i}) on the "
                    "other branch, or reshape one of them."
                )
        return tuple(merged)

    # --- the layer contract -------------------------------------------------------------
    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not all(isinstance(s, (list, tuple)) for s in input_shape):
            raise ValueError(
                f"{self.describe()} is built from a list of input shapes; received input_shape={input_shape}."
            )
        self._output_shape([tuple(s) for s in input_shape])
        self.built = True

    def compute_output_shape(self, input_shape):
        return self._output_shape([tuple(s) for s in input_shape])

    def compute_output_spec(self, inputs, *args, **kwargs):
        shape = self._output_shape([shape_of(x) for x in inputs])
        return SymbolicTensor(shape, self._result_dtype(inputs))

    def _result_dtype(self, inputs) -> str:
        """The dtype ``call`` returns: inputs promoted together after autocasting floats."""
        promoted = []
        for x in inputs:
            dtype = jax.dtypes.canonicalize_dtype(jnp.dtype(dtypes.standardize_dtype(x.dtype)))
            if self.autocast and jnp.issubdtype(dtype, jnp.floating):
                dtype = jnp.dtype(self.compute_dtype)
            promoted.append(dtype)
        return dtypes.standardize_dtype(jnp.result_type(*promoted))

    def call(self, inputs, mask=None):
        # Keras: an input of lower rank gets new axes right after its batch axis.
        rank = max(x.ndim for x in inputs)
        aligned = [x.reshape(x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:]) for x in inputs]
        return self._merge_function(aligned, _aligned_masks(mask, len(inputs)))

    def _merge_function(self, inputs, masks):
        raise NotImplementedError(f"{type(self).__name__} must implement _merge_function().")

    def compute_mask(self, inputs, mask=None):
        # Keras: the OR of the input masks, if every input has one.
        masks = _aligned_masks(mask, len(inputs) if isinstance(inputs, (list, tuple)) else 0)
        if not masks or any(m is None for m in masks):
            return None
        output = jnp.asarray(masks[0])
        for m in masks[1:]:
            output = jnp.logical_or(output, m)
        return output


def _aligned_masks(mask, count: int) -> list:
    """One mask (or None) per input; a mask list that does not match the inputs is ignored."""
    if isinstance(mask, (list, tuple)) and len(mask) == count:
        return list(mask)
    return [None] * count


def _apply_masked(op, inputs, masks):
    """Keras's `_apply_merge_op_and_or_mask`: masked positions do not take part in ``op``."""
    output, output_mask = None, None
    for x, mask in zip(inputs, masks):
        if mask is not None:
            mask = jnp.broadcast_to(jnp.expand_dims(mask, -1), x.shape)
        if output is None:
            output, output_mask = x, mask
            continue
        if mask is not None:
            x = jnp.where(mask, x, output)
        if output_mask is not None:
            output = jnp.where(output_mask, output, x)
        output_mask = jnp.logical_or(output_mask, mask) if mask is not None and output_mask is not None else None
        output = op(output, x)
    return output


class Add(Merge):
    """Adds a list of tensors element-wise: ``inputs[0] + inputs[1] + ...``.

    Inputs have the same shape, or shapes that broadcast along the non-batch
    axes (see ``Merge``). Input: a list of at least 2 tensors. Output: their
    broadcast shape.

    Example:
        >>> added = Add()([Dense(8)(a), Dense(8)(b)])   # (None, 8)
    """

    def _merge_function(self, inputs, masks):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output


class Subtract(Merge):
    """Subtracts two tensors element-wise: ``inputs[0] - inputs[1]``.

    Example:
        >>> difference = Subtract()([x1, x2])
    """

    _exact_inputs = 2
    _exact_inputs_hint = "It computes inputs[0] - inputs[1]; to combine more, use Add on negated tensors."

    def _merge_function(self, inputs, masks):
        return inputs[0] - inputs[1]


class Multiply(Merge):
    """Multiplies a list of tensors element-wise.

    A NumPy array in the list is a constant of the graph, e.g. per-class
    weights of an ensemble member (seed 004):

        >>> weighted = Multiply()([model.output, np.array([[0.9, 0.99, 0.89]])])
    """

    def _merge_function(self, inputs, masks):
        if all(m is None for m in masks):
            output = inputs[0]
            for x in inputs[1:]:
                output = output * x
            return output
        # Keras: masked positions count as 1 in the product; 0 where every input is masked.
        has_output_mask = all(m is not None for m in masks)
        output, output_mask = None, None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                mask = jnp.broadcast_to(jnp.expand_dims(mask, -1), x.shape)
                x = jnp.where(mask, x, jnp.ones((), x.dtype))
                if has_output_mask:
                    output_mask = mask if output_mask is None else jnp.logical_or(output_mask, mask)
            output = x if output is None else output * x
        if has_output_mask:
            output = jnp.where(output_mask, output, jnp.zeros((), output.dtype))
        return output


class Average(Merge):
    """The element-wise mean of a list of tensors.

    Example:
        >>> ensemble = Average()([model_1.output, model_2.output, model_3.output])
    """

    def _merge_function(self, inputs, masks):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output / len(inputs)


class Maximum(Merge):
    """The element-wise maximum of a list of tensors (masked positions are skipped)."""

    def _merge_function(self, inputs, masks):
        return _apply_masked(jnp.maximum, inputs, masks)


class Minimum(Merge):
    """The element-wise minimum of a list of tensors (masked positions are skipped)."""

    def _merge_function(self, inputs, masks):
        return _apply_masked(jnp.minimum, inputs, masks)


class Concatenate(Merge):
    """Concatenates a list of tensors along ``axis``.

    Args:
        axis: the axis to join along; all other axes must match (a constant's
            batch axis of size 1 is broadcast over the batch).

    Example:
        >>> merged = Concatenate()([encoded_a, encoded_b])   # (None, 64) + (None, 64) -> (None, 128)
    """

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"{self.describe()}: `axis` must be an int; received axis={axis!r}.")
        self.axis = int(axis)

    def _output_shape(self, shapes) -> tuple:
        ranks = {len(s) for s in shapes}
        if len(ranks) > 1:
            raise ValueError(
                f"{self.describe()} needs inputs of the same rank; received shapes {_shapes_text(shapes)}. "
                "Reshape one of them first, e.g. with Reshape or ops.expand_dims."
            )
        rank = ranks.pop()
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"{self.describe()}: axis={self.axis} is out of range for inputs of rank {rank} "
                f"(shapes {_shapes_text(shapes)}). Use an axis in [{-rank}, {rank - 1}]."
            )
        axis = self.axis % rank
        batch = shapes[0][0] if axis == 0 else self._merged_batch(shapes)
        output = [batch]
        for position in range(1, rank):
            sizes = [s[position] for s in shapes]
            if position == axis:
                output.append(None if None in sizes else sum(sizes))
                continue
            known = {d for d in sizes if d is not None}
            if len(known) > 1:
                raise ValueError(
                    f"{self.describe()} needs inputs of equal shapes except along axis={self.axis}; received "
                    f"shapes {_shapes_text(shapes)}, which differ at axis {position}. Make them match "
                    "(e.g. with Reshape or a Dense projection) or concatenate along another axis."
                )
            output.append(known.pop() if known else None)
        if axis == 0:
            sizes = [s[0] for s in shapes]
            output[0] = None if None in sizes else sum(sizes)
        return tuple(output)

    def call(self, inputs, mask=None):
        if self.axis % inputs[0].ndim != 0:
            inputs = _broadcast_batch(inputs)
        return jnp.concatenate(inputs, axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        masks = _aligned_masks(mask, len(inputs) if isinstance(inputs, (list, tuple)) else 0)
        if all(m is None for m in masks):
            return None
        # Keras: unmasked inputs count as all-True; masks are widened to their input's rank.
        full = []
        for x, m in zip(inputs, masks):
            if m is None:
                full.append(jnp.ones(jnp.shape(x), dtype=bool))
            elif jnp.ndim(m) < jnp.ndim(x):
                full.append(jnp.broadcast_to(jnp.expand_dims(m, -1), jnp.shape(x)))
            else:
                full.append(jnp.asarray(m, dtype=bool))
        return jnp.any(jnp.concatenate(full, axis=self.axis), axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


def _broadcast_batch(inputs) -> list:
    """Broadcast inputs with a batch axis of size 1 (constants) to the others' batch size."""
    batch = max(x.shape[0] for x in inputs)
    return [jnp.broadcast_to(x, (batch,) + x.shape[1:]) if x.shape[0] == 1 else x for x in inputs]


class Dot(Merge):
    """Dot product of two tensors along ``axes``, sample by sample (Keras's ``batch_dot``).

    For inputs ``(batch, n)`` and ``(batch, n)`` the output is ``(batch, 1)``;
    in general it is the first input's shape without its summed axis, followed
    by the second's without its batch and summed axes.

    Args:
        axes: an int, or a pair ``(axis_of_input_0, axis_of_input_1)``; never
            the batch axis 0.
        normalize: L2-normalize both inputs along ``axes`` first, so the output
            is the cosine similarity.

    Example:
        >>> score = Dot(axes=1)([o1, o2])                  # (None, 128) . (None, 128) -> (None, 1)
        >>> cosine = Dot(axes=1, normalize=True)([o1, o2])
    """

    _exact_inputs = 2
    _exact_inputs_hint = "It takes the dot product of two tensors; call it once per pair."

    def __init__(self, axes, normalize: bool = False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2:
                raise ValueError(
                    f"{self.describe()}: `axes` must be an int or a pair of ints (one axis per input); "
                    f"received axes={axes!r}."
                )
            axes = list(axes)
        if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in np.atleast_1d(axes)):
            raise TypeError(
                f"{self.describe()}: `axes` must be an int or a pair of ints (one axis per input); "
                f"received axes={axes!r}."
            )
        self.axes = int(axes) if not isinstance(axes, list) else [int(a) for a in axes]
        self.normalize = bool(normalize)
        self.supports_masking = True

    def _resolve_axes(self, ranks) -> tuple:
        axes = self.axes if isinstance(self.axes, list) else [self.axes, self.axes]
        return tuple(a % r if -r <= a < r else a for a, r in zip(axes, ranks))

    def _output_shape(self, shapes) -> tuple:
        first, second = (tuple(s) for s in shapes)
        if len(first) < 2 or len(second) < 2:
            raise ValueError(
                f"{self.describe()} needs inputs of rank 2 or more (a batch axis and an axis to sum); "
                f"received shapes {_shapes_text(shapes)}."
            )
        axes = self._resolve_axes((len(first), len(second)))
        for axis, shape in zip(axes, (first, second)):
            if not 0 <= axis < len(shape):
                raise ValueError(
                    f"{self.describe()}: axes={self.axes} is out of range for inputs of shapes "
                    f"{_shapes_text(shapes)}."
                )
        if 0 in axes:
            raise ValueError(
                f"{self.describe()} cannot sum over axis 0, the batch axis; received axes={self.axes} for "
                f"shapes {_shapes_text(shapes)}. Use axes >= 1 (if your tensors have no batch axis, add "
                "one with ops.expand_dims(x, 0))."
            )
        a, b = first[axes[0]], second[axes[1]]
        if a is not None and b is not None and a != b:
            raise ValueError(
                f"{self.describe()} needs equal sizes along axes={axes}; received shapes "
                f"{_shapes_text(shapes)}. Project one input first, e.g. Dense({a}), or change axes."
            )
        batch = self._merged_batch([first, second])
        output = (batch,) + _without(first, axes[0])[1:] + _without(second, axes[1])[1:]
        return output if len(output) > 1 else output + (1,)

    def _result_dtype(self, inputs) -> str:
        dtype = super()._result_dtype(inputs)
        return self.compute_dtype if self.normalize and not dtypes.is_float(dtype) else dtype

    def call(self, inputs, mask=None):
        x, y = _broadcast_batch(inputs)
        ax, ay = self._resolve_axes((x.ndim, y.ndim))
        if self.normalize:
            x, y = _l2_normalize(x, ax, self.compute_dtype), _l2_normalize(y, ay, self.compute_dtype)
        return _batch_dot(x, y, ax, ay)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self) -> dict:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _without(shape, axis) -> tuple:
    return tuple(shape[:axis]) + tuple(shape[axis + 1 :])


def _l2_normalize(x, axis, float_dtype):
    # Keras's ops.normalize: x * min(rsqrt(sum(x**2)), 1 / epsilon).
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(float_dtype)
    inverse_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
    return x * jnp.minimum(inverse_norm, 1.0 / _NORM_EPSILON)


def _batch_dot(x, y, ax: int, ay: int):
    """Keras's batch_dot as one einsum: sum x's axis ``ax`` against y's axis ``ay``, per sample."""
    letters = iter(string.ascii_letters[2:])
    x_axes = ["a"] + [("b" if i == ax else next(letters)) for i in range(1, x.ndim)]
    y_axes = ["a"] + [("b" if i == ay else next(letters)) for i in range(1, y.ndim)]
    out_axes = ["a"] + [c for c in x_axes[1:] + y_axes[1:] if c != "b"]
    output = jnp.einsum(f"{''.join(x_axes)},{''.join(y_axes)}->{''.join(out_axes)}", x, y)
    return output[:, None] if output.ndim == 1 else output


def add(inputs, **kwargs):
    """Functional form of ``Add``: ``add([x1, x2])``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of ``Subtract``: ``subtract([x1, x2])`` is ``x1 - x2``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of ``Multiply``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of ``Average``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of ``Maximum``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of ``Minimum``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis: int = -1, **kwargs):
    """Functional form of ``Concatenate``: ``concatenate([a, b], axis=-1)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize: bool = False, **kwargs):
    """Functional form of ``Dot``: ``dot([a, b], axes=1)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
