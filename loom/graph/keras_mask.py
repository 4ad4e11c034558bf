"""The mask that travels with a tensor or array as ``_keras_mask``, as in Keras 3.

Symbolic tensors and JAX arrays take the attribute; tracers (inside ``jit``,
``grad``, ``vmap``) and NumPy arrays refuse it, so their masks are kept in a
table keyed by object identity until the object is collected (Keras's
``set_tensor_attr`` does the same). Layers read it with ``get_keras_mask``.
"""

import weakref

# id(array) -> mask, for arrays that refuse attributes.
_masks_by_id = {}


def set_keras_mask(x, mask) -> None:
    """Attach ``mask`` to ``x`` (``None`` clears it)."""
    try:
        x._keras_mask = mask
        return
    except AttributeError:
        pass
    if mask is None:
        _masks_by_id.pop(id(x), None)
        return
    try:
        weakref.finalize(x, _masks_by_id.pop, id(x), None)
    except TypeError:
        return  # an object that cannot be tracked is left without a mask rather than leak one
    _masks_by_id[id(x)] = mask


def get_keras_mask(x):
    """The mask attached to ``x``, or None."""
    if hasattr(x, "_keras_mask"):
        return x._keras_mask
    return _masks_by_id.get(id(x))
