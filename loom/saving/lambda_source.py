"""Functions in model files as source text plus the values they capture, never bytecode.

A function (a ``Lambda``'s, a ``Lambda``'s ``output_shape``, a loss) is
written, in order of preference, as:

- its registered name (``register_keras_serializable``), or its allowlisted
  name (``loom.ops.sum``, ``relu``): ``{"class_name": "function", ...}``;
- otherwise its source, found with ``ast`` in the file that defines it, plus
  the values its free names refer to: closure variables, module-level
  numbers and arrays, modules (``ops``, ``np``) by name, other functions by
  name or by their own source, and its default arguments (the default
  *expressions* in the text are never evaluated when loading: the saved
  values are used). Arrays go into the weights file.

Loading rebuilds it with the restricted interpreter of ``safe_eval`` in safe
mode, and with Python itself only when the caller passes ``safe_mode=False``.
Because nothing is stored as bytecode, files load across Python versions.
"""

import ast
import builtins
import contextlib
import linecache
import os
import textwrap
import types

import numpy as np

from loom.saving import registry, safe_eval, safe_names, values
from loom.saving import scope as scope_module
from loom.saving.errors import ConfigError, SerializationError, UnknownObjectError, UnsafeCodeError

SOURCE_TAG = "__lambda_source__"
_MAX_NESTING = 16


class FunctionSource:
    """What a function was rebuilt from, kept on it so a loaded model saves again unchanged."""

    def __init__(self, source: str, name: str, captures: dict, defaults: list, kw_defaults: dict, origin: str):
        self.source = source
        self.name = name
        self.captures = captures
        self.defaults = defaults
        self.kw_defaults = kw_defaults
        self.origin = origin


# --- finding the source of a Python function ---------------------------------------------
def _first_position(code):
    positions = [(line, column) for line, _, column, _ in code.co_positions() if None not in (line, column)]
    body = [p for p in positions if p[0] >= code.co_firstlineno]
    return min(body) if body else None


def _contains(node, position) -> bool:
    start = (node.lineno, node.col_offset)
    end = (node.end_lineno, node.end_col_offset)
    return start <= position <= end


def _parameter_names(arguments: ast.arguments) -> list:
    names = [a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs]
    return names + [a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None]


def _code_parameters(code) -> list:
    count = code.co_argcount + code.co_kwonlyargcount
    count += bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)  # *args, **kwargs
    return list(code.co_varnames[:count])


def _find_node(function, what: str):
    code = function.__code__
    lines = linecache.getlines(code.co_filename, function.__globals__)
    if not lines:
        raise SerializationError(
            f"{what}: the source of {function.__qualname__} is not available (defined in an interactive "
            "session or with exec?), and loom stores functions as source, never as bytecode. Define it in a "
            "file, or register it with loom.saving.register_keras_serializable and pass it when loading."
        )
    module_source = "".join(lines)
    try:
        tree = ast.parse(module_source)
    except SyntaxError as err:
        raise SerializationError(
            f"{what}: cannot parse {code.co_filename} to find the source of {function.__qualname__}: {err}"
        ) from None
    first, parameters = code.co_firstlineno, _code_parameters(code)
    if code.co_name == "<lambda>":
        candidates = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda) and n.lineno == first]
    else:
        candidates = [
            n
            for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and n.name == code.co_name
            and first in [n.lineno] + [d.lineno for d in n.decorator_list]
        ]
    candidates = [n for n in candidates if sorted(_parameter_names(n.args)) == sorted(parameters)]
    if len(candidates) > 1:
        position = _first_position(code)
        candidates = [n for n in candidates if position is not None and _contains(n, position)]
        innermost = [
            n for n in candidates if not any(m is not n and _contains(n, (m.lineno, m.col_offset)) for m in candidates)
        ]
        candidates = innermost or candidates
    if len(candidates) != 1:
        raise SerializationError(
            f"{what}: cannot tell which source in {code.co_filename}:{first} defines {function.__qualname__} "
            f"({len(candidates)} candidates; was the file edited since?). Define it with `def` on its own lines."
        )
    node = candidates[0]
    if isinstance(node, ast.AsyncFunctionDef) or getattr(node, "decorator_list", None):
        raise SerializationError(
            f"{what}: {function.__qualname__} is async or decorated, so its source does not describe it. "
            "Register it with loom.saving.register_keras_serializable instead."
        )
    if isinstance(node, ast.Lambda):
        text = ast.get_source_segment(module_source, node)
    else:
        text = textwrap.dedent(ast.get_source_segment(module_source, node, padded=True))
    # Only the file's base name: a model file should not reveal the saver's folders.
    return text, node, f"{os.path.basename(code.co_filename)}:{first}"


