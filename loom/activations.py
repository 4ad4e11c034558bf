"""Activations: Keras's nonlinearities by name, on arrays and symbolic tensors alike."""

import types
from collections.abc import Callable
from typing import Union

from loom import ops
from loom.utils.lookup import lookup

ActivationLike = Union[str, dict, Callable, None]

# Each activation is written with loom.ops, so on a symbolic tensor it records
# graph nodes and on an array it computes at once.


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit: ``max(x, 0)`` by default.

    Args:
        x: input tensor.
        negative_slope: slope for values below ``threshold``.
        max_value: the largest value returned (None: unbounded).
        threshold: values at or below it are damped (to 0, or by ``negative_slope``).

    Returns:
        A tensor of the shape and dtype of ``x``.

    Example:

    >>> relu([-10.0, -5.0, 0.0, 5.0, 10.0], max_value=5.0).tolist()
    [0.0, 0.0, 0.0, 5.0, 5.0]
    """
    x = ops.convert_to_tensor(x)
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0.0:
        return ops.leaky_relu(x, negative_slope=negative_slope)
    # The general case follows Keras's ReLU.static_call step for step so the
    # results (including -0.0 below the threshold) match exactly.
    if threshold != 0.0:
        positive = ops.where(ops.greater(x, threshold), x, 0.0)
    elif max_value == 6:
        positive = ops.relu6(x)
    else:
        positive = ops.relu(x)
    if max_value is not None and not (threshold == 0.0 and max_value == 6):
        positive = ops.clip(positive, 0.0, max_value)
    if negative_slope == 0.0:
        return positive
    return positive - negative_slope * ops.relu(threshold - x)


def leaky_relu(x, negative_slope=0.2):
    """``x`` if positive, else ``negative_slope * x``.

    Args:
        x: input tensor.
        negative_slope: slope for negative values.
    """
    return ops.leaky_relu(x, negative_slope=negative_slope)


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return ops.relu6(x)


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``: a probability distribution.

    Args:
        x: input tensor (logits).
        axis: the axis that sums to 1.
    """
    return ops.softmax(x, axis=axis)


