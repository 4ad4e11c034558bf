"""Small dataset files in the real formats, served from file:// origins into a temporary cache."""

import hashlib

import pytest


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """loom's dataset cache, under a temporary LOOM_HOME (the real home is never touched)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LOOM_HOME", str(tmp_path / "loom_home"))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    return tmp_path / "loom_home" / "datasets"


@pytest.fixture
def server(tmp_path):
    """The folder that file:// origins point into."""
    folder = tmp_path / "server"
    folder.mkdir()
    return folder


@pytest.fixture
def publish(monkeypatch):
    """Point a dataset module's origin at a local file and expect that file's sha256."""

    def publish(module, path, origin="ORIGIN", file_hash="FILE_HASH"):
        monkeypatch.setattr(module, origin, path.as_uri())
        monkeypatch.setattr(module, file_hash, sha256(path))

    return publish


@pytest.fixture
def keras_cache(tmp_path, monkeypatch):
    """Keras 3's cache moved to a temporary folder, its hash check off (the test files are not Keras's),
    so Keras's own load_data reads the same small files as loom's."""
    keras = pytest.importorskip("keras")
    from keras.src.backend import config
    from keras.src.utils import file_utils

    monkeypatch.setattr(config, "_KERAS_DIR", str(tmp_path / "keras_home"))
    monkeypatch.setattr(file_utils, "validate_file", lambda *args, **kwargs: True)
    folder = tmp_path / "keras_home" / "datasets"
    folder.mkdir(parents=True)
    return keras, folder



@pytest.fixture
def cached(cache, server, monkeypatch):
    """Put a file into loom's cache as ``name`` and make ``module`` expect its hash; its origin
    points nowhere, so the test fails if loom downloads instead of reading the cache."""

    def cached(module, name, source, file_hash="FILE_HASH", origin="ORIGIN", subdir=None):
        folder = cache if subdir is None else cache.parent / subdir
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(source.read_bytes())
        monkeypatch.setattr(module, origin, (server / "nowhere").as_uri())
        if file_hash is not None:
            monkeypatch.setattr(module, file_hash, sha256(source))
        return folder / name

    return cached
