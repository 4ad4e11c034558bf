"""Where arrays go while a distribution is set: loom's one bridge to ``jax.sharding``.

- Variables: placed with the distribution's layout when created and when their
  path is set (``place_variable``); optimizer slots follow the variable they
  belong to (``_layout_reference``); ``place_variables`` re-checks a whole
  training state before a compiled run.
- Compiled steps: each batch is constrained to the batch sharding and each new
  state to the state's shardings (``Constraints``); XLA inserts the collectives,
  so a chunk of steps stays one program.
- Several processes: each passes its own rows; ``global_rows`` gathers them once
  per call into the same global arrays on every process (process 0's rows first),
  so every process then runs the same program on the same inputs. ``batch_size``
  stays per process, as in Keras: a global batch is ``batch_size * processes``.
- Files: ``host_value`` gathers sharded arrays; only process 0 writes (``is_writer``).
"""

import jax
import numpy as np
from jax.experimental import multihost_utils

from loom.distribution.distribution import distribution


def _sharding_for(variable, dist) -> jax.sharding.NamedSharding:
    reference = getattr(variable, "_layout_reference", None)
    source = reference if reference is not None and tuple(reference.shape) == tuple(variable.shape) else variable
    layout = dist.get_variable_layout(source)
    axes, shape = tuple(layout.axes), tuple(variable.shape)
    if len(axes) != len(shape):
        raise ValueError(
            f"The layout {axes} for variable '{variable.path}' has {len(axes)} entries but the variable has "
            f"shape {shape} ({len(shape)} dimensions); give one mesh axis or None per dimension."
        )
    mesh = layout.device_mesh if layout.device_mesh is not None else dist.device_mesh
    for dim, axis in zip(shape, axes):
        if axis is not None and dim % mesh.axis_size(axis):
            raise ValueError(
                f"Variable '{variable.path}' of shape {shape} cannot be split by the layout {axes}: dimension "
                f"{dim} does not divide over the {mesh.axis_size(axis)} devices of mesh axis {axis!r}. Change "
                "the LayoutMap entry, the mesh shape or the layer size."
            )
    if layout.device_mesh is None:
        layout.device_mesh = mesh
    return layout.backend_layout


def variable_sharding(variable):
    """The sharding the current distribution gives ``variable``, or None without one."""
    dist = distribution()
    return None if dist is None else _sharding_for(variable, dist)


def place_variable(variable) -> None:
    """Move ``variable``'s value to its layout under the current distribution (if any)."""
    dist = distribution()
    value = variable._value
    if dist is None or isinstance(value, jax.core.Tracer):
        return
    sharding = _sharding_for(variable, dist)
    if not value.sharding.is_equivalent_to(sharding, value.ndim):
        variable._value = jax.device_put(value, sharding)


def place_variables(variables) -> None:
    for variable in variables:
        place_variable(variable)


def batch_sharding(dist):
    return jax.sharding.NamedSharding(dist.device_mesh.backend_mesh, jax.sharding.PartitionSpec(dist.batch_dim_name))


def replicated_sharding(dist):
    return jax.sharding.NamedSharding(dist.device_mesh.backend_mesh, jax.sharding.PartitionSpec())


def put_replicated(value):
    """``value`` on every device of the current distribution (on the default device without one)."""
    dist = distribution()
    return jax.device_put(value) if dist is None else jax.device_put(value, replicated_sharding(dist))


def check_batch_size(batch_size: int, what: str) -> None:
    """Full batches must split evenly over the batch axis (a partial last batch may not)."""
    dist = distribution()
    if dist is None:
        return
    replicas = dist.num_model_replicas
    if batch_size % replicas:
        raise ValueError(
            f"{what}: batch_size={batch_size} does not split over the {replicas} devices of the "
            f"distribution's batch axis {dist.batch_dim_name!r}; use a multiple of {replicas}, e.g. "
            f"batch_size={max(replicas, batch_size // replicas * replicas)}."
        )


