"""The registry: the only way a name in a file becomes a class or function.

An entry naming one of loom's built-ins (layers, models, initializers,
regularizers, constraints, activations, losses, metrics, optimizers,
schedules) by a built-in module (``loom.*``, ``keras.*``, or none) and name
resolves to that built-in, whatever ``custom_objects`` or the registry hold
under the name; an entry that names a built-in yet carries another
``registered_name`` is refused. Any other name resolves, in order, to (1) what
the caller passed in ``custom_objects`` (or an active ``custom_object_scope``),
(2) what the program registered with ``register_keras_serializable`` (Keras's
``"package>name"`` keys). Nothing else: a file naming ``os.system`` or
``subprocess.Popen`` gets an ``UnknownObjectError``, because loom never
imports a module named in a file.
"""

import importlib
import inspect
import threading

from loom.saving import safe_names
from loom.saving.errors import ConfigError, UnknownObjectError

_REGISTERED: dict = {}  # "package>name" -> class or function (Keras's get_custom_objects())
_local = threading.local()

# Module prefixes whose classes are loom's (or Keras's, read as loom's) built-ins.
_BUILTIN_ROOTS = ("loom", "keras", "tf_keras", "builtins")
_CATEGORIES = (
    "ops", "schedules", "layers", "models", "initializers", "regularizers", "constraints", "activations",
    "losses", "metrics", "optimizers",
)  # fmt: skip


