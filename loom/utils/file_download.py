"""get_file: download a file into loom's cache once, check its hash, and optionally extract it.

Keras 3's ``keras.utils.get_file``, with the same arguments, cache layout and
return values. The cache is ``$LOOM_HOME`` (else ``$KERAS_HOME``, else
``~/.keras``), so files Keras downloaded are found by loom too. Where loom
departs from Keras, it is so that a failure leaves nothing behind that a later
call would trust:
- the download goes to a temporary name beside its target and is renamed into
  place only once complete and matching ``file_hash`` (Keras writes the target
  directly and keeps a file that failed the check);
- archives are extracted through ``archive_extraction``, which refuses unsafe
  members instead of skipping them, and extracts once per download rather than
  on every call;
- ``extract=True`` on a file that is no archive raises (Keras warns and returns
  a folder that does not exist).
"""

import hashlib
import os
import tempfile
import urllib.error
import urllib.parse
from urllib.request import urlretrieve

from loom.config.config_file import config_path
from loom.utils.archive_extraction import extract_archive
from loom.utils.interactive_logging import print_msg
from loom.utils.progress import Progbar

HASH_ALGORITHMS = ("auto", "sha256", "md5")


def cache_home() -> str:
    """loom's cache folder: ``$LOOM_HOME``, else ``$KERAS_HOME``, else ``~/.keras`` (where
    ``keras.json`` is read from, too)."""
    return os.path.dirname(config_path())


def _hasher(algorithm: str, file_hash: str | None = None):
    if algorithm not in HASH_ALGORITHMS:
        raise ValueError(f"`hash_algorithm` must be one of {HASH_ALGORITHMS}; received hash_algorithm={algorithm!r}.")
    if algorithm == "md5" or (algorithm == "auto" and file_hash is not None and len(file_hash) != 64):
        return hashlib.md5()  # md5 hashes (32 hex digits) are still published for older datasets
    return hashlib.sha256()


def hash_file(fpath, algorithm: str = "sha256", chunk_size: int = 65535) -> str:
    """The hex digest of a file: ``"sha256"``, ``"md5"``, or ``"auto"`` (sha256)."""
    hasher = _hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash: str, algorithm: str = "auto", chunk_size: int = 65535) -> bool:
    """Whether the file's hash equals ``file_hash`` (``"auto"``: sha256 for 64 hex digits, else md5)."""
    return hash_file(fpath, _hasher(algorithm, file_hash), chunk_size) == str(file_hash).lower()


class _DownloadProgress:
    """urlretrieve's report hook: a Progbar over the bytes, as Keras shows it."""

    def __init__(self):
        self.progbar = None
        self.current = 0
        self.finished = False

    def __call__(self, block_num, block_size, total_size):
        if self.progbar is None:
            self.progbar = Progbar(None if total_size == -1 else total_size)
        target = self.progbar.target
        self.current = block_num * block_size if target is None else min(block_num * block_size, target)
        if target is None or self.current < target:
            self.progbar.update(self.current)
        elif not self.finished:
            self.progbar.update(target)
            self.finished = True

    def finish(self):
        """Ends the line of a download whose size was not announced."""
        if self.progbar is not None and self.progbar.target is None:
            self.progbar.update(self.current, finalize=True)


