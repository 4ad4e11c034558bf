"""Losses by name: ``get`` for compile(), ``serialize``/``deserialize`` for model files."""

import inspect
from collections.abc import Callable
from typing import Any, Union

from loom.losses.crossentropy import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    sparse_categorical_crossentropy,
)
from loom.losses.circle import Circle, circle
from loom.losses.ctc import CTC, ctc
from loom.losses.generalized_cross_entropy import (
    CategoricalGeneralizedCrossEntropy,
    categorical_generalized_cross_entropy,
)
from loom.losses.hinge import CategoricalHinge, Hinge, SquaredHinge, categorical_hinge, hinge, squared_hinge
from loom.losses.loss import Loss, LossFunctionWrapper
from loom.losses.probabilistic import KLDivergence, Poisson, kl_divergence, poisson
from loom.losses.regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from loom.losses.segmentation import Dice, Tversky, dice, tversky
from loom.utils.lookup import lookup

LossLike = Union[Loss, str, dict, Callable, None]

ALL_OBJECTS = (
    Loss,
    LossFunctionWrapper,
    # probabilistic
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    SparseCategoricalCrossentropy,
    kl_divergence,
    poisson,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    sparse_categorical_crossentropy,
    # regression
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCosh,
    Huber,
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    cosine_similarity,
    log_cosh,
    huber,
    # hinge
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    hinge,
    squared_hinge,
    categorical_hinge,
    # segmentation
    Dice,
    Tversky,
    dice,
    tversky,
    # sequences and metric learning
    CTC,
    Circle,
    ctc,
    circle,
)

# The names Keras 3's `keras.losses.get` resolves.
ALL_OBJECTS_DICT = {obj.__name__: obj for obj in ALL_OBJECTS}
ALL_OBJECTS_DICT.update(
    {
        "bce": binary_crossentropy,
        "BCE": binary_crossentropy,
        "kld": kl_divergence,
        "KLD": kl_divergence,
        "mae": mean_absolute_error,
        "MAE": mean_absolute_error,
        "mse": mean_squared_error,
        "MSE": mean_squared_error,
        "mape": mean_absolute_percentage_error,
        "MAPE": mean_absolute_percentage_error,
        "msle": mean_squared_logarithmic_error,
        "MSLE": mean_squared_logarithmic_error,
    }
)

# Keras 2 resolved these too; Keras 3 keeps them only under keras._legacy, so old
# `compile(loss="logcosh")` code would break. loom keeps them (DESIGN: nothing the seeds use is dropped).
_BY_NAME = {**ALL_OBJECTS_DICT, "logcosh": log_cosh, "kullback_leibler_divergence": kl_divergence}
# Keras 3 exports these but leaves them out of `get`; loom resolves them so their configs reload.
_BY_NAME.update(
    {
        "CategoricalGeneralizedCrossEntropy": CategoricalGeneralizedCrossEntropy,
        "categorical_generalized_cross_entropy": categorical_generalized_cross_entropy,
    }
)


def _lookup(name: str, custom_objects: dict | None):
    """The loss called ``name`` (custom objects first), or a ValueError listing the valid names."""
    return lookup("loss", name, _BY_NAME, custom_objects, "For a custom loss pass the object itself, or its class or function in `custom_objects`.")


def serialize(loss) -> dict | None:
    """The loss as a JSON-serializable dict, in Keras's format.

    A ``Loss`` gives ``{"module", "class_name", "config", "registered_name"}``;
    a function gives ``{"class_name": "function", "config": <its name>, ...}``.

    Args:
        loss: a ``Loss``, a named loss function, or None.

    Returns:
        A dict that ``deserialize`` turns back into an equal loss; None for None.

    Example:

    >>> serialize(mean_squared_error)["config"]
    'mean_squared_error'
    """
    if loss is None:
        return None
    if not inspect.isclass(loss) and hasattr(loss, "get_config"):
        cls = type(loss)
        builtin = _BY_NAME.get(cls.__name__) is cls
        return {
            "module": "loom.losses" if builtin else cls.__module__,
            "class_name": cls.__name__,
            "config": loss.get_config(),
            "registered_name": None if builtin else cls.__name__,
        }
    name = getattr(loss, "__name__", None)
    if inspect.isclass(loss) or not callable(loss) or name is None or name == "<lambda>":
        raise ValueError(
            f"Cannot serialize the loss {loss!r}: only Loss instances and named functions can be "
            "saved (a lambda's code is never stored). Define it with `def`, or subclass "
            "loom.losses.Loss, and pass it in `custom_objects` when loading."
        )
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}


def deserialize(config, custom_objects: dict | None = None) -> Any:
    """Builds a loss from ``serialize``'s dict, or from a name.

    Args:
        config: a dict from ``serialize`` (Keras's files work too), or a name:
            a class name gives an instance with default arguments, a function
            name ("mse", "categorical_crossentropy") the function.
        custom_objects: ``{name: class or function}`` for losses loom does not define.

    Returns:
        A ``Loss`` instance or a loss function.

    Example:

    >>> deserialize({"class_name": "Huber", "config": {"delta": 2.0}}).delta
    2.0
    """
    if config is None:
        return None
    if isinstance(config, str):
        obj = _lookup(config, custom_objects)
        return obj() if inspect.isclass(obj) else obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "losses.deserialize expects a name or a dict with 'class_name' and 'config' (the output "
            f"of serialize); received {config!r}."
        )
    if config["class_name"] == "function":
        return _lookup(config["config"], custom_objects)
    registered = config.get("registered_name")
    name = registered if custom_objects and registered in custom_objects else config["class_name"]
    cls = _lookup(name, custom_objects)
    arguments = dict(config.get("config") or {})
    if arguments.get("reduction") == "auto":
        # Keras 2 files say "auto", which meant "sum_over_batch_size" outside tf.distribute.
        arguments["reduction"] = "sum_over_batch_size"
    if not hasattr(cls, "from_config"):
        raise ValueError(
            f"Cannot deserialize the loss {config['class_name']!r}: {cls!r} has no from_config. "
            "Pass a Loss subclass in `custom_objects`."
        )
    return cls.from_config(arguments)


def get(identifier: LossLike) -> Any:
    """Resolves a loss from a name, config dict, class, instance or function.

    Args:
        identifier: None (returns None); a name such as "mse",
            "categorical_crossentropy" (the function) or "CategoricalCrossentropy"
            (an instance with default arguments); a ``serialize`` dict; a
            ``Loss`` class (instantiated with defaults); or a ``Loss`` instance
            or function ``(y_true, y_pred) -> per-sample losses``, returned unchanged.

    Returns:
        A ``Loss`` instance or a loss function, or None.

    Example:

    >>> get("mse") is mean_squared_error
    True
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = _lookup(identifier, None)
    else:
        obj = identifier
    if inspect.isclass(obj):
        return obj()
    if callable(obj):
        return obj
    raise ValueError(
        f"Could not interpret loss identifier: {identifier!r}. Pass a name such as 'mse', a Loss, "
        "a config dict, or a function (y_true, y_pred) -> per-sample losses."
    )
