"""Helpers shared by the saving tests: round trips, bitwise comparisons, rewriting model files."""

import json
import struct
import zipfile

import jax
import numpy as np

import loom


def assert_bitwise_equal(actual, expected) -> None:
    """Same structure, shapes, dtypes and bits (NaNs included)."""
    actual_leaves, actual_tree = jax.tree_util.tree_flatten(actual)
    expected_leaves, expected_tree = jax.tree_util.tree_flatten(expected)
    assert actual_tree == expected_tree
    for a, e in zip(actual_leaves, expected_leaves):
        a, e = np.asarray(a), np.asarray(e)
        assert a.shape == e.shape and a.dtype == e.dtype
        assert a.tobytes() == e.tobytes(), f"values differ: max |diff| {np.max(np.abs(a.astype(float) - e.astype(float)))}"


def round_trip(model, path, **load_kwargs):
    """Save ``model`` to ``path`` and load it back."""
    model.save(path)
    return loom.models.load_model(path, **load_kwargs)


def assert_same_weights(model, other) -> None:
    assert [v.path for v in model.weights] == [v.path for v in other.weights]
    assert_bitwise_equal(model.get_weights(), other.get_weights())


def rewrite_members(path, change) -> None:
    """Rewrite the model file at ``path`` with ``change(members)`` applied to ``{name: bytes}``;
    the weights stay stored uncompressed, as loom writes them, so only ``change`` differs."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members = change(members) or members
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED if name.endswith(".safetensors") else None)


def rewrite_metadata(path, change) -> None:
    """Rewrite ``metadata.json`` of the model file at ``path`` with ``change(metadata)`` applied."""

    def apply(members):
        metadata = json.loads(members["metadata.json"])
        change(metadata)
        members["metadata.json"] = json.dumps(metadata).encode()

    rewrite_members(path, apply)


def tensor_span(safetensors_bytes: bytes, key: str) -> slice:
    """Where tensor ``key``'s bytes lie in a safetensors file."""
    (length,) = struct.unpack("<Q", safetensors_bytes[:8])
    begin, end = json.loads(safetensors_bytes[8 : 8 + length])[key]["data_offsets"]
    return slice(8 + length + begin, 8 + length + end)