def _download(origin: str, target: str, file_hash, hash_algorithm: str) -> None:
    print_msg(f"Downloading data from {origin}")
    folder, name = os.path.split(target)
    handle, partial = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    os.close(handle)
    try:
        progress = _DownloadProgress()
        try:
            urlretrieve(origin, partial, progress)
        except urllib.error.URLError as err:  # HTTPError is a URLError
            reason = f"{err.code} {err.msg}" if isinstance(err, urllib.error.HTTPError) else err.reason
            raise OSError(
                f"URL fetch failure on {origin}: {reason}. Check the URL and the network, or put the file "
                f"at {target} yourself."
            ) from err
        progress.finish()
        if file_hash is not None:
            hasher = _hasher(hash_algorithm, file_hash)
            received = hash_file(partial, hasher)
            if received != str(file_hash).lower():
                raise ValueError(
                    f"Incomplete or corrupted file detected: the {hasher.name} file hash of the download from "
                    f"{origin} is {received}, which does not match the provided value of {file_hash}. Nothing "
                    "was saved; check the origin and the hash."
                )
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _targets(fname, origin: str, datadir: str, extract: bool) -> tuple[str, str | None]:
    """``(download target, extraction folder or None)``, named as Keras 3 names them."""
    provided = fname is not None and os.fspath(fname) != ""
    fname = os.fspath(fname) if provided else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ValueError(f"Can't parse the file name from the origin provided: {origin!r}. Pass `fname`.")
    if os.sep in fname or (os.altsep and os.altsep in fname) or fname in (".", ".."):
        raise ValueError(
            "Paths are no longer accepted as the `fname` argument. To specify the file's parent directory, "
            f"use the `cache_dir` (and `cache_subdir`) argument. Received: fname={fname}"
        )
    if not extract:
        return os.path.join(datadir, fname), None
    if provided and "." in fname:
        # "data.tar.gz" downloads to data.tar.gz and extracts to data_extracted/.
        return os.path.join(datadir, fname), os.path.join(datadir, f"{fname[: fname.find('.')]}_extracted")
    return os.path.join(datadir, f"{fname}_archive"), os.path.join(datadir, fname)


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="datasets",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
):
    """Downloads a file from a URL unless it is already in the cache.

    The file ``fname`` from ``origin`` is stored in ``cache_dir/cache_subdir``
    (``~/.keras/datasets/fname`` by default). A cached file is used as it is,
    unless ``file_hash`` is given and does not match: then it is downloaded
    again. Archives (``.tar``, ``.tar.gz``, ``.tar.bz2``, ``.zip``) can be
    extracted; unsafe archives are refused (see ``archive_extraction``).

    Args:
        fname: the file's name in the cache; None takes it from ``origin``. With
            ``extract=True``, a name without an extension names the extraction
            folder, and a name with one (``"data.tar.gz"``) extracts to
            ``data_extracted``.
        origin: the URL to download from (``https://``, ``http://``, ``ftp://`` or ``file://``).
        untar: deprecated; ``extract=True, archive_format="tar"``.
        md5_hash: deprecated; ``file_hash`` with ``hash_algorithm="md5"``.
        file_hash: the expected sha256 or md5 hex digest of the file.
        cache_subdir: the folder inside ``cache_dir``; an absolute path is used as it is.
        hash_algorithm: ``"auto"`` (sha256 for 64 hex digits, else md5), ``"sha256"`` or ``"md5"``.
        extract: extract the archive and return the folder it was extracted into.
        archive_format: ``"auto"`` (tar, then zip), ``"tar"``, ``"zip"``, a list, or None.
        cache_dir: the cache folder; None uses ``$LOOM_HOME``, ``$KERAS_HOME`` or ``~/.keras``.
        force_download: download again even if the file is cached.

    Returns:
        The path of the file, or with ``extract=True`` of the extraction folder.

    Raises:
        ValueError: no origin, a path as ``fname``, a hash mismatch after download,
            an unsafe archive, or ``extract=True`` on a file that is not an archive.
        OSError: the download failed.

    Downloading carries risk: pass ``file_hash`` when you know it, so that a
    tampered or truncated file is refused.
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    _hasher(hash_algorithm, file_hash)  # checks hash_algorithm before anything is downloaded
    datadir_base = os.path.expanduser(cache_home() if cache_dir is None else os.fspath(cache_dir))
    os.makedirs(datadir_base, exist_ok=True)
    if not os.access(datadir_base, os.W_OK):
        datadir_base = os.path.join(tempfile.gettempdir(), ".keras")  # as Keras: a read-only home still caches
    datadir = os.path.join(datadir_base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    extract = extract or untar
    download_target, extraction_dir = _targets(fname, origin, datadir, extract)
    download = force_download or not os.path.exists(download_target)
    if not download and file_hash is not None and not validate_file(download_target, file_hash, hash_algorithm):
        print_msg(
            "A local file was found, but it seems to be incomplete or outdated because the "
            f"{_hasher(hash_algorithm, file_hash).name} file hash does not match the original value of "
            f"{file_hash} so we will re-download the data."
        )
        download = True
    if download:
        _download(origin, download_target, file_hash, hash_algorithm)
    if not extract:
        return download_target
    # Keras extracts on every call; loom extracts once per download (extraction is atomic,
    # so an existing folder is a complete one).
    if download or not os.path.isdir(extraction_dir):
        formats = "tar" if untar else archive_format
        if not extract_archive(download_target, extraction_dir, formats):
            raise ValueError(
                f"get_file(extract=True): {download_target} is not an archive of the format "
                f"{formats!r} (tar or zip). Pass extract=False to keep the file as it is."
            )
    return extraction_dir
