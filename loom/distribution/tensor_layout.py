"""TensorLayout: how one array is cut over a DeviceMesh (a named ``PartitionSpec``)."""

import jax

from loom.distribution.device_mesh import DeviceMesh


class TensorLayout:
    """Which mesh axis (or none) each dimension of an array is split along.

    Args:
        axes: one entry per array dimension: a mesh axis name, or None for a
            dimension every device holds whole. E.g. ``(None, "model")`` splits
            a Dense kernel's output units over the ``"model"`` axis.
        device_mesh: the mesh; may be given later (a ``LayoutMap`` fills it in).
    """

    def __init__(self, axes, device_mesh=None):
        self._axes = tuple(axes)
        self._device_mesh = None
        self._sharding = None
        if device_mesh is not None:
            self.device_mesh = device_mesh

    @property
    def axes(self) -> tuple:
        return self._axes

    @property
    def device_mesh(self):
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh) -> None:
        if self._device_mesh is not None:
            raise ValueError(f"{self!r} already has a device mesh; a layout's mesh is set once.")
        if not isinstance(device_mesh, DeviceMesh):
            raise ValueError(f"TensorLayout.device_mesh must be a DeviceMesh; received {device_mesh!r}.")
        unknown = [axis for axis in self._axes if axis is not None and axis not in device_mesh.axis_names]
        if unknown:
            raise ValueError(
                f"TensorLayout axes {self._axes} name {unknown}, which the mesh does not have; "
                f"its axes are {device_mesh.axis_names} (use None for a dimension kept whole)."
            )
        self._device_mesh = device_mesh

    @property
    def backend_layout(self) -> jax.sharding.NamedSharding:
        """The ``jax.sharding.NamedSharding`` (made once)."""
        if self._device_mesh is None:
            raise ValueError(f"{self!r} has no device mesh yet; pass device_mesh=... or put it in a LayoutMap.")
        if self._sharding is None:
            spec = jax.sharding.PartitionSpec(*self._axes)
            self._sharding = jax.sharding.NamedSharding(self._device_mesh.backend_mesh, spec)
        return self._sharding

    def __repr__(self):
        return f"<TensorLayout axes={self._axes}, device_mesh={self._device_mesh}>"


def distribute_tensor(tensor, layout):
    """``tensor`` laid out by ``layout`` (a TensorLayout or a JAX sharding): a sharding
    constraint inside a traced function, a ``device_put`` outside one."""
    sharding = layout.backend_layout if isinstance(layout, TensorLayout) else layout
    if isinstance(tensor, jax.core.Tracer):
        return jax.lax.with_sharding_constraint(tensor, sharding)
    if isinstance(tensor, jax.Array) and tensor.sharding.is_equivalent_to(sharding, tensor.ndim):
        return tensor
    return jax.device_put(tensor, sharding)
