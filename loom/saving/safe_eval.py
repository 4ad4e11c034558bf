"""The restricted evaluator that runs a Lambda's stored source in safe mode.

It never hands the source to Python's compiler: it walks the ``ast`` itself and
evaluates only arithmetic, comparisons, indexing and slicing, literals,
tuples/lists/dicts, conditional expressions, comprehensions, names bound to
parameters, local assignments or the values the file captured, ``lambda``
expressions, allowlisted array methods, and calls of functions on an explicit
allowlist (``loom.ops``, ``loom.backend``, ``loom.activations`` and NumPy-style
math from ``numpy``, ``jax.numpy``, ``jax.nn`` and ``math``) or that the caller
registered or passed in ``custom_objects``. Everything else is refused before
anything runs, with an ``UnsafeCodeError`` that names the construct and its
line: imports, attribute access outside the allowlists or to any name
starting with ``_``, builtins such as ``open``, ``eval``, ``exec``,
``getattr``, ``__import__``, statements other than assignments and
``return``. Exponentially growing Python values (``9**9**9``, ``"a" * 10**12``),
NumPy results beyond 2**24 elements (NumPy runs eagerly even while JAX traces,
so ``w[:, None] * w`` on a captured array would allocate at load time), deep
recursion and runaway comprehensions are stopped with the same error. What the
code may reach is listed in ``safe_names``.
"""

import ast
import inspect
import math
import operator

import jax
import numpy as np

from loom.saving import safe_names
from loom.saving.errors import UnsafeCodeError
from loom.saving.safe_names import ModuleRef, TrustedFunction

_MAX_ITERATIONS = 100_000
_MAX_STEPS = 1_000_000
_MAX_CALL_DEPTH = 64
_MAX_SEQUENCE = 10_000_000
_MAX_INT_BITS = 1 << 16
# NumPy math on captured arrays runs eagerly while a model loads: its results are capped
# (2**24 elements, 128 MiB of float64) so `w[:, None] * w` cannot exhaust memory.
_MAX_EAGER_ELEMENTS = 2**24


class _Method:
    """A bound method of an array, reached through an allowlisted attribute."""

    __slots__ = ("function",)

    def __init__(self, function):
        self.function = function


# --- static checks -------------------------------------------------------------------------
_EXPRESSIONS = (
    ast.Constant, ast.Name, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Subscript,
    ast.Slice, ast.Tuple, ast.List, ast.Dict, ast.Call, ast.keyword, ast.Attribute, ast.Lambda,
    ast.arguments, ast.arg, ast.Starred, ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.comprehension,
    ast.Load, ast.Store, ast.operator, ast.unaryop, ast.boolop, ast.cmpop, ast.expr_context,
)  # fmt: skip
_STATEMENTS = (ast.Assign, ast.AugAssign, ast.Return, ast.Pass, ast.Expr)
_CONSTRUCT_NAMES = {
    ast.Import: "import", ast.ImportFrom: "import", ast.Global: "global", ast.Nonlocal: "nonlocal",
    ast.ClassDef: "class definition", ast.FunctionDef: "nested def", ast.AsyncFunctionDef: "async def",
    ast.For: "for loop", ast.While: "while loop", ast.If: "if statement", ast.With: "with statement",
    ast.Try: "try statement", ast.Raise: "raise", ast.Delete: "del", ast.Assert: "assert",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield", ast.NamedExpr: "walrus (:=)",
    ast.JoinedStr: "f-string", ast.SetComp: "set comprehension", ast.Set: "set literal",
    ast.AnnAssign: "annotated assignment",
}  # fmt: skip


def _refuse(what: str, node, describe: str):
    line = getattr(node, "lineno", None)
    where = f" (line {line} of its source)" if line is not None else ""
    raise UnsafeCodeError(
        f"{describe}: safe mode refuses {what}{where}. loom runs stored Lambda code only when it uses "
        "arithmetic, indexing and allowlisted loom.ops / numpy functions. If you trust this file, load it "
        "with safe_mode=False."
    )


def _check_target(target, node, describe):
    if isinstance(target, ast.Name):
        return
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _check_target(element, node, describe)
        return
    _refuse(f"assignment to {type(target).__name__.lower()} targets (only plain names may be assigned)", node, describe)


