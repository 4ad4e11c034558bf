"""The defaults ops and layers read when an argument is left out: floatx, epsilon, image_data_format.

This is the state behind Keras's ``backend/config.py``: module globals with a
getter and a setter each. It imports nothing from loom, so every part of loom
(down to ``loom.utils.dtypes``) can read it without an import cycle.
"""

import numpy as np

# Keras accepts exactly these as floatx.
_FLOATX_CHOICES = ("bfloat16", "float16", "float32", "float64")
_DATA_FORMATS = ("channels_last", "channels_first")

_floatx = "float32"
_epsilon = 1e-7
_image_data_format = "channels_last"


def floatx() -> str:
    """The default float dtype of weights and arrays, e.g. ``"float32"``."""
    return _floatx


def set_floatx(value) -> None:
    """Set the default float dtype.

    For training in half precision prefer a mixed policy,
    ``loom.mixed_precision.set_dtype_policy("mixed_float16")``: it keeps the
    weights in float32.

    Args:
        value: ``"bfloat16"``, ``"float16"``, ``"float32"`` or ``"float64"``
            (a NumPy dtype naming one of them works too).
    """
    global _floatx
    name = _dtype_name(value)
    if name not in _FLOATX_CHOICES:
        raise ValueError(
            f"set_floatx expects one of {', '.join(repr(c) for c in _FLOATX_CHOICES)}; received {value!r}."
        )
    _floatx = name


def _dtype_name(value) -> str | None:
    if isinstance(value, str):
        return value
    try:
        return np.dtype(value).name
    except TypeError:
        return None


def epsilon() -> float:
    """The small constant that keeps divisions and logarithms finite (default 1e-7)."""
    return _epsilon


def set_epsilon(value: float) -> None:
    """Set the value returned by ``epsilon()``.

    Args:
        value: a non-negative float, e.g. 1e-7.
    """
    global _epsilon
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not value >= 0:
        raise ValueError(f"set_epsilon expects a non-negative float such as 1e-7; received {value!r}.")
    _epsilon = float(value)


def image_data_format() -> str:
    """Where image layers and ops expect the channels when ``data_format=None``: ``"channels_last"`` (default)
    means ``(batch, *spatial, channels)``, ``"channels_first"`` means ``(batch, channels, *spatial)``."""
    return _image_data_format


def set_image_data_format(data_format: str) -> None:
    """Set the layout that layers created afterwards (and ops called afterwards) use by default.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"`` (any case).
    """
    global _image_data_format
    if data_format is None:  # standardize_data_format would read None as "keep the default"
        raise ValueError(
            "set_image_data_format: `data_format` must be 'channels_last' or 'channels_first'; received None."
        )
    _image_data_format = standardize_data_format(data_format, "set_image_data_format")


def standardize_data_format(data_format, caller: str = "data_format") -> str:
    """``image_data_format()`` for None, else ``data_format`` lower-cased and checked.

    Args:
        data_format: None, ``"channels_last"`` or ``"channels_first"``.
        caller: what to name in the error message.
    """
    if data_format is None:
        return _image_data_format
    if not isinstance(data_format, str) or data_format.lower() not in _DATA_FORMATS:
        raise ValueError(
            f"{caller}: `data_format` must be 'channels_last' or 'channels_first'; "
            f"received data_format={data_format!r}."
        )
    return data_format.lower()


def backend() -> str:
    """The name of the array backend: always ``"jax"``."""
    return "jax"


def set_backend(backend: str) -> None:
    """Keras's backend switch. loom runs only on JAX, so only ``"jax"`` is accepted (and changes nothing).

    Args:
        backend: ``"jax"``.
    """
    if backend != "jax":
        raise ValueError(
            f"loom runs only on JAX; set_backend received backend={backend!r}. Call set_backend('jax') or leave "
            "it out; for the TensorFlow or PyTorch backends use Keras itself."
        )
