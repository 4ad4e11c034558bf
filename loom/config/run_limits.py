"""Caps on how long ``fit``/``evaluate``/``predict`` run, for quick debugging runs of a full script.

Set them with ``set_max_epochs``/``set_max_steps_per_epoch`` or, without editing
the script, with the environment variables ``KERAS_MAX_EPOCHS`` and
``KERAS_MAX_STEPS_PER_EPOCH`` (Keras's names, read once at import).
The training loop applies them through ``capped_epochs`` and ``capped_steps``.
"""

import os
import warnings


def _from_environment(name: str) -> int | None:
    value = os.environ.get(name)
    if not value:
        return None
    try:
        return _checked(int(value), name)
    except ValueError:
        raise ValueError(f"The environment variable {name} must be a positive integer; received {value!r}.") from None


def _checked(value, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int or None (no limit); received {value!r}.")
    return value


_max_epochs = _from_environment("KERAS_MAX_EPOCHS")
_max_steps_per_epoch = _from_environment("KERAS_MAX_STEPS_PER_EPOCH")


def max_epochs() -> int | None:
    """The most epochs any ``fit`` runs, or None for no limit."""
    return _max_epochs


def set_max_epochs(max_epochs: int | None) -> None:
    """Cap the epochs of every later ``fit`` call (None removes the cap).

    Args:
        max_epochs: a positive int, or None.
    """
    global _max_epochs
    _max_epochs = _checked(max_epochs, "max_epochs")


def max_steps_per_epoch() -> int | None:
    """The most steps one epoch of ``fit`` (or one ``evaluate``/``predict`` call) runs, or None."""
    return _max_steps_per_epoch


def set_max_steps_per_epoch(max_steps_per_epoch: int | None) -> None:
    """Cap the steps per epoch of every later ``fit``, ``evaluate`` and ``predict`` call (None removes it).

    Args:
        max_steps_per_epoch: a positive int, or None.
    """
    global _max_steps_per_epoch
    _max_steps_per_epoch = _checked(max_steps_per_epoch, "max_steps_per_epoch")


def capped_epochs(epochs: int, stacklevel: int = 3) -> int:
    """``epochs``, lowered to ``max_epochs()`` with Keras's warning when that is smaller."""
    if _max_epochs is not None and _max_epochs < epochs:
        warnings.warn(f"Limiting epochs to {_max_epochs}", stacklevel=stacklevel)
        return _max_epochs
    return epochs


def capped_steps(steps: int | None, stacklevel: int = 3) -> int | None:
    """``steps`` (None: the whole data), lowered to ``max_steps_per_epoch()`` with Keras's warning
    when that is smaller or ``steps`` is None."""
    if _max_steps_per_epoch is not None and (steps is None or _max_steps_per_epoch < steps):
        warnings.warn(f"Limiting steps_per_epoch to {_max_steps_per_epoch}", stacklevel=stacklevel)
        return _max_steps_per_epoch
    return steps