class _Checker(ast.NodeVisitor):
    """Refuses every construct outside the admitted subset, before anything runs."""

    def __init__(self, describe: str):
        self.describe = describe

    def generic_visit(self, node):
        if isinstance(node, _EXPRESSIONS):
            return super().generic_visit(node)
        _refuse(_CONSTRUCT_NAMES.get(type(node), f"the construct `{type(node).__name__}`"), node, self.describe)

    def visit_Name(self, node):
        if node.id.startswith("__") or node.id in safe_names.DANGEROUS_NAMES:
            _refuse(f"the name `{node.id}`", node, self.describe)

    def visit_Attribute(self, node):
        self.visit(node.value)  # the leftmost offence is reported first
        if node.attr.startswith("_"):
            _refuse(f"access to the private attribute `.{node.attr}`", node, self.describe)

    def visit_Constant(self, node):
        if isinstance(node.value, bytes):
            _refuse("bytes literals", node, self.describe)

    def visit_arg(self, node):  # annotations are never evaluated
        if node.arg.startswith("__"):
            _refuse(f"the parameter name `{node.arg}`", node, self.describe)

    def visit_Lambda(self, node):
        self.visit(node.args)
        self.visit(node.body)

    def visit_arguments(self, node):
        for default in node.defaults + [d for d in node.kw_defaults if d is not None]:
            self.visit(default)
        for argument in node.posonlyargs + node.args + node.kwonlyargs + [node.vararg, node.kwarg]:
            if argument is not None:
                self.visit_arg(argument)

    def visit_comprehension(self, node):
        _check_target(node.target, node, self.describe)
        if node.is_async:
            _refuse("async comprehensions", node, self.describe)
        self.visit(node.iter)
        for condition in node.ifs:
            self.visit(condition)

    def check_body(self, statements: list) -> None:
        if not statements or not isinstance(statements[-1], ast.Return):
            last = statements[-1] if statements else None
            _refuse("a function body that does not end with `return`", last, self.describe)
        for position, statement in enumerate(statements):
            if not isinstance(statement, _STATEMENTS):
                self.generic_visit(statement)
            if isinstance(statement, ast.Expr):
                value = statement.value
                if not (position == 0 and isinstance(value, ast.Constant) and isinstance(value.value, str)):
                    _refuse("expression statements (other than a docstring)", statement, self.describe)
                continue
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    _check_target(target, statement, self.describe)
                self.visit(statement.value)
            elif isinstance(statement, ast.AugAssign):
                _check_target(statement.target, statement, self.describe)
                if not isinstance(statement.target, ast.Name):
                    _refuse("augmented assignment to anything but a name", statement, self.describe)
                self.visit(statement.value)
            elif isinstance(statement, ast.Return):
                if statement.value is None:
                    _refuse("a bare `return`", statement, self.describe)
                self.visit(statement.value)


def parse_function(source: str, describe: str):
    """Parse stored source: exactly one ``def`` or one ``lambda`` expression, checked.

    Returns:
        The ``ast.FunctionDef`` or ``ast.Lambda`` node.

    Raises:
        UnsafeCodeError: the source is not valid Python or uses a refused construct.
    """
    if not isinstance(source, str) or len(source) > 100_000:
        raise UnsafeCodeError(f"{describe}: stored source must be a string of at most 100000 characters.")
    try:
        tree = ast.parse(source, mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        raise UnsafeCodeError(f"{describe}: the stored source does not parse as Python ({err}).") from None
    if len(tree.body) != 1:
        raise UnsafeCodeError(f"{describe}: the stored source must hold exactly one `def` or `lambda`.")
    statement = tree.body[0]
    checker = _Checker(describe)
    try:
        if isinstance(statement, ast.FunctionDef):
            if statement.decorator_list:
                _refuse("decorators", statement.decorator_list[0], describe)
            checker.visit_arguments(statement.args)
            checker.check_body(statement.body)
            return statement
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Lambda):
            checker.visit(statement.value)
            return statement.value
    except RecursionError:
        raise UnsafeCodeError(f"{describe}: the stored source is nested too deeply.") from None
    _refuse(f"a top-level {_CONSTRUCT_NAMES.get(type(statement), type(statement).__name__)}", statement, describe)


