"""Config: Keras's attribute dictionary (``keras.utils.Config``) of named settings."""

import copy
import difflib
import json

# Attributes of the object itself; every other name is an entry of the config.
_OWN_ATTRIBUTES = frozenset({"_config", "_frozen"})


class Config:
    """A dict of named values that also reads and writes them as attributes, and can be frozen.

    Example:

    >>> config = Config(learning_rate=0.1)
    >>> config.momentum = 0.9
    >>> config["seed"] = 123
    >>> config.learning_rate, config["momentum"], sorted(config)
    (0.1, 0.9, ['learning_rate', 'momentum', 'seed'])
    >>> config.freeze()
    >>> config.seed = 7
    Traceback (most recent call last):
    ...
    ValueError: Cannot mutate attribute(s) because the config is frozen; call config.unfreeze() first.
    """

    def __init__(self, **kwargs):
        object.__setattr__(self, "_config", dict(kwargs))
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self) -> bool:
        """Whether changes are refused."""
        return self._frozen

    def freeze(self) -> None:
        """Refuse any further change."""
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self) -> None:
        object.__setattr__(self, "_frozen", False)

    def _raise_if_frozen(self) -> None:
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen; call config.unfreeze() first.")

    def as_dict(self) -> dict:
        return copy.copy(self._config)

    def to_json(self) -> str:
        return json.dumps(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def get(self, keyname, value=None):
        return self._config.get(keyname, value)

    def pop(self, *args):
        self._raise_if_frozen()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        self._raise_if_frozen()
        return self._config.update(*args, **kwargs)

    def __setattr__(self, name, value):
        if name in _OWN_ATTRIBUTES or hasattr(type(self), name):
            object.__setattr__(self, name, value)  # as Keras: methods and properties are not entries
            return
        self._raise_if_frozen()
        self._config[name] = value

    def __getattr__(self, name):
        # Only reached when normal lookup fails; dunder and internal names never are entries
        # (copy and pickle probe them before __init__ has run).
        if name.startswith("__") or name in _OWN_ATTRIBUTES:
            raise AttributeError(name)
        config = self._config
        if name in config:
            return config[name]
        message = f"Unknown attribute: '{name}'."
        close = difflib.get_close_matches(name, [str(key) for key in config], n=1, cutoff=0.7)
        if close:
            message += f" Did you mean '{close[0]}'?"
        raise AttributeError(message)

    def __setitem__(self, key, item):
        self._raise_if_frozen()
        self._config[key] = item

    def __getitem__(self, key):
        return self._config[key]

    def __delitem__(self, key):
        self._raise_if_frozen()
        del self._config[key]

    def __contains__(self, item):
        return item in self._config

    def __iter__(self):
        return iter(sorted(self._config))  # sorted, as Keras iterates

    def __len__(self):
        return len(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"
