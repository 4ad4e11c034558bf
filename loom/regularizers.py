"""Regularizers: penalties on a weight or activation, added to the training loss."""

import inspect
import math
from collections.abc import Callable
from typing import Any, Union

import numpy as np

from loom import ops
from loom.utils.lookup import ClassFamily
from loom.utils.naming import to_snake_case

RegularizerLike = Union["Regularizer", str, dict, Callable, None]

def _validate_factor(owner: str, name: str, value) -> float:
    """``value`` as a float, or a ValueError if it is not a finite number >= 0."""
    is_number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value) or value < 0:
        raise ValueError(f"{owner}: `{name}` must be a non-negative float; received {name}={value!r}.")
    return float(value)


# Python-float factors times arrays keep the array's dtype (JAX weak typing), as
# Keras's explicit casts do.


class Regularizer:
    """Base class: ``regularizer(x)`` returns a scalar penalty for the tensor ``x``.

    Any callable from a tensor to a scalar works as a regularizer; subclass this
    one to make it serializable through ``get_config``.

    Example:

    >>> class L2Half(Regularizer):
    ...     def __call__(self, x):
    ...         return 0.5 * ops.sum(ops.square(x))
    ...     def get_config(self):
    ...         return {}
    >>> float(L2Half()(ops.ones((2, 2))))
    2.0
    """

    def __call__(self, x):
        """The penalty for ``x`` (0 for the base class)."""
        return 0.0

    def get_config(self) -> dict:
        """The constructor arguments, as a JSON-serializable dict."""
        raise NotImplementedError(
            f"{type(self).__name__} does not implement get_config(); return its constructor "
            "arguments from get_config() so it can be saved."
        )

    @classmethod
    def from_config(cls, config: dict) -> "Regularizer":
        """Builds a regularizer from the output of ``get_config``."""
        return cls(**config)

    def __repr__(self):
        try:
            arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        except NotImplementedError:
            arguments = "..."
        return f"{type(self).__name__}({arguments})"


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)``.

    Args:
        l1: L1 factor (non-negative).
        l2: L2 factor (non-negative).

    Example:

    >>> float(L1L2(l1=0.1, l2=0.5)(ops.ones((2, 2))))
    2.4
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _validate_factor("L1L2", "l1", 0.0 if l1 is None else l1)
        self.l2 = _validate_factor("L1L2", "l2", 0.0 if l2 is None else l2)

    def __call__(self, x):
        x = ops.convert_to_tensor(x)
        penalty = ops.zeros((), dtype=x.dtype)
        if self.l1:
            penalty = ops.add(penalty, self.l1 * ops.sum(ops.absolute(x)))
        if self.l2:
            penalty = ops.add(penalty, self.l2 * ops.sum(ops.square(x)))
        return penalty

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(|x|)``.

    Args:
        l1: L1 factor (non-negative).

    Example:

    >>> float(L1(0.5)(ops.ones((2, 2))))
    2.0
    """

    def __init__(self, l1=0.01):
        self.l1 = _validate_factor("L1", "l1", 0.01 if l1 is None else l1)

    def __call__(self, x):
        x = ops.convert_to_tensor(x)
        return self.l1 * ops.sum(ops.absolute(x))

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x**2)`` (no factor 1/2, as in Keras).

    Args:
        l2: L2 factor (non-negative).

    Example:

    >>> float(L2(0.5)(ops.ones((2, 2))))
    2.0
    """

    def __init__(self, l2=0.01):
        self.l2 = _validate_factor("L2", "l2", 0.01 if l2 is None else l2)

    def __call__(self, x):
        x = ops.convert_to_tensor(x)
        return self.l2 * ops.sum(ops.square(x))

    def get_config(self) -> dict:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2-D weight towards being orthogonal.

    The penalty is ``factor * 0.5 * mean |<u_i, u_j>|`` over pairs ``i < j`` of
    L2-normalized rows (``mode="rows"``) or columns (``mode="columns"``).

    Args:
        factor: the penalty's factor (non-negative).
        mode: "rows" or "columns".

    Example:

    >>> float(OrthogonalRegularizer(factor=1.0)(ops.eye(3)))
    0.0
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _validate_factor("OrthogonalRegularizer", "factor", factor)
        if mode not in ("rows", "columns"):
            raise ValueError(
                f"OrthogonalRegularizer: `mode` must be 'rows' or 'columns'; received mode={mode!r}."
            )
        self.mode = mode

    def __call__(self, inputs):
        x = ops.convert_to_tensor(inputs)
        if len(x.shape) != 2:
            raise ValueError(
                f"OrthogonalRegularizer: inputs must be 2-D (a Dense kernel); received shape {tuple(x.shape)}."
            )
        if self.mode == "columns":
            x = ops.transpose(x)
        size = x.shape[0]
        if size < 2:
            # Keras divides 0 by 0 pairs here and returns NaN; one vector has nothing to be orthogonal to.
            return ops.zeros((), dtype=x.dtype)
        x = ops.normalize(x, axis=1)  # unit rows; the norm's inverse capped at 1 / epsilon, as in Keras
        product = ops.matmul(x, ops.transpose(x))  # (size, size) cosine similarities
        off_diagonal = product * (1.0 - ops.eye(size, dtype=x.dtype))
        num_pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * ops.sum(ops.absolute(off_diagonal)) / num_pairs

    def get_config(self) -> dict:
        return {"factor": self.factor, "mode": self.mode}


