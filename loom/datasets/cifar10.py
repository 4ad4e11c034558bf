"""CIFAR-10: 60,000 32x32 colour images in 10 classes (``keras.datasets.cifar10``)."""

import os

import numpy as np

from loom.config.defaults import image_data_format
from loom.datasets.cifar import load_batch
from loom.utils.file_download import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"  # sha256
DIRNAME = "cifar-10-batches-py-target"


def load_data():
    """Loads CIFAR-10: 50,000 training and 10,000 test images.

    Labels: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog,
    7 horse, 8 ship, 9 truck.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape (n, 32, 32, 3)
        ((n, 3, 32, 32) when ``loom.config.image_data_format()`` is channels first)
        and uint8 labels of shape (n, 1).
    """
    path = get_file(fname=DIRNAME, origin=ORIGIN, extract=True, file_hash=FILE_HASH)
    path = os.path.join(path, "cifar-10-batches-py")
    # Keras fills arrays sized for 10,000 images per batch; concatenating reads any batch size.
    train = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([data for data, _ in train]).astype("uint8")
    y_train = np.concatenate([np.asarray(labels) for _, labels in train]).astype("uint8")
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    x_test, y_test = x_test.astype("uint8"), np.asarray(y_test).astype("uint8")
    if image_data_format() == "channels_last":
        x_train, x_test = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train.reshape(-1, 1)), (x_test, y_test.reshape(-1, 1))
