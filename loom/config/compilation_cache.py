"""JAX's persistent compilation cache, on by default, with entries written safely.

With it on, the programs a script compiles (a fit's training chunk, predict's
chunks) are kept in a directory, and the next run of the same script loads them
instead of compiling again: its first epoch starts at once. Keras has no such cache.

JAX's own file cache writes an entry in place, so a process killed mid-write leaves
a truncated entry that later runs warn about and never replace. loom gives JAX a
cache of its own (``EntryFiles``) instead:

- an entry is written to a temporary file and renamed into place, so readers see a
  whole entry or none, and two processes writing the same program do not clash;
- each entry ends with the SHA-256 of its bytes; an entry that does not match (a
  disk error, a stray edit) is deleted and the program compiled again;
- entries live under a folder named after the machine (CPU model and features, JAX
  versions), so a home directory shared by different machines never hands one
  machine a program compiled for another's instructions;
- the folder must belong to the user and be closed to others: JAX runs what it
  loads from the cache, so a folder others can write to is refused with a warning;
- the oldest entries (by last use) are deleted once the folder passes ``max_bytes``.

Turn it off with ``loom.config.disable_compilation_cache()`` or
``LOOM_COMPILATION_CACHE=0``; ``LOOM_COMPILATION_CACHE=dir`` picks another folder.
A cache set up through JAX's own options (``JAX_COMPILATION_CACHE_DIR``) is left as
it is. The cache needs a JAX internal (``jax._src.compilation_cache``); if a JAX
release moves it, loom leaves the cache off rather than guess.
"""

import glob
import hashlib
import os
import platform
import stat
import tempfile
import threading
import warnings

import jax

from loom.config import config_file

DEFAULT_MIN_COMPILE_SECONDS = 0.2
DEFAULT_MAX_BYTES = 2 * 2**30
_SUFFIX = ".xla-entry"
_DIGEST_BYTES = 32

_directory = None


def default_directory() -> str:
    """``<LOOM_HOME or KERAS_HOME or ~/.keras>/jax_compilation_cache``."""
    return os.path.join(os.path.dirname(config_file.config_path()), "jax_compilation_cache")


def machine_fingerprint() -> str:
    """A short name for what a compiled CPU program depends on besides its own key."""
    features = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.startswith(("flags", "Features", "model name")):
                    features += line
                if line.strip() == "":  # the first processor is enough
                    break
    except OSError:
        pass
    import jaxlib

    parts = [platform.machine(), platform.processor(), features, jax.__version__, jaxlib.__version__]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


