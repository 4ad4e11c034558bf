"""SymbolicTensor: a placeholder for an array in a model graph (shape, dtype, history).

Operators (``+``, ``*``, ``[]``, ...) are attached in ``loom/ops/operators.py``,
the one place where this lower layer points back at ``loom.ops``.
"""

from loom.utils.dtypes import standardize_dtype

SYMBOLIC_TO_ARRAY_MESSAGE = """\
A symbolic tensor ({tensor}) was converted to a concrete array. Symbolic tensors
are placeholders in a model graph: they hold a shape, not numbers, so NumPy and
jax.numpy functions cannot compute on them. Use loom.ops (or a Lambda layer),
which records the computation in the graph instead:

    # wrong
    y = jnp.exp(x)
    y = np.sum(x, axis=-1)
    # right
    y = loom.ops.exp(x)
    y = loom.layers.Lambda(lambda t: jnp.sum(t, axis=-1))(x)
"""


class SymbolicTensor:
    """A graph placeholder: ``shape`` (None for unknown dims), ``dtype``, ``name``.

    ``_history`` is ``(operation, node_index, tensor_index)`` for tensors that an
    operation produced; it is how a model finds its way back to its inputs.
    """

    def __init__(self, shape, dtype=None, name: str | None = None, sparse: bool = False):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = standardize_dtype(dtype)
        self.name = name
        self.sparse = sparse
        self._history = None
        # Spec of the mask that travels with this tensor (Embedding(mask_zero=True) ...).
        self._keras_mask = None
        # Set on the result of `a == b` / `a != b` between two symbolic tensors so
        # that `assert layer.get_output_at(0) == encoded_a` reads as identity.
        self._identity_comparison = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def node(self):
        """The node (one operation call) that produced this tensor, or None."""
        if self._history is None:
            return None
        operation, node_index, _ = self._history
        return operation._inbound_nodes[node_index]

    @property
    def operation(self):
        return None if self._history is None else self._history[0]

    def __repr__(self):
        name = f", name={self.name}" if self.name else ""
        return f"<SymbolicTensor shape={self.shape}, dtype={self.dtype}{name}>"

    # `array * symbolic` must reach our reflected operators: NumPy defers to objects
    # that set __array_ufunc__ = None, and JAX defers to objects it cannot convert
    # (so there is deliberately no __jax_array__ here).
    __array_ufunc__ = None

    def __array__(self, *args, **kwargs):
        raise TypeError(SYMBOLIC_TO_ARRAY_MESSAGE.format(tensor=repr(self)))

    def numpy(self):
        raise TypeError(SYMBOLIC_TO_ARRAY_MESSAGE.format(tensor=repr(self)))

    def __bool__(self):
        if self._identity_comparison is not None:
            return self._identity_comparison
        raise TypeError(
            f"A symbolic tensor ({self!r}) has no truth value: it holds no numbers "
            "until the model runs. Use loom.ops.where / loom.ops.cond-style code "
            "inside a layer instead of Python `if`/`and`/`or` on tensors."
        )

    def __iter__(self):
        raise TypeError(
            f"Cannot iterate over a symbolic tensor ({self!r}). Index it (x[:, 0]) "
            "or use loom.ops.split / loom.ops.unstack."
        )

    __hash__ = object.__hash__


def is_symbolic(x) -> bool:
    return isinstance(x, SymbolicTensor)


def shape_of(x) -> tuple:
    """The shape of a symbolic tensor or array, with unknown dims as None."""
    return tuple(d if isinstance(d, int) else None for d in x.shape)


def spec(shape, dtype=None, name=None) -> SymbolicTensor:
    return SymbolicTensor(shape, dtype, name=name)
