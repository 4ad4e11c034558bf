"""ModelParallel: variables split over a mesh axis by a LayoutMap, batches over another."""

from loom.distribution.distribution import Distribution
from loom.distribution.layout_map import LayoutMap


class ModelParallel(Distribution):
    """Shard the variables a ``LayoutMap`` names; replicate the rest; split batches.

    Example::

        mesh = DeviceMesh((2, 4), ("batch", "model"))
        layout_map = LayoutMap(mesh)
        layout_map[".*dense.*kernel"] = (None, "model")
        layout_map[".*dense.*bias"] = ("model",)
        set_distribution(ModelParallel(layout_map=layout_map, batch_dim_name="batch"))

    List a model's variable paths (the LayoutMap's keys) with
    ``[v.path for v in model.variables]``.

    Args:
        layout_map: the ``LayoutMap``; its mesh is the distribution's mesh.
        batch_dim_name: the mesh axis batches are split along; default: the
            mesh's first axis.
        auto_shard_dataset: kept for Keras compatibility (see ``Distribution``).
    """

    def __init__(self, *, layout_map=None, batch_dim_name=None, auto_shard_dataset=True, **kwargs):
        kwargs.pop("device_mesh", None)  # Keras accepts and ignores it: the map's mesh is used
        if kwargs:
            raise ValueError(f"ModelParallel: unexpected argument(s) {sorted(kwargs)}.")
        if layout_map is None:
            raise ValueError("ModelParallel needs layout_map=LayoutMap(device_mesh) with the layouts to use.")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(f"ModelParallel(layout_map=...) expects a LayoutMap; received {layout_map!r}.")
        mesh = layout_map.device_mesh
        batch_dim_name = batch_dim_name or mesh.axis_names[0]
        if batch_dim_name not in mesh.axis_names:
            raise ValueError(
                f"ModelParallel: batch_dim_name={batch_dim_name!r} is not an axis of the mesh {mesh.axis_names}."
            )
        super().__init__(mesh, batch_dim_name, auto_shard_dataset)
        self._layout_map = layout_map
        replicas = self.num_model_replicas
        if self.num_processes > replicas and self.num_processes % replicas:
            raise ValueError(
                f"ModelParallel: {self.num_processes} processes cannot share {replicas} model replicas evenly; "
                "make the number of processes a multiple of the batch axis size."
            )

    @property
    def layout_map(self) -> LayoutMap:
        return self._layout_map

    def get_variable_layout(self, variable):
        explicit = getattr(variable, "_layout", None)
        if explicit is not None:
            return explicit
        layout = self._layout_map[variable.path]
        return layout if layout is not None else self._replicated_layout(variable)

    def get_tensor_layout(self, path):
        return self._layout_map[path]
