"""Remembered input checks: a batch shaped like one a method already accepted skips them.

Converting and checking a batch (``convert_inputs``, ``validate_inputs``, target and
sample-weight standardisation) walks the model's inputs in Python: tens of
microseconds, most of a ``train_on_batch`` or ``predict_on_batch`` call on a small
model. A loop of such calls passes batches of the same arrays' kinds, shapes and
dtypes again and again, and the checks would find the same thing each time.

So the first call of a method with a given *signature* (the nesting, and each
array's type, shape and dtype) runs the checks; when they hand back the caller's own
arrays (nothing converted: no float64, lists or strings), the signature is remembered
with the structure the checks produced. A later call with the same signature, while
the model's structure (``structure_version``) and compile configuration are unchanged,
gets the same structure filled with its own arrays. Anything the checks would have
changed or refused has another signature, so it takes the full path.
"""

import jax
import numpy as np

from loom.state import structure_version


def signature(structure):
    """``(leaves, key)``: the arrays of ``structure`` and a hashable description of it, or
    ``(None, None)`` when a leaf is something the checks would convert (lists, float64,
    strings, objects, other types)."""
    leaves, treedef = jax.tree_util.tree_flatten(structure)
    parts = []
    for leaf in leaves:
        if type(leaf) is np.ndarray:
            if leaf.dtype.kind not in "biuf" or leaf.dtype == np.float64:
                return None, None
        elif not isinstance(leaf, jax.Array):
            return None, None
        parts.append((leaf.shape, leaf.dtype))
    return leaves, (treedef, tuple(parts))


def _version(model):
    return structure_version.current(), id(getattr(model, "_compile_args", None))


def lookup(model, method: str, structure):
    """The checked structure for ``structure`` if ``method`` accepted its signature before
    (and nothing about the model changed since), else None."""
    cache = model.__dict__.get("_accepted_inputs")
    if not cache or method not in cache:
        return None
    leaves, key = signature(structure)
    if key is None:
        return None
    entry = cache[method]
    if entry[0] != key or entry[1] != _version(model):
        return None
    return jax.tree_util.tree_unflatten(entry[2], leaves), entry[3]


def remember(model, method: str, given, checked, extra=None) -> None:
    """Remember that ``method`` turned ``given`` into ``checked`` (with ``extra``, say the
    sample count) if it kept the caller's arrays as they were."""
    leaves, key = signature(given)
    if key is None:
        return
    checked_leaves, treedef = jax.tree_util.tree_flatten(checked)
    if len(checked_leaves) != len(leaves) or any(a is not b for a, b in zip(checked_leaves, leaves)):
        return  # something was converted, reordered or added: the checks must run again
    model.__dict__.setdefault("_accepted_inputs", {})[method] = (key, _version(model), treedef, extra)
