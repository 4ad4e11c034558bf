"""Integrity of stored weights: a SHA-256 digest per tensor, checked on loading; NaN and Inf found in them.

Every archive loom writes records in ``metadata.json`` (under ``weights_sha256``)
the SHA-256 of each tensor's bytes as stored (little-endian, C order); a
weights file from ``save_weights`` records the same table, as JSON text, in
its safetensors metadata (``loom.weights_sha256``). Loading recomputes them
and names every tensor whose bytes differ: a flipped bit, two tensors of one
shape swapped, a patched copy. Files written before loom recorded digests
have none and load as before. Digests catch damage and careless edits, not
forgery: whoever can rewrite the weights can rewrite their digests too.

Weights holding NaN or Inf (a model saved after training diverged) load with
a warning naming the tensors, or are refused with ``allow_nonfinite=False``.
"""

import hashlib
import json
import re
import warnings

import numpy as np

from loom.saving import weights
from loom.saving.errors import IntegrityError, NonFiniteWeightsError
from loom.saving.warning_location import user_stacklevel

DIGESTS = "weights_sha256"  # the key of the table in metadata.json
SAFETENSORS_DIGESTS = "loom.weights_sha256"  # the key of the table in a weights file's safetensors metadata
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


# --- digests ------------------------------------------------------------------------------
def tensor_digests(arrays: dict) -> dict:
    """``{name: SHA-256 hex}`` of each array's bytes exactly as ``write_safetensors`` stores them."""
    return {key: hashlib.sha256(weights.stored_bytes(array)).hexdigest() for key, array in arrays.items()}


def check_digest_table(table, what: str, key: str = DIGESTS) -> dict:
    """``table`` itself if it maps tensor names to SHA-256 digests (64 lowercase hex digits).

    Raises:
        IntegrityError: the table is of another shape (the metadata is damaged).
    """
    if not isinstance(table, dict) or not all(
        isinstance(name, str) and isinstance(value, str) and _SHA256_HEX.fullmatch(value)
        for name, value in table.items()
    ):
        raise IntegrityError(
            f"{what}: '{key}' must map each tensor name to its SHA-256 as 64 lowercase hex digits; "
            f"it holds {json.dumps(table)[:120]}. The metadata is damaged: save the model again from a good copy."
        )
    return table


def saved_digest_table(source, what: str) -> dict | None:
    """The digest table in a weights file's safetensors metadata, checked; None when it records none."""
    text = source.metadata.get(SAFETENSORS_DIGESTS)
    if text is None:
        return None  # written before loom recorded digests: loads unchecked, as it always did
    try:
        table = json.loads(text)
    except (ValueError, RecursionError):
        table = text  # refused below, as any table of the wrong shape
    return check_digest_table(table, what, SAFETENSORS_DIGESTS)


def compare_digests(source, table: dict) -> dict:
    """``{name: (recorded, actual)}`` for every tensor of ``source`` and every name in ``table``;
    a side is None where the tensor or its digest is absent."""
    actual = {key: hashlib.sha256(source.tensor_bytes(key)).hexdigest() for key in source.specs}
    return {key: (table.get(key), actual.get(key)) for key in [*source.specs, *(k for k in table if k not in actual)]}


def verify_digests(source, table: dict, what: str) -> None:
    """Check every tensor of ``source`` against ``table``.

    Raises:
        IntegrityError: naming each tensor whose bytes differ, that has no
            digest, or whose digest has no tensor.
    """
    pairs = compare_digests(source, table)
    changed = [key for key, (recorded, actual) in pairs.items() if recorded and actual and recorded != actual]
    undigested = [key for key, (recorded, _) in pairs.items() if recorded is None]
    absent = [key for key, (_, actual) in pairs.items() if actual is None]
    problems = []
    if changed:
        problems.append(
            f"the bytes of {len(changed)} tensor(s) differ from the SHA-256 recorded when it was written: "
            f"{weights.listing(changed)}"
        )
    if undigested:
        problems.append(f"{len(undigested)} tensor(s) have no recorded digest: {weights.listing(undigested)}")
    if absent:
        problems.append(f"digests are recorded for {len(absent)} tensor(s) it lacks: {weights.listing(absent)}")
    if problems:
        raise IntegrityError(
            f"{what}: " + "; ".join(problems) + ". The file was damaged or edited after saving; restore it "
            "from a good copy or save the model again.",
            tensors=[*changed, *undigested, *absent],
        )


# --- NaN and Inf --------------------------------------------------------------------------
def nonfinite_counts(source, keys) -> dict:
    """``{name: (NaN count, Inf count)}`` of the tensors among ``keys`` holding either."""
    found = {}
    for key in keys:
        array = source.array(key)
        if array.dtype.kind in "iub":  # integers and booleans are always finite
            continue
        finite = np.isfinite(array)
        if not finite.all():
            nans = int(np.count_nonzero(np.isnan(array)))
            found[key] = (nans, int(finite.size - np.count_nonzero(finite)) - nans)
    return found


def _described(counts: dict) -> str:
    parts = []
    for key, (nans, infs) in counts.items():
        kinds = [f"{n} {kind}" for n, kind in ((nans, "NaN"), (infs, "Inf")) if n]
        parts.append(f"{key} ({', '.join(kinds)})")
    return weights.listing(parts)


def check_finite(source, keys, what: str, allow_nonfinite: bool) -> None:
    """Warn (or, unless ``allow_nonfinite``, raise) when tensors among ``keys`` hold NaN or Inf.

    Raises:
        NonFiniteWeightsError: naming the tensors, when ``allow_nonfinite`` is False.
    """
    counts = nonfinite_counts(source, keys)
    if not counts:
        return
    found = f"{what}: {len(counts)} weight tensor(s) hold NaN or Inf values: {_described(counts)}."
    if not allow_nonfinite:
        raise NonFiniteWeightsError(
            f"{found} Refused because allow_nonfinite=False; the model was probably saved after training "
            "diverged. Load an earlier checkpoint, or pass allow_nonfinite=True to load it anyway.",
            tensors=list(counts),
        )
    warnings.warn(
        f"{found} The model was probably saved after training diverged and will compute NaN. "
        "Pass allow_nonfinite=False to refuse such files.",
        UserWarning,
        stacklevel=user_stacklevel(),
    )
