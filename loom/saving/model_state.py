"""A model's state as named arrays: its variables by stable path, the optimizer's by its own.

``get_model_state`` gives ``{key: array}`` (keys from ``variable_paths``, and
``"__optimizer__/<path>"`` for the optimizer); ``set_model_state`` assigns such
arrays back, checking names, shapes and dtypes and listing every mismatch.
Weights files and checkpoints are these arrays plus JSON. A file written by
``save_weights`` or ``save`` also records each key's tree path (see
``variable_paths``), and is then matched by tree path, as Keras matches
weights: by the model's layer structure, not by auto-generated layer names.
"""

import json
import math
import warnings

import numpy as np

from loom.distribution.placement import host_value
from loom.saving import weights
from loom.saving.errors import (
    SerializationError,
    WeightsFileError,
    WeightsMismatchError,
)
from loom.saving.variable_paths import is_reserved, variable_paths, walk_variables
from loom.saving.warning_location import user_stacklevel

OPTIMIZER_PREFIX = "__optimizer__/"
# safetensors metadata key listing the optimizer's variables in their order.
OPTIMIZER_ORDER = "loom.optimizer_variables"
# safetensors metadata key mapping each variable's key to its tree path (JSON object).
TREE_PATHS = "loom.tree_paths"
_BY_NAME_NOTE = (
    "This file records no layer-tree paths (an older loom or another tool wrote it), so its weights are "
    "matched by layer name, and a model built again in the same session has other auto-generated names "
    "(dense_2 for dense): give the layers the names the file holds, or save the weights again with this loom."
)


def _optimizer_state(model) -> tuple[dict, list]:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(optimizer, "built", False):
        return {}, []
    arrays, order = {}, []
    for variable in optimizer.variables:
        key = OPTIMIZER_PREFIX + variable.path
        if key in arrays:
            raise SerializationError(f"Two optimizer variables share the path {variable.path!r}.")
        arrays[key] = host_value(variable.value)
        order.append(key)
    return arrays, order


def get_model_state(model, include_optimizer: bool = True) -> dict:
    """The model's variables (and the optimizer's, under ``"__optimizer__/"``) as ``{key: array}``.

    Keys are the stable paths of ``variable_paths`` (``"dense/kernel"``); arrays
    are host copies, safe to write while training goes on.
    """
    state = {key: host_value(variable.value) for key, variable in variable_paths(model).items()}
    if include_optimizer:
        state.update(_optimizer_state(model)[0])
    return state


def optimizer_metadata(model, include_optimizer: bool) -> dict:
    if not include_optimizer:
        return {}
    order = _optimizer_state(model)[1]
    return {OPTIMIZER_ORDER: json.dumps(order)} if order else {}


def _saved_optimizer_order(source) -> list | None:
    text = getattr(source, "metadata", {}).get(OPTIMIZER_ORDER)
    if text is None:
        return None
    try:
        order = json.loads(text)
    except ValueError:
        return None
    return order if isinstance(order, list) and all(isinstance(k, str) for k in order) else None


class ArraySource:
    """A dict of arrays that answers like a SafetensorsFile."""

    def __init__(self, arrays: dict, metadata: dict | None = None):
        self._arrays = {k: np.asarray(v) for k, v in arrays.items()}
        self.metadata = dict(metadata or {})
        self.specs = {k: (tuple(v.shape), v.dtype.name) for k, v in self._arrays.items()}

    def array(self, key):
        return self._arrays[key]


def tree_metadata(model) -> dict:
    """Safetensors metadata recording each variable's tree path, so the file loads by layer structure."""
    paths = {entry.key: entry.tree for entry in walk_variables(model)}
    return {TREE_PATHS: json.dumps(paths, separators=(",", ":"))}


def _saved_tree_paths(source) -> dict | None:
    """The file's ``{key: tree path}``, checked; None for a file without one (matched by name)."""
    text = getattr(source, "metadata", {}).get(TREE_PATHS)
    if text is None:
        return None
    try:
        paths = json.loads(text)
    except ValueError:
        paths = None
    if not isinstance(paths, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in paths.items()):
        raise WeightsFileError(
            f"The weights file's '{TREE_PATHS}' metadata must be a JSON object mapping tensor names to tree "
            "paths; it is damaged. Save the weights again, or remove that metadata to match by name."
        )
    if len(set(paths.values())) != len(paths):
        raise WeightsFileError(f"The weights file's '{TREE_PATHS}' metadata gives two tensors one tree path.")
    return paths


