"""Stable names for a model's variables: by layer name (the weights file's keys) and by layer tree.

Each variable has two paths. Its *key* names the layers: in a functional or
Sequential model a layer by its layer name, inside a layer (or a subclassed
model) a sublayer by the attribute holding it (``block/dense_in/kernel``);
for the usual functional model this is each variable's ``path``
(``dense/kernel``). These keys name the tensors of a weights file.

Its *tree path* names positions only, as Keras's ``saving_lib`` builds the
paths inside a weights file: the layers of a functional or Sequential model
are ``layers/<class>``, ``layers/<class>_1``, ... (the snake-case class name,
counted within that list), sublayers are named by attribute, and items of a
list or dict attribute by class the same way. Auto-generated layer names
(``dense_12``) differ between two builds of one architecture in a session;
tree paths do not, so weights are matched by tree path when a file has them.
"""

import collections

from loom.layers.layer import _UNTRACKED, Layer
from loom.saving.errors import SerializationError
from loom.state.seed_generator import SeedGenerator
from loom.state.variable import Variable
from loom.utils.naming import to_snake_case

# Keys starting with "__" name sections of a weights file that hold something other than
# the model's variables: "__optimizer__/", "__arrays__/" (arrays a config refers to), and
# any a checkpoint adds for itself (e.g. "__backup__/").
RESERVED_PREFIX = "__"


def is_reserved(key: str) -> bool:
    return key.startswith(RESERVED_PREFIX)


class Entry(collections.namedtuple("Entry", ["key", "tree", "variable", "seed_state"])):
    """One variable: its key, its tree path, and whether it is a random generator's state (not a weight)."""


class _Counter:
    """Keras's names for the items of one list: ``dense``, ``dense_1``, ``dropout``, ``dense_2``."""

    def __init__(self):
        self._used = {}

    def name(self, base: str) -> str:
        count = self._used.get(base)
        self._used[base] = 0 if count is None else count + 1
        return base if count is None else f"{base}_{count + 1}"


def _item_name(value, counter: _Counter) -> str:
    if isinstance(value, (list, tuple, dict)):
        return counter.name("container")
    return counter.name(to_snake_case(type(value).__name__))


def _attribute_children(layer) -> list:
    """(key, tree path, object) for the layers and seed generators held in attributes, lists and dicts."""
    found = []

    def visit(key, tree, value):
        if isinstance(value, (Layer, SeedGenerator)):
            found.append((key, tree, value))
        elif isinstance(value, (list, tuple, dict)):
            items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
            counter = _Counter()
            for index, item in items:
                if isinstance(item, (Layer, SeedGenerator, list, tuple, dict)):
                    visit(f"{key}/{index}", f"{tree}/{_item_name(item, counter)}", item)

    for attribute, value in vars(layer).items():
        if attribute not in _UNTRACKED and value is not layer and not isinstance(value, Variable):
            visit(attribute, attribute, value)
    return found


def _children(layer) -> list:
    if hasattr(layer, "_layer_names") and "_operations" in vars(layer):
        names = layer._layer_names()
        counter = _Counter()
        graph = [
            (names.get(id(child), child.name), f"layers/{_item_name(child, counter)}", child) for child in layer._layers
        ]
        generators = [child for child in _attribute_children(layer) if isinstance(child[2], SeedGenerator)]
        return graph + generators
    return _attribute_children(layer)


def _walk(model) -> list:
    """An ``Entry`` for every variable, each once (a shared layer at its first place)."""
    found, seen, visited = [], set(), set()
    stack = [("", "", model)]
    while stack:
        key_prefix, tree_prefix, layer = stack.pop()
        if isinstance(layer, SeedGenerator):
            if id(layer.state) not in seen:
                seen.add(id(layer.state))
                found.append(Entry(f"{key_prefix}state", f"{tree_prefix}state", layer.state, True))
            continue
        if id(layer) in visited:
            continue
        visited.add(id(layer))
        for variable in layer._own_variables:
            if id(variable) not in seen:
                seen.add(id(variable))
                found.append(Entry(key_prefix + variable.name, tree_prefix + variable.name, variable, False))
        for key, tree, child in reversed(_children(layer)):
            stack.append((f"{key_prefix}{key}/", f"{tree_prefix}{tree}/", child))
    return found


def _check_unique(model, pairs, what: str) -> dict:
    result = {}
    for key, variable in pairs:
        if key in result:
            raise SerializationError(
                f"Two variables of model '{model.name}' would be saved as {what}{key!r}; give the layers or "
                "weights distinct names."
            )
        if is_reserved(key):
            raise SerializationError(
                f"Model '{model.name}' would save a variable as {key!r}; names starting with '__' are reserved "
                "for sections of the weights file. Rename that layer."
            )
        result[key] = variable
    return result


def walk_variables(model) -> list:
    """An ``Entry`` (key, tree path, variable) for every variable of ``model`` (weights and random-generator states).

    Raises:
        SerializationError: two variables would get the same key (two weights of
            one layer with one name, or a layer named like a reserved section).
    """
    walked = _walk(model)
    _check_unique(model, [(entry.key, entry.variable) for entry in walked], "")
    _check_unique(model, [(entry.tree, entry.variable) for entry in walked], "tree path ")
    return walked


def variable_paths(model) -> dict:
    """``{key: Variable}`` for every variable of ``model``: the tensor names of its weights file."""
    return {entry.key: entry.variable for entry in walk_variables(model)}
