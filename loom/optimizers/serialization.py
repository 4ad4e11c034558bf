"""Finding optimizers by name and turning them into configs and back."""

import inspect

from loom.optimizers.adadelta import Adadelta
from loom.optimizers.adagrad import Adagrad
from loom.optimizers.adafactor import Adafactor
from loom.optimizers.adam import Adam, AdamW
from loom.optimizers.adamax import Adamax
from loom.optimizers.ftrl import Ftrl
from loom.optimizers.lamb import Lamb
from loom.optimizers.lion import Lion
from loom.optimizers.loss_scale_optimizer import LossScaleOptimizer
from loom.optimizers.multi_optimizer import MultiOptimizer
from loom.optimizers.muon import Muon
from loom.optimizers.nadam import Nadam
from loom.optimizers.optimizer import Optimizer
from loom.optimizers.rmsprop import RMSprop
from loom.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from loom.optimizers.sgd import SGD
from loom.utils.lookup import unknown_name

_CLASSES = (
    SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion, Ftrl, LossScaleOptimizer,
    Adafactor, Lamb, Muon, ScheduleFreeAdamW, MultiOptimizer,
)  # fmt: skip
# Keras matches built-in names case-insensitively ("adam", "Adam", "RMSprop", "rmsprop").
_BY_NAME = {cls.__name__.lower(): cls for cls in _CLASSES}
# Keras optimizer names loom lacks, for a clearer error than "unknown" (none at present).
_KERAS_ONLY = ()


def _lookup(name: str, custom_objects: dict | None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name.lower() in _BY_NAME:
        return _BY_NAME[name.lower()]
    if name.lower() in _KERAS_ONLY:
        raise ValueError(
            f"Optimizer {name!r} exists in Keras but not yet in loom. Available: "
            f"{', '.join(cls.__name__ for cls in _CLASSES)}."
        )
    raise unknown_name(
        "optimizer", name, _BY_NAME, "For a custom optimizer pass the instance itself, or its class in `custom_objects`."
    )


def serialize(optimizer: Optimizer) -> dict:
    """The optimizer's config as a dict: ``module``, ``class_name``, ``config``, ``registered_name``.

    Example:

    >>> serialize(Adam())["class_name"]
    'Adam'
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizers.serialize expects a loom Optimizer; received {optimizer!r}.")
    cls = type(optimizer)
    builtin = _BY_NAME.get(cls.__name__.lower()) is cls
    return {
        "module": "loom.optimizers" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": optimizer.get_config(),
        "registered_name": None if builtin else cls.__name__,
    }


def deserialize(config: dict, custom_objects: dict | None = None) -> Optimizer:
    """Builds an optimizer (without its state) from ``serialize``'s dict; Keras's files work too.

    Args:
        config: a dict with ``class_name`` and ``config``.
        custom_objects: ``{name: class}`` for optimizers (and schedules) loom does not define.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "optimizers.deserialize expects a dict with 'class_name' and 'config' (the output of serialize); "
            f"received {config!r}."
        )
    cls = _lookup(config["class_name"], custom_objects)
    if not (inspect.isclass(cls) and issubclass(cls, Optimizer)):
        raise TypeError(
            f"custom_objects[{config['class_name']!r}] must be a loom Optimizer subclass; received {cls!r}."
        )
    return cls.from_config(dict(config.get("config") or {}), custom_objects=custom_objects)


def get(identifier) -> Optimizer | None:
    """Resolves an optimizer from a name, a config dict, a class, or an instance.

    Args:
        identifier: None (returns None); a name ("adam", "Adam", "sgd",
            "rmsprop", ...), giving the optimizer with Keras's defaults; a
            ``serialize`` dict; an ``Optimizer`` subclass (instantiated with its
            defaults); or an ``Optimizer`` instance, returned unchanged.

    Example:

    >>> get("rmsprop").get_config()["learning_rate"] == get("rmsprop").get_config()["learning_rate"]
    True
    """
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Optimizer):
        return identifier()
    raise ValueError(
        f"Could not interpret optimizer identifier: {identifier!r}. Pass a name such as 'adam', an Optimizer "
        "instance, or a config dict from optimizers.serialize."
    )
