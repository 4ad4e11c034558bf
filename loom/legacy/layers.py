"""Keras 1's argument names for ``Dense``, translated to Keras 3's.

Keras 1 wrote ``Dense(output_dim, init=..., W_regularizer=..., b_constraint=...,
bias=True)``; Keras 3 writes ``Dense(units, kernel_initializer=...,
kernel_regularizer=..., bias_constraint=..., use_bias=True)``. ``Dense`` here
takes either spelling and returns loom's own ``Dense``.
"""

from loom.layers.core import Dense as _Dense

# Keras 1 argument -> Keras 3 argument.
KERAS1_DENSE_ARGUMENTS = {
    "output_dim": "units",
    "init": "kernel_initializer",
    "W_regularizer": "kernel_regularizer",
    "b_regularizer": "bias_regularizer",
    "W_constraint": "kernel_constraint",
    "b_constraint": "bias_constraint",
    "bias": "use_bias",
}


def translate_arguments(layer: str, kwargs: dict, table: dict) -> dict:
    """``kwargs`` with Keras 1 names replaced by the Keras 3 names in ``table``."""
    translated, given_as = {}, {}
    for key, value in kwargs.items():
        modern = table.get(key, key)
        if modern in translated:
            old, new = sorted((key, given_as[modern]), key=lambda k: k == modern)
            raise TypeError(
                f"{layer}() received both {old!r} (Keras 1) and {new!r} (Keras 3) for the same argument; "
                f"pass only {modern}=..."
            )
        translated[modern], given_as[modern] = value, key
    return translated


def Dense(*args, **kwargs):  # Keras 1's class name; returns loom's Dense
    """Keras 1's ``Dense(output_dim, init, activation, weights, W_regularizer,
    b_regularizer, activity_regularizer, W_constraint, b_constraint, bias,
    input_dim)``, returned as ``loom.layers.Dense`` with Keras 3's names
    (``units``, ``kernel_initializer``, ``kernel_regularizer``, ...).

    Example:
        >>> layer = Dense(128, W_regularizer=l2(0.001), W_constraint=unitnorm())
        >>> layer.units, layer.kernel_regularizer.l2
        (128, 0.001)
    """
    return _Dense(*args, **translate_arguments("Dense", kwargs, KERAS1_DENSE_ARGUMENTS))
