"""What stored Lambda code may reach in safe mode: allowlisted modules, functions and builtins.

Modules are walked only by allowlisted attribute names (``ops.sum``,
``np.exp``); functions are called only if they are on these lists, were
registered or passed in ``custom_objects`` by the caller (``TrustedFunction``),
or were themselves defined by checked source. The lists hold math: no file,
process or network access, no unbounded loops (``while_loop``), no array
factories taking a shape a file could make huge (``zeros``, ``arange``).
"""

import builtins
import inspect
import math

import jax
import jax.numpy as jnp
import numpy as np

import loom
from loom import activations as loom_activations
from loom import backend as loom_backend
from loom import ops as loom_ops
from loom.saving.errors import UnsafeCodeError

_NUMPY_NAMES = """
abs absolute add subtract multiply divide true_divide floor_divide mod remainder power negative
reciprocal sqrt square cbrt exp exp2 expm1 log log1p log2 log10 sin cos tan arcsin arccos arctan
arctan2 sinh cosh tanh arcsinh arccosh arctanh sign floor ceil round rint trunc clip maximum minimum
fmax fmin hypot logaddexp sinc heaviside deg2rad rad2deg where sum mean prod std var max min amax
amin argmax argmin cumsum cumprod median dot matmul tensordot einsum outer inner vdot transpose
swapaxes moveaxis reshape ravel expand_dims squeeze concatenate stack hstack vstack dstack split
take take_along_axis tile repeat flip roll sort argsort isnan isinf isfinite nan_to_num logical_and
logical_or logical_not logical_xor equal not_equal greater greater_equal less less_equal all any
asarray array zeros_like ones_like full_like broadcast_to diag diagonal trace tril triu
count_nonzero pi e inf nan newaxis float16 float32 float64 bfloat16 int8 int16 int32 int64 uint8
uint16 uint32 bool_
""".split()
_JAX_NN_NAMES = """
relu relu6 sigmoid softplus silu swish gelu elu selu celu leaky_relu softmax log_softmax
logsumexp one_hot log_sigmoid hard_tanh
""".split()
_MATH_NAMES = """
pi e inf nan tau sqrt exp log log2 log10 log1p expm1 sin cos tan tanh sinh cosh asin acos atan atan2
floor ceil fabs isfinite isnan isinf
""".split()
_BACKEND_NAMES = """
backend image_data_format epsilon floatx int_shape shape ndim dtype cast constant sum mean max min
prod std var any all argmax argmin exp log square sqrt abs sign round pow clip maximum minimum equal
not_equal greater greater_equal less less_equal switch stop_gradient softmax sigmoid tanh relu elu
l2_normalize one_hot binary_crossentropy categorical_crossentropy sparse_categorical_crossentropy
transpose permute_dimensions reshape batch_flatten flatten expand_dims squeeze stack concatenate tile
repeat_elements gather dot batch_dot zeros_like ones_like cumsum cumprod softplus softsign
""".split()
# loom.ops names that safe code may not call: unbounded loops, shape-argument array
# factories (a file could ask for a huge array), and function wrappers.
_OPS_REFUSED = frozenset(
    """
while_loop fori_loop ones zeros full empty eye arange linspace logspace geomspace tri identity
bartlett blackman hamming hanning kaiser vectorize custom_gradient symbolic_op Operation
""".split()
)
_SAFE_BUILTINS = {
    name: getattr(builtins, name)
    for name in (
        "abs all any bool dict enumerate float int len list max min reversed round slice sorted sum tuple zip"
    ).split()
}
# Builtins whose use is named in the error (they are refused like any unknown name).
DANGEROUS_NAMES = frozenset(
    "eval exec compile open __import__ getattr setattr delattr globals locals vars dir input "
    "breakpoint help memoryview type object super classmethod staticmethod property exit quit "
    "print iter next".split()
)
ARRAY_ATTRIBUTES = frozenset(
    """
shape ndim dtype size T real imag reshape astype transpose swapaxes squeeze flatten ravel sum mean
max min prod std var argmax argmin cumsum cumprod clip round any all conj item
""".split()
)  # none of these makes an array larger than the one it is called on
MAX_RANGE = 100_000