class EntryFiles:
    """JAX's cache interface (``get``/``put``) over one file per entry, written atomically
    and checked by digest (see the module docstring)."""

    def __init__(self, directory: str, max_bytes: int = DEFAULT_MAX_BYTES):
        self.directory = directory
        self.max_bytes = int(max_bytes)
        self._lock = threading.Lock()
        self._total = None  # bytes in the folder, as last counted plus what this process wrote since

    @property
    def _path(self):  # JAX logs it
        return self.directory

    def _file(self, key: str) -> str:
        if not key or os.sep in key or key.startswith("."):
            raise ValueError(f"a compilation cache key must be a plain file name; received {key!r}")
        return os.path.join(self.directory, key + _SUFFIX)

    def get(self, key: str):
        path = self._file(key)
        try:
            with open(path, "rb") as file:
                data = file.read()
        except OSError:
            return None
        body, digest = data[:-_DIGEST_BYTES], data[-_DIGEST_BYTES:]
        if len(data) <= _DIGEST_BYTES or hashlib.sha256(body).digest() != digest:
            _remove(path)  # damaged: compile again and write a whole entry
            return None
        try:
            os.utime(path)  # last use, for eviction
        except OSError:
            pass
        return body

    def put(self, key: str, value: bytes) -> None:
        path = self._file(key)
        if os.path.exists(path):
            return
        descriptor, temporary = tempfile.mkstemp(prefix=".entry-", suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(value)
                file.write(hashlib.sha256(value).digest())
            os.replace(temporary, path)
        except BaseException:
            _remove(temporary)
            raise
        with self._lock:
            if self._total is not None:
                self._total += len(value) + _DIGEST_BYTES
            if self._total is None or self._total > self.max_bytes:
                self._evict()  # counts the folder (other processes write to it too), then trims it

    def clear(self) -> None:
        for path in glob.glob(os.path.join(self.directory, "*" + _SUFFIX)):
            _remove(path)

    def _evict(self) -> None:
        """Delete the least recently used entries once the folder holds more than ``max_bytes``
        (down to 80% of it). Called with the lock held."""
        entries = []
        for path in glob.glob(os.path.join(self.directory, "*" + _SUFFIX)):
            try:
                status = os.stat(path)
            except OSError:
                continue
            entries.append((status.st_mtime, status.st_size, path))
        total = sum(size for _, size, _ in entries)
        if total > self.max_bytes:
            for _, size, path in sorted(entries):
                _remove(path)
                total -= size
                if total <= 0.8 * self.max_bytes:
                    break
        self._total = total


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _private_folder(directory: str) -> str | None:
    """``directory`` created if needed (mode 0700); None, with a warning, when it belongs to
    someone else or others may write to it."""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    if os.name != "posix":
        return directory
    status = os.stat(directory)
    if status.st_uid != os.getuid() or status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        warnings.warn(
            f"loom's compilation cache is off: the folder {directory} belongs to another user or others may "
            "write to it, and JAX runs the programs it loads from there. Use a folder only you can write to "
            "(chmod go-w), or set LOOM_COMPILATION_CACHE to one.",
            stacklevel=3,
        )
        return None
    return directory


def _jax_cache_module():
    try:
        from jax._src import compilation_cache
        from jax._src.compilation_cache_interface import CacheInterface
    except ImportError:
        return None, None
    needed = ("_cache", "_cache_initialized", "_cache_initialized_mutex", "reset_cache")
    if not all(hasattr(compilation_cache, name) for name in needed):
        return None, None
    return compilation_cache, CacheInterface


def enable_compilation_cache(
    directory: str | None = None, min_compile_seconds: float = DEFAULT_MIN_COMPILE_SECONDS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> str | None:
    """Keep every compiled program that took at least ``min_compile_seconds`` in
    ``directory`` (default: ``default_directory()``), at most ``max_bytes`` of them.

    Returns the folder the entries go to (a subfolder per machine), or None when the
    cache stays off (a folder others may write to; a JAX without the hook).
    """
    global _directory
    base = os.path.abspath(os.path.expanduser(directory or default_directory()))
    module, interface = _jax_cache_module()
    if module is None or _private_folder(base) is None:
        return None
    folder = os.path.join(base, machine_fingerprint())
    os.makedirs(folder, mode=0o700, exist_ok=True)
    files = type("LoomEntryFiles", (EntryFiles, interface), {})(folder, max_bytes)
    disable_compilation_cache()
    jax.config.update("jax_compilation_cache_dir", folder)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", float(min_compile_seconds))
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    with module._cache_initialized_mutex:
        module._cache = files
        module._cache_initialized = True
    _directory = folder
    return folder


def disable_compilation_cache() -> None:
    """Stop reading and writing cached programs (entries already written stay)."""
    global _directory
    module, _ = _jax_cache_module()
    if module is not None:
        module.reset_cache()
    jax.config.update("jax_compilation_cache_dir", None)
    _directory = None


def compilation_cache_directory() -> str | None:
    """Where compiled programs are cached, or None when the cache is off."""
    return _directory


def enable_from_environment() -> None:
    """At import: on (in the default folder) unless ``LOOM_COMPILATION_CACHE`` says ``0``
    or names a folder, or JAX's own cache options are set."""
    value = os.environ.get("LOOM_COMPILATION_CACHE", "").strip()
    if value.lower() in ("0", "false", "off", "no"):
        return
    if not value and (jax.config.jax_compilation_cache_dir or os.environ.get("JAX_COMPILATION_CACHE_DIR")):
        return  # the user set up JAX's cache themselves
    try:
        enable_compilation_cache(None if value.lower() in ("", "1", "true", "on", "yes") else value)
    except OSError as error:  # a read-only home, say: run without the cache
        warnings.warn(f"loom's compilation cache is off: {error}", stacklevel=2)