def _owner(path: str) -> str:
    """The path of the layer (or random generator) a variable's path belongs to."""
    return path.rpartition("/")[0]


class _Plan:
    """How the model's variables meet the file's tensors: by tree path when the file records them, else by key.

    As Keras's loading does, layer by layer: a layer whose weights the file lacks,
    holds with another shape, or holds more of, cannot be loaded (an error; with
    ``skip_mismatch`` the whole layer keeps its weights); tensors of layers the
    model does not have are left unused (a warning lists them); a random
    generator's state the file lacks keeps its value.
    """

    def __init__(self, model, source, convert_dtypes: bool):
        stored = {key: spec for key, spec in source.specs.items() if not is_reserved(key)}
        saved_paths = _saved_tree_paths(source)
        entries = walk_variables(model)
        if saved_paths is None:
            self.note = _BY_NAME_NOTE
            self.file_keys = {key: key for key in stored}
            self.variables = {entry.key: entry.variable for entry in entries}
            self.labels = {}
            optional = {entry.key for entry in entries if entry.seed_state}
        else:
            self.note = ""
            self.file_keys = {}
            for key in stored:
                tree = saved_paths.get(key, key)
                if tree in self.file_keys:
                    raise WeightsFileError(f"The weights file holds two tensors for the tree path {tree!r}.")
                self.file_keys[tree] = key
            self.variables = {entry.tree: entry.variable for entry in entries}
            # Messages name each tree path by the model's key, or by the file's for tensors the model lacks.
            self.labels = {**self.file_keys, **{entry.tree: entry.key for entry in entries}}
            optional = {entry.tree for entry in entries if entry.seed_state}
        saved = {path: stored[key] for path, key in self.file_keys.items()}
        expected = {path: (variable.shape, variable.dtype) for path, variable in self.variables.items()}
        comparison = weights.compare_specs(saved, expected, convert_dtypes)
        comparison.missing = [path for path in comparison.missing if path not in optional]
        owners = {_owner(path) for path in expected}
        failed = [*comparison.missing, *(m[0] for m in comparison.mismatched)]
        failed += [path for path in comparison.unexpected if _owner(path) in owners]
        self.failed_owners = {_owner(path) for path in failed}
        # A layer loads all its weights or none (Keras's granularity), so one that fails keeps the others too.
        self.withheld = [path for path in comparison.loadable if _owner(path) in self.failed_owners]
        self.comparison = comparison

    @property
    def blocking(self) -> bool:
        """Whether a layer of the model cannot be loaded from the file."""
        return bool(self.failed_owners)

    def problems(self) -> list:
        lines = self.comparison.problems(self.labels)
        if self.withheld:
            names = weights.listing(weights.labeled(path, self.labels) for path in self.withheld)
            lines.append(f"Not loaded with the rest of their layer ({len(self.withheld)}): {names}.")
        return lines

    def assignments(self) -> list:
        withheld = set(self.withheld)
        loaded = [path for path in self.comparison.loadable if path not in withheld]
        return [(self.variables[path], self.file_keys[path]) for path in loaded]


