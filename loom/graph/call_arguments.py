"""CallArguments: the arguments of one recorded call, with tensors found and refilled."""

import jax

from loom.graph.symbolic_tensor import SymbolicTensor


def _is_leaf(x) -> bool:
    return x is None or isinstance(x, SymbolicTensor)


def flatten_tensors(structure) -> list:
    """Every SymbolicTensor inside a nested structure of lists/tuples/dicts, in order."""
    return [x for x in jax.tree_util.tree_leaves(structure, is_leaf=_is_leaf) if isinstance(x, SymbolicTensor)]


def any_symbolic(structure) -> bool:
    if isinstance(structure, SymbolicTensor):
        return True
    if isinstance(structure, (list, tuple)):
        return any(any_symbolic(x) for x in structure)
    if isinstance(structure, dict):
        return any(any_symbolic(x) for x in structure.values())
    return False


def map_tensors(fn, structure):
    """Apply ``fn`` to every SymbolicTensor of a structure, keeping everything else."""
    return jax.tree_util.tree_map(
        lambda x: fn(x) if isinstance(x, SymbolicTensor) else x, structure, is_leaf=_is_leaf
    )


class CallArguments:
    """The positional and keyword arguments of one call of an operation."""

    def __init__(self, args: tuple, kwargs: dict):
        self.args = tuple(args)
        self.kwargs = dict(kwargs)
        self.tensors = flatten_tensors((self.args, self.kwargs))

    def fill(self, values: dict) -> tuple[tuple, dict]:
        """The arguments with each symbolic tensor replaced by ``values[id(tensor)]``."""
        return map_tensors(lambda t: values[id(t)], (self.args, self.kwargs))

    @property
    def first_argument(self):
        return self.args[0] if self.args else next(iter(self.kwargs.values()), None)

    def constants(self) -> list:
        """Concrete arrays that the call received next to symbolic tensors (graph constants)."""
        leaves = jax.tree_util.tree_leaves((self.args, self.kwargs), is_leaf=_is_leaf)
        return [x for x in leaves if hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, SymbolicTensor)]