def free_names(node) -> list:
    """Names a function reads but does not bind (its parameters, assignments, comprehension targets)."""
    found = []

    def bound_in(arguments) -> set:
        names = {a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs}
        names |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
        return names

    def targets(target) -> set:
        return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}

    def visit(item, bound: set):
        if isinstance(item, ast.Name):
            if isinstance(item.ctx, ast.Load) and item.id not in bound and item.id not in found:
                found.append(item.id)
        elif isinstance(item, ast.Lambda):
            for default in item.args.defaults + [d for d in item.args.kw_defaults if d is not None]:
                visit(default, bound)
            visit(item.body, bound | bound_in(item.args))
        elif isinstance(item, (ast.ListComp, ast.GeneratorExp, ast.DictComp)):
            inner = set(bound)
            for generator in item.generators:
                visit(generator.iter, inner)
                inner = inner | targets(generator.target)
                for condition in generator.ifs:
                    visit(condition, inner)
            parts = [item.key, item.value] if isinstance(item, ast.DictComp) else [item.elt]
            for part in parts:
                visit(part, inner)
        else:
            for child in ast.iter_child_nodes(item):
                visit(child, bound)

    if isinstance(node, ast.FunctionDef):
        bound = bound_in(node.args)
        for statement in node.body:
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    bound = bound | targets(target)
            elif isinstance(statement, ast.AugAssign):
                bound = bound | targets(statement.target)
        for statement in node.body:
            visit(statement, bound)
    else:
        visit(node.body, bound_in(node.args))
    return found


# --- evaluation ----------------------------------------------------------------------------
_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
    ast.MatMult: operator.matmul, ast.LShift: operator.lshift, ast.RShift: operator.rshift,
    ast.BitOr: operator.or_, ast.BitXor: operator.xor, ast.BitAnd: operator.and_,
}  # fmt: skip
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg, ast.Not: operator.not_, ast.Invert: operator.invert}
_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}  # fmt: skip


class _Budget:
    """Steps and call depth left to one top-level call (bounded time)."""

    __slots__ = ("steps", "depth")

    def __init__(self):
        self.steps = 0
        self.depth = 0


def _guard_binary(op, left, right, node, describe):
    """Refuse Python-value operations whose result could exhaust time or memory."""
    if isinstance(left, bool) or isinstance(right, bool):
        return
    if op is ast.Pow and isinstance(left, int) and isinstance(right, int):
        if right > 0 and abs(left) > 1 and right * max(abs(left).bit_length(), 1) > _MAX_INT_BITS:
            _refuse(f"a power this large ({abs(left).bit_length()}-bit base to {right})", node, describe)
    elif op is ast.LShift and isinstance(left, int) and isinstance(right, int):
        if right > _MAX_INT_BITS:
            _refuse(f"a shift by {right} bits", node, describe)
    elif op is ast.Mult:
        sequence, count = (left, right) if isinstance(left, (str, list, tuple)) else (right, left)
        if isinstance(sequence, (str, list, tuple)) and isinstance(count, (int, np.integer)):
            if len(sequence) * count > _MAX_SEQUENCE:
                _refuse(f"repeating a sequence to {len(sequence) * count} items", node, describe)
        elif isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > _MAX_INT_BITS:
                _refuse("an integer product this large", node, describe)


def _eager_numpy(*values) -> bool:
    """Whether an operation on ``values`` runs eagerly in NumPy (no JAX array among them),
    allocating its result at once, even while JAX traces the function."""
    if any(isinstance(v, jax.Array) for v in values):
        return False
    return any(isinstance(v, np.ndarray) and v.ndim > 0 for v in values)


def _broadcast_shape(left, right, node, describe) -> tuple:
    try:
        return np.broadcast_shapes(np.shape(left), np.shape(right))
    except ValueError:
        return ()  # the operation itself reports the mismatch
    except TypeError:
        _refuse("an operation on values of unknown shape", node, describe)