# Keras exports each regularizer under a snake_case name too; they are the classes.
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

_CLASSES = (L1, L2, L1L2, OrthogonalRegularizer)
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})  # "l1l2" is Keras 3's spelling
_BY_NAME["l1_l2"] = L1L2


_FAMILY = ClassFamily("regularizer", "loom.regularizers", "loom.regularizers.Regularizer", _BY_NAME)
_lookup = _FAMILY.lookup


def serialize(regularizer) -> dict | None:
    """The regularizer's config as a dict: ``module``, ``class_name``, ``config``, ``registered_name``.

    Args:
        regularizer: a ``Regularizer`` (or any object with ``get_config``), or None.

    Returns:
        A JSON-serializable dict that ``deserialize`` turns back into an equal
        regularizer; None for None.
    """
    return _FAMILY.serialize(regularizer)


def deserialize(config, custom_objects: dict | None = None) -> Regularizer:
    """Builds a regularizer from ``serialize``'s dict (or from a name).

    Args:
        config: a dict with ``class_name`` and ``config`` (Keras's files work
            too), or a name such as "l2".
        custom_objects: ``{name: class}`` for regularizers loom does not define.

    Returns:
        A new regularizer.
    """
    return _FAMILY.deserialize(config, custom_objects)


def get(identifier: RegularizerLike) -> Any:
    """Resolves a regularizer from a name, config dict, class or callable.

    Args:
        identifier: None (returns None); a name ("l1", "l2", "l1_l2",
            "L1L2", "orthogonal_regularizer", ...), built with its defaults
            except "l1_l2", which Keras documents as ``L1L2(l1=0.01,
            l2=0.01)``; a ``serialize`` dict; a ``Regularizer`` class
            (instantiated with defaults); or any callable ``x -> scalar``,
            returned unchanged.

    Returns:
        A callable ``x -> scalar penalty``, or None.

    Example:

    >>> get("l2")
    L2(l2=0.01)
    """
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier == "l1_l2":
        # Keras 3 documents 'l1_l2' as L1L2(0.01, 0.01) but only resolves 'l1l2' (to a
        # zero penalty); loom follows the documented meaning, which is Keras 2's.
        return L1L2(l1=0.01, l2=0.01)
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret regularizer identifier: {identifier!r}. Pass a name such as 'l2', "
        "a Regularizer, a config dict, or a callable returning a scalar penalty."
    )
