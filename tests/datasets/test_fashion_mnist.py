import numpy as np

from loom.datasets import fashion_mnist
from tests.datasets.dataset_files import assert_same_data, write_idx_gz


def _write_files(folder, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    x_train, y_train = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8), rng.integers(0, 10, 5, dtype=np.uint8)
    x_test, y_test = rng.integers(0, 256, (2, 28, 28), dtype=np.uint8), rng.integers(0, 10, 2, dtype=np.uint8)
    for name, array, magic in [
        ("train-labels-idx1-ubyte.gz", y_train, 2049), ("train-images-idx3-ubyte.gz", x_train, 2051),
        ("t10k-labels-idx1-ubyte.gz", y_test, 2049), ("t10k-images-idx3-ubyte.gz", x_test, 2051),
    ]:  # fmt: skip
        write_idx_gz(folder / name, array, magic)
    return (x_train, y_train), (x_test, y_test)


def test_load_data_downloads_the_four_idx_files(cache, server, monkeypatch):
    expected = _write_files(server)
    monkeypatch.setattr(fashion_mnist, "ORIGIN_FOLDER", server.as_uri() + "/")
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (5, 28, 28) and x_train.dtype == np.uint8 and y_test.shape == (2,)
    assert_same_data(((x_train, y_train), (x_test, y_test)), expected)
    assert sorted(p.name for p in (cache / "fashion-mnist").iterdir()) == sorted(fashion_mnist.FILES)


def test_load_data_matches_keras(cache, keras_cache):
    keras, keras_folder = keras_cache
    _write_files(keras_folder / "fashion-mnist", seed=1)
    _write_files(cache / "fashion-mnist", seed=1)
    assert_same_data(fashion_mnist.load_data(), keras.datasets.fashion_mnist.load_data())
