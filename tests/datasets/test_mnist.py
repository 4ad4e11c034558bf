import numpy as np
import pytest

from loom.datasets import mnist
from tests.datasets.dataset_files import assert_same_data


def _write_mnist(path, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        "x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 6).astype(np.uint8),
        "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 3).astype(np.uint8),
    }
    np.savez(path, **arrays)
    return arrays


def test_load_data_downloads_checks_the_hash_and_reads_the_npz(cache, server, publish, capsys):
    arrays = _write_mnist(server / "mnist.npz")
    publish(mnist, server / "mnist.npz")
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    for name, value in zip(["x_train", "y_train", "x_test", "y_test"], [x_train, y_train, x_test, y_test]):
        np.testing.assert_array_equal(value, arrays[name])
        assert value.dtype == np.uint8
    assert (cache / "mnist.npz").read_bytes() == (server / "mnist.npz").read_bytes()
    assert "Downloading data from file://" in capsys.readouterr().out


def test_a_cached_file_is_used_without_downloading(cached, server):
    arrays = _write_mnist(server / "mnist.npz", seed=1)
    cached(mnist, "mnist.npz", server / "mnist.npz")
    np.testing.assert_array_equal(mnist.load_data()[1][0], arrays["x_test"])


def test_a_cached_file_with_another_hash_is_downloaded_again(cache, server, publish, capsys):
    arrays = _write_mnist(server / "mnist.npz", seed=2)
    cache.mkdir(parents=True)
    _write_mnist(cache / "mnist.npz", seed=3)  # outdated
    publish(mnist, server / "mnist.npz")
    np.testing.assert_array_equal(mnist.load_data()[0][0], arrays["x_train"])
    assert "hash does not match the original value" in capsys.readouterr().out


def test_keras_hash_refuses_other_content(cache, server, monkeypatch):
    _write_mnist(server / "mnist.npz")
    monkeypatch.setattr(mnist, "ORIGIN", (server / "mnist.npz").as_uri())  # Keras's hash stays
    with pytest.raises(ValueError, match="file hash .* does not match the provided value of 731c5ac6"):
        mnist.load_data()
    assert list(cache.iterdir()) == []  # nothing half-checked is kept


def test_load_data_matches_keras(cached, keras_cache):
    keras, keras_folder = keras_cache
    _write_mnist(keras_folder / "mnist.npz", seed=4)
    cached(mnist, "mnist.npz", keras_folder / "mnist.npz")
    assert_same_data(mnist.load_data(), keras.datasets.mnist.load_data())