def constrain_batch(batch, dist=None):
    """Split each array of a batch along its rows over the batch axis, when the rows divide
    evenly (a partial last batch runs replicated, as on one device). Inside traced code."""
    dist = dist if dist is not None else distribution()
    if dist is None:
        return batch
    sharding, replicas = batch_sharding(dist), dist.num_model_replicas

    def constrain(leaf):
        if leaf is None or np.ndim(leaf) == 0 or leaf.shape[0] % replicas:
            return leaf
        return jax.lax.with_sharding_constraint(leaf, sharding)

    return jax.tree_util.tree_map(constrain, batch)


class Constraints:
    """Sharding constraints a compiled step applies to its batch and its new state.

    Made from the state's Variables when a compiled run is set up; None when no
    distribution is set (``for_state``), so single-device programs are unchanged.
    """

    def __init__(self, dist, state_shardings):
        self._dist = dist
        self._state = state_shardings

    @classmethod
    def for_state(cls, groups):
        """``groups``: the state's Variables as a TrainState-like tuple of lists."""
        dist = distribution()
        if dist is None:
            return None
        shardings = type(groups)(*([_sharding_for(v, dist) for v in group] for group in groups))
        return cls(dist, shardings)

    def batch(self, batch):
        return constrain_batch(batch, self._dist)

    def state(self, state):
        """Keep every piece of state in its layout across steps."""
        return type(state)(
            *(
                [jax.lax.with_sharding_constraint(value, sharding) for value, sharding in zip(values, shardings)]
                for values, shardings in zip(state, self._state)
            )
        )

    def metrics(self, values: list) -> list:
        return [jax.lax.with_sharding_constraint(v, s) for v, s in zip(values, self._state.metrics)]


# --- several processes ---------------------------------------------------------------------
def process_count() -> int:
    return jax.process_count()


def is_writer() -> bool:
    """Whether this process writes files: only process 0 does when there are several."""
    return jax.process_index() == 0


def global_rows(structure, what: str):
    """Every process's rows of ``structure`` (arrays with a leading sample axis), in
    process order, on every process; unchanged with one process."""
    if jax.process_count() == 1:
        return structure
    leaves = [leaf for leaf in jax.tree_util.tree_leaves(structure)]
    counts = multihost_utils.process_allgather(np.asarray([np.shape(leaves[0])[0]], np.int64))
    counts = [int(c) for c in np.asarray(counts).reshape(-1)]
    if len(set(counts)) != 1:
        raise ValueError(
            f"{what}: the processes passed different numbers of samples {counts} (process i gave counts[i]); "
            "under a distribution every process passes the same number of its own rows."
        )
    return jax.tree_util.tree_map(
        lambda a: np.asarray(multihost_utils.process_allgather(np.asarray(a), tiled=True)), structure
    )


def refuse_several_processes(what: str, data: str) -> None:
    """Data forms that are not yet gathered over processes get an error, never a silently
    different run (each process would train on its own batches as if they were global)."""
    if jax.process_count() > 1:
        raise ValueError(
            f"{what}: {data} is not supported with {jax.process_count()} processes yet; pass NumPy arrays "
            "(each process its own rows) to fit / evaluate / predict instead."
        )


def local_rows(array, count: int):
    """This process's ``count`` rows of an array gathered by ``global_rows``."""
    if jax.process_count() == 1:
        return array
    start = jax.process_index() * count
    return array[start : start + count]


def to_host(tree):
    """``jax.device_get`` of a tree, gathering arrays that span several processes."""
    if jax.process_count() == 1:
        return jax.device_get(tree)
    return jax.tree_util.tree_map(host_value, tree)


def host_value(array) -> np.ndarray:
    """A NumPy copy of an array, gathered from every process when it spans several."""
    if isinstance(array, jax.Array) and not array.is_fully_addressable and not array.is_fully_replicated:
        return np.asarray(multihost_utils.process_allgather(array, tiled=True))
    return np.asarray(array)
