"""Slots: an optax state pytree kept as named optimizer Variables, one per leaf.

optax keeps an optimizer's state as a pytree (``ScaleByRmsState(nu=[...])``);
Keras keeps it as Variables named after the model variable they belong to
(``"rmsprop/dense_kernel_velocity"``). A ``SlotLayout`` maps one onto the other
once, at build time, so checkpoints see named Variables and a compiled step
sees the pytree it passes to ``update``.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp

from loom.distribution import placement


def _field_and_index(path) -> tuple:
    """``(field name, parameter index or None)`` of a leaf's key path in an optax state."""
    last = path[-1]
    if isinstance(last, jax.tree_util.SequenceKey) and len(path) >= 2:
        field = path[-2]
        index = last.idx
    else:
        field, index = last, None
    if isinstance(field, jax.tree_util.GetAttrKey):
        return field.name, index
    if isinstance(field, jax.tree_util.DictKey):
        return str(field.key), index
    raise ValueError(
        f"Cannot name optimizer state leaf at {jax.tree_util.keystr(path)}: optimizer state "
        "must be NamedTuples (or dicts) whose fields hold one value or one value per variable."
    )


class SlotLayout:
    """Where each leaf of an optax state lives: a Variable, or the optimizer's step count.

    Args:
        state: the rule's initial state for a list of parameters.
        parameters: the model Variables the state was made for (same order).
        make_variable: ``make_variable(name, value) -> Variable`` creates and tracks
            one optimizer Variable.
        slot_names: renames optax fields to Keras's slot names (``{"nu": "velocity"}``).
        slot_groups: Keras's variable order: for each group, for each parameter,
            the group's slots in order (``(("momentum", "velocity"),)``).
            Per-parameter slots not listed follow, in state order; then
            one-per-optimizer leaves (Nadam's ``u_product``).

    A field named ``count`` (optax's step counter) is not stored: it is the
    optimizer's ``iterations``, passed to ``read``.
    """

    def __init__(
        self,
        state,
        parameters: list,
        make_variable: Callable,
        slot_names: dict,
        slot_groups: tuple,
    ):
        leaves, self._treedef = jax.tree_util.tree_flatten_with_path(state)
        per_parameter, shared = {}, []
        self._count_dtypes = {}
        for position, (path, value) in enumerate(leaves):
            field, index = _field_and_index(path)
            if field == "count" and index is None:
                self._count_dtypes[position] = value.dtype
            elif index is None:
                shared.append((position, slot_names.get(field, field), value))
            else:
                per_parameter.setdefault(slot_names.get(field, field), {})[index] = (position, value)

        listed = {name for group in slot_groups for name in group}
        groups = [tuple(group) for group in slot_groups] + [(name,) for name in per_parameter if name not in listed]
        self._sources = [None] * len(leaves)
        self.parameter_index = [None] * len(leaves)
        self.variables = []
        for group in groups:
            for index, parameter in enumerate(parameters):
                for name in group:
                    if index in per_parameter.get(name, {}):
                        position, value = per_parameter[name][index]
                        reference = parameter.path.replace("/", "_")
                        variable = make_variable(f"{reference}_{name}", value)
                        variable._layout_reference = parameter  # laid out like its parameter
                        placement.place_variable(variable)
                        self._add(position, variable, index)
        for position, name, value in shared:
            self._add(position, make_variable(name, value), None)

    def _add(self, position: int, variable, index) -> None:
        self._sources[position] = variable
        self.parameter_index[position] = index
        self.variables.append(variable)

    def read(self, count):
        """The state pytree from the Variables' current values (traced inside a stateless scope)."""
        leaves = [
            jnp.asarray(count, self._count_dtypes[position]) if source is None else source.value
            for position, source in enumerate(self._sources)
        ]
        return self._treedef.unflatten(leaves)

    def split(self, state) -> list:
        """``(variable, value, parameter index)`` for every stored leaf of a new state."""
        leaves = self._treedef.flatten_up_to(state)
        return [
            (source, value, index)
            for source, value, index in zip(self._sources, leaves, self.parameter_index)
            if source is not None
        ]
