import tarfile

import numpy as np
import pytest

from loom.datasets import cifar10, cifar100
from tests.datasets.dataset_files import assert_same_data, cifar_batch, write_pickle


def _write_cifar10(path, count=4, seed=0):
    rng = np.random.default_rng(seed)
    batches = {}
    with tarfile.open(path, "w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            batches[name] = cifar_batch(rng, count, {b"labels": 10})
            write_pickle(tar, f"cifar-10-batches-py/{name}", batches[name])
    return batches


def _write_cifar100(path, count=5, seed=0):
    rng = np.random.default_rng(seed)
    batches = {}
    with tarfile.open(path, "w:gz") as tar:
        for name in ("train", "test"):
            batches[name] = cifar_batch(rng, count, {b"fine_labels": 100, b"coarse_labels": 20})
            write_pickle(tar, f"cifar-100-python/{name}", batches[name])
    return batches


def test_cifar10_extracts_the_tar_and_joins_the_batches_channels_last(server, cache, publish):
    batches = _write_cifar10(server / "cifar-10-python.tar.gz")
    publish(cifar10, server / "cifar-10-python.tar.gz")
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (20, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (20, 1) and y_train.dtype == np.uint8
    first = batches["data_batch_1"][b"data"][0].reshape(3, 32, 32).transpose(1, 2, 0)
    np.testing.assert_array_equal(x_train[0], first)
    np.testing.assert_array_equal(y_test[:, 0], batches["test_batch"][b"labels"])
    assert (cache / "cifar-10-batches-py-target_archive").is_file()
    assert (cache / "cifar-10-batches-py-target" / "cifar-10-batches-py" / "test_batch").is_file()


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_matches_keras(label_mode, cached, keras_cache):
    keras, keras_folder = keras_cache
    _write_cifar100(keras_folder / "cifar-100-python-target_archive", seed=1)
    cached(cifar100, "cifar-100-python-target_archive", keras_folder / "cifar-100-python-target_archive")
    ours = cifar100.load_data(label_mode=label_mode)
    assert ours[0][0].shape == (5, 32, 32, 3) and ours[1][1].shape == (5, 1)
    assert_same_data(ours, keras.datasets.cifar100.load_data(label_mode=label_mode))


def test_cifar100_rejects_an_unknown_label_mode(cache):
    with pytest.raises(ValueError, match='`label_mode` must be one of `"fine"`, `"coarse"`'):
        cifar100.load_data(label_mode="medium")
