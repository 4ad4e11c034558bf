"""Keras's batch packing: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``."""


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``;
    missing parts are None."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(
        f"Data is expected to be x, (x,), (x, y) or (x, y, sample_weight); received a tuple of {len(data)} items."
    )


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The batch structure ``fit`` hands to ``train_step``: ``x`` alone when there is no
    ``y`` and ``x`` is not a tuple, else ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``."""
    if y is None:
        return x if not isinstance(x, tuple) else (x,)
    if sample_weight is None:
        return x, y
    return x, y, sample_weight
