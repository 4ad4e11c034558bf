"""Constraints: projections applied to a weight after each optimizer update."""

import functools
import inspect
from collections.abc import Callable
from typing import Any, Union

import jax
import numpy as np

from loom import ops
from loom.ops.config import epsilon
from loom.utils.lookup import ClassFamily
from loom.utils.naming import to_snake_case

ConstraintLike = Union["Constraint", str, dict, Callable, None]

def _validate_number(owner: str, name: str, value, minimum=None, maximum=None) -> None:
    """A ValueError naming ``owner`` unless ``value`` is a number within the bounds."""
    is_number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not is_number or (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = "" if minimum is None else f" >= {minimum}" if maximum is None else f" in [{minimum}, {maximum}]"
        raise ValueError(f"{owner}: `{name}` must be a number{bounds}; received {name}={value!r}.")


def _validate_axis(owner: str, axis) -> None:
    """A ValueError naming ``owner`` unless ``axis`` is an int or a non-empty list of ints."""
    def is_int(a):
        return isinstance(a, (int, np.integer)) and not isinstance(a, bool)

    if not (is_int(axis) or (isinstance(axis, (list, tuple)) and axis and all(is_int(a) for a in axis))):
        raise ValueError(
            f"{owner}: `axis` must be an int or a list of ints (e.g. [0, 1, 2] for a Conv2D kernel); "
            f"received axis={axis!r}."
        )


def _axis_key(axis):
    """``axis`` as a hashable static argument for the jitted projections."""
    return tuple(int(a) for a in axis) if isinstance(axis, (list, tuple)) else int(axis)


def _norms(w, axis):
    """The L2 norms of ``w`` along ``axis``, kept as size-1 dimensions."""
    return ops.sqrt(ops.sum(ops.square(w), axis=axis, keepdims=True))


# Constraints run inside the compiled training step, so each is pure array code (no
# Python branches on values, no host round trips). The projections are jitted so
# that an eager call compiles once per shape instead of once per op; inside a
# compiled step they inline. Keras's epsilon (1e-7, ops.config.epsilon()) is an
# argument, so set_epsilon() takes effect without a stale compiled value.
@functools.partial(jax.jit, static_argnames=("axis",))
def _rescale_norms(w, min_value, max_value, rate, axis, eps):
    """``w`` with each slice's norm moved ``rate`` of the way into [min_value, max_value]."""
    norms = _norms(w, axis)
    desired = rate * ops.clip(norms, min_value, max_value) + (1 - rate) * norms
    return w * (desired / (eps + norms))


@functools.partial(jax.jit, static_argnames=("axis",))
def _unit_norm(w, axis, eps):
    """``w`` with each slice divided by its norm plus ``eps``."""
    return w / (eps + _norms(w, axis))


@functools.partial(jax.jit, static_argnames=("axis",))
def _simplex_projection(w, axis):
    """The closest point to ``w`` whose slices along ``axis`` are probability vectors."""
    # The Euclidean projection onto the simplex is exactly sparsemax.
    return ops.sparsemax(w, axis=axis)


class Constraint:
    """Base class: ``constraint(w)`` returns ``w`` projected onto the allowed set.

    Example:

    >>> class Clip(Constraint):
    ...     def __call__(self, w):
    ...         return ops.clip(w, -1.0, 1.0)
    >>> Clip()(ops.convert_to_tensor([-3.0, 0.5])).tolist()
    [-1.0, 0.5]
    """

    def __call__(self, w):
        """The projected weight (the base class returns ``w`` unchanged)."""
        return w

    def get_config(self) -> dict:
        """The constructor arguments, as a JSON-serializable dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Constraint":
        """Builds a constraint from the output of ``get_config``."""
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class MaxNorm(Constraint):
    """Rescales the slices of ``w`` along ``axis`` whose L2 norm exceeds ``max_value``.

    Args:
        max_value: the largest allowed norm.
        axis: the axis (or list of axes) the norm is taken over: 0 for a Dense
            kernel ``(input_dim, units)``, [0, 1, 2] for a Conv2D kernel.

    Example:

    >>> MaxNorm(max_value=1.0)(ops.convert_to_tensor([[3.0], [4.0]])).tolist()
    [[0.6000000238418579], [0.800000011920929]]
    """

    def __init__(self, max_value=2, axis=0):
        _validate_number("MaxNorm", "max_value", max_value, minimum=0)
        _validate_axis("MaxNorm", axis)
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        # clip(norms, 0, max_value) is the rate=1 case of MinMaxNorm, bit for bit.
        return _rescale_norms(ops.convert_to_tensor(w), 0.0, self.max_value, 1.0, _axis_key(self.axis), epsilon())

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to 0.

    Example:

    >>> NonNeg()(ops.convert_to_tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """

    def __call__(self, w):
        return ops.maximum(ops.convert_to_tensor(w), 0)


class UnitNorm(Constraint):
    """Rescales the slices of ``w`` along ``axis`` to L2 norm 1.

    Args:
        axis: the axis (or list of axes) the norm is taken over.

    Example:

    >>> UnitNorm()(ops.convert_to_tensor([[3.0], [4.0]])).tolist()
    [[0.6000000238418579], [0.800000011920929]]
    """

    def __init__(self, axis=0):
        _validate_axis("UnitNorm", axis)
        self.axis = axis

    def __call__(self, w):
        return _unit_norm(ops.convert_to_tensor(w), _axis_key(self.axis), epsilon())

    def get_config(self) -> dict:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves the L2 norms of the slices of ``w`` along ``axis`` into ``[min_value, max_value]``.

    Each slice is rescaled to norm ``rate * clip(norm, min_value, max_value) +
    (1 - rate) * norm``: ``rate=1`` enforces the bounds at once, smaller rates
    approach them over several updates.

    Args:
        min_value: the smallest allowed norm.
        max_value: the largest allowed norm.
        rate: how far to move towards the bounds per call, in [0, 1].
        axis: the axis (or list of axes) the norm is taken over.

    Example:

    >>> MinMaxNorm(min_value=2.0, max_value=3.0)(ops.convert_to_tensor([[0.6], [0.8]])).tolist()
    [[1.2000000476837158], [1.600000023841858]]
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        _validate_number("MinMaxNorm", "min_value", min_value, minimum=0)
        _validate_number("MinMaxNorm", "max_value", max_value, minimum=min_value)
        _validate_number("MinMaxNorm", "rate", rate, minimum=0, maximum=1)
        _validate_axis("MinMaxNorm", axis)
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = ops.convert_to_tensor(w)
        return _rescale_norms(w, self.min_value, self.max_value, self.rate, _axis_key(self.axis), epsilon())

    def get_config(self) -> dict:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


class Simplex(Constraint):
    """Projects ``w`` onto the probability simplex along ``axis``: nonnegative, summing to 1.

    The projection is the closest point in Euclidean distance (the sort-based
    algorithm of Held et al. 1974; Duchi et al. 2008), so weights already on the
    simplex are unchanged. Use it for weights that mix N branches and must stay
    positive and sum to one. loom's own constraint; Keras has no equivalent.

    Args:
        axis: the axis whose entries must sum to 1.

    Example:

    >>> Simplex()(ops.convert_to_tensor([0.5, 1.0, -1.0])).tolist()
    [0.25, 0.75, 0.0]
    """

    def __init__(self, axis=-1):
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise ValueError(f"Simplex: `axis` must be an int; received axis={axis!r}.")
        self.axis = int(axis)

    def __call__(self, w):
        return _simplex_projection(ops.convert_to_tensor(w), self.axis)

    def get_config(self) -> dict:
        return {"axis": self.axis}


# Keras exports each constraint under a snake_case name too; they are the classes.
max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
simplex = Simplex

_CLASSES = (MaxNorm, MinMaxNorm, NonNeg, UnitNorm, Simplex)
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})


