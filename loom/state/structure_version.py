"""A counter of changes to what layers hold (sublayers, variables, trainable flags).

Walking a model's layers to list its variables costs a visit of every attribute of
every layer: a noticeable share of a ``train_on_batch`` call on a small model. The
walks are cached against this counter, which moves whenever a layer attribute is
set, a weight or state variable is added, or a variable's ``trainable`` changes.
Creating a layer sets attributes, so a layer appended in place to a list that a
layer holds invalidates the caches too (it was created after them, or is already
counted).
"""

_version = 0


def current() -> int:
    return _version


def changed() -> None:
    global _version
    _version += 1
