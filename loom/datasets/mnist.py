"""MNIST: 70,000 28x28 grayscale images of handwritten digits (``keras.datasets.mnist``)."""

import numpy as np

from loom.utils.file_download import get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"  # sha256


def load_data(path="mnist.npz"):
    """Loads MNIST: 60,000 training and 10,000 test images, labels 0-9.

    Args:
        path: the file's name in the cache (``~/.keras/datasets``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape (n, 28, 28)
        with values 0-255, and uint8 labels of shape (n,).
    """
    path = get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as data:
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])
