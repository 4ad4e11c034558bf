import io
import os
import stat
import tarfile
import zipfile

import pytest

from loom.utils.archive_extraction import extract_archive, member_name_problem


def _tar(path, entries):
    """entries: (name, kind, data or link target); kind in file/dir/symlink/hardlink/fifo."""
    with tarfile.open(path, "w") as tar:
        for name, kind, payload in entries:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
                         "fifo": tarfile.FIFOTYPE}[kind]  # fmt: skip
            info.linkname = payload or ""
            tar.addfile(info)
    return path


def _zip(path, entries):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(
    "name, problem",
    [
        ("a/b.txt", None),
        ("./a", None),
        ("", "an empty name"),
        ("/etc/passwd", "an absolute path"),
        ("C:/x", "an absolute path"),
        ("a/../../x", "a '..' component"),
        ("a\\b", "a backslash in its name"),
        ("a\nb", "control characters in its name"),
    ],
)
def test_member_name_problem(name, problem):
    assert member_name_problem(name) == problem


def test_tar_with_folders_files_and_links_inside_is_extracted(tmp_path):
    archive = _tar(tmp_path / "a.tar", [
        ("top", "dir", None), ("top/a.txt", "file", b"a"), ("top/link", "symlink", "a.txt"),
        ("top/hard", "hardlink", "top/a.txt"),
    ])  # fmt: skip
    assert extract_archive(archive, tmp_path / "out")
    assert (tmp_path / "out" / "top" / "link").read_bytes() == b"a"
    assert (tmp_path / "out" / "top" / "hard").read_bytes() == b"a"


@pytest.mark.parametrize(
    "entries, match",
    [
        ([("/abs.txt", "file", b"x")], "'/abs.txt' has an absolute path"),
        ([("ok", "file", b""), ("a/../../up.txt", "file", b"x")], "has a '..' component"),
        ([("link", "symlink", "../../outside")], "a link to '../../outside', outside the extraction folder"),
        ([("d/link", "symlink", "../..")], "outside the extraction folder"),
        ([("link", "symlink", "/etc/passwd")], "a link to the absolute or empty path '/etc/passwd'"),
        ([("hard", "hardlink", "../x")], "outside the extraction folder"),
        ([("pipe", "fifo", None)], "a device or pipe"),
    ],
)
def test_unsafe_tar_members_refuse_the_whole_archive(entries, match, tmp_path):
    archive = _tar(tmp_path / "evil.tar", entries)
    with pytest.raises(ValueError, match=match):
        extract_archive(archive, tmp_path / "work" / "out")
    assert os.listdir(tmp_path / "work") == []  # nothing extracted, no staging folder left
    assert sorted(os.listdir(tmp_path)) == ["evil.tar", "work"]


@pytest.mark.parametrize("name, match", [("../up.txt", "a '..' component"), ("/abs.txt", "an absolute path")])
def test_unsafe_zip_members_refuse_the_whole_archive(name, match, tmp_path):
    archive = _zip(tmp_path / "evil.zip", [("ok.txt", b"ok"), (name, b"x")])
    with pytest.raises(ValueError, match=match):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_zip_symlinks_are_refused(tmp_path):
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(ValueError, match="'link' has a symbolic link"):
        extract_archive(path, tmp_path / "out")


def test_extraction_replaces_the_target_folder(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "stale.txt").write_bytes(b"old")
    archive = _zip(tmp_path / "new.zip", [("fresh.txt", b"new")])
    assert extract_archive(archive, tmp_path / "out")
    assert os.listdir(tmp_path / "out") == ["fresh.txt"]


def test_formats(tmp_path):
    archive = _zip(tmp_path / "a.zip", [("x", b"x")])
    assert not extract_archive(archive, tmp_path / "out", archive_format="tar")
    assert not extract_archive(archive, tmp_path / "out", archive_format=None)
    assert extract_archive(archive, tmp_path / "out", archive_format=["tar", "zip"])
    with pytest.raises(ValueError, match="`archive_format` must be 'auto', 'tar', 'zip'.*received 'rar'"):
        extract_archive(archive, tmp_path / "out", archive_format="rar")
