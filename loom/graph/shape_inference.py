"""Output shapes of any function on symbolic tensors, via ``jax.eval_shape``.

Unknown dims become symbolic dimensions (``jax.export.symbolic_shape``): axis 0
is ``batch``, axis i is ``d{i}``, shared by all inputs so that two ``(None, 8)``
tensors can be added. Code that needs a concrete size (``int(x.shape[0])``,
Python loops over the batch) is retried with two concrete sizes; dims that
differ between the two runs are unknown. No layer needs a hand-written rule.
"""

import jax
from jax import export

from loom.graph.call_arguments import map_tensors
from loom.graph.symbolic_tensor import SymbolicTensor
from loom.state.stateless_scope import StatelessScope

_MAX_SYMBOLIC_RANK = 12
# All symbols must come from one scope, or JAX refuses to compare them.
_SYMBOLS = export.symbolic_shape(", ".join(["batch"] + [f"d{i}" for i in range(1, _MAX_SYMBOLIC_RANK)]))
# Two sizes unlikely to appear in a real model, for the concrete retry.
_PROBE_SIZES = (83, 89)


class _Slot:
    """Marks where the i-th symbolic tensor sat in a call's arguments."""

    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index


def _symbolic_struct(tensor: SymbolicTensor):
    if tensor.ndim > _MAX_SYMBOLIC_RANK:
        return _concrete_struct(tensor, _PROBE_SIZES[0])
    shape = tuple(_SYMBOLS[i] if d is None else d for i, d in enumerate(tensor.shape))
    return jax.ShapeDtypeStruct(shape, tensor.dtype)


def _concrete_struct(tensor: SymbolicTensor, size: int):
    return jax.ShapeDtypeStruct(tuple(size if d is None else d for d in tensor.shape), tensor.dtype)


def infer_output_spec(fn, args: tuple, kwargs: dict, describe: str):
    """The symbolic outputs of ``fn(*args, **kwargs)``; each a SymbolicTensor without history.

    Args:
        fn: the function to trace (a layer's call, an op).
        args, kwargs: the call arguments; SymbolicTensors inside them are traced.
        describe: how errors name the caller, e.g. "Layer 'lambda' (Lambda)".
    """
    tensors = []

    def to_slot(tensor):
        tensors.append(tensor)
        return _Slot(len(tensors) - 1)

    template = map_tensors(to_slot, (args, kwargs))

    def run(to_struct):
        def traced(*values):
            call_args, call_kwargs = jax.tree_util.tree_map(
                lambda x: values[x.index] if isinstance(x, _Slot) else x,
                template,
                is_leaf=lambda x: x is None or isinstance(x, _Slot),
            )
            # Assignments and losses made while tracing are dropped with the scope.
            with StatelessScope(collect_losses=False):
                return fn(*call_args, **call_kwargs)

        return jax.eval_shape(traced, *[to_struct(t) for t in tensors])

    try:
        out = run(_symbolic_struct)
        return _to_symbolic(out)
    except Exception as symbolic_err:  # noqa: BLE001 - retried with concrete sizes below
        if getattr(symbolic_err, "_loom_reported", False):
            raise
    try:
        first = run(lambda t: _concrete_struct(t, _PROBE_SIZES[0]))
        second = run(lambda t: _concrete_struct(t, _PROBE_SIZES[1]))
    except Exception as err:  # noqa: BLE001 - re-raised once, with context
        raise_with_context(err, describe, tensors)
    return _merge_probes(first, second)


def _to_symbolic(out):
    return jax.tree_util.tree_map(
        lambda s: SymbolicTensor(tuple(d if isinstance(d, int) else None for d in s.shape), s.dtype), out
    )


def _merge_probes(first, second):
    def merge(a, b):
        if len(a.shape) != len(b.shape):
            raise ValueError("A function returned outputs of different ranks for different batch sizes.")
        return SymbolicTensor(tuple(d if d == e else None for d, e in zip(a.shape, b.shape)), a.dtype)

    return jax.tree_util.tree_map(merge, first, second)


def raise_with_context(err: BaseException, describe: str, tensors) -> None:
    """Re-raise ``err`` once, as the same type, naming the caller and input shapes."""
    if getattr(err, "_loom_reported", False):
        raise err
    shapes = ", ".join(str(t.shape) for t in tensors) or "no tensors"
    context = f"{describe} raised {type(err).__name__} when called on inputs of shape {shapes}."
    message = f"{err}\n\n{context}"
    try:
        new_err = type(err)(message)
        if str(new_err) != message:
            new_err = None
    except Exception:  # noqa: BLE001 - exception types with custom constructors
        new_err = None
    if new_err is None:
        # Keep the original object when its type cannot be rebuilt from a message.
        if hasattr(err, "add_note"):
            err.add_note(context)
        err._loom_reported = True
        raise err
    new_err._loom_reported = True
    raise new_err from err
