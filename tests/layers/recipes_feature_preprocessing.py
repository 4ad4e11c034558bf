"""Conformance recipes for the feature and text preprocessing layers (see test_conformance.py)."""

from loom import layers as L

RECIPES = {
    "Discretization": (lambda: L.Discretization(bin_boundaries=[-0.5, 0.0, 0.5]), (3,)),
    # Host layers run in NumPy on the host (strings, hashing, vocabularies), so the table's
    # jitted pure form cannot hold them; tests/layers/feature_preprocessing/ covers their
    # symbolic and eager shapes, configs and save/load.
    "Hashing": None,
    "HashedCrossing": None,
    "IntegerLookup": None,
    "StringLookup": None,
    "TextVectorization": None,
}