class _Interpreter:
    def __init__(self, describe: str, budget: _Budget):
        self.describe = describe
        self.budget = budget

    def step(self, node):
        self.budget.steps += 1
        if self.budget.steps > _MAX_STEPS:
            _refuse(f"running more than {_MAX_STEPS} evaluation steps in one call", node, self.describe)

    # statements
    def run_body(self, statements, scope: dict):
        for statement in statements:
            self.step(statement)
            if isinstance(statement, ast.Return):
                return self.eval(statement.value, scope)
            if isinstance(statement, ast.Assign):
                value = self.eval(statement.value, scope)
                for target in statement.targets:
                    self.assign(target, value, scope, statement)
            elif isinstance(statement, ast.AugAssign):
                current = self.lookup(statement.target.id, scope, statement)
                value = self.binary(statement.op, current, self.eval(statement.value, scope), statement)
                scope[statement.target.id] = value
        raise AssertionError("checked bodies end with return")

    def assign(self, target, value, scope, node):
        if isinstance(target, ast.Name):
            scope[target.id] = value
            return
        values = list(self.iterate(value, node))
        if len(values) != len(target.elts):
            raise ValueError(
                f"{self.describe}: cannot unpack {len(values)} values into {len(target.elts)} names "
                f"(line {node.lineno})."
            )
        for element, item in zip(target.elts, values):
            self.assign(element, item, scope, node)

    def iterate(self, value, node):
        if isinstance(value, (ModuleRef, _Method, SafeFunction, TrustedFunction)):
            _refuse(f"iterating over {value!r}", node, self.describe)
        count = 0
        for item in value:
            count += 1
            if count > _MAX_ITERATIONS:
                _refuse(f"iterating more than {_MAX_ITERATIONS} times", node, self.describe)
            yield item

    # names
    def lookup(self, name, scope, node):
        if name in scope:
            return scope[name]
        if name in safe_names.BUILTIN_VALUES:
            return safe_names.BUILTIN_VALUES[name]
        _refuse(
            f"the name `{name}`, which is neither a parameter nor a value stored with the function", node, self.describe
        )

    # expressions
    def eval(self, node, scope):
        self.step(node)
        method = getattr(self, f"eval_{type(node).__name__}", None)
        if method is None:
            _refuse(_CONSTRUCT_NAMES.get(type(node), f"the construct `{type(node).__name__}`"), node, self.describe)
        return method(node, scope)

    def eval_Constant(self, node, scope):
        return node.value

    def eval_Name(self, node, scope):
        return self.lookup(node.id, scope, node)

    def eval_Tuple(self, node, scope):
        return tuple(self.elements(node.elts, scope))

    def eval_List(self, node, scope):
        return list(self.elements(node.elts, scope))

    def elements(self, nodes, scope):
        for element in nodes:
            if isinstance(element, ast.Starred):
                yield from self.iterate(self.eval(element.value, scope), element)
            else:
                yield self.eval(element, scope)

    def eval_Dict(self, node, scope):
        result = {}
        for key, value in zip(node.keys, node.values):
            if key is None:
                mapping = self.eval(value, scope)
                if not isinstance(mapping, dict):
                    _refuse("`**` on a value that is not a dict", node, self.describe)
                result.update(mapping)
            else:
                result[self.eval(key, scope)] = self.eval(value, scope)
        return result

    def binary(self, op, left, right, node):
        _guard_binary(type(op), left, right, node, self.describe)
        if _eager_numpy(left, right):
            if isinstance(op, ast.MatMult):
                self.bound(lambda a, b: a @ b, (left, right), {}, node)
            else:
                self.bound_shape(_broadcast_shape(left, right, node, self.describe), node)
        return _BINARY[type(op)](left, right)

    def bound_shape(self, shape, node) -> None:
        size = math.prod(shape)
        if size > _MAX_EAGER_ELEMENTS:
            _refuse(f"computing a NumPy array of {size} elements (shape {tuple(shape)})", node, self.describe)

    def bound(self, function, args, kwargs, node) -> None:
        """Refuse an eager NumPy computation whose result would be too large, from its shape alone."""
        leaves, tree = jax.tree_util.tree_flatten((args, kwargs))
        positions = [i for i, leaf in enumerate(leaves) if isinstance(leaf, np.ndarray) and leaf.ndim > 0]

        def abstract(*arrays):
            filled = list(leaves)
            for position, array in zip(positions, arrays):
                filled[position] = array
            call_args, call_kwargs = jax.tree_util.tree_unflatten(tree, filled)
            return function(*call_args, **call_kwargs)

        specs = [
            jax.ShapeDtypeStruct(leaves[i].shape, jax.dtypes.canonicalize_dtype(leaves[i].dtype)) for i in positions
        ]
        try:
            result = jax.eval_shape(abstract, *specs)
        except Exception:  # noqa: BLE001 - the real call reports the user's mistake
            return
        for leaf in jax.tree_util.tree_leaves(result):
            self.bound_shape(getattr(leaf, "shape", ()), node)

    def eval_BinOp(self, node, scope):
        return self.binary(node.op, self.eval(node.left, scope), self.eval(node.right, scope), node)

    def eval_UnaryOp(self, node, scope):
        return _UNARY[type(node.op)](self.eval(node.operand, scope))

    def eval_BoolOp(self, node, scope):
        value = None
        for operand in node.values:
            value = self.eval(operand, scope)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def eval_Compare(self, node, scope):
        left = self.eval(node.left, scope)
        result = True
        for op, comparator in zip(node.ops, node.comparators):
            right = self.eval(comparator, scope)
            if _eager_numpy(left, right):
                self.bound_shape(_broadcast_shape(left, right, node, self.describe), node)
            result = _COMPARE[type(op)](left, right)
            if len(node.ops) > 1 and not result:
                return result
            left = right
        return result

    def eval_IfExp(self, node, scope):
        return self.eval(node.body if self.eval(node.test, scope) else node.orelse, scope)

    def eval_Subscript(self, node, scope):
        value = self.eval(node.value, scope)
        if isinstance(value, (ModuleRef, _Method, SafeFunction, TrustedFunction)):
            _refuse(f"indexing {value!r}", node, self.describe)
        return value[self.eval(node.slice, scope)]

    def eval_Slice(self, node, scope):
        parts = [None if p is None else self.eval(p, scope) for p in (node.lower, node.upper, node.step)]
        return slice(*parts)

    def eval_Attribute(self, node, scope):
        value = self.eval(node.value, scope)
        if isinstance(value, ModuleRef):
            qualified = f"{value.name}.{node.attr}"
            if qualified in safe_names.ALLOWED_MODULES:
                return ModuleRef(qualified)
            if qualified in safe_names.ALLOWED_NAMES:
                return safe_names.ALLOWED_NAMES[qualified]
            _refuse(f"`{qualified}`, which is not on the allowlist of safe functions", node, self.describe)
        if safe_names.is_array(value) and node.attr in safe_names.ARRAY_ATTRIBUTES:
            result = getattr(value, node.attr)
            return _Method(result) if callable(result) else result
        _refuse(f"the attribute `.{node.attr}` of a {type(value).__name__} value", node, self.describe)

    def eval_Call(self, node, scope):
        function = self.eval(node.func, scope)
        args = list(self.elements(node.args, scope))
        kwargs = {}
        for keyword in node.keywords:
            value = self.eval(keyword.value, scope)
            if keyword.arg is None:
                if not isinstance(value, dict):
                    _refuse("`**` on a value that is not a dict", node, self.describe)
                kwargs.update(value)
            else:
                kwargs[keyword.arg] = value
        if isinstance(function, SafeFunction):
            return function(*args, **kwargs)
        if isinstance(function, (_Method, TrustedFunction)):
            return function.function(*args, **kwargs)
        if function is safe_names.safe_range:
            try:
                return safe_names.safe_range(*args, **kwargs)
            except safe_names.RangeTooLong as err:
                _refuse(f"range() of {err.length} items (the limit is {safe_names.MAX_RANGE})", node, self.describe)
        if id(function) in safe_names.CALLABLE_IDS:
            twin = safe_names.numpy_twin(function)
            if twin is not None and _eager_numpy(*args, *kwargs.values()):
                self.bound(twin, args, kwargs, node)  # NumPy runs eagerly, even while JAX traces
            return function(*args, **kwargs)
        what = f"calling {type(function).__name__} {getattr(function, '__name__', '')!s}".rstrip()
        _refuse(what, node, self.describe)

    def eval_Lambda(self, node, scope):
        defaults = [self.eval(d, scope) for d in node.args.defaults]
        kw_defaults = {
            a.arg: self.eval(d, scope) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults) if d is not None
        }
        return SafeFunction(node, defaults, kw_defaults, scope, self.describe, self.budget)

    def comprehension(self, generators, scope, emit):
        if not generators:
            emit(scope)
            return
        first, rest = generators[0], generators[1:]
        for item in self.iterate(self.eval(first.iter, scope), first.iter):
            inner = dict(scope)
            self.assign(first.target, item, inner, first.iter)
            if all(self.eval(condition, inner) for condition in first.ifs):
                self.comprehension(rest, inner, emit)

    def eval_ListComp(self, node, scope):
        result = []
        self.comprehension(node.generators, scope, lambda inner: result.append(self.eval(node.elt, inner)))
        return result

    eval_GeneratorExp = eval_ListComp

    def eval_DictComp(self, node, scope):
        result = {}

        def emit(inner):
            result[self.eval(node.key, inner)] = self.eval(node.value, inner)

        self.comprehension(node.generators, scope, emit)
        return result


