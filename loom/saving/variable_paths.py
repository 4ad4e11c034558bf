"""Stable names for a model's variables, the keys of its weights file.

In a functional or Sequential model a layer is named by its layer name; inside
a layer (or a subclassed model) a sublayer is named by the attribute holding
it (``block/dense_in/kernel``), since its own auto-generated name
(``dense_12``) changes from one process to the next. A variable is then
``<layer path>/<variable name>``, and a random generator's state
``<layer path>/<attribute>/state``. For the usual functional model this is
exactly each variable's ``path`` (``dense/kernel``), and it is the same for a
model rebuilt from its config, which is what makes weights loadable.
"""

from loom.layers.layer import _UNTRACKED, Layer
from loom.saving.errors import SerializationError
from loom.state.seed_generator import SeedGenerator
from loom.state.variable import Variable

# Keys starting with "__" name sections of a weights file that hold something other than
# the model's variables: "__optimizer__/", "__arrays__/" (arrays a config refers to), and
# any a checkpoint adds for itself (e.g. "__backup__/").
RESERVED_PREFIX = "__"


def is_reserved(key: str) -> bool:
    return key.startswith(RESERVED_PREFIX)


def _attribute_children(layer) -> list:
    """(name, object) for the layers and seed generators held in attributes, lists and dicts."""
    found = []

    def visit(name, value):
        if isinstance(value, (Layer, SeedGenerator)):
            found.append((name, value))
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                visit(f"{name}/{index}", item)
        elif isinstance(value, dict):
            for key, item in value.items():
                visit(f"{name}/{key}", item)

    for key, value in vars(layer).items():
        if key not in _UNTRACKED and value is not layer and not isinstance(value, Variable):
            visit(key, value)
    return found


def _children(layer) -> list:
    if hasattr(layer, "_layer_names") and "_operations" in vars(layer):
        names = layer._layer_names()
        graph = [(names.get(id(child), child.name), child) for child in layer._layers]
        generators = [(n, g) for n, g in _attribute_children(layer) if isinstance(g, SeedGenerator)]
        return graph + generators
    return _attribute_children(layer)


def variable_paths(model) -> dict:
    """``{key: Variable}`` for every variable of ``model`` (weights and random-generator states).

    Raises:
        SerializationError: two variables would get the same key (two weights of
            one layer with one name, or a layer named like a reserved section).
    """
    result, seen = {}, set()

    def add(key: str, variable: Variable):
        if id(variable) in seen:
            return
        if key in result:
            raise SerializationError(
                f"Two variables of model '{model.name}' would be saved as {key!r}; give the layers or "
                "weights distinct names."
            )
        if is_reserved(key):
            raise SerializationError(
                f"Model '{model.name}' would save a variable as {key!r}; names starting with '__' are reserved "
                "for sections of the weights file. Rename that layer."
            )
        seen.add(id(variable))
        result[key] = variable

    visited = set()
    stack = [("", model)]
    while stack:
        prefix, layer = stack.pop()
        if isinstance(layer, SeedGenerator):
            add(f"{prefix}state", layer.state)
            continue
        if id(layer) in visited:
            continue
        visited.add(id(layer))
        for variable in layer._own_variables:
            add(prefix + variable.name, variable)
        for name, child in reversed(_children(layer)):
            stack.append((f"{prefix}{name}/", child))
    return result
