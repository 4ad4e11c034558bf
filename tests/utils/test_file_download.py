import hashlib
import io
import logging
import os
import pathlib
import tarfile
import zipfile

import pytest

from loom.utils.file_download import cache_home, get_file, hash_file, validate_file
from loom.utils.interactive_logging import disable_interactive_logging, enable_interactive_logging


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A temporary HOME, with LOOM_HOME and KERAS_HOME unset: nothing touches the real home."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LOOM_HOME", raising=False)
    monkeypatch.delenv("KERAS_HOME", raising=False)
    return tmp_path / "home"


@pytest.fixture
def origin(tmp_path):
    """A file served from a file:// origin."""
    path = tmp_path / "server" / "data.txt"
    path.parent.mkdir()
    path.write_bytes(b"hello loom\n" * 50)
    return path


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tar_gz(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _tree(folder):
    return {
        os.path.relpath(os.path.join(root, name), folder): pathlib.Path(root, name).read_bytes()
        for root, _, files in os.walk(folder)
        for name in files
    }


# --- the cache folder ----------------------------------------------------------------------
def test_default_cache_is_dot_keras_in_home(home, origin, capsys):
    path = get_file("data.txt", origin.as_uri())
    assert path == str(home / ".keras" / "datasets" / "data.txt")
    assert pathlib.Path(path).read_bytes() == origin.read_bytes()
    assert f"Downloading data from {origin.as_uri()}" in capsys.readouterr().out


def test_loom_home_comes_before_keras_home(home, origin, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    assert cache_home() == str(tmp_path / "keras_home")
    monkeypatch.setenv("LOOM_HOME", str(tmp_path / "loom_home"))
    assert get_file("data.txt", origin.as_uri()) == str(tmp_path / "loom_home" / "datasets" / "data.txt")


def test_cache_dir_and_an_absolute_cache_subdir(home, origin, tmp_path):
    path = get_file("a.txt", origin.as_uri(), cache_dir=tmp_path / "c", cache_subdir="s")
    assert path == str(tmp_path / "c" / "s" / "a.txt")
    assert get_file("b.txt", origin.as_uri(), cache_subdir=str(tmp_path / "abs")) == str(tmp_path / "abs" / "b.txt")


# --- hashes ----------------------------------------------------------------------------------
def test_hash_file_and_validate_file(origin):
    sha256, md5 = _sha256(origin), hashlib.md5(origin.read_bytes()).hexdigest()
    assert hash_file(origin) == sha256 and hash_file(origin, "md5") == md5
    assert validate_file(origin, sha256) and validate_file(origin, md5)  # "auto" tells them apart by length
    assert validate_file(origin, sha256.upper())
    assert not validate_file(origin, "0" * 64)


def test_a_download_with_the_wrong_hash_is_refused_and_not_kept(home, origin, tmp_path):
    expected = f"sha256 file hash .* is {_sha256(origin)}, which does not match the provided value of 0000"
    with pytest.raises(ValueError, match=expected):
        get_file("data.txt", origin.as_uri(), file_hash="0" * 64, cache_dir=tmp_path / "c")
    assert os.listdir(tmp_path / "c" / "datasets") == []  # no target, no partial file


def test_a_cached_file_is_used_while_its_hash_matches(home, origin, tmp_path, capsys):
    path = get_file("data.txt", origin.as_uri(), file_hash=_sha256(origin), cache_dir=tmp_path)
    capsys.readouterr()
    os.remove(origin)  # a second download would fail
    cached_hash = _sha256(tmp_path / "datasets" / "data.txt")
    assert get_file("data.txt", origin.as_uri(), file_hash=cached_hash, cache_dir=tmp_path) == path
    assert capsys.readouterr().out == ""


def test_a_cached_file_with_another_hash_is_downloaded_again(home, origin, tmp_path, capsys):
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "data.txt").write_bytes(b"old")
    md5 = hashlib.md5(origin.read_bytes()).hexdigest()
    path = get_file("data.txt", origin.as_uri(), file_hash=md5, cache_dir=tmp_path)
    assert pathlib.Path(path).read_bytes() == origin.read_bytes()
    assert "the md5 file hash does not match the original value" in capsys.readouterr().out


def test_md5_hash_argument_and_force_download(home, origin, tmp_path, capsys):
    md5 = hashlib.md5(origin.read_bytes()).hexdigest()
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "data.txt").write_bytes(b"old")
    get_file("data.txt", origin.as_uri(), md5_hash=md5, cache_dir=tmp_path)
    assert "the auto file hash" not in capsys.readouterr().out  # md5_hash means hash_algorithm="md5"
    origin.write_bytes(b"new")
    path = get_file("data.txt", origin.as_uri(), cache_dir=tmp_path, force_download=True)
    assert pathlib.Path(path).read_bytes() == b"new"


