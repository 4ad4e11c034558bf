"""Atomic file replacement: a write either completes or leaves the old file as it was.

The data goes to a temporary file in the target's folder (so the final rename
stays on one file system), is flushed and fsynced, then ``os.replace``-d over
the target, and the folder is fsynced so the rename itself survives a crash.
A process killed at any moment leaves either the old complete file or the new
complete one; at worst a stray ``.<name>.*.tmp`` file next to it.
"""

import contextlib
import io
import os
import tempfile

from loom.distribution import placement


def _fsync_folder(folder: str) -> None:
    flags = getattr(os, "O_DIRECTORY", None)
    if flags is None:  # Windows cannot open folders; its rename is durable enough
        return
    try:
        fd = os.open(folder, os.O_RDONLY | flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _final_mode(path: str) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0o666 minus umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_open(path, mode: str = "wb"):
    """Open a temporary file that replaces ``path`` when the ``with`` block succeeds.

    Args:
        path: the file to create or replace.
        mode: ``"wb"`` (bytes) or ``"w"`` (UTF-8 text).

    Yields:
        A file object to write to. If the block raises, the temporary file is
        removed and ``path`` is untouched.

    Example:
        >>> with atomic_open(path) as f:  # doctest: +SKIP
        ...     f.write(data)
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open: mode must be 'wb' or 'w'; received mode={mode!r}.")
    path = os.fspath(path)
    if not placement.is_writer():
        # Several processes save the same (gathered) state: process 0 alone writes it, the
        # others write into a buffer that is dropped, so no file is ever written twice.
        yield io.BytesIO() if mode == "wb" else io.StringIO()
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot write {path!r}: the folder {folder!r} does not exist.")
    if os.path.isdir(path):
        raise IsADirectoryError(f"Cannot write {path!r}: it is a folder.")
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        kwargs = {"encoding": "utf-8"} if mode == "w" else {}
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _final_mode(path))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(folder)


def atomic_write_bytes(path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (see ``atomic_open``)."""
    with atomic_open(path, "wb") as handle:
        handle.write(data)
