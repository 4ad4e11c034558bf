"""The stateless scope: one mapping from variables to (traced) values.

Inside a scope, reading a ``Variable`` gives the value the scope holds for it,
``assign`` records an update instead of mutating, ``add_loss`` collects side
losses, and random draws can come from the scope's key. This turns any layer's
eager-style ``call`` into a pure function of ``(variables, inputs, rng)``; eager
calls, ``predict``, shape inference and training all use this one mechanism.
"""

import threading

import jax

_local = threading.local()


def _stack() -> list:
    stack = getattr(_local, "scopes", None)
    if stack is None:
        stack = _local.scopes = []
    return stack


class StatelessScope:
    """Context manager holding variable values, updates, losses and an rng key.

    Args:
        state_mapping: pairs ``(variable, value)`` giving the value each variable
            reads as inside the scope. Unmapped variables read their own value
            (or, if an enclosing scope maps them, that scope's value).
        rng: optional ``jax.random`` key; when given, every ``SeedGenerator``
            draw inside the scope is derived from it instead of from the
            generator's own state, so a compiled step takes its randomness as an
            argument.
        collect_losses: whether ``add_loss`` calls are recorded.
    """

    def __init__(self, state_mapping=(), rng=None, collect_losses=True):
        self._values = {id(var): value for var, value in state_mapping}
        self._updates = {}
        self._updated_variables = {}
        self.losses = []
        self.collect_losses = collect_losses
        self.rng = rng
        self._draws = 0

    def __enter__(self):
        _stack().append(self)
        return self

    def __exit__(self, *exc):
        popped = _stack().pop()
        assert popped is self, "stateless scopes must be exited in order"

    def maps(self, variable) -> bool:
        return id(variable) in self._values or id(variable) in self._updates

    def get_current_value(self, variable):
        """The latest value for ``variable`` in this scope, or None if unmapped."""
        key = id(variable)
        if key in self._updates:
            return self._updates[key]
        return self._values.get(key)

    def add_update(self, variable, value) -> None:
        self._updates[id(variable)] = value
        self._updated_variables[id(variable)] = variable

    @property
    def updated_variables(self) -> list:
        return list(self._updated_variables.values())

    def add_loss(self, loss) -> None:
        if self.collect_losses:
            self.losses.append(loss)

    def next_rng_key(self):
        """A fresh key derived from the scope's rng; draws are numbered in call order."""
        self._draws += 1
        return jax.random.fold_in(self.rng, self._draws)


def get_stateless_scope() -> StatelessScope | None:
    stack = _stack()
    return stack[-1] if stack else None


def in_stateless_scope() -> bool:
    return bool(_stack())


def lookup_variable(variable):
    """The value of ``variable`` in the innermost scope that maps it, or None."""
    for scope in reversed(_stack()):
        value = scope.get_current_value(variable)
        if value is not None:
            return value
    return None


def scope_rng_key():
    """A key from the innermost scope that carries an rng, or None."""
    for scope in reversed(_stack()):
        if scope.rng is not None:
            return scope.next_rng_key()
    return None
