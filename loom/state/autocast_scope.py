"""The autocast scope: while a mixed-precision layer runs, its float variables read in the compute dtype.

A layer whose policy stores weights in float32 but computes in float16 enters
``AutocastScope("float16")`` around its ``call``; ``Variable.value`` then
returns a float16 copy of each float variable created with ``autocast=True``.
The stored value (and what the optimizer updates) stays float32, and gradients
flow back through the cast. ``AutocastScope(None)`` turns casting off inside an
enclosing scope (a layer that asked for ``autocast=False``).
"""

import threading

import jax.numpy as jnp

_local = threading.local()


def _stack() -> list:
    stack = getattr(_local, "scopes", None)
    if stack is None:
        stack = _local.scopes = []
    return stack


class AutocastScope:
    """Context manager: float variables read as ``dtype`` inside it (None: as stored).

    Args:
        dtype: a floating dtype name such as ``"float16"``, or None.
    """

    def __init__(self, dtype: str | None):
        if dtype is not None:
            dtype = jnp.dtype(dtype).name
            if not jnp.issubdtype(jnp.dtype(dtype), jnp.floating):
                raise ValueError(f"AutocastScope needs a floating dtype such as 'float16' or None; received {dtype!r}.")
        self.dtype = dtype

    def maybe_cast(self, value):
        """``value`` cast to the scope's dtype if it is a float array of another dtype."""
        if self.dtype is not None and jnp.issubdtype(value.dtype, jnp.floating) and value.dtype != self.dtype:
            return value.astype(self.dtype)
        return value

    def __enter__(self):
        _stack().append(self)
        return self

    def __exit__(self, *exc):
        popped = _stack().pop()
        assert popped is self, "autocast scopes must be exited in order"


def get_autocast_scope() -> AutocastScope | None:
    """The innermost active scope, or None."""
    stack = _stack()
    return stack[-1] if stack else None