def _public_functions(module, prefix: str, names=None, refused=frozenset()) -> dict:
    table = {}
    for name in names if names is not None else dir(module):
        if name.startswith("_") or name in refused or not hasattr(module, name):
            continue
        value = getattr(module, name)
        if inspect.ismodule(value):
            continue
        table[f"{prefix}.{name}"] = value
    return table


class RangeTooLong(Exception):
    """Raised by safe_range; the evaluator turns it into an error naming the line."""

    def __init__(self, length: int):
        self.length = length


def safe_range(*args):
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise RangeTooLong(len(result))
    return result


def _build_allowlists():
    modules = {
        "loom": loom,
        "loom.ops": loom_ops,
        "loom.backend": loom_backend,
        "loom.activations": loom_activations,
        "numpy": np,
        "jax": jax,
        "jax.numpy": jnp,
        "jax.nn": jax.nn,
        "math": math,
    }
    names = {}
    names.update(
        _public_functions(
            loom_ops, "loom.ops", [n for n in dir(loom_ops) if callable(getattr(loom_ops, n))], _OPS_REFUSED
        )
    )
    names.update(_public_functions(loom_backend, "loom.backend", _BACKEND_NAMES))
    activation_names = [
        n
        for n in dir(loom_activations)
        if inspect.isfunction(getattr(loom_activations, n))
        and getattr(loom_activations, n).__module__ == loom_activations.__name__
        and n not in ("get", "serialize", "deserialize")
    ]
    names.update(_public_functions(loom_activations, "loom.activations", activation_names))
    names.update(_public_functions(np, "numpy", _NUMPY_NAMES))
    names.update(_public_functions(jnp, "jax.numpy", _NUMPY_NAMES))
    names.update(_public_functions(jax.nn, "jax.nn", _JAX_NN_NAMES))
    names.update(_public_functions(math, "math", _MATH_NAMES))
    return modules, names


ALLOWED_MODULES, ALLOWED_NAMES = _build_allowlists()
CALLABLE_IDS = {id(v) for v in ALLOWED_NAMES.values() if callable(v)} | {id(v) for v in _SAFE_BUILTINS.values()}
CALLABLE_IDS.add(id(safe_range))
BUILTIN_VALUES = {**_SAFE_BUILTINS, "range": safe_range}


def qualified_name_of(value) -> str | None:
    """The allowlisted name (``"loom.ops.sum"``) under which ``value`` is reachable, or None."""
    for name, candidate in ALLOWED_NAMES.items():
        if candidate is value and callable(candidate):
            return name
    return None


class ModuleRef:
    """A module safe code may walk into by allowlisted attribute names only."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        if name not in ALLOWED_MODULES:
            raise UnsafeCodeError(f"Safe mode does not provide the module '{name}'.")
        self.name = name

    def __repr__(self):
        return f"<module {self.name} (safe mode)>"


class TrustedFunction:
    """A function the caller chose (registered, or passed in ``custom_objects``): safe code may call it."""

    __slots__ = ("function",)

    def __init__(self, function):
        self.function = function

    def __repr__(self):
        return f"<trusted function {getattr(self.function, '__name__', self.function)!s}>"


def is_array(value) -> bool:
    """Values whose allowlisted attributes (``shape``, ``reshape``, ...) safe code may use."""
    return isinstance(value, (np.ndarray, np.generic, jax.Array))


def numpy_twin(function):
    """For a ``numpy`` function on the allowlist, its ``jax.numpy`` twin (to bound its result shape)."""
    return _NUMPY_TWINS.get(id(function))


_NUMPY_TWINS = {
    id(function): ALLOWED_NAMES[f"jax.numpy.{name[len('numpy.') :]}"]
    for name, function in ALLOWED_NAMES.items()
    if name.startswith("numpy.") and callable(function) and f"jax.numpy.{name[len('numpy.') :]}" in ALLOWED_NAMES
}