def _cell_values(function) -> dict:
    cells = {}
    for name, cell in zip(function.__code__.co_freevars, function.__closure__ or ()):
        try:
            cells[name] = cell.cell_contents
        except ValueError:
            continue  # not yet assigned; reported as missing below if used
    return cells


def _describe_python_function(function, what: str) -> FunctionSource:
    text, node, origin = _find_node(function, what)
    closure = _cell_values(function)
    captures = {}
    for name in safe_eval.free_names(node):
        if name in closure:
            captures[name] = closure[name]
        elif name in function.__globals__:
            captures[name] = function.__globals__[name]
        elif hasattr(builtins, name):
            captures[name] = _BuiltinName(name)
        else:
            raise SerializationError(f"{what}: {function.__qualname__} refers to `{name}`, which has no value.")
    return FunctionSource(
        text,
        function.__name__,
        captures,
        list(function.__defaults__ or ()),
        dict(function.__kwdefaults__ or {}),
        origin,
    )


class _BuiltinName:
    def __init__(self, name: str):
        self.name = name


# --- writing ------------------------------------------------------------------------------
def _named_function(function) -> dict | None:
    if registry.is_registered(function):
        return {
            "module": getattr(function, "__module__", None),
            "class_name": "function",
            "config": getattr(function, "__name__", None),
            "registered_name": registry.get_registered_name(function),
        }
    qualified = safe_names.qualified_name_of(function)
    if qualified is not None:
        module, _, name = qualified.rpartition(".")
        return {"module": module, "class_name": "function", "config": name, "registered_name": None}
    named = registry.builtin_function_name(function)
    if named is not None:
        return {"module": named[0], "class_name": "function", "config": named[1], "registered_name": None}
    return None


def _encode_capture(value, name: str, what: str, depth: int):
    if isinstance(value, types.ModuleType):
        return {"kind": "module", "name": value.__name__}
    if isinstance(value, safe_names.ModuleRef):
        return {"kind": "module", "name": value.name}
    if isinstance(value, _BuiltinName):
        return {"kind": "builtin", "name": value.name}
    if isinstance(value, safe_names.TrustedFunction):
        value = value.function
    function_like = isinstance(value, (types.BuiltinFunctionType, types.FunctionType, np.ufunc, safe_eval.SafeFunction))
    if function_like or (
        callable(value)
        and not isinstance(value, type)
        and (registry.is_registered(value) or safe_names.qualified_name_of(value) is not None)
    ):
        if any(value is b for b in vars(builtins).values()):
            return {"kind": "builtin", "name": value.__name__}
        return {"kind": "function", "function": serialize_function(value, f"{what} (its `{name}`)", depth + 1)}
    if isinstance(value, type) and safe_names.qualified_name_of(value) is not None:
        return {"kind": "function", "function": _named_function(value)}
    try:
        encoded = values.encode_value(value, hint=name, keep_tuples=True)
    except SerializationError:
        raise SerializationError(
            f"{what} captures `{name}` = {type(value).__name__}, which loom cannot store (it stores numbers, "
            "strings, arrays, tuples/lists/dicts of them, modules and functions). Pass it through "
            "`arguments=` or make it a weight."
        ) from None
    return {"kind": "value", "value": encoded}


