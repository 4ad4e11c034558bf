"""loom's import layers, read from the source: the rules that keep saving from being both the
bottom and the top of the stack (issue 11).

Every loom module is parsed (never imported) and each of its imports recorded with where it
runs: at module level (when the module is imported; class bodies and ``try`` blocks included)
or at function level (when the function is called). Three rules are checked:

(a) no cycle among the packages loom.models, loom.saving, loom.callbacks and loom.training in
    the graph of module-level imports;
(b) the file formats (zip archive, safetensors, HDF5, digests, atomic writes, errors) import,
    following their module-level imports through every loom module they reach, nothing above
    loom.ops and no other part of loom.saving; the registry imports no package of built-in
    classes at module level (it finds them when a name is looked up);
(c) callbacks use loom.saving's public API only: ``from loom import saving`` and the names
    loom/saving/__init__.py re-exports, never a module inside loom.saving or a private name.

Parent packages are not followed: any ``import loom.x`` runs loom/__init__.py, which imports
everything, so the layering is that of each module's own imports.
"""

import ast
import dataclasses
import itertools
import pathlib

import pytest

LOOM = pathlib.Path(__file__).resolve().parent.parent / "loom"

CYCLE_FREE = ("loom.models", "loom.saving", "loom.callbacks", "loom.training")
FORMAT_MODULES = tuple(
    f"loom.saving.{name}"
    for name in ("errors", "atomic_write", "archive", "weights", "hdf5_safety", "integrity", "warning_location")
)
# Packages above the file formats and the registry: the classes that saving writes and reads.
ABOVE_FORMATS = tuple(
    f"loom.{name}" for name in ("layers", "models", "training", "callbacks", "optimizers", "metrics", "losses")
)
REGISTRY = "loom.saving.registry"


@dataclasses.dataclass(frozen=True)
class Import:
    importer: str  # the importing module, "loom.saving.archive"
    target: str  # the module imported: "loom.saving.weights" for `from loom.saving import weights`
    name: str | None  # the name taken from it (`from target import name`), None for `import target`
    level: str  # "module" (runs on import) or "function" (runs when called)
    where: str  # "loom/saving/archive.py:25"

    def describe(self) -> str:
        what = f"from {self.target} import {self.name}" if self.name else f"import {self.target}"
        return f"{self.where} ({self.level} level): {what}"


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(LOOM.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def parse_imports(source: str, module: str, is_package: bool, filename: str) -> list[Import]:
    """Every import in ``source`` with the level it runs at (``if TYPE_CHECKING:`` blocks never run)."""
    found = []

    def visit(node, level):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, "function")
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                visit(ast.Module(body=child.orelse, type_ignores=[]), level)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(Import(module, alias.name, None, level, f"{filename}:{child.lineno}"))
            elif isinstance(child, ast.ImportFrom):
                target = _absolute(module, is_package, child)
                for alias in child.names:
                    found.append(Import(module, target, alias.name, level, f"{filename}:{child.lineno}"))
            else:
                visit(child, level)

    visit(ast.parse(source, filename), "module")
    return found


def _loom_sources() -> dict:
    return {_module_name(path): path for path in sorted(LOOM.rglob("*.py"))}


SOURCES = _loom_sources()


def _all_imports() -> list[Import]:
    found = []
    for module, path in SOURCES.items():
        filename = str(path.relative_to(LOOM.parent))
        found.extend(parse_imports(path.read_text(), module, path.name == "__init__.py", filename))
    return found


IMPORTS = _all_imports()


def imported_module(imp: Import, modules=SOURCES) -> str:
    """The loom module an import loads: ``from loom import saving`` loads loom.saving, not loom."""
    if imp.name is not None and f"{imp.target}.{imp.name}" in modules:
        return f"{imp.target}.{imp.name}"
    return imp.target


def package_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _within(module: str, packages) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def find_cycle(edges: dict) -> list | None:
    """A cycle ``[a, b, ..., a]`` in ``{node: {successor, ...}}``, or None."""
    state, path = {}, []

    def visit(node):
        state[node] = "open"
        path.append(node)
        for successor in sorted(edges.get(node, ())):
            if state.get(successor) == "open":
                return path[path.index(successor) :] + [successor]
            if successor not in state:
                cycle = visit(successor)
                if cycle:
                    return cycle
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def package_edges(imports, packages=CYCLE_FREE, modules=SOURCES) -> dict:
    """``{(importer package, imported package): [Import, ...]}`` of module-level imports between ``packages``."""
    edges = {}
    for imp in imports:
        if imp.level != "module":
            continue
        source, target = package_of(imp.importer), package_of(imported_module(imp, modules))
        if source != target and source in packages and target in packages:
            edges.setdefault((source, target), []).append(imp)
    return edges