_FAMILY = ClassFamily("constraint", "loom.constraints", "loom.constraints.Constraint", _BY_NAME)
_lookup = _FAMILY.lookup


def serialize(constraint) -> dict | None:
    """The constraint's config as a dict: ``module``, ``class_name``, ``config``, ``registered_name``.

    Args:
        constraint: a ``Constraint`` (or any object with ``get_config``), or None.

    Returns:
        A JSON-serializable dict that ``deserialize`` turns back into an equal
        constraint; None for None.
    """
    return _FAMILY.serialize(constraint)


def deserialize(config, custom_objects: dict | None = None) -> Constraint:
    """Builds a constraint from ``serialize``'s dict (or from a name).

    Args:
        config: a dict with ``class_name`` and ``config`` (Keras's files work
            too), or a name such as "non_neg".
        custom_objects: ``{name: class}`` for constraints loom does not define.

    Returns:
        A new constraint.
    """
    return _FAMILY.deserialize(config, custom_objects)


def get(identifier: ConstraintLike) -> Any:
    """Resolves a constraint from a name, config dict, class or callable.

    Args:
        identifier: None (returns None); a name ("max_norm", "MaxNorm",
            "non_neg", "unit_norm", "min_max_norm", "simplex", ...); a
            ``serialize`` dict; a ``Constraint`` class (instantiated with
            defaults); or any callable ``w -> w``, returned unchanged.

    Returns:
        A callable ``w -> projected w``, or None.

    Example:

    >>> get("non_neg")
    NonNeg()
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret constraint identifier: {identifier!r}. Pass a name such as 'non_neg', "
        "a Constraint, a config dict, or a callable returning the projected weight."
    )
