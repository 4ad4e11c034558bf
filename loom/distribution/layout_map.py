"""LayoutMap: variable paths (or regular expressions over them) to TensorLayouts."""

import collections.abc
import re

from loom.distribution.tensor_layout import TensorLayout


class LayoutMap(collections.abc.MutableMapping):
    """A dict from keys to layouts where lookups also match keys as regular expressions.

    ``layout_map["dense_1/kernel"]`` returns the layout stored under exactly that
    key, else the one whose key ``re.fullmatch``-es it (``".*dense.*kernel"``),
    else None (the variable is replicated). Two matching keys are an error.
    Tuples stored as values become ``TensorLayout``s on this map's mesh.

    Args:
        device_mesh: the ``DeviceMesh`` every layout in the map uses.
    """

    def __init__(self, device_mesh):
        self._device_mesh = device_mesh
        self._layouts = collections.OrderedDict()

    @property
    def device_mesh(self):
        return self._device_mesh

    def __getitem__(self, key):
        if key in self._layouts:
            return self._layouts[key]
        matches = [pattern for pattern in self._layouts if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Variable path {key!r} matches {len(matches)} LayoutMap keys {matches}; each path "
                "may match at most one. Make the patterns more specific."
            )
        return self._layouts[matches[0]] if matches else None

    def __setitem__(self, key, layout) -> None:
        if key in self._layouts:
            raise ValueError(f"LayoutMap already has the key {key!r}; delete it first to replace its layout.")
        if isinstance(layout, (tuple, list)):
            layout = TensorLayout(layout)
        if not isinstance(layout, TensorLayout):
            raise ValueError(
                f"LayoutMap values are TensorLayouts or tuples of mesh axis names; received {layout!r} for key {key!r}."
            )
        if layout.device_mesh is None and self._device_mesh is not None:
            layout.device_mesh = self._device_mesh
        self._layouts[key] = layout

    def __delitem__(self, key) -> None:
        del self._layouts[key]

    def __len__(self) -> int:
        return len(self._layouts)

    def __iter__(self):
        return iter(self._layouts)