# --- names and errors ----------------------------------------------------------------------------
def test_fname_defaults_to_the_origin_name(home, origin, tmp_path):
    assert get_file(origin=origin.as_uri(), cache_dir=tmp_path) == str(tmp_path / "datasets" / "data.txt")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(fname="x"), ValueError, 'Please specify the "origin" argument'),
        (dict(fname=os.path.join("sub", "x"), origin="file:///x"), ValueError, "Paths are no longer accepted as"),
        (dict(fname="..", origin="file:///x"), ValueError, "Paths are no longer accepted as"),
        (dict(origin="file:///"), ValueError, "Can't parse the file name from the origin"),
        (dict(fname="x", origin="file:///x", hash_algorithm="sha1"), ValueError, "`hash_algorithm` must be one of"),
    ],
)
def test_argument_errors(kwargs, error, match, home, tmp_path):
    with pytest.raises(error, match=match):
        get_file(cache_dir=tmp_path, **kwargs)


def test_a_failed_download_names_the_url_and_leaves_nothing(home, tmp_path):
    missing = (tmp_path / "missing.txt").as_uri()
    with pytest.raises(OSError, match=f"URL fetch failure on {missing}: .*put the file at"):
        get_file("missing.txt", missing, cache_dir=tmp_path / "c")
    assert os.listdir(tmp_path / "c" / "datasets") == []


# --- extraction --------------------------------------------------------------------------------
def test_extract_tar_with_an_fname_with_extension(home, tmp_path):
    archive = _tar_gz(tmp_path / "data.tar.gz", {"data/a.txt": b"a", "data/sub/b.txt": b"b"})
    folder = get_file("data.tar.gz", archive.as_uri(), extract=True, cache_dir=tmp_path / "c")
    assert folder == str(tmp_path / "c" / "datasets" / "data_extracted")
    assert _tree(folder) == {os.path.join("data", "a.txt"): b"a", os.path.join("data", "sub", "b.txt"): b"b"}
    assert (tmp_path / "c" / "datasets" / "data.tar.gz").is_file()


def test_extract_zip_with_an_fname_without_extension(home, tmp_path):
    archive = _zip(tmp_path / "pack.zip", {"x.txt": b"x"})
    folder = get_file("pack", archive.as_uri(), extract=True, cache_dir=tmp_path / "c")
    assert folder == str(tmp_path / "c" / "datasets" / "pack")
    assert _tree(folder) == {"x.txt": b"x"}
    assert (tmp_path / "c" / "datasets" / "pack_archive").is_file()


def test_extraction_happens_once_per_download(home, tmp_path):
    archive = _tar_gz(tmp_path / "data.tar", {"a.txt": b"a"})
    folder = get_file("data", archive.as_uri(), extract=True, cache_dir=tmp_path / "c")
    with open(os.path.join(folder, "a.txt"), "wb") as handle:
        handle.write(b"edited")
    assert _tree(get_file("data", archive.as_uri(), extract=True, cache_dir=tmp_path / "c")) == {"a.txt": b"edited"}
    folder = get_file("data", archive.as_uri(), extract=True, force_download=True, cache_dir=tmp_path / "c")
    assert _tree(folder) == {"a.txt": b"a"}


