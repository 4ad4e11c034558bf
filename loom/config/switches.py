"""The on/off switches of ``keras.config``: traceback filtering, interactive logging, unsafe
deserialization, flash attention, NNX.

Each is a module global with Keras's functions around it. The parts of loom that
act on a switch read it here (see each getter for who reads it).
"""

_traceback_filtering = True
_interactive_logging = True
_unsafe_deserialization = False
# None means "use flash attention where supported" (Keras's default), False means never.
_flash_attention = None


# --- traceback filtering -------------------------------------------------------------
def enable_traceback_filtering() -> None:
    """Turn traceback filtering on (the default)."""
    global _traceback_filtering
    _traceback_filtering = True


def disable_traceback_filtering() -> None:
    """Turn traceback filtering off."""
    global _traceback_filtering
    _traceback_filtering = False


def is_traceback_filtering_enabled() -> bool:
    """Whether traceback filtering is on (default True).

    Keras strips its own frames from the tracebacks of errors raised in layer
    calls and ``fit``. loom does not rewrite tracebacks: its errors are raised
    once, where the mistake is made, chained to the cause. So loom records the
    switch for code that reads it and otherwise ignores it.
    """
    return _traceback_filtering


# --- interactive logging ---------------------------------------------------------------
def enable_interactive_logging() -> None:
    """Progress bars and ``summary()`` write to stdout (the default)."""
    global _interactive_logging
    _interactive_logging = True


def disable_interactive_logging() -> None:
    """Progress bars and ``summary()`` go to the ``logging`` module instead of stdout."""
    global _interactive_logging
    _interactive_logging = False


def is_interactive_logging_enabled() -> bool:
    """Whether loom's messages (progress bars, summaries) are printed to stdout (default True).

    ``loom.utils`` re-exports these three functions, as ``keras.utils`` does.
    """
    return _interactive_logging


# --- unsafe deserialization --------------------------------------------------------------
def enable_unsafe_deserialization() -> None:
    """Allow loading code stored in model files (a ``Lambda``'s source) everywhere, as if every
    ``load_model``/``deserialize_keras_object`` call passed ``safe_mode=False``.

    Only do this for files you trust: the stored code runs with Python's full powers.
    """
    global _unsafe_deserialization
    _unsafe_deserialization = True


def disable_unsafe_deserialization() -> None:
    """Undo ``enable_unsafe_deserialization`` (loom only; Keras has no way back)."""
    global _unsafe_deserialization
    _unsafe_deserialization = False


def is_unsafe_deserialization_enabled() -> bool:
    """Whether ``enable_unsafe_deserialization()`` was called: loading then treats
    ``safe_mode=True`` as False, as Keras does."""
    return _unsafe_deserialization


# --- flash attention -----------------------------------------------------------------------
def enable_flash_attention() -> None:
    """Let attention use flash attention where supported (the default)."""
    global _flash_attention
    _flash_attention = None


def disable_flash_attention() -> None:
    """Never use flash attention."""
    global _flash_attention
    _flash_attention = False


def is_flash_attention_enabled():
    """``None`` (the default: use it where supported) or ``False`` (disabled), as Keras returns.

    Recorded only: loom's ``MultiHeadAttention`` computes attention with
    einsums and a softmax, and ``ops.dot_product_attention`` always uses JAX's
    XLA implementation, so neither uses flash attention either way.
    """
    return _flash_attention


# --- NNX -----------------------------------------------------------------------------------------
def is_nnx_enabled() -> bool:
    """Always False: loom's layers are not Flax NNX modules."""
    return False
