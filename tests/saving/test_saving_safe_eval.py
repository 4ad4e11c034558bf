"""The restricted evaluator: the admitted subset computes like Python; everything else is
refused before it runs, naming the construct and its line."""

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from loom.saving import UnsafeCodeError, safe_eval, safe_names


def _function(source, defaults=(), kw_defaults=None, **environment):
    environment.setdefault("ops", safe_names.ModuleRef("loom.ops"))
    environment.setdefault("np", safe_names.ModuleRef("numpy"))
    environment.setdefault("jnp", safe_names.ModuleRef("jax.numpy"))
    node = safe_eval.parse_function(source, "Lambda layer 'test'")
    return safe_eval.make_function(node, environment, list(defaults), kw_defaults or {}, "Lambda layer 'test'")


X = np.arange(6, dtype="float32").reshape(2, 3)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("lambda x: x * 2 + 1", X * 2 + 1),
        ("lambda x: -x ** 2 // 3 % 5", -X**2 // 3 % 5),
        ("lambda x: ops.sum(x, axis=-1, keepdims=True)", X.sum(-1, keepdims=True)),
        ("lambda x: x[:, 1:3][..., ::-1]", X[:, 1:3][..., ::-1]),
        ("lambda x: x[:, None, 0]", X[:, None, 0]),
        ("lambda x: x.reshape(3, 2).T", X.reshape(3, 2).T),
        ("lambda x: x.astype('int32').sum()", X.astype("int32").sum()),
        ("lambda x: np.exp(x) if x.shape[0] > 1 else x", np.exp(X)),
        ("lambda x: jnp.stack([x[i] for i in range(2) if i >= 0], axis=0)", X),
        ("lambda x: sum([x, x, x]) / len((1, 2, 3))", X),
        ("lambda x: max(1, 2) < 3 <= 3 and not False", True),
        ("lambda x: {'a': x}['a'] @ np.ones_like(x).T", X @ np.ones_like(X).T),
        ("lambda x, *rest, **options: x * 2.0 + len(rest) + len(options)", X * 2.0),
        ("lambda x: (lambda y, k=3, *, m=2: y * k * m)(x)", X * 6),
        ("def f(x):\n    '''Doc.'''\n    a, (b, c) = x, (1, 2)\n    a += b\n    return a * c", (X + 1) * 2),
    ],
)
def test_admitted_constructs_compute_like_python(source, expected):
    np.testing.assert_allclose(np.asarray(_function(source)(X)), np.asarray(expected))


def test_safe_function_has_a_signature_and_traces_under_jit():
    function = _function("def f(x, mask=None, training=False):\n    return ops.where(x > 2, x, 0.0)", [None, False])
    assert list(inspect.signature(function).parameters) == ["x", "mask", "training"]
    assert inspect.signature(function).parameters["training"].default is False
    np.testing.assert_allclose(jax.jit(function)(jnp.asarray(X)), np.where(X > 2, X, 0.0))