def _signature(arguments: ast.arguments, defaults: list, kw_defaults: dict) -> inspect.Signature:
    kind = inspect.Parameter
    parameters = []
    positional = arguments.posonlyargs + arguments.args
    first_default = len(positional) - len(defaults)
    for index, argument in enumerate(positional):
        default = defaults[index - first_default] if index >= first_default else kind.empty
        parameter_kind = kind.POSITIONAL_ONLY if index < len(arguments.posonlyargs) else kind.POSITIONAL_OR_KEYWORD
        parameters.append(kind(argument.arg, parameter_kind, default=default))
    if arguments.vararg is not None:
        parameters.append(kind(arguments.vararg.arg, kind.VAR_POSITIONAL))
    for argument in arguments.kwonlyargs:
        parameters.append(kind(argument.arg, kind.KEYWORD_ONLY, default=kw_defaults.get(argument.arg, kind.empty)))
    if arguments.kwarg is not None:
        parameters.append(kind(arguments.kwarg.arg, kind.VAR_KEYWORD))
    return inspect.Signature(parameters)


class SafeFunction:
    """A function defined by checked source, run by the restricted interpreter.

    It has a real ``inspect.signature``, so ``Lambda`` sees its parameters
    (``mask``, ``training``, how many inputs it takes) as for a Python function.
    """

    def __init__(self, node, defaults, kw_defaults, scope: dict, describe: str, budget: _Budget | None = None):
        self._node = node
        self._scope = scope
        self._describe = describe
        self._budget = budget
        self.__signature__ = _signature(node.args, list(defaults), dict(kw_defaults))
        self.__name__ = node.name if isinstance(node, ast.FunctionDef) else "<lambda>"
        self.__qualname__ = self.__name__

    def __call__(self, *args, **kwargs):
        # A top-level call gets a fresh budget; lambdas it creates share their creator's.
        budget = self._budget if self._budget is not None else _Budget()
        budget.depth += 1
        try:
            if budget.depth > _MAX_CALL_DEPTH:
                _refuse(f"calls nested deeper than {_MAX_CALL_DEPTH}", self._node, self._describe)
            try:
                bound = self.__signature__.bind(*args, **kwargs)
            except TypeError as err:
                raise TypeError(f"{self._describe}: {err}") from None
            bound.apply_defaults()
            scope = {**self._scope, **bound.arguments}
            interpreter = _Interpreter(self._describe, budget)
            if isinstance(self._node, ast.Lambda):
                return interpreter.eval(self._node.body, scope)
            return interpreter.run_body(self._node.body, scope)
        finally:
            budget.depth -= 1

    def __repr__(self):
        return f"<safe function {self.__name__}>"


def make_function(node, environment: dict, defaults: list, kw_defaults: dict, describe: str) -> SafeFunction:
    """A SafeFunction for a checked ``def``/``lambda`` node.

    Args:
        node: from ``parse_function``.
        environment: the values its free names are bound to (captured values,
            ``ModuleRef``s, allowlisted functions, other SafeFunctions).
        defaults, kw_defaults: the stored default values (the source's default
            expressions are never evaluated).
        describe: how errors name the owner, e.g. "Lambda layer 'f'".

    Raises:
        UnsafeCodeError: a free name has no value.
    """
    missing = [name for name in free_names(node) if name not in environment and name not in safe_names.BUILTIN_VALUES]
    if missing:
        _refuse(f"the name `{missing[0]}`, which the file does not provide a value for", node, describe)
    return SafeFunction(node, defaults, kw_defaults, dict(environment), describe)