def test_untar_is_extract_with_the_tar_format(home, tmp_path):
    archive = _tar_gz(tmp_path / "t.tar.gz", {"a.txt": b"a"})
    assert _tree(get_file("t", archive.as_uri(), untar=True, cache_dir=tmp_path / "c")) == {"a.txt": b"a"}


def test_extract_of_a_file_that_is_no_archive_raises(home, origin, tmp_path):
    with pytest.raises(ValueError, match="is not an archive of the format 'auto'.*Pass extract=False"):
        get_file("plain", origin.as_uri(), extract=True, cache_dir=tmp_path)


def test_an_unsafe_archive_is_refused_whole(home, tmp_path):
    archive = _tar_gz(tmp_path / "evil.tar.gz", {"ok.txt": b"ok", "../escape.txt": b"x"})
    with pytest.raises(ValueError, match=r"member '\.\./escape\.txt' has a '\.\.' component"):
        get_file("evil", archive.as_uri(), extract=True, cache_dir=tmp_path / "c")
    assert sorted(os.listdir(tmp_path / "c" / "datasets")) == ["evil_archive"]
    assert not (tmp_path / "c" / "escape.txt").exists()


# --- logging ---------------------------------------------------------------------------------------
def test_with_interactive_logging_off_messages_go_to_the_logger(home, origin, tmp_path, capsys, caplog):
    disable_interactive_logging()
    try:
        with caplog.at_level(logging.INFO, logger="loom"):
            get_file("data.txt", origin.as_uri(), cache_dir=tmp_path)
    finally:
        enable_interactive_logging()
    assert capsys.readouterr().out == ""
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0] == f"Downloading data from {origin.as_uri()}"
    assert messages[1].startswith("550/550 ━")


# --- parity ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def _cases(tmp_path):
    text = tmp_path / "server" / "data.txt"
    text.parent.mkdir(exist_ok=True)
    text.write_bytes(b"0123456789" * 30)
    tar = _tar_gz(tmp_path / "server" / "bundle.tar.gz", {"bundle/a.txt": b"a", "bundle/b/c.txt": b"c"})
    zipped = _zip(tmp_path / "server" / "pack.zip", {"p/q.txt": b"q"})
    return [
        dict(fname="data.txt", origin=text.as_uri(), file_hash=_sha256(text)),
        dict(origin=text.as_uri(), file_hash=hashlib.md5(text.read_bytes()).hexdigest(), cache_subdir="sub"),
        dict(fname="bundle.tar.gz", origin=tar.as_uri(), extract=True),
        dict(fname="bundle", origin=tar.as_uri(), extract=True, file_hash=_sha256(tar)),
        dict(origin=tar.as_uri(), extract=True),
        dict(fname="pack", origin=zipped.as_uri(), extract=True, archive_format="zip"),
        dict(fname="t", origin=tar.as_uri(), untar=True),
    ]


def test_get_file_matches_keras_on_file_urls(keras, home, tmp_path, capsys):
    (tmp_path / "keras").mkdir()  # Keras falls back to /tmp/.keras for a cache_dir that does not exist yet
    for index, case in enumerate(_cases(tmp_path)):
        case.setdefault("cache_subdir", f"case_{index}")  # cases that share a name would meet in one folder
        ours = get_file(cache_dir=tmp_path / "loom", **case)
        theirs = keras.utils.get_file(cache_dir=str(tmp_path / "keras"), **case)
        assert os.path.relpath(ours, tmp_path / "loom") == os.path.relpath(theirs, tmp_path / "keras"), case
        if os.path.isdir(theirs):
            assert _tree(ours) == _tree(theirs)
        else:
            assert pathlib.Path(ours).read_bytes() == pathlib.Path(theirs).read_bytes()
    out = capsys.readouterr().out
    assert out.count("Downloading data from") == 2 * 7

