"""JAX's persistent compilation cache, as a loom switch.

With it on, the programs a script compiles (a fit's training chunk, predict's
chunks) are written to a directory, and the next run of the same script loads
them instead of compiling again: its first epoch starts at once. Keras has no
such switch.

It is off unless asked for: JAX writes cache entries in place rather than
atomically, so a process killed mid-write leaves a truncated entry that later
runs warn about (and recompile) until the file is deleted, and two processes
compiling the same program at once may race. Turn it on for a script you rerun,
with ``loom.config.enable_compilation_cache()`` or ``LOOM_COMPILATION_CACHE=dir``
(``1`` for the default directory) in the environment.
"""

import os

import jax

from loom.config import config_file

_directory = None


def default_directory() -> str:
    """``<LOOM_HOME or KERAS_HOME or ~/.keras>/jax_compilation_cache``."""
    return os.path.join(os.path.dirname(config_file.config_path()), "jax_compilation_cache")


def enable_compilation_cache(directory: str | None = None, min_compile_seconds: float = 0.5) -> str:
    """Cache every compiled program that took at least ``min_compile_seconds`` in
    ``directory`` (default: ``default_directory()``); returns the directory."""
    global _directory
    directory = os.path.abspath(os.path.expanduser(directory or default_directory()))
    os.makedirs(directory, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", directory)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", float(min_compile_seconds))
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    _directory = directory
    return directory


def disable_compilation_cache() -> None:
    global _directory
    jax.config.update("jax_compilation_cache_dir", None)
    _directory = None


def compilation_cache_directory() -> str | None:
    """Where compiled programs are cached, or None when the cache is off."""
    return _directory


def enable_from_environment() -> None:
    """``LOOM_COMPILATION_CACHE``: a directory, or ``1``/``true`` for the default one."""
    value = os.environ.get("LOOM_COMPILATION_CACHE", "").strip()
    if value and value.lower() not in ("0", "false", "off", "no"):
        enable_compilation_cache(None if value.lower() in ("1", "true", "on", "yes") else value)