# --- registering --------------------------------------------------------------------------
def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Register a class or function so files can name it as ``"package>name"``.

    Args:
        package: a namespace for the name (Keras's default "Custom").
        name: the name within the package; defaults to the object's ``__name__``.

    Example:
        >>> @register_keras_serializable(package="my_project")  # doctest: +SKIP
        ... class Scale(loom.layers.Layer): ...
    """
    if not isinstance(package, str) or ">" in package or not package:
        raise ValueError(
            f"register_keras_serializable: `package` must be a non-empty string without '>'; received {package!r}."
        )

    def decorator(obj):
        registered = f"{package}>{name or obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"Cannot register {obj.__name__}: a registered class must define get_config().")
        _REGISTERED[registered] = obj
        return obj

    return decorator


def get_custom_objects() -> dict:
    """The global registry, ``{"package>name": object}`` (mutable, as in Keras)."""
    return _REGISTERED


def get_registered_name(obj) -> str:
    """The ``"package>name"`` an object is registered under, else its ``__name__``."""
    for key, value in _REGISTERED.items():
        if value is obj:
            return key
    return getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name: str, custom_objects: dict | None = None, module_objects: dict | None = None):
    """The object registered (or passed in ``custom_objects`` / ``module_objects``) under ``name``, or None."""
    for mapping in (custom_objects or {}, scoped_objects(), _REGISTERED, module_objects or {}):
        if name in mapping:
            return mapping[name]
    return None


def is_registered(obj) -> bool:
    return any(value is obj for value in _REGISTERED.values())


class CustomObjectScope:
    """``with custom_object_scope({"MyLayer": MyLayer}):`` makes names resolvable inside the block."""

    def __init__(self, *objects: dict):
        self.objects = {}
        for mapping in objects:
            self.objects.update(mapping or {})

    def __enter__(self):
        if not hasattr(_local, "scopes"):
            _local.scopes = []
        _local.scopes.append(self.objects)
        return self

    def __exit__(self, *exc):
        _local.scopes.pop()


custom_object_scope = CustomObjectScope


def scoped_objects() -> dict:
    """The objects of the active ``custom_object_scope`` blocks."""
    merged = {}
    for mapping in getattr(_local, "scopes", ()):
        merged.update(mapping)
    return merged


def custom_objects_with(custom_objects: dict | None) -> dict:
    """Caller objects (scopes, then ``custom_objects``) plus the registry, by every name they may appear under."""
    merged = {}
    for key, value in _REGISTERED.items():
        merged.setdefault(key.split(">", 1)[-1], value)
        merged.setdefault(getattr(value, "__name__", key), value)
        merged[key] = value
    merged.update(scoped_objects())
    merged.update(custom_objects or {})
    return merged


# --- built-ins ----------------------------------------------------------------------------
def _loom(module: str):
    """One of loom's own modules (``"layers"``, ``"optimizers.schedules"``), imported on first use.

    The registry sits below the classes it finds, which save and load through it; importing
    them at the top would make every package above saving a dependency of its bottom. Only
    these fixed loom names are ever imported here, never a name read from a file.
    """
    return importlib.import_module(f"loom.{module}")


def _classes_in(module, base) -> dict:
    table = {}
    for name in dir(module):
        value = getattr(module, name)
        if not name.startswith("_") and inspect.isclass(value) and issubclass(value, base):
            table.setdefault(value.__name__, value)
            table.setdefault(name, value)  # Keras aliases, e.g. Convolution2D
    return table


def _loom_layer_subclasses(layer_base) -> dict:
    """Public Layer subclasses defined in loom's own modules (already imported; nothing is imported here)."""
    found, stack = {}, [layer_base]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("loom.") and not cls.__name__.startswith("_"):
            found.setdefault(cls.__name__, cls)
    return found


def builtin_model_classes() -> dict:
    """``{"Functional", "Sequential", "Model"}``: loom's model classes by name."""
    models = _loom("models")
    return {"Functional": models.Functional, "Sequential": models.Sequential, "Model": models.Model}


def builtin_tables() -> dict:
    """``{category: {class name: class}}`` of loom's built-in classes (computed each time: layer
    modules imported later, such as a new layer family, count too)."""
    layer_module = _loom("layers.layer")
    initializers, regularizers, constraints = _loom("initializers"), _loom("regularizers"), _loom("constraints")
    losses, optimizers, schedules = _loom("losses"), _loom("optimizers"), _loom("optimizers.schedules")
    models = builtin_model_classes()
    layers = {**_loom_layer_subclasses(layer_module.Layer), **_classes_in(_loom("layers"), layer_module.Layer)}
    layers.update(models)
    return {
        "layers": layers,
        "models": models,
        "initializers": _classes_in(initializers, initializers.Initializer),
        "regularizers": _classes_in(regularizers, regularizers.Regularizer),
        "constraints": _classes_in(constraints, constraints.Constraint),
        "losses": _classes_in(losses, losses.Loss),
        "metrics": _classes_in(_loom("metrics"), _loom("metrics.metric").Metric),
        "optimizers": _classes_in(optimizers, optimizers.Optimizer),
        "schedules": _classes_in(schedules, schedules.LearningRateSchedule),
        "policies": {"DTypePolicy": layer_module.DTypePolicy},
    }


def category_of(module) -> str | None:
    """``"layers"``, ``"losses"``, ... for a built-in module path; ``"any"`` for ``"keras"``/``"loom"``
    or no module; None for a module outside loom and Keras."""
    if module is None:
        return "any"
    if not isinstance(module, str):
        return None
    parts = module.split(".")
    if parts[0] not in _BUILTIN_ROOTS:
        return None
    for category in _CATEGORIES:
        if category in parts:
            return category
    if parts[0] == "builtins":
        return "functions"
    return "any"


def builtin_class(class_name: str, category: str | None):
    """A built-in class by name within a category (``"any"`` searches all), or None."""
    tables = builtin_tables()
    names = tables if category == "any" else {category: tables.get(category, {})}
    for table in names.values():
        if class_name in table:
            return table[class_name]
    if category == "any" or category == "models":
        return tables["layers"].get(class_name) or tables["policies"].get(class_name)
    return None


def allowlisted_function(module, name):
    """A function on safe mode's allowlist (``loom.ops.sum``, ``numpy.exp``), by module and name."""
    if not (isinstance(module, str) and isinstance(name, str)):
        return None
    found = safe_names.ALLOWED_NAMES.get(f"{module}.{name}")
    return found if callable(found) else None


def builtin_function_name(function) -> tuple | None:
    """``("loom.losses", "mean_squared_error")`` for loom's named activation, loss and metric functions."""
    name = getattr(function, "__name__", None)
    if not isinstance(name, str) or name == "<lambda>":
        return None
    for family_name in ("activations", "losses", "metrics"):
        module, family = f"loom.{family_name}", _loom(family_name)
        # A metric-only function (binary_accuracy) shares its name with a class the family's
        # deserialize returns, so the module's own attribute is asked first.
        if getattr(family, name, None) is function:
            return module, name
        try:
            if family.deserialize(name) is function:
                return module, name
        except (ValueError, TypeError):
            continue
    return None


def builtin_function(name: str, category: str | None):
    """A built-in function (activation, loss or metric function, loom.ops op) by name, or None."""
    if not isinstance(name, str):
        return None
    if category == "ops":
        return safe_names.ALLOWED_NAMES.get(f"loom.ops.{name}")
    names = (category,) if category in ("activations", "losses", "metrics") else ("activations", "losses", "metrics")
    modules = [_loom(name) for name in names]
    families = [module.deserialize for module in modules]
    for module in modules:
        if inspect.isfunction(getattr(module, name, None)):
            return getattr(module, name)
    for deserialize in families:
        try:
            found = deserialize(name)
        except (ValueError, TypeError):
            continue
        if inspect.isfunction(found):
            return found
    return None


# --- resolving ----------------------------------------------------------------------------
def find_registered(class_name, registered_name=None):
    """A registered object by its ``"package>name"`` key, else by a unique short or class name.

    Family serializers write a custom class's ``__name__`` as its registered name,
    so an object registered as ``"pkg>Alias"`` is also found by its class name.
    """
    names = [n for n in (registered_name, class_name) if isinstance(n, str) and n != "function"]
    for name in names:
        if name in _REGISTERED:
            return _REGISTERED[name]
    matches = []
    for key, value in _REGISTERED.items():
        if (key.split(">", 1)[-1] in names or getattr(value, "__name__", None) in names) and all(
            value is not m for m in matches
        ):
            matches.append(value)
    return matches[0] if len(matches) == 1 else None


def _describe(module, class_name) -> str:
    return f"'{module}.{class_name}'" if module else f"'{class_name}'"


def builtin_named(class_name, module=None, registered_name=None, kind: str = "class"):
    """The built-in class (or function) an entry names by its module and name, or None.

    Deliberately unlike Keras 3, where ``custom_objects`` and the registry come
    first: a file that names ``loom.layers.Dense`` gets loom's Dense, never
    other code that happens to be passed or registered under that name. Your
    own classes are written with your module's name and resolve as before.

    Raises:
        ConfigError: the entry names a built-in but carries a ``registered_name``
            of something else (a registered object posing as the built-in).
    """
    if not isinstance(class_name, str):
        return None
    category = category_of(module)
    if kind == "function":
        found = allowlisted_function(module, class_name)
        if found is None and category is not None:
            found = builtin_function(class_name, category)
    else:
        found = builtin_class(class_name, category) if category is not None else None
    if found is None:
        return None
    # loom writes no registered_name for a built-in; Keras writes the built-in's own name.
    if isinstance(registered_name, str) and registered_name not in ("", class_name):
        raise ConfigError(
            f"The config names the built-in {_describe(module, class_name)} but gives registered_name="
            f"{registered_name!r}, another object's name; loom refuses to let a registered object stand in for a "
            "built-in. Remove 'registered_name' to load the built-in, or write your class's own module and class "
            "name in the entry."
        )
    return found


def resolve(class_name, module=None, registered_name=None, custom_objects: dict | None = None, kind: str = "class"):
    """The class (or, with ``kind="function"``, the function) a config names.

    Raises:
        UnknownObjectError: the name is not a custom object, not registered and
            not a loom built-in; loom imports nothing to find it.
        ConfigError: the entry names a built-in with another object's ``registered_name``.
    """
    if not isinstance(class_name, str) or not class_name:
        raise UnknownObjectError(f"A config entry needs a non-empty string 'class_name'; received {class_name!r}.")
    builtin = builtin_named(class_name, module, registered_name, kind)
    if builtin is not None:
        return builtin
    caller = {**scoped_objects(), **(custom_objects or {})}
    for key in (registered_name, class_name):
        if isinstance(key, str) and key in caller:
            return caller[key]
    registered = find_registered(class_name, registered_name)
    if registered is not None:
        return registered
    category = category_of(module)
    what = "function" if kind == "function" else "class"
    origin = (
        "a loom built-in" if category is not None else f"from module '{module}', which loom never imports from a file"
    )
    raise UnknownObjectError(
        f"The config names the {what} {_describe(module, class_name)}, which is not {origin}, not registered "
        f"with loom.saving.register_keras_serializable and not in custom_objects. If it is your own code, "
        f"register it or pass custom_objects={{'{class_name}': ...}} when loading."
        if category is not None
        else f"The config names the {what} {_describe(module, class_name)} {origin}; it is not registered with "
        f"loom.saving.register_keras_serializable and not in custom_objects. If it is your own code, register it "
        f"or pass custom_objects={{'{class_name}': ...}} when loading."
    )