def cycle_problem(imports, packages=CYCLE_FREE, modules=SOURCES) -> str | None:
    edges = package_edges(imports, packages, modules)
    graph = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
    cycle = find_cycle(graph)
    if cycle is None:
        return None
    lines = [f"  {a} -> {b}, e.g. {edges[(a, b)][0].describe()}" for a, b in itertools.pairwise(cycle)]
    return (
        "Rule (a), no module-level import cycle among " + ", ".join(packages) + ", is broken by the cycle "
        + " -> ".join(cycle) + ":\n" + "\n".join(lines) + "\nMove the import that points back into a function, "
        "or move the code it needs down into the package it comes from."
    )  # fmt: skip


def format_problems(imports, modules=SOURCES) -> list[str]:
    """Module-level imports that reach, from a file-format module, a package above loom.ops or the rest of saving."""
    by_importer = {}
    for imp in imports:
        if imp.level == "module" and imp.target.startswith("loom"):
            by_importer.setdefault(imp.importer, []).append(imp)
    problems = []
    for start in FORMAT_MODULES:
        # Walk the module-level imports from `start`, remembering the chain that reached each module.
        chains, stack = {start: []}, [start]
        while stack:
            module = stack.pop()
            for imp in by_importer.get(module, []):
                reached = imported_module(imp, modules)
                if reached in chains:
                    continue
                chain = chains[module] + [imp]
                chains[reached] = chain
                above = _within(reached, ABOVE_FORMATS)
                upper_saving = _within(reached, ("loom.saving",)) and reached not in FORMAT_MODULES
                if above or upper_saving:
                    why = "a package above loom.ops" if above else "a part of loom.saving above the file formats"
                    route = "\n    ".join(step.describe() for step in chain)
                    problems.append(
                        f"Rule (b), the file formats import nothing above loom.ops, is broken: {start} reaches "
                        f"{reached}, {why}, through\n    {route}\nPass what it needs in as an argument, or move "
                        "the piece that needs it up into loom/saving/api.py."
                    )
                else:
                    stack.append(reached)
    return problems


def registry_problems(imports, modules=SOURCES) -> list[str]:
    return [
        f"Rule (b), the registry imports no package of built-in classes at module level, is broken by "
        f"{imp.describe()}. Look the class up when a name is resolved (registry._loom), not at import."
        for imp in imports
        if imp.importer == REGISTRY and imp.level == "module" and _within(imported_module(imp, modules), ABOVE_FORMATS)
    ]


def saving_public_names(init_source: str) -> set:
    """The names loom/saving/__init__.py offers: its ``__all__`` if it has one, else what it re-exports."""
    tree = ast.parse(init_source)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
    return {name for name in names if not name.startswith("_")}