def serialize_function(function, what: str = "A function", depth: int = 0) -> dict:
    """A function as ``{"class_name": "function", ...}`` (by name) or as its source (see module doc)."""
    if depth > _MAX_NESTING:
        raise SerializationError(f"{what}: functions refer to each other more than {_MAX_NESTING} levels deep.")
    named = _named_function(function)
    if named is not None:
        return named
    source = getattr(function, "_loom_source", None) or getattr(function, "__loom_source__", None)
    if source is None:
        if not isinstance(function, types.FunctionType):
            raise SerializationError(
                f"{what}: cannot store {function!r}; only named or registered functions and Python functions "
                "with source can be saved. Register it with loom.saving.register_keras_serializable."
            )
        source = _describe_python_function(function, what)
    saving = scope_module.current_saving()
    naming = saving.naming(source.name.strip("<>") or "function") if saving is not None else contextlib.nullcontext()
    with naming:
        captures = {name: _encode_capture(v, name, what, depth) for name, v in source.captures.items()}
        defaults = [_encode_capture(v, f"default_{i}", what, depth) for i, v in enumerate(source.defaults)]
        kw_defaults = {k: _encode_capture(v, f"default_{k}", what, depth) for k, v in source.kw_defaults.items()}
    return {
        "class_name": SOURCE_TAG,
        "config": {
            "source": source.source,
            "name": source.name,
            "captures": captures,
            "defaults": defaults,
            "kw_defaults": kw_defaults,
            "origin": source.origin,
        },
    }


# --- reading ------------------------------------------------------------------------------
def _decode_capture(entry, what: str, loading, depth: int):
    if not isinstance(entry, dict) or "kind" not in entry:
        raise ConfigError(f"{what}: a captured value must be an object with 'kind'; received {entry!r:.200}.")
    kind = entry["kind"]
    if kind == "value":
        return values.decode_value(entry.get("value"))
    if kind == "module":
        name = entry.get("name")
        if isinstance(name, str) and name in loading.custom_objects:
            return loading.custom_objects[name]
        if name not in safe_names.ALLOWED_MODULES:
            raise UnsafeCodeError(
                f"{what} refers to the module {name!r}; loom provides only {sorted(safe_names.ALLOWED_MODULES)} "
                "to stored functions and never imports modules named in a file. Pass the module in "
                "custom_objects if you trust this file."
            )
        return safe_names.ModuleRef(name) if loading.safe_mode else safe_names.ALLOWED_MODULES[name]
    if kind == "builtin":
        name = entry.get("name")
        if loading.safe_mode or not isinstance(name, str) or not hasattr(builtins, name):
            return _BuiltinName(name)  # resolved (or refused) by the evaluator's own builtins
        return getattr(builtins, name)
    if kind == "function":
        return deserialize_function(entry.get("function"), what, depth + 1)
    raise ConfigError(f"{what}: unknown kind of captured value {kind!r}.")


def _source_text(config: dict, what: str) -> str:
    text = config.get("source")
    if not isinstance(text, str):
        raise ConfigError(f"{what}: a stored function needs its 'source' text.")
    return text if text.lstrip().startswith("def ") else f"({text}\n)"


