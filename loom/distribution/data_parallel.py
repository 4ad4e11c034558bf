"""DataParallel: every device holds the whole model and a slice of each batch."""

import warnings

import numpy as np

from loom.distribution.device_mesh import DeviceMesh, list_devices
from loom.distribution.distribution import DEFAULT_BATCH_DIM_NAME, Distribution


class DataParallel(Distribution):
    """Replicate the variables; split each batch over the devices.

    Give at most one of ``device_mesh`` (its first axis is the batch axis) and
    ``devices`` (a 1-D mesh over them); with neither, every device of
    ``list_devices()``.

    Args:
        device_mesh: a ``DeviceMesh``.
        devices: a list of devices (``"cpu:0"`` names or JAX devices).
        auto_shard_dataset: kept for Keras compatibility (see ``Distribution``).
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh is not None:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(
                    f"DataParallel(device_mesh=...) expects a DeviceMesh; received {device_mesh!r}. "
                    "Pass devices=[...] for a list of devices."
                )
            if len(device_mesh.shape) != 1:
                warnings.warn(
                    f"DataParallel expects a 1-D mesh; received shape {device_mesh.shape}. Batches are split "
                    f"along its first axis {device_mesh.axis_names[0]!r} only.",
                    stacklevel=2,
                )
            batch_dim_name = device_mesh.axis_names[0]
        else:
            chosen = np.array(list_devices() if not devices else list(devices), dtype=object)
            device_mesh = DeviceMesh((chosen.size,), (DEFAULT_BATCH_DIM_NAME,), chosen.reshape(-1))
            batch_dim_name = DEFAULT_BATCH_DIM_NAME
        super().__init__(device_mesh, batch_dim_name, auto_shard_dataset)

    @property
    def num_model_replicas(self) -> int:
        return int(self.device_mesh.devices.size)

    def get_variable_layout(self, variable):
        explicit = getattr(variable, "_layout", None)
        return explicit if explicit is not None else self._replicated_layout(variable)
