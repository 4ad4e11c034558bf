"""A model's state as named arrays: its variables by stable path, the optimizer's by its own.

``get_model_state`` gives ``{key: array}`` (keys from ``variable_paths``, and
``"__optimizer__/<path>"`` for the optimizer); ``set_model_state`` assigns such
arrays back, checking names, shapes and dtypes and listing every mismatch.
Weights files and checkpoints are these arrays plus JSON.
"""

import json
import math

import numpy as np

from loom.saving import weights
from loom.saving.errors import SerializationError, WeightsMismatchError
from loom.saving.variable_paths import is_reserved, variable_paths

OPTIMIZER_PREFIX = "__optimizer__/"
# safetensors metadata key listing the optimizer's variables in their order.
OPTIMIZER_ORDER = "loom.optimizer_variables"


def _optimizer_state(model) -> tuple[dict, list]:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(optimizer, "built", False):
        return {}, []
    arrays, order = {}, []
    for variable in optimizer.variables:
        key = OPTIMIZER_PREFIX + variable.path
        if key in arrays:
            raise SerializationError(f"Two optimizer variables share the path {variable.path!r}.")
        arrays[key] = np.asarray(variable.value)
        order.append(key)
    return arrays, order


def get_model_state(model, include_optimizer: bool = True) -> dict:
    """The model's variables (and the optimizer's, under ``"__optimizer__/"``) as ``{key: array}``.

    Keys are the stable paths of ``variable_paths`` (``"dense/kernel"``); arrays
    are host copies, safe to write while training goes on.
    """
    state = {key: np.asarray(variable.value) for key, variable in variable_paths(model).items()}
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


def _optimizer_assignments(model, source, skip_mismatch: bool, convert_dtypes: bool) -> list:
    """``(variable, key)`` pairs restoring the optimizer's state (building it if needed), checked."""
    saved = [k for k in source.specs if k.startswith(OPTIMIZER_PREFIX)]
    optimizer = getattr(model, "optimizer", None)
    if not saved or optimizer is None:
        return []
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    current = {OPTIMIZER_PREFIX + v.path: v for v in optimizer.variables}
    if set(current) == set(saved):
        pairs = [(key, current[key]) for key in saved]
    else:
        # Paths can differ when sublayers of custom layers got other auto-names; the
        # optimizer's variable order (saved in the metadata) still matches.
        order = _saved_optimizer_order(source)
        variables = list(optimizer.variables)
        if order is None or len(order) != len(variables) or set(order) != set(saved):
            if skip_mismatch:
                return []
            raise WeightsMismatchError(
                f"Model '{model.name}': the saved optimizer state has {len(saved)} variables "
                f"({sorted(saved)[:5]}...), the model's optimizer {len(variables)} "
                f"({sorted(current)[:5]}...). Compile with the same optimizer, or pass skip_mismatch=True.",
                missing=sorted(set(current) - set(saved)),
                unexpected=sorted(set(saved) - set(current)),
            )
        pairs = list(zip(order, variables))
    loadable = weights.match_specs(
        {key: source.specs[key] for key, _ in pairs},
        {key: (variable.shape, variable.dtype) for key, variable in pairs},
        what=f"Model '{model.name}' (optimizer state)",
        skip_mismatch=skip_mismatch,
        convert_dtypes=convert_dtypes,
    )
    return [(variable, key) for key, variable in pairs if key in loadable]


def set_model_state(model, state, skip_mismatch: bool = False, convert_dtypes: bool = False) -> None:
    """Assign named arrays (``get_model_state``'s keys) to the model's variables and optimizer.

    Everything is checked before anything is assigned, so a mismatch leaves the
    model as it was. Sections the model does not use (keys starting with
    ``"__"`` other than the optimizer's) are ignored: checkpoints keep their
    own arrays there.

    Args:
        model: the model to update.
        state: ``{key: array}``, or a ``SafetensorsFile``.
        skip_mismatch: load what fits; ignore missing, unexpected and mismatched keys.
        convert_dtypes: accept saved dtypes that differ from the variables' (e.g.
            float16 weights into a float32 model), converting on assignment.

    Raises:
        WeightsMismatchError: listing missing, unexpected and mismatched weights.
    """
    source = state if hasattr(state, "specs") else ArraySource(state)
    mapping = variable_paths(model)
    loadable = weights.match_specs(
        {k: spec for k, spec in source.specs.items() if not is_reserved(k)},
        {key: (variable.shape, variable.dtype) for key, variable in mapping.items()},
        what=f"Model '{model.name}'",
        skip_mismatch=skip_mismatch,
        convert_dtypes=convert_dtypes,
    )
    assignments = [(mapping[key], key) for key in loadable]
    assignments += _optimizer_assignments(model, source, skip_mismatch, convert_dtypes)
    for variable, key in assignments:
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
