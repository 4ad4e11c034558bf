"""Configs of the layers that recurrent layers wrap (cells, Bidirectional's and TimeDistributed's layer)."""

import copy
import inspect

from loom.layers.layer import Layer


def serialize_layer(layer) -> dict:
    """A layer as ``{"module", "class_name", "config", "registered_name"}``, as Keras writes it."""
    if not hasattr(layer, "get_config"):
        raise TypeError(f"Cannot serialize {layer!r}: it has no get_config(). Make it a loom Layer.")
    cls = type(layer)
    builtin = cls.__module__.startswith("loom.")
    return {
        "module": "loom.layers" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": layer.get_config(),
        "registered_name": None if builtin else cls.__name__,
    }


def _loom_layer_classes() -> dict:
    """Every Layer subclass defined inside loom, by class name (found without importing anything)."""
    found, stack = {}, [Layer]
    while stack:
        cls = stack.pop()
        if cls.__module__.startswith("loom."):
            found.setdefault(cls.__name__, cls)
        stack.extend(cls.__subclasses__())
    return found


def deserialize_layer(config, custom_objects: dict | None = None):
    """Rebuild a layer from ``serialize_layer``'s dict; only loom classes or ``custom_objects``.

    Classes outside loom are never imported from a name in a config (saving is
    data, never code): pass them in ``custom_objects``.
    """
    if isinstance(config, Layer):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Expected a layer config with 'class_name' and 'config'; received {config!r}.")
    name = config["class_name"]
    custom_objects = custom_objects or {}
    cls = custom_objects.get(name) or custom_objects.get(config.get("registered_name") or "")
    if cls is None:
        cls = _loom_layer_classes().get(name)
    if cls is None:
        raise ValueError(
            f"Unknown layer class {name!r} in a config. If it is your own layer, pass "
            f"custom_objects={{'{name}': {name}}}."
        )
    inner = copy.deepcopy(config.get("config") or {})
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        return cls.from_config(inner, custom_objects=custom_objects)
    return cls.from_config(inner)
