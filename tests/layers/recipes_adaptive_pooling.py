"""Conformance recipes for the adaptive pooling layers (joined into tests/layers/test_conformance.py's table)."""

from loom import layers as L

RECIPES = {
    "AdaptiveAveragePooling1D": (lambda: L.AdaptiveAveragePooling1D(3), (7, 2)),
    "AdaptiveAveragePooling2D": (lambda: L.AdaptiveAveragePooling2D((2, 3)), (5, 7, 2)),
    "AdaptiveAveragePooling3D": (lambda: L.AdaptiveAveragePooling3D(2, data_format="channels_first"), (2, 5, 4, 3)),
    "AdaptiveMaxPooling1D": (lambda: L.AdaptiveMaxPooling1D(3), (7, 2)),
    "AdaptiveMaxPooling2D": (lambda: L.AdaptiveMaxPooling2D((3, 2)), (5, 7, 2)),
    "AdaptiveMaxPooling3D": (lambda: L.AdaptiveMaxPooling3D((2, 3, 2)), (5, 4, 3, 2)),
}
