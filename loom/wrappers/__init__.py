"""loom.wrappers: loom models as scikit-learn estimators, as keras.wrappers.

The three classes load on first use: scikit-learn is optional, and importing it
would add ~0.7 s to every ``import loom``.
"""

import typing as _typing
from importlib import import_module as _import_module

if _typing.TYPE_CHECKING:  # the names, for readers and type checkers; at run time __getattr__ loads them
    from loom.wrappers.sklearn_classifier import SKLearnClassifier as SKLearnClassifier
    from loom.wrappers.sklearn_regressor import SKLearnRegressor as SKLearnRegressor
    from loom.wrappers.sklearn_transformer import SKLearnTransformer as SKLearnTransformer

_HOMES = {
    "SKLearnClassifier": "loom.wrappers.sklearn_classifier",
    "SKLearnRegressor": "loom.wrappers.sklearn_regressor",
    "SKLearnTransformer": "loom.wrappers.sklearn_transformer",
}


def __getattr__(name):
    if name in _HOMES:
        value = getattr(_import_module(_HOMES[name]), name)
        globals()[name] = value  # found directly next time
        return value
    raise AttributeError(f"module 'loom.wrappers' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_HOMES))