def _optimizer_assignments(model, source, skip_mismatch: bool, convert_dtypes: bool) -> tuple[list, list]:
    """``(variable, key)`` pairs restoring the optimizer's state (building it if needed), checked; and the
    problems skipped under ``skip_mismatch``."""
    saved = [k for k in source.specs if k.startswith(OPTIMIZER_PREFIX)]
    optimizer = getattr(model, "optimizer", None)
    if not saved or optimizer is None:
        return [], []
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    current = {OPTIMIZER_PREFIX + v.path: v for v in optimizer.variables}
    if set(current) == set(saved):
        pairs = [(key, current[key]) for key in saved]
    else:
        # Paths can differ when layers got other auto-names; the optimizer's variable
        # order (saved in the metadata) still matches.
        order = _saved_optimizer_order(source)
        variables = list(optimizer.variables)
        if order is None or len(order) != len(variables) or set(order) != set(saved):
            problem = (
                f"the saved optimizer state has {len(saved)} variables ({sorted(saved)[:5]}...), the model's "
                f"optimizer {len(variables)} ({sorted(current)[:5]}...)"
            )
            if skip_mismatch:
                return [], [f"Optimizer state: {problem}; none of it was loaded."]
            raise WeightsMismatchError(
                f"Model '{model.name}': {problem}. Compile with the same optimizer, or pass skip_mismatch=True.",
                missing=sorted(set(current) - set(saved)),
                unexpected=sorted(set(saved) - set(current)),
            )
        pairs = list(zip(order, variables))
    comparison = weights.compare_specs(
        {key: source.specs[key] for key, _ in pairs},
        {key: (variable.shape, variable.dtype) for key, variable in pairs},
        convert_dtypes,
    )
    if not comparison.fits and not skip_mismatch:
        raise weights.mismatch_error(comparison, f"Model '{model.name}' (optimizer state)")
    loadable = set(comparison.loadable)
    problems = [f"Optimizer state: {line}" for line in comparison.problems()]
    return [(variable, key) for key, variable in pairs if key in loadable], problems


def set_model_state(model, state, skip_mismatch: bool = False, convert_dtypes: bool = False) -> None:
    """Assign named arrays (``get_model_state``'s keys) to the model's variables and optimizer.

    A source whose metadata records tree paths (files from ``save_weights`` and
    ``save``) is matched by tree path, so a model built again with other
    auto-generated layer names loads it; other sources (plain dicts, files of
    older versions) are matched by key. Everything is checked before anything
    is assigned, so a mismatch leaves the model as it was. Tensors of layers
    the model does not have are not loaded, with a warning listing them (Keras
    ignores them silently); sections the model does not use (keys starting
    with ``"__"`` other than the optimizer's) are ignored silently: checkpoints
    keep their own arrays there.

    Args:
        model: the model to update.
        state: ``{key: array}``, or a ``SafetensorsFile``.
        skip_mismatch: load the layers that fit, and warn once listing every
            weight left out (missing, unexpected, of another shape or dtype, or
            in a layer that did not fit), instead of raising.
        convert_dtypes: accept saved dtypes that differ from the variables' (e.g.
            float16 weights into a float32 model), converting on assignment.

    Raises:
        WeightsMismatchError: a layer of the model cannot be loaded (a weight
            missing from the file, saved with another shape or dtype, or the file
            holding more weights for it); lists every problem.
    """
    source = state if hasattr(state, "specs") else ArraySource(state)
    plan = _Plan(model, source, convert_dtypes)
    if plan.blocking and not skip_mismatch:
        raise weights.mismatch_error(plan.comparison, f"Model '{model.name}'", plan.labels, plan.note)
    optimizer_pairs, optimizer_problems = _optimizer_assignments(model, source, skip_mismatch, convert_dtypes)
    problems = plan.problems() + optimizer_problems
    if problems:
        if plan.blocking or optimizer_problems:
            head = "skip_mismatch=True left out the weights that do not match the file; they keep their values."
        else:
            head = "every weight was loaded, but the file holds tensors the model has no place for; they are unused."
        warnings.warn(f"Model '{model.name}': {head} " + " ".join(problems), UserWarning, stacklevel=user_stacklevel())
    for variable, key in plan.assignments() + optimizer_pairs:
        variable.assign(source.array(key))


def weights_bytes(source) -> int:
    return sum(
        math.prod(shape) * np.dtype(weights.dtype_from_name(dtype)).itemsize
        for key, (shape, dtype) in source.specs.items()
        if not is_reserved(key)
    )


class ModelSection:
    """The model's part of a weights file: its variables, and the optimizer's when wanted
    (not the arrays a config refers to)."""

    def __init__(self, source, with_optimizer: bool):
        self._source = source
        self.metadata = getattr(source, "metadata", {})
        self.specs = {
            key: spec
            for key, spec in source.specs.items()
            if not key.startswith("__arrays__/") and (with_optimizer or not key.startswith(OPTIMIZER_PREFIX))
        }

    def array(self, key):
        return self._source.array(key)
