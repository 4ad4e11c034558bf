"""Python operators on symbolic tensors and variables, routed through ``loom.ops``.

This is the one place where lower layers (``graph.SymbolicTensor``,
``state.Variable``) get behaviour from ``loom.ops``: attaching the operators
here keeps the import graph one-way. ``a * b`` on symbolic tensors records a
``multiply`` node; on variables it computes on their current value.
"""

from loom.graph.symbolic_tensor import SYMBOLIC_TO_ARRAY_MESSAGE, SymbolicTensor
from loom.ops import numpy as np_ops
from loom.state.variable import Variable


def _binary(op, reflected=False):
    if reflected:
        return lambda self, other: op(other, self)
    return lambda self, other: op(self, other)


_BINARY = {
    "add": np_ops.add,
    "sub": np_ops.subtract,
    "mul": np_ops.multiply,
    "truediv": np_ops.divide,
    "floordiv": np_ops.floor_divide,
    "mod": np_ops.mod,
    "pow": np_ops.power,
    "matmul": np_ops.matmul,
    "and": np_ops.logical_and,
    "or": np_ops.logical_or,
    "xor": np_ops.logical_xor,
}
_COMPARISONS = {
    "lt": np_ops.less,
    "le": np_ops.less_equal,
    "gt": np_ops.greater,
    "ge": np_ops.greater_equal,
}
# NumPy ufuncs whose loom op has another name; the rest share NumPy's name.
_UFUNC_ALIASES = {"remainder": "mod", "invert": "bitwise_invert", "conjugate": "conj"}


def _equality(op, identity_result):
    def method(self, other):
        result = op(self, other)
        if isinstance(result, SymbolicTensor) and isinstance(other, SymbolicTensor):
            # `t1 == t2` is a graph op, but `assert t1 == t2` asks about identity.
            result._identity_comparison = (self is other) == identity_result
        return result

    return method


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """NumPy meets a symbolic tensor (``np_array * x``, ``np.exp(x)``): record the loom op instead."""
    op = getattr(np_ops, _UFUNC_ALIASES.get(ufunc.__name__, ufunc.__name__), None)
    if method != "__call__" or kwargs or op is None:
        raise TypeError(SYMBOLIC_TO_ARRAY_MESSAGE.format(tensor=repr(self)))
    return op(*inputs)


def _install(cls) -> None:
    for name, op in _BINARY.items():
        setattr(cls, f"__{name}__", _binary(op))
        setattr(cls, f"__r{name}__", _binary(op, reflected=True))
    for name, op in _COMPARISONS.items():
        setattr(cls, f"__{name}__", _binary(op))
    cls.__neg__ = lambda self: np_ops.negative(self)
    cls.__pos__ = lambda self: self
    cls.__abs__ = lambda self: np_ops.absolute(self)
    cls.__invert__ = lambda self: np_ops.logical_not(self)
    cls.__round__ = lambda self, ndigits=None: np_ops.round(self, ndigits or 0)
    cls.__getitem__ = lambda self, key: np_ops.get_item(self, key)


_install(SymbolicTensor)
_install(Variable)
SymbolicTensor.__eq__ = _equality(np_ops.equal, identity_result=True)
SymbolicTensor.__ne__ = _equality(np_ops.not_equal, identity_result=False)
SymbolicTensor.__hash__ = object.__hash__
SymbolicTensor.__array_ufunc__ = _array_ufunc
SymbolicTensor.T = property(lambda self: np_ops.transpose(self))
# With only __getitem__, Python would iterate a Variable by indexing 0, 1, 2, ...
# until IndexError, which JAX's clamped indexing never raises: loop forever.
Variable.__iter__ = lambda self: iter(self.value)