def deserialize_function(config, what: str = "A stored function", depth: int = 0):
    """Rebuild a function from ``serialize_function``'s dict, honouring the loading scope's safe mode.

    Raises:
        UnsafeCodeError: safe mode refuses the code (naming the construct and line).
        UnknownObjectError: a named function is not registered, allowlisted or in custom_objects.
    """
    if depth > _MAX_NESTING:
        raise ConfigError(f"{what}: stored functions nest more than {_MAX_NESTING} levels deep.")
    if not isinstance(config, dict):
        raise ConfigError(f"{what}: expected a function entry (an object); received {config!r:.200}.")
    with scope_module.ensure_loading() as loading:
        tag = config.get("class_name")
        if tag == "function":
            function = registry.resolve(
                config.get("config"),
                config.get("module"),
                config.get("registered_name"),
                loading.custom_objects,
                kind="function",
            )
            return safe_names.TrustedFunction(function) if depth > 0 and loading.safe_mode else function
        if tag == "__lambda__":
            raise UnsafeCodeError(
                f"{what} is stored as Python bytecode (a Keras file). loom never runs bytecode from a file: "
                "bytecode is version-specific and can do anything. Re-create the Lambda in code, or pass its "
                "function in custom_objects."
            )
        if tag != SOURCE_TAG or not isinstance(config.get("config"), dict):
            raise UnknownObjectError(f"{what}: unknown function entry {tag!r}.")
        spec = config["config"]
        name = spec.get("name") if isinstance(spec.get("name"), str) else "<lambda>"
        replacement = loading.custom_objects.get(name) if name != "<lambda>" else None
        # A registered function is written by its registered name ("package>name"), never as source,
        # so a source entry is another function even when it shares a registered one's bare name
        # (custom_objects given to a from_config carry the registry under bare names too).
        if replacement is not None and not registry.is_registered(replacement):
            return safe_names.TrustedFunction(replacement) if depth > 0 and loading.safe_mode else replacement
        for field, kind in (("captures", dict), ("defaults", list), ("kw_defaults", dict)):
            if not isinstance(spec.get(field, kind()), kind):
                raise ConfigError(f"{what}: '{field}' of a stored function must be a {kind.__name__}.")
        captures = {k: _decode_capture(v, what, loading, depth) for k, v in spec.get("captures", {}).items()}
        defaults = [_decode_capture(v, what, loading, depth) for v in spec.get("defaults", [])]
        kw_defaults = {k: _decode_capture(v, what, loading, depth) for k, v in spec.get("kw_defaults", {}).items()}
        text = _source_text(spec, what)
        source = FunctionSource(spec["source"], name, captures, defaults, kw_defaults, str(spec.get("origin", "")))
        if loading.safe_mode:
            function = _build_safe(text, captures, defaults, kw_defaults, what)
        else:
            function = _build_python(text, name, captures, defaults, kw_defaults, what)
        function._loom_source = source
        return function


# Values the evaluator handles itself; any other callable a file gives is the caller's own.
_EVALUATOR_VALUES = (safe_eval.SafeFunction, safe_names.ModuleRef, safe_names.TrustedFunction, type)


def _build_safe(text, captures, defaults, kw_defaults, what):
    node = safe_eval.parse_function(text, what)
    environment = {}
    for key, value in captures.items():
        if isinstance(value, _BuiltinName):
            continue  # the evaluator's own (restricted) builtins answer, or the name is refused
        if callable(value) and not isinstance(value, _EVALUATOR_VALUES):
            value = safe_names.TrustedFunction(value) if safe_names.qualified_name_of(value) is None else value
        environment[key] = value
    return safe_eval.make_function(node, environment, defaults, kw_defaults, what)


def _plain(value):
    return value.function if isinstance(value, safe_names.TrustedFunction) else value


def _build_python(text, name, captures, defaults, kw_defaults, what):
    """Run the stored source with Python itself: only reached with safe_mode=False."""
    namespace = {"__builtins__": builtins}
    namespace.update({k: _plain(v) for k, v in captures.items() if not isinstance(v, _BuiltinName)})
    filename = f"<loom stored function: {what}>"
    try:
        if text.lstrip().startswith("def "):
            exec(compile(text, filename, "exec"), namespace)  # noqa: S102 - the caller passed safe_mode=False
            function = namespace[name]
        else:
            function = eval(compile(text, filename, "eval"), namespace)  # noqa: S307 - safe_mode=False
    except SyntaxError as err:
        raise ConfigError(f"{what}: the stored source does not parse: {err}") from None
    function.__defaults__ = tuple(_plain(v) for v in defaults) or None
    function.__kwdefaults__ = {k: _plain(v) for k, v in kw_defaults.items()} or None
    return function