def test_captured_values_and_trusted_functions_are_reachable():
    function = _function(
        "lambda x: helper(x) + w",
        w=np.array([1.0, 2.0, 3.0], np.float32),
        helper=safe_names.TrustedFunction(lambda t: t * 10),
    )
    np.testing.assert_allclose(function(X), X * 10 + [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "source, construct, line",
    [
        ("import os", "top-level import", 1),
        ("lambda x: x\nlambda y: y", "exactly one", None),
        ("def f(x):\n    y = x\n    import os\n    return y", "import", 3),
        ("def f(x):\n    for i in x:\n        pass\n    return x", "for loop", 2),
        ("def f(x):\n    if x:\n        return 1\n    return x", "if statement", 2),
        ("def f(x):\n    x.shape = 3\n    return x", "assignment to attribute targets", 2),
        ("def f(x):\n    x[0] = 3\n    return x", "assignment to subscript targets", 2),
        ("def f(x):\n    def g():\n        return 1\n    return x", "nested def", 2),
        ("def f(x):\n    print(x)\n    return x", "expression statements", 2),
        ("def f(x):\n    return print(x)", "`print`", 2),
        ("def f(x):\n    return", "a bare `return`", 2),
        ("def f(x):\n    x = 1", "does not end with `return`", 2),
        ("@decorator\ndef f(x):\n    return x", "decorators", 1),
        ("class A:\n    pass", "class definition", 1),
        ("lambda x: globals()", "`globals`", 1),
        ("lambda x: vars(x)", "`vars`", 1),
        ("lambda x: __builtins__", "`__builtins__`", 1),
        ("lambda x: x.__dict__", "private attribute `.__dict__`", 1),
        ("lambda x: x._value", "private attribute `._value`", 1),
        ("lambda x: [y := 1]", "walrus", 1),
        ("lambda x: {1, 2}", "set literal", 1),
        ("lambda x: f'{x}'", "f-string", 1),
        ("lambda x: b'bytes'", "bytes literals", 1),
        ("lambda x: await x", "await", 1),
        ("lambda x: (yield x)", "yield", 1),
        ("lambda x: x +", "does not parse", None),
    ],
)
def test_refused_constructs_are_named_with_their_line(source, construct, line):
    with pytest.raises(UnsafeCodeError) as caught:
        _function(source)
    message = str(caught.value)
    assert message.startswith("Lambda layer 'test'")
    assert construct in message
    if line is not None:
        assert f"line {line} of its source" in message


@pytest.mark.parametrize(
    "source, construct",
    [
        ("lambda x: os", "the name `os`"),
        ("lambda x: np.load", "`numpy.load`"),
        ("lambda x: np.ctypeslib", "`numpy.ctypeslib`"),
        ("lambda x: ops.while_loop", "`loom.ops.while_loop`"),
        ("lambda x: ops.zeros((10**6, 10**6))", "`loom.ops.zeros`"),
        ("lambda x: x.tofile('f')", "attribute `.tofile`"),
        ("lambda x: 'abc'.format", "attribute `.format` of a str"),
        ("lambda x: ops.sum.__name__", "private attribute"),
        ("lambda x: ops[0]", "indexing"),
        ("lambda x: [*ops]", "iterating"),
        ("lambda x: 2 ** 100000", "a power this large"),
        ("lambda x: 1 << 100000", "a shift by 100000 bits"),
        ("lambda x: [0] * 10**8", "repeating a sequence"),
        ("lambda x: [i for i in range(200000)]", "range() of 200000 items"),
        ("lambda x: [a for a in big]", "iterating more than 100000 times"),
        ("def f(x):\n    g = lambda y: g(y)\n    return g(x)", "calls nested deeper"),
        ("lambda x: (lambda: 1)()()", "calling int"),
    ],
)
def test_runtime_refusals_stop_before_harm(source, construct):
    with pytest.raises(UnsafeCodeError, match="safe mode refuses") as caught:
        _function(source, big=list(range(100_001)))(X)
    assert construct in str(caught.value)


@pytest.mark.parametrize(
    "source",
    [
        "lambda x: x + (w[:, None] * w).sum()",
        "lambda x: x + (w[:, None] < w).sum()",
        "lambda x: np.outer(w, w)",
        "lambda x: np.tile(w, 10**4)",
        "lambda x: np.ones_like(w, shape=(10**5, 10**5))",
        "lambda x: w.reshape(-1, 1) @ w.reshape(1, -1)",
    ],
)
def test_eager_numpy_math_on_captured_arrays_cannot_exhaust_memory(source):
    w = np.ones(5000, np.float32)  # 25 million elements squared
    with pytest.raises(UnsafeCodeError, match=r"computing a NumPy array of \d{8,} elements"):
        _function(source, w=w)(X)


def test_bounded_numpy_math_on_captured_arrays_runs_as_numpy():
    w = np.array([1.0, 2.0, 3.0], np.float64)
    function = _function("lambda x: x * np.exp(w / w.sum()).astype('float32') + np.tile(w, 1)[0]", w=w)
    np.testing.assert_array_equal(function(X), X * np.exp(w / w.sum()).astype("float32") + w[0])


def test_a_runaway_evaluation_is_stopped_by_its_step_budget(monkeypatch):
    monkeypatch.setattr(safe_eval, "_MAX_STEPS", 10_000)
    with pytest.raises(UnsafeCodeError, match="more than 10000 evaluation steps"):
        _function("lambda x: [(a, b) for a in range(200) for b in range(200)]")(X)


def test_a_free_name_without_a_value_is_refused_before_running():
    node = safe_eval.parse_function("lambda x: x * missing", "Lambda layer 'test'")
    with pytest.raises(UnsafeCodeError, match="`missing`, which the file does not provide"):
        safe_eval.make_function(node, {}, [], {}, "Lambda layer 'test'")


def test_free_names_skip_parameters_locals_and_comprehension_targets():
    node = safe_eval.parse_function(
        "def f(x, k=1):\n    y = x * a\n    return [y + i + b for i in range(k)]", "test"
    )
    assert safe_eval.free_names(node) == ["a", "range", "b"]


def test_allowlist_has_math_and_no_file_or_process_access():
    names = safe_names.ALLOWED_NAMES
    assert {"loom.ops.sum", "numpy.exp", "jax.numpy.tanh", "loom.backend.sum", "math.pi"} <= set(names)
    forbidden = ("load", "save", "fromfile", "tofile", "system", "open", "memmap", "while_loop", "ctypeslib")
    assert not [name for name in names if name.rsplit(".", 1)[-1] in forbidden]