def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` if positive, else ``alpha * (exp(x) - 1)``.

    Args:
        x: input tensor.
        alpha: scale of the negative part.
    """
    return ops.elu(x, alpha=alpha)


def selu(x):
    """Scaled ELU with the self-normalizing constants (pair with ``lecun_normal``)."""
    return ops.selu(x)


def softplus(x):
    """``log(exp(x) + 1)``."""
    return ops.softplus(x)


def softsign(x):
    """``x / (|x| + 1)``."""
    return ops.softsign(x)


def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0.

    Args:
        x: input tensor.
        threshold: half-width of the band mapped to 0.
    """
    return ops.soft_shrink(x, threshold=threshold)


def sparse_plus(x):
    """0 for ``x <= -1``, ``(x + 1)**2 / 4`` in between, ``x`` for ``x >= 1``."""
    return ops.sparse_plus(x)


def silu(x):
    """Swish / SiLU: ``x * sigmoid(x)``."""
    return ops.silu(x)


def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``, a smooth ReLU.

    Args:
        x: input tensor.
        b: smoothness (b=0 gives ReLU).
    """
    return ops.squareplus(x, b=b)


def gelu(x, approximate=False):
    """Gaussian error linear unit: ``x * P(X <= x)`` for standard normal ``X``.

    Args:
        x: input tensor.
        approximate: use the tanh approximation. Keras's activation defaults
            to the exact form (unlike ``ops.gelu``, which defaults to True).
    """
    return ops.gelu(x, approximate=approximate)


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``x`` if positive, else ``alpha * (exp(x / alpha) - 1)``.

    Args:
        x: input tensor.
        alpha: scale of the negative part.
    """
    return ops.celu(x, alpha=alpha)


def glu(x, axis=-1):
    """Gated linear unit: ``a * sigmoid(b)`` for the two halves ``a, b`` of ``x`` along ``axis``.

    Args:
        x: input tensor; its size along ``axis`` must be even.
        axis: the axis split in two.
    """
    x = ops.convert_to_tensor(x)
    size = ops.shape(x)[axis]
    if size is not None and size % 2:
        raise ValueError(
            f"glu splits `x` in two halves along axis={axis}, so that axis must have an even size; "
            f"received shape {tuple(ops.shape(x))}. Make the preceding layer's output size even."
        )
    return ops.glu(x, axis=axis)


def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(x)


def tanh_shrink(x):
    """``x - tanh(x)``."""
    return ops.tanh_shrink(x)


def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return ops.hard_tanh(x)


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0.

    Args:
        x: input tensor.
        threshold: half-width of the band mapped to 0.
    """
    return ops.hard_shrink(x, threshold=threshold)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``.

    Args:
        x: input tensor.
        threshold: values at or below it are replaced.
        default_value: the replacement.
    """
    return ops.threshold(x, threshold, default_value)


def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return ops.sigmoid(x)


def exponential(x):
    """``exp(x)``."""
    return ops.exp(x)


def hard_sigmoid(x):
    """Piecewise-linear sigmoid: 0 below -3, 1 above 3, ``x / 6 + 0.5`` between."""
    return ops.hard_sigmoid(x)


def hard_silu(x):
    """Hard swish: ``x * hard_sigmoid(x)``."""
    return ops.hard_silu(x)


def log_sigmoid(x):
    """``log(sigmoid(x))``, computed stably."""
    return ops.log_sigmoid(x)


def sparse_sigmoid(x):
    """0 for ``x <= -1``, ``(x + 1) / 2`` in between, 1 for ``x >= 1``."""
    return ops.sparse_sigmoid(x)


def linear(x):
    """The identity: returns ``x`` unchanged."""
    return x


def mish(x):
    """``x * tanh(softplus(x))``."""
    return ops.mish(x)


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` along ``axis``, computed stably.

    Args:
        x: input tensor (logits).
        axis: the axis normalized over.
    """
    return ops.log_softmax(x, axis=axis)


def sparsemax(x, axis=-1):
    """Euclidean projection of ``x`` onto the probability simplex along ``axis``; sparse output.

    Args:
        x: input tensor (logits).
        axis: the axis that sums to 1.
    """
    return ops.sparsemax(x, axis=axis)


# Keras's other names for the same functions; serialize() reports the canonical one.
swish = silu
hard_swish = hard_silu

_FUNCTIONS = (
    relu, leaky_relu, relu6, softmax, celu, elu, selu, softplus, softsign, squareplus, soft_shrink,
    sparse_plus, silu, gelu, glu, tanh, tanh_shrink, threshold, sigmoid, sparse_sigmoid, exponential,
    hard_sigmoid, hard_silu, hard_tanh, hard_shrink, linear, mish, log_softmax, log_sigmoid, sparsemax,
)  # fmt: skip
_BY_NAME = {fn.__name__: fn for fn in _FUNCTIONS}
_BY_NAME.update({"swish": silu, "hard_swish": hard_silu})


def _lookup(name: str, custom_objects: dict | None):
    """The activation called ``name`` (custom objects first), or a ValueError listing the valid names."""
    return lookup("activation", name, _BY_NAME, custom_objects, "For a custom activation pass the function itself, or put it in `custom_objects`.")


def serialize(activation):
    """The activation's name for loom's built-ins (as Keras 3), else a config dict.

    Args:
        activation: a built-in activation function, a named custom function, or
            an object with ``get_config``.

    Returns:
        A name such as "relu" for built-ins (aliases give the canonical name,
        "swish" -> "silu"); ``{"module", "class_name": "function", "config":
        name, "registered_name": name}`` for other named functions; the usual
        class config dict for objects with ``get_config``.
    """
    if _BY_NAME.get(getattr(activation, "__name__", None)) is activation:
        return activation.__name__
    if isinstance(activation, types.FunctionType):
        if activation.__name__ == "<lambda>":
            raise ValueError(
                "Cannot serialize a lambda as an activation: it has no name to look it up by when "
                "loading. Define it with `def`, then pass it in `custom_objects` when loading."
            )
        return {
            "module": activation.__module__,
            "class_name": "function",
            "config": activation.__name__,
            "registered_name": activation.__name__,
        }
    if hasattr(activation, "get_config"):
        cls = type(activation)
        return {
            "module": cls.__module__,
            "class_name": cls.__name__,
            "config": activation.get_config(),
            "registered_name": cls.__name__,
        }
    raise ValueError(
        f"Cannot serialize activation {activation!r}: it is neither a named function nor an "
        "object with get_config(). Define it with `def` or give it a get_config() method."
    )


def deserialize(config, custom_objects: dict | None = None) -> Callable:
    """The activation a name or ``serialize`` dict refers to.

    Args:
        config: a name such as "relu", or a dict from ``serialize`` (a
            function's ``{"class_name": "function", "config": name}``, or a
            class's ``{"class_name": ..., "config": {...}}``). Keras's
            serialized activations work too.
        custom_objects: ``{name: function or class}`` for activations loom does
            not define.

    Returns:
        The activation callable.
    """
    if isinstance(config, str):
        return _lookup(config, custom_objects)
    if isinstance(config, dict) and "class_name" in config:
        if config["class_name"] == "function":
            # Keras writes a registered function's "package>name" in registered_name.
            registered = config.get("registered_name")
            if registered and ((custom_objects and registered in custom_objects) or registered in _BY_NAME):
                return _lookup(registered, custom_objects)
            return _lookup(config["config"], custom_objects)
        cls = _lookup(config["class_name"], custom_objects)
        return cls.from_config(dict(config.get("config") or {}))
    raise ValueError(
        f"activations.deserialize expects a name or a dict from serialize(); received {config!r}."
    )


def get(identifier: ActivationLike) -> Callable:
    """Resolves an activation from None, a name, a ``serialize`` dict or a callable.

    Args:
        identifier: None (gives ``linear``, as in Keras); a name such as
            "relu" or "swish"; a dict from ``serialize``; or any callable,
            returned unchanged.

    Returns:
        A callable ``x -> activated x``.

    Example:

    >>> get("swish") is silu
    True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret activation identifier: {identifier!r}. Pass a name such as 'relu', "
        "a function of one tensor, or a dict from loom.activations.serialize()."
    )
