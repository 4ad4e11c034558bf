"""Names of built-in objects (losses, initializers, ...): lookup, and config dicts.

Every family resolves names the same way (the caller's ``custom_objects`` first,
then loom's table) and refuses an unknown name with the same kind of message:
the closest valid names, all valid names, and how to pass a custom object.
"""

import difflib


def unknown_name(kind: str, name: str, valid, custom_hint: str) -> ValueError:
    """The error for an unknown ``kind`` called ``name``; ``custom_hint`` says how to pass one."""
    close = difflib.get_close_matches(name, list(valid), n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return ValueError(f"Unknown {kind}: {name!r}.{hint} Valid names: {', '.join(sorted(valid))}. {custom_hint}")


def lookup(kind: str, name: str, table: dict, custom_objects: dict | None, custom_hint: str | None = None):
    """``custom_objects[name]``, else ``table[name]``, else ``unknown_name``'s error."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in table:
        return table[name]
    hint = custom_hint or f"For a custom {kind} pass the object itself, or its class in `custom_objects`."
    raise unknown_name(kind, name, table, hint)


class ClassFamily:
    """Serialize and deserialize for a family of classes with ``get_config``/``from_config``
    (initializers, regularizers, constraints), in Keras's dict format.

    Args:
        kind: the family's singular noun, for messages ("constraint").
        module: the public module of the built-ins ("loom.constraints").
        base: the base class users subclass ("loom.constraints.Constraint").
        table: ``{name: class}`` of the built-ins, class names included.
    """

    def __init__(self, kind: str, module: str, base: str, table: dict):
        self.kind, self.module, self.base, self.table = kind, module, base, table

    def lookup(self, name: str, custom_objects: dict | None):
        return lookup(self.kind, name, self.table, custom_objects)

    def serialize(self, obj) -> dict | None:
        if obj is None:
            return None
        if not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot serialize {self.kind} {obj!r}: it has no get_config(). Subclass "
                f"{self.base} and return the constructor arguments from get_config()."
            )
        cls = type(obj)
        builtin = self.table.get(cls.__name__) is cls
        return {
            "module": self.module if builtin else cls.__module__,
            "class_name": cls.__name__,
            "config": obj.get_config(),
            "registered_name": None if builtin else cls.__name__,
        }

    def deserialize(self, config, custom_objects: dict | None):
        if isinstance(config, str):
            return self.lookup(config, custom_objects)()
        if not isinstance(config, dict) or "class_name" not in config:
            family = self.module.rsplit(".", 1)[-1]
            raise ValueError(
                f"{family}.deserialize expects a name or a dict with 'class_name' and 'config' "
                f"(the output of serialize); received {config!r}."
            )
        cls = self.lookup(config["class_name"], custom_objects)
        return cls.from_config(dict(config.get("config") or {}))
