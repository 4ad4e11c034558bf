"""The reference helper behind the one-line op tests: a table row per call, checked three ways.

Values are computed in one compiled program per table: compiling each of
~1000 tiny programs separately would take most of a minute, one program takes
seconds. Ops whose output shape depends on values (``Case.eager``) cannot be
traced and run eagerly.
"""

import dataclasses
import os
from collections.abc import Callable

os.environ.setdefault("KERAS_BACKEND", "jax")  # Keras's default backend, TensorFlow, is not installed

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

import loom.ops as ops  # noqa: E402
from loom.graph import SymbolicTensor  # noqa: E402

# Aliases are the same function as in Keras (ops.swish is ops.silu): nodes record the canonical name.
ALIASES = {"swish": "silu", "hard_swish": "hard_silu"}
KERAS = "keras"  # reference marker: compare with keras.ops.<name> on the same inputs
NUMPY = "numpy"  # reference marker (the default): numpy.<name>(*args, **kwargs)


@dataclasses.dataclass(eq=False)
class Case:
    """One call of ``loom.ops.<name>`` and where its expected value comes from.

    Attributes:
        name: the op's public name in ``loom.ops``.
        args, kwargs: the call; numpy arrays among ``args`` (also inside lists and
            tuples) become symbolic tensors in the symbolic checks.
        reference: ``NUMPY``, ``KERAS`` or a callable taking ``(*args, **kwargs)``.
        batch: whether output axis 0 follows axis 0 of the first argument, so the
            op can be checked on a ``(None, ...)`` symbolic tensor next to numpy
            constants.
        symbolic: whether to check the op on symbolic tensors (False for creation
            ops, which take no tensors).
        eager: True for ops whose output shape depends on values: computed
            eagerly, never on symbolic tensors.
        rtol, atol: tolerances of the value comparison.
    """

    name: str
    args: tuple
    kwargs: dict
    reference: object = NUMPY
    batch: bool = True
    symbolic: bool = True
    eager: bool = False
    rtol: float = 1e-5
    atol: float = 1e-6
    label: str = ""
    table: "Table | None" = None

    @property
    def id(self) -> str:
        return self.name + (f"[{self.label}]" if self.label else "")

    def call(self):
        return getattr(ops, self.name)(*self.args, **self.kwargs)

    def keras_call(self):
        return getattr(keras.ops, self.name)(*self.args, **self.kwargs)


def case(
    name, *args, ref=NUMPY, batch=True, symbolic=True, eager=False, rtol=1e-5, atol=1e-6, label="", **kwargs
) -> Case:
    """A table row: ``loom.ops.<name>(*args, **kwargs)`` checked against ``ref``."""
    return Case(name, args, kwargs, ref, batch, symbolic and not eager, eager, rtol, atol, label)


def ids(cases) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for c in cases:
        n = seen.get(c.id, 0)
        seen[c.id] = n + 1
        out.append(c.id if n == 0 else f"{c.id}-{n}")
    return out


class Table:
    """The cases of one test module, with their values computed together on first use."""

    def __init__(self, cases, symbolic: bool = True):
        self.cases = list(cases)
        for c in self.cases:
            c.table = self
            c.symbolic = c.symbolic and symbolic
        self._results = None
        self._graphs = {}

    def symbolic(self) -> list:
        return [c for c in self.cases if c.symbolic]

    def batched(self) -> list:
        return [c for c in self.symbolic() if c.batch]

    def result(self, c: Case, kind: str):
        """``kind`` is "loom" or "keras"; computed eagerly when the joint program failed to build."""
        if self._results is None:
            self._compute()
        key = (self.cases.index(c), kind)
        if key in self._results:
            return self._results[key]
        return c.call() if kind == "loom" else c.keras_call()

    def graph(self, c: Case):
        """``(first, outputs)``: the op called on a (None, ...) first argument; raises what the call raised."""
        if c not in self._graphs:
            try:
                first = _symbolize(c.args[0], batch=True)
                self._graphs[c] = (first, c.args, getattr(ops, c.name)(first, *c.args[1:], **c.kwargs))
            except Exception as err:  # noqa: BLE001 - re-raised by the case's own test
                self._graphs[c] = err
        if isinstance(self._graphs[c], Exception):
            raise self._graphs[c]
        return self._graphs[c]

    def _compute(self):
        traced = [(i, c) for i, c in enumerate(self.cases) if not c.eager]

        def program():
            out = {}
            for i, c in traced:
                out[i, "loom"] = c.call()
                if c.reference == KERAS:
                    out[i, "keras"] = c.keras_call()
            return out

        try:
            self._results = jax.jit(program)()
        except Exception:  # noqa: BLE001 - fall back to computing each case alone, where it fails visibly
            self._results = {}


