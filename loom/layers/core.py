"""Core layers: Dense, Lambda, Identity."""

import inspect

from loom import activations, constraints, initializers, regularizers
from loom.graph.symbolic_tensor import SymbolicTensor
from loom.layers.input_spec import InputSpec
from loom.layers.layer import Layer, _is_shape
from loom.ops import numpy as ops


class Dense(Layer):
    """Densely-connected layer: ``activation(inputs @ kernel + bias)`` on the last axis.

    Args:
        units: size of the output's last dimension.
        activation: activation name or callable (None for linear).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers for the weights.
        kernel_regularizer, bias_regularizer: penalties added to the loss.
        activity_regularizer: penalty on the outputs.
        kernel_constraint, bias_constraint: projections after each update.

    Input shape: ``(batch, ..., input_dim)``. Output shape: ``(batch, ..., units)``.

    Example:
        >>> layer = Dense(4, activation="relu")
        >>> layer(np.ones((2, 3))).shape
        (2, 4)
    """

    def __init__(
        self,
        units: int,
        activation=None,
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(f"{self.describe()}: `units` must be a positive integer; received units={units!r}.")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=1)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1] if input_shape else None
        if input_dim is None:
            raise ValueError(
                f"{self.describe()} needs the last dimension of its input to be known to create its "
                f"kernel; received input shape {tuple(input_shape)}. Give the Input a concrete last dim."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_dim, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_dim})

    def call(self, inputs):
        outputs = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            outputs = ops.add(outputs, self.bias)
        return self.activation(outputs) if self.activation is not None else outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units,)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


def _required_positional(function) -> int | None:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return None
    return sum(
        1 for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    )


class Lambda(Layer):
    """Wraps an arbitrary function of one tensor or a list of tensors as a layer.

    Given a list of tensors, the function receives the list, as in Keras; a
    function that takes exactly as many required arguments as there are tensors
    (``def f(x, y)``) receives them as separate arguments instead.

    Args:
        function: the function, written with ``loom.ops`` / ``jax.numpy``.
        output_shape: optional; the output shape without the batch dim, or a
            function of the input shape. loom infers the shape by tracing the
            function, and checks a given ``output_shape`` against it.
        mask: optional mask, or a function ``mask(inputs, previous_mask)``.
        arguments: extra keyword arguments passed to ``function``.

    Example:
        >>> scores = Lambda(lambda t: ops.sum(t[0] * t[1], axis=-1, keepdims=True))([a, b])
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"{self.describe()}: `function` must be callable; received {function!r}.")
        self.function = function
        self.output_shape_arg = output_shape
        self.mask = mask
        self.arguments = dict(arguments or {})
        self.supports_masking = mask is not None
        try:
            parameters = inspect.signature(function).parameters
        except (TypeError, ValueError):
            parameters = {}
        self._function_takes_mask = "mask" in parameters
        self._function_takes_training = "training" in parameters
        self._required = _required_positional(function)

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._function_takes_mask:
            kwargs["mask"] = mask
        if self._function_takes_training:
            kwargs["training"] = training
        if isinstance(inputs, (list, tuple)) and len(inputs) > 1 and self._required == len(inputs):
            return self.function(*inputs, **kwargs)
        return self.function(inputs, **kwargs)

    def compute_output_spec(self, *args, **kwargs):
        spec = super().compute_output_spec(*args, **kwargs)
        if self.output_shape_arg is not None:
            declared = self._declared_shape(args[0] if args else next(iter(kwargs.values())))
            actual = spec.shape if isinstance(spec, SymbolicTensor) else None
            if actual is not None and _is_shape(declared) and not _compatible(declared, actual):
                raise ValueError(
                    f"{self.describe()} declares output_shape={tuple(declared)} (with the batch dim), but "
                    f"its function returns shape {actual}. Remove output_shape (loom infers it) or fix it."
                )
        return spec

    def _declared_shape(self, inputs):
        if callable(self.output_shape_arg):
            input_shape = [t.shape for t in inputs] if isinstance(inputs, (list, tuple)) else inputs.shape
            return tuple(self.output_shape_arg(input_shape))
        first = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        return (first.shape[0],) + tuple(self.output_shape_arg)

    def compute_mask(self, inputs, previous_mask=None):
        if callable(self.mask):
            return self.mask(inputs, previous_mask)
        return self.mask

    def get_config(self) -> dict:
        # Functions are stored safely (as source plus captured values) by loom.saving.
        # As Keras, output_shape and mask appear only when given.
        config = {**super().get_config(), "function": self.function}
        if self.output_shape_arg is not None:
            config["output_shape"] = self.output_shape_arg
        if self.mask is not None:
            config["mask"] = self.mask
        return {**config, "arguments": self.arguments}


def _compatible(declared, actual) -> bool:
    if len(declared) != len(actual):
        return False
    return all(d is None or a is None or d == a for d, a in zip(declared, actual))


class Identity(Layer):
    """Returns its input unchanged (a named placeholder in a graph)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs


