"""EinsumDense: a dense layer whose contraction is written as an einsum equation."""

import copy
import re

import jax.numpy as jnp
import numpy as np

from loom import activations, constraints, initializers, regularizers
from loom.layers.input_spec import InputSpec
from loom.layers.layer import Layer
from loom.ops.core import convert_to_tensor

# The three forms Keras accepts: "ab,bc->ac", "...ab,bc->...ac" and "ab...,bc->ac...".
_FORMS = (
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)"), None),
    (re.compile(r"\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)"), "left"),
    (re.compile(r"([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\."), "right"),
)


def _parse_equation(equation):
    """``(input spec, weight spec, output spec, elided side)`` of an EinsumDense equation, or None."""
    if not isinstance(equation, str):
        return None
    for pattern, elided in _FORMS:
        match = pattern.fullmatch(equation.replace(" ", ""))
        if match:
            return match.group(1), match.group(2), match.group(3), elided
    return None


class EinsumDense(Layer):
    """A dense layer computing ``activation(einsum(equation, inputs, kernel) + bias)``.

    The kernel's shape follows from the equation: each weight axis takes its
    size from the input axis or the output axis with the same letter.

    Args:
        equation: ``"ab,bc->ac"``, ``"...ab,bc->...ac"`` or ``"ab...,bc->ac..."``
            (input, kernel -> output), letters naming axes.
        output_shape: the output's shape without the batch axis and the axes
            ``...`` stands for; an int for one axis. ``None`` entries take the
            input's size.
        activation: activation name or callable (None for linear).
        bias_axes: letters of the output axes that get a bias, e.g. ``"c"``.
        kernel_initializer, bias_initializer: initializers for the weights. A
            variance-scaling kernel initializer counts its fans over the
            kernel axes shared with the input and with the output, as Keras.
        kernel_regularizer, bias_regularizer: penalties added to the loss.
        kernel_constraint, bias_constraint: projections after each update.
        lora_rank: if set, freeze the kernel and learn a low-rank update
            ``lora_kernel_a @ lora_kernel_b`` (see ``enable_lora``).
        lora_alpha: the update is scaled by ``lora_alpha / lora_rank``
            (default ``lora_rank``).

    Example:
        >>> EinsumDense("abc,cd->abd", output_shape=(None, 64), bias_axes="d")(Input((32, 128))).shape
        (None, 32, 64)
    """

    def __init__(
        self,
        equation: str,
        output_shape,
        activation=None,
        bias_axes: str | None = None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        parsed = _parse_equation(equation)
        if parsed is None:
            raise ValueError(
                f"{self.describe()}: `equation` must read 'ab,bc->ac', '...ab,bc->...ac' or 'ab...,bc->ac...' "
                f"(input,kernel->output, letters for axes); received equation={equation!r}."
            )
        self.equation = equation
        self._specs = parsed
        input_spec, weight_spec, output_spec, _ = parsed
        for letter in output_spec:
            if letter not in input_spec and letter not in weight_spec:
                raise ValueError(
                    f"{self.describe()}: output axis '{letter}' of equation {equation!r} appears in neither the "
                    f"input ('{input_spec}') nor the kernel ('{weight_spec}'), so its size is unknown."
                )
        for letter in weight_spec:
            if letter not in input_spec and letter not in output_spec:
                raise ValueError(
                    f"{self.describe()}: kernel axis '{letter}' of equation {equation!r} appears in neither the "
                    f"input ('{input_spec}') nor the output ('{output_spec}'); every kernel axis needs a size."
                )
        self.partial_output_shape = self._check_output_shape(output_shape)
        if bias_axes is not None and (
            not isinstance(bias_axes, str) or not bias_axes or any(c not in output_spec for c in bias_axes)
        ):
            raise ValueError(
                f"{self.describe()}: `bias_axes` must be letters of the output '{output_spec}' of the equation; "
                f"received bias_axes={bias_axes!r}."
            )
        if lora_rank is not None and not _positive_int(lora_rank):
            raise ValueError(
                f"{self.describe()}: `lora_rank` must be a positive int; received lora_rank={lora_rank!r}."
            )
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False

    def _check_output_shape(self, output_shape) -> tuple:
        shape = (output_shape,) if isinstance(output_shape, (int, np.integer)) else output_shape
        if (
            isinstance(shape, (str, bool))
            or not isinstance(shape, (list, tuple))
            or not all(d is None or _positive_int(d) for d in shape)
        ):
            raise ValueError(
                f"{self.describe()}: `output_shape` must be an int or a tuple of ints/None (the output's shape "
                f"without the batch axis); received output_shape={output_shape!r}."
            )
        return tuple(None if d is None else int(d) for d in shape)

    def build(self, input_shape):
        kernel_shape, bias_shape, _, input_axes, output_axes = _analyze(self, tuple(input_shape))
        self.input_spec = InputSpec(ndim=len(input_shape))
        initializer = self.kernel_initializer
        if isinstance(initializer, initializers.VarianceScaling) and (
            initializer.input_axes is None or initializer.output_axes is None
        ):
            # Fans of an N-d kernel: the axes contracted with the input vs those written to the output.
            initializer = copy.copy(initializer)
            initializer.input_axes, initializer.output_axes = input_axes, output_axes
        self._kernel = self.add_weight(
            name="kernel",
            shape=kernel_shape,
            initializer=initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if bias_shape is not None:
            self.bias = self.add_weight(
                name="bias",
                shape=bias_shape,
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        if self.lora_rank:
            self.built = True
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    @property
    def kernel(self):
        """The kernel variable; with LoRA on, the array ``kernel + alpha / rank * (a @ b)``."""
        if not self.built:
            raise AttributeError(f"{self.describe()} is not built yet, so it has no kernel. Call it on data first.")
        if not self.lora_enabled:
            return self._kernel
        update = jnp.matmul(convert_to_tensor(self.lora_kernel_a), convert_to_tensor(self.lora_kernel_b))
        scale = self.lora_alpha / self.lora_rank
        return (convert_to_tensor(self._kernel) + scale * update).astype(self.compute_dtype)

    def enable_lora(self, rank: int, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros") -> None:
        """Freeze the kernel and train a rank-``rank`` update of it instead.

        Adds ``lora_kernel_a`` (the kernel's shape with its last axis replaced by
        ``rank``) and ``lora_kernel_b`` (``(rank, last axis)``), float32; ``b``
        starts at zero, so the layer's outputs do not change when LoRA is enabled.
        """
        if self.kernel_constraint is not None:
            raise ValueError(
                f"{self.describe()}: LoRA cannot be combined with a kernel constraint (the kernel is frozen); "
                "remove `kernel_constraint` to enable LoRA."
            )
        if not self.built:
            raise ValueError(f"{self.describe()} is not built yet; call it on data before enable_lora().")
        if self.lora_enabled:
            raise ValueError(f"{self.describe()} already has LoRA enabled; it can be enabled once per layer.")
        if not _positive_int(rank):
            raise ValueError(f"{self.describe()}: LoRA `rank` must be a positive int; received rank={rank!r}.")
        kernel_shape = self._kernel.shape
        # float32 adapters, as Keras: a low-precision update would underflow while it is trained.
        self.lora_kernel_a = self.add_weight(
            name="lora_kernel_a",
            shape=kernel_shape[:-1] + (rank,),
            initializer=initializers.get(a_initializer),
            dtype="float32",
            regularizer=self.kernel_regularizer,
        )
        self.lora_kernel_b = self.add_weight(
            name="lora_kernel_b",
            shape=(rank, kernel_shape[-1]),
            initializer=initializers.get(b_initializer),
            dtype="float32",
            regularizer=self.kernel_regularizer,
        )
        self._kernel.trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def call(self, inputs, training=None):
        outputs = jnp.einsum(self.equation, inputs, convert_to_tensor(self.kernel))
        if self.bias is not None:
            outputs = outputs + convert_to_tensor(self.bias)
        return self.activation(outputs) if self.activation is not None else outputs

    def get_config(self) -> dict:
        config = {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
        if self.lora_rank:
            config["lora_rank"] = self.lora_rank
            config["lora_alpha"] = self.lora_alpha
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        config.pop("quantization_config", None)  # Keras writes it; loom does not quantize
        config.pop("gptq_unpacked_column_size", None)
        return cls(**config)


def _positive_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0


def _analyze(layer: EinsumDense, input_shape: tuple):
    """``(kernel shape, bias shape or None, full output shape, kernel input axes, kernel output axes)``.

    Every error names the layer, the equation and the shapes involved.
    """
    output_shape, input_positions, output_positions = _output_layout(layer, input_shape)
    kernel_shape, input_axes, output_axes = [], [], []
    for i, letter in enumerate(layer._specs[1]):
        if letter in output_positions:
            size = output_shape[output_positions[letter]]
            output_axes.append(i)
        else:
            size = input_shape[input_positions[letter]]
            input_axes.append(i)
        if size is None:
            raise ValueError(
                f"{layer.describe()}: kernel axis '{letter}' of equation {layer.equation!r} has no known size: "
                f"received input shape {input_shape} and output_shape={layer.partial_output_shape}. Give the "
                "input that axis's size, or a number in output_shape."
            )
        kernel_shape.append(int(size))
    bias_shape = _bias_shape(layer, input_shape, output_shape, output_positions)
    return tuple(kernel_shape), bias_shape, tuple(output_shape), input_axes, output_axes


def _output_layout(layer: EinsumDense, input_shape: tuple):
    """The full output shape (None sizes filled from shared input axes), and each letter's input and output axis."""
    input_spec, _, output_spec, elided_side = layer._specs
    elided = len(input_shape) - len(input_spec)
    if (elided != 0) if elided_side is None else (elided < 1):
        rank = f"{len(input_spec) + 1} or more" if elided_side else f"{len(input_spec)}"
        raise ValueError(
            f"{layer.describe()}: equation {layer.equation!r} describes inputs of rank {rank}; received input "
            f"shape {input_shape}."
        )
    partial = list(layer.partial_output_shape)
    expected = len(output_spec) if elided_side == "left" else len(output_spec) - 1
    if len(partial) != expected:
        left_out = "the batch and the axes ... stands for" if elided_side else "the batch"
        raise ValueError(
            f"{layer.describe()}: `output_shape` needs {expected} entries for output '{output_spec}' of equation "
            f"{layer.equation!r} (every output axis but {left_out}); received output_shape={tuple(partial)}."
        )
    if elided_side == "left":
        output_shape = list(input_shape[:elided]) + partial
    else:
        output_shape = [input_shape[0]] + partial + list(input_shape[len(input_spec) :])
    offset = elided if elided_side == "left" else 0
    input_positions = {letter: offset + i for i, letter in enumerate(input_spec)}
    output_positions = {letter: offset + i for i, letter in enumerate(output_spec)}
    for letter, position in input_positions.items():
        if letter not in output_positions:
            continue
        size_in, size_out = input_shape[position], output_shape[output_positions[letter]]
        if size_out is None:
            output_shape[output_positions[letter]] = size_in
        elif size_in is not None and size_in != size_out:
            raise ValueError(
                f"{layer.describe()}: axis '{letter}' of equation {layer.equation!r} is {size_in} in the input "
                f"but {size_out} in output_shape={layer.partial_output_shape}; received input shape "
                f"{input_shape}. Make output_shape agree or use None there."
            )
    return output_shape, input_positions, output_positions


def _bias_shape(layer: EinsumDense, input_shape: tuple, output_shape: list, output_positions: dict):
    """The bias spans the output from its first biased axis on, with size 1 on the axes it does not cover."""
    if layer.bias_axes is None:
        return None
    _, _, output_spec, elided_side = layer._specs
    first = min(output_spec.index(c) for c in layer.bias_axes)
    shape = [output_shape[output_positions[c]] if c in layer.bias_axes else 1 for c in output_spec[first:]]
    if elided_side == "right":
        shape += [1] * (len(input_shape) - len(layer._specs[0]))
    if any(d is None for d in shape):
        raise ValueError(
            f"{layer.describe()}: bias axes '{layer.bias_axes}' need known sizes; received input shape "
            f"{input_shape} and output_shape={layer.partial_output_shape}."
        )
    return tuple(shape)
