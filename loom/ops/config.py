"""The fuzz factor ``epsilon`` that ops read when no epsilon is passed (Keras's ``backend.epsilon``)."""

_epsilon = 1e-7


def epsilon() -> float:
    """The small constant that keeps divisions and logarithms finite (default 1e-7)."""
    return _epsilon


def set_epsilon(value: float) -> None:
    """Set the value returned by ``epsilon()``.

    Args:
        value: a non-negative float, e.g. 1e-7.
    """
    global _epsilon
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"set_epsilon expects a non-negative float such as 1e-7; received {value!r}.")
    _epsilon = float(value)
