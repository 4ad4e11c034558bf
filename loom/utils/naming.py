"""Automatic, unique names for layers and operations (``dense``, ``dense_1``, ...)."""

import collections
import re

_uids: collections.Counter = collections.Counter()


def to_snake_case(name: str) -> str:
    """``ThresholdedReLU`` -> ``thresholded_re_lu``, as Keras names its layers."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(prefix: str) -> str:
    """The first call for a prefix returns it bare, later calls add ``_1``, ``_2``..."""
    count = _uids[prefix]
    _uids[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def auto_name(obj_or_class) -> str:
    cls = obj_or_class if isinstance(obj_or_class, type) else type(obj_or_class)
    return unique_name(to_snake_case(cls.__name__))


def reset_names() -> None:
    _uids.clear()