def _saving_attributes(source: str, filename: str) -> list[tuple]:
    """``(line, attribute)`` for every ``saving.<attribute>`` in a module that binds ``saving`` to loom.saving."""
    tree = ast.parse(source, filename)
    bound = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "loom"
        and any(alias.name == "saving" and (alias.asname or "saving") == "saving" for alias in node.names)
        for node in ast.walk(tree)
    )
    if not bound:
        return []
    return [
        (node.lineno, node.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "saving"
    ]


def callback_problems(imports, public: set, sources: dict) -> list[str]:
    rule = "Rule (c), callbacks use loom.saving's public API only (`from loom import saving`, names in "
    rule += "loom/saving/__init__.py), is broken by"
    problems = []
    for imp in imports:
        if not _within(imp.importer, ("loom.callbacks",)):
            continue
        if imp.name is None and _within(imp.target, ("loom.saving",)):
            problems.append(f"{rule} {imp.describe()}: use `from loom import saving` instead.")
        elif imp.target == "loom" and imp.name == "saving":
            continue
        elif imp.target == "loom.saving" and imp.name not in public:
            problems.append(f"{rule} {imp.describe()}: {imp.name!r} is not a public name of loom.saving.")
        elif imp.target.startswith("loom.saving."):
            problems.append(f"{rule} {imp.describe()}: {imp.target} is a module inside loom.saving.")
    for module, (source, filename) in sources.items():
        if not _within(module, ("loom.callbacks",)):
            continue
        for line, attribute in _saving_attributes(source, filename):
            if attribute not in public:
                problems.append(f"{rule} {filename}:{line}: saving.{attribute} is not a public name of loom.saving.")
    return problems


# --- the rules, on loom's source ----------------------------------------------------------------
def test_the_parser_sees_module_and_function_level_imports_in_loom():
    # Guards the rules below against passing because nothing was parsed.
    model_imports = {(imp.target, imp.name, imp.level) for imp in IMPORTS if imp.importer == "loom.models.model"}
    assert ("loom.layers.layer", "Layer", "module") in model_imports
    assert ("loom.models.functional", "Functional", "function") in model_imports
    assert len(SOURCES) > 100 and "loom.saving.archive" in SOURCES


def test_models_saving_callbacks_and_training_import_each_other_without_a_cycle():
    problem = cycle_problem(IMPORTS)
    assert problem is None, problem
    # The layering this rule keeps: models build on saving and training, training drives callbacks,
    # callbacks save through saving.
    edges = package_edges(IMPORTS)
    assert ("loom.models", "loom.saving") in edges and ("loom.training", "loom.callbacks") in edges
    assert not any(source == "loom.saving" for source, _ in edges), sorted(edges)


def test_file_formats_import_nothing_above_ops():
    problems = format_problems(IMPORTS)
    assert not problems, "\n\n".join(problems)


def test_the_registry_imports_no_built_in_package_at_module_level():
    problems = registry_problems(IMPORTS)
    assert not problems, "\n".join(problems)


def test_callbacks_use_only_the_public_saving_api():
    public = saving_public_names((LOOM / "saving" / "__init__.py").read_text())
    assert {"read_archive", "write_archive", "SavingError"} <= public
    sources = {m: (p.read_text(), str(p.relative_to(LOOM.parent))) for m, p in SOURCES.items()}
    problems = callback_problems(IMPORTS, public, sources)
    assert not problems, "\n".join(problems)


def test_functional_config_lives_in_models():
    assert "loom.models.functional_config" in SOURCES
    assert "loom.saving.functional_config" not in SOURCES


# --- the rules catch what they are for ----------------------------------------------------------
def _imports_of(files: dict) -> tuple[list, dict]:
    """Parsed imports and the module table of a made-up package tree ``{module: source}``."""
    found = []
    for module, source in files.items():
        found.extend(parse_imports(source, module, module.count(".") < 2, module.replace(".", "/") + ".py"))
    return found, {m: None for m in files}


def test_parse_imports_marks_levels_and_resolves_relative_imports():
    source = (
        "import os\nfrom . import weights\nfrom ..layers.layer import Layer\n"
        "if TYPE_CHECKING:\n    from loom.models import Model\n"
        "class A:\n    from loom import ops\n"
        "def f():\n    from loom import saving\n"
    )
    found = parse_imports(source, "loom.saving.archive", False, "archive.py")
    assert [(i.target, i.name, i.level) for i in found] == [
        ("os", None, "module"),
        ("loom.saving", "weights", "module"),
        ("loom.layers.layer", "Layer", "module"),
        ("loom", "ops", "module"),
        ("loom", "saving", "function"),
    ]


def test_a_module_level_cycle_is_named_with_its_imports():
    imports, modules = _imports_of(
        {
            "loom.models.model": "from loom.saving import api\n",
            "loom.saving.api": "from loom.models.model import Model\n",
            "loom.saving": "",
            "loom.models": "",
        }
    )
    problem = cycle_problem(imports, modules=modules)
    assert "loom.models -> loom.saving -> loom.models" in problem or "loom.saving -> loom.models -> loom.saving" in (
        problem
    )
    assert "loom/saving/api.py:1 (module level): from loom.models.model import Model" in problem
    # The same import inside a function is no cycle.
    imports, modules = _imports_of(
        {"loom.models.model": "from loom.saving import api\n", "loom.saving.api": "def f():\n    import loom.models\n"}
    )
    assert cycle_problem(imports, modules=modules) is None


def test_a_format_module_reaching_a_layer_through_another_module_is_named():
    imports, modules = _imports_of(
        {
            "loom.saving.integrity": "from loom.saving.model_state import user_stacklevel\n",
            "loom.saving.model_state": "from loom.saving import variable_paths\n",
            "loom.saving.variable_paths": "from loom.layers.layer import Layer\n",
            "loom.saving.archive": "from loom.saving import weights\nfrom loom.ops import numpy\n",
            "loom.saving.weights": "from loom.saving.errors import WeightsFileError\n",
        }
    )
    problems = format_problems(imports, modules)
    assert len(problems) == 1, problems
    assert "loom.saving.integrity reaches loom.saving.model_state" in problems[0]
    assert "loom/saving/integrity.py:1 (module level)" in problems[0]


def test_a_registry_importing_models_is_named():
    imports, modules = _imports_of(
        {REGISTRY: "from loom.models.functional import Functional\ndef f():\n    from loom import layers\n"}
    )
    problems = registry_problems(imports, modules)
    assert len(problems) == 1 and "from loom.models.functional import Functional" in problems[0]


@pytest.mark.parametrize(
    "source, offending",
    [
        ("from loom.saving.archive import _Reader\n", "loom.saving.archive is a module inside loom.saving"),
        ("def f():\n    from loom.saving import archive_helpers\n", "'archive_helpers' is not a public name"),
        ("import loom.saving.api\n", "use `from loom import saving` instead"),
        ("from loom import saving\nx = saving._PREFIX\n", "saving._PREFIX is not a public name"),
    ],
)
def test_a_callback_reaching_into_saving_is_named(source, offending):
    module = "loom.callbacks.backup"
    imports, _ = _imports_of({module: source})
    sources = {module: (source, "loom/callbacks/backup.py")}
    problems = callback_problems(imports, {"read_archive", "archive"}, sources)
    assert len(problems) == 1 and offending in problems[0], problems
    clean = "from loom import saving\nfrom loom.saving import read_archive\nx = saving.read_archive\n"
    imports, _ = _imports_of({module: clean})
    assert callback_problems(imports, {"read_archive"}, {module: (clean, "b.py")}) == []
