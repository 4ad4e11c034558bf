"""Extracting a downloaded tar or zip archive without letting it write outside its folder.

Every member is checked before anything is written, and the archive is
refused as a whole (a ``ValueError`` naming the member) if one member has an
absolute path, a ``..`` component, a backslash or control characters in its
name, is a link whose target leaves the folder, or is a device or pipe.
Keras skips such members with a warning and extracts the rest; a refused
archive is a stronger signal that the download is not what it claims to be.
The members are extracted into a temporary folder beside the target, which
is renamed into place only once extraction has finished, so an interrupted
extraction never leaves a half-filled folder that a later call takes as done.
Tar archives also go through Python's ``"data"`` extraction filter where it
exists (it strips set-uid bits, and re-checks every path and link).
"""

import os
import posixpath
import shutil
import stat
import tarfile
import tempfile
import zipfile

ARCHIVE_FORMATS = ("tar", "zip")


def member_name_problem(name: str) -> str | None:
    """What makes a member name unsafe to extract (``"an absolute path"``), or None if it is safe."""
    if not name:
        return "an empty name"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "control characters in its name"
    if "\\" in name:
        return "a backslash in its name"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if ".." in name.split("/"):
        return "a '..' component"
    return None


def _link_target_problem(member: tarfile.TarInfo) -> str | None:
    target = member.linkname
    if not target or target.startswith("/") or "\\" in target or (len(target) > 1 and target[1] == ":"):
        return f"a link to the absolute or empty path {target!r}"
    # A symbolic link resolves from its own folder, a hard link from the archive's root.
    start = posixpath.dirname(member.name) if member.issym() else ""
    resolved = posixpath.normpath(posixpath.join(start, target))
    if resolved == ".." or resolved.startswith("../"):
        return f"a link to {target!r}, outside the extraction folder"
    return None


def _check_tar_members(archive: tarfile.TarFile, file_path) -> list:
    members = archive.getmembers()
    for member in members:
        problem = member_name_problem(member.name)
        if problem is None and (member.issym() or member.islnk()):
            problem = _link_target_problem(member)
        if problem is None and not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
            problem = "a type other than file, folder or link (a device or pipe)"
        if problem is not None:
            raise ValueError(_refusal(file_path, member.name, problem))
    return members


def _check_zip_members(archive: zipfile.ZipFile, file_path) -> None:
    for info in archive.infolist():
        problem = member_name_problem(info.filename)
        if problem is None and stat.S_ISLNK(info.external_attr >> 16):
            problem = "a symbolic link (zip links are not extracted)"
        if problem is not None:
            raise ValueError(_refusal(file_path, info.filename, problem))


def _refusal(file_path, name, problem) -> str:
    return (
        f"Refusing to extract the archive {str(file_path)!r}: its member {name!r} has {problem}, "
        "which could write outside the extraction folder. Nothing was extracted. If you trust the "
        "archive, open it yourself with tarfile/zipfile."
    )


def _extract_into(file_path, archive_type: str, folder: str) -> None:
    if archive_type == "tar":
        with tarfile.open(file_path) as archive:
            members = _check_tar_members(archive, file_path)
            if hasattr(tarfile, "data_filter"):  # Python 3.10.12+, 3.11.4+, 3.12+
                archive.extractall(folder, members=members, filter="data")
            else:
                archive.extractall(folder, members=members)
    else:
        with zipfile.ZipFile(file_path) as archive:
            _check_zip_members(archive, file_path)
            archive.extractall(folder)


def extract_archive(file_path, path=".", archive_format="auto") -> bool:
    """Extract a tar (``.tar``, ``.tar.gz``, ``.tar.bz2``, ``.tar.xz``) or zip archive into ``path``.

    Args:
        file_path: the archive.
        path: the folder to extract into; it is replaced as a whole once extraction succeeds.
        archive_format: ``"auto"`` (tar, then zip), ``"tar"``, ``"zip"``, a list of these,
            or None (extract nothing).

    Returns:
        True if the file was an archive of an accepted format and was extracted, else False.

    Raises:
        ValueError: a member is unsafe (see the module docstring), or an unknown format.
    """
    if archive_format is None:
        return False
    if archive_format == "auto":
        archive_format = list(ARCHIVE_FORMATS)
    if isinstance(archive_format, str):
        archive_format = [archive_format]
    for archive_type in archive_format:
        if archive_type not in ARCHIVE_FORMATS:
            raise ValueError(
                f"extract_archive: `archive_format` must be 'auto', 'tar', 'zip', a list of these, or None; "
                f"received {archive_type!r}."
            )
    file_path, path = os.fspath(file_path), os.fspath(path)
    for archive_type in archive_format:
        is_match = tarfile.is_tarfile if archive_type == "tar" else zipfile.is_zipfile
        if not is_match(file_path):
            continue
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".extracting-", dir=parent)
        try:
            _extract_into(file_path, archive_type, staging)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            elif os.path.lexists(path):
                os.remove(path)
            os.replace(staging, path)
        finally:
            if os.path.isdir(staging):
                shutil.rmtree(staging)
        return True
    return False
