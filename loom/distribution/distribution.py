"""Distribution: the rule that says where variables and data live, and the current one.

A distribution is set globally (``set_distribution``) or for a block
(``with distribution.scope():``). While one is set, new Variables are placed with
the layout it gives them, and ``fit`` / ``evaluate`` / ``predict`` split every batch
along its data axis; XLA inserts the collectives (see ``placement``).
"""

import contextlib

import jax

from loom.distribution.tensor_layout import TensorLayout

DEFAULT_BATCH_DIM_NAME = "batch"

_current = None


def distribution():
    """The distribution now in effect, or None."""
    return _current


def set_distribution(value) -> None:
    """Make ``value`` (a ``Distribution``, or None to stop distributing) the current one."""
    global _current
    if value is not None and not isinstance(value, Distribution):
        raise ValueError(
            f"set_distribution expects a Distribution (DataParallel, ModelParallel) or None; received {value!r}."
        )
    _current = value


class Distribution:
    """Base class: a device mesh and the layouts of variables, data and named tensors.

    Args:
        device_mesh: the ``DeviceMesh``.
        batch_dim_name: the mesh axis that batches are split along.
        auto_shard_dataset: Keras's switch for sharding a ``tf.data`` dataset over
            processes; kept for compatibility (loom's array data is always split
            by process: each process passes its own rows).
    """

    def __init__(self, device_mesh, batch_dim_name=None, auto_shard_dataset=True):
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self._auto_shard_dataset = auto_shard_dataset
        self._num_processes = jax.process_count()
        self._process_id = jax.process_index()

    @property
    def device_mesh(self):
        return self._device_mesh

    @property
    def batch_dim_name(self):
        return self._batch_dim_name

    @property
    def auto_shard_dataset(self) -> bool:
        return self._auto_shard_dataset

    @auto_shard_dataset.setter
    def auto_shard_dataset(self, value) -> None:
        self._auto_shard_dataset = value

    @property
    def num_processes(self) -> int:
        return self._num_processes

    @property
    def num_model_replicas(self) -> int:
        """How many copies of the model see different data: the size of the batch axis."""
        return self._device_mesh.axis_size(self._batch_dim_name)

    @property
    def num_data_shards(self) -> int:
        return min(self.num_model_replicas, self.num_processes)

    @property
    def data_shard_id(self) -> int:
        replicas = self.num_model_replicas
        if replicas >= self.num_processes:
            return self._process_id
        return self._process_id // (self.num_processes // replicas)

    def get_data_layout(self, data_shape) -> TensorLayout:
        """Batches are split along their first dimension over the batch axis."""
        axes = [None] * len(data_shape)
        axes[0] = self._batch_dim_name
        return TensorLayout(axes, self._device_mesh)

    def get_variable_layout(self, variable) -> TensorLayout:
        raise NotImplementedError(f"{type(self).__name__} must define get_variable_layout.")

    def get_tensor_layout(self, path):
        """The layout of an intermediate tensor named ``path``, or None to leave it to XLA."""
        del path

    @contextlib.contextmanager
    def scope(self):
        """Make this the current distribution inside a ``with`` block."""
        previous = distribution()
        set_distribution(self)
        try:
            yield self
        finally:
            set_distribution(previous)

    def _replicated_layout(self, variable) -> TensorLayout:
        return TensorLayout([None] * len(variable.shape), self._device_mesh)

    def __repr__(self):
        return f"<{type(self).__name__} device_mesh={self._device_mesh}>"