def _symbolize(structure, batch: bool):
    if isinstance(structure, np.ndarray):
        return SymbolicTensor(((None,) + structure.shape[1:]) if batch else structure.shape, structure.dtype)
    if isinstance(structure, (list, tuple)):
        return type(structure)(_symbolize(x, batch) for x in structure)
    return structure


def _assert_replay_gets_the_original_call(c: Case, first, outputs) -> None:
    """Feeding the arrays of ``args[0]`` for ``first`` rebuilds exactly the call made on arrays,
    constants included, so a graph replay computes what the op computed eagerly."""
    node = leaves(outputs)[0].node
    values = {id(t): v for t, v in zip(leaves(first), leaves(c.args[0]))}
    call_args, call_kwargs = node.arguments.fill(values)
    assert call_kwargs.keys() == c.kwargs.keys()
    for got, want in zip(leaves((call_args, call_kwargs)), leaves((c.args, c.kwargs))):
        assert got is want or (got == want and type(got) is type(want)), f"{c.id}: replay argument {got!r} != {want!r}"


def expected_value(c: Case):
    if c.reference == NUMPY:
        return getattr(np, c.name)(*c.args, **c.kwargs)
    if c.reference == KERAS:
        return c.table.result(c, "keras") if c.table else c.keras_call()
    assert isinstance(c.reference, Callable)
    return c.reference(*c.args, **c.kwargs)


def leaves(structure) -> list:
    return jax.tree_util.tree_leaves(structure, is_leaf=lambda x: isinstance(x, SymbolicTensor))


def assert_close(actual, expected, rtol=1e-5, atol=1e-6) -> None:
    """Same structure, shapes and values (NaN equal to NaN)."""
    actual_leaves, expected_leaves = leaves(actual), leaves(expected)
    assert len(actual_leaves) == len(expected_leaves), (actual, expected)
    for a, e in zip(actual_leaves, expected_leaves):
        a, e = np.asarray(a), np.asarray(e)
        assert a.shape == e.shape, f"shape {a.shape} != expected {e.shape}"
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True)


def _concrete(c: Case):
    return c.table.result(c, "loom") if c.table and not c.eager else c.call()


def check_concrete(c: Case) -> None:
    """The op on arrays equals the reference."""
    assert_close(_concrete(c), expected_value(c), c.rtol, c.atol)


def check_symbolic(c: Case) -> None:
    """On symbolic tensors of the same shapes, outputs have the concrete shapes and dtypes."""
    out = getattr(ops, c.name)(*_symbolize(c.args, batch=False), **c.kwargs)
    _assert_specs(c, out, _concrete(c), batch=False)


def check_batch(c: Case) -> None:
    """With a ``(None, ...)`` first argument and numpy constants elsewhere, the batch stays
    unknown, and the recorded node replays as the same call on arrays."""
    first, _, out = c.table.graph(c)
    _assert_specs(c, out, _concrete(c), batch=True)
    _assert_replay_gets_the_original_call(c, first, out)


def _assert_specs(c: Case, out, concrete, batch: bool) -> None:
    out_leaves, concrete_leaves = leaves(out), leaves(concrete)
    assert len(out_leaves) == len(concrete_leaves)
    for o, e in zip(out_leaves, concrete_leaves):
        assert isinstance(o, SymbolicTensor), o
        expected_shape = tuple(e.shape)
        if batch:
            expected_shape = (None,) + expected_shape[1:]
        assert o.shape == expected_shape, f"{c.id}: symbolic shape {o.shape} != {expected_shape}"
        assert o.dtype == np.dtype(e.dtype).name, f"{c.id}: symbolic dtype {o.dtype} != {e.dtype}"
        assert o.node.operation.function_name == ALIASES.get(c.name, c.name)

