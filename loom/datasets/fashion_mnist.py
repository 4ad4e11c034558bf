"""Fashion-MNIST: 70,000 28x28 grayscale images of 10 kinds of clothing (``keras.datasets.fashion_mnist``)."""

import gzip
import os

import numpy as np

from loom.utils.file_download import get_file

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz")  # fmt: skip
CACHE_SUBDIR = os.path.join("datasets", "fashion-mnist")
# Keras publishes no hashes for these four files, so none is checked (as in Keras).


def _read_idx(path, header_bytes: int) -> np.ndarray:
    with gzip.open(path, "rb") as handle:
        return np.frombuffer(handle.read(), np.uint8, offset=header_bytes)


def load_data():
    """Loads Fashion-MNIST: 60,000 training and 10,000 test images, labels 0-9.

    Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal,
    6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape (n, 28, 28)
        and uint8 labels of shape (n,).
    """
    paths = [get_file(name, origin=ORIGIN_FOLDER + name, cache_subdir=CACHE_SUBDIR) for name in FILES]
    y_train = _read_idx(paths[0], 8)
    x_train = _read_idx(paths[1], 16).reshape(len(y_train), 28, 28)
    y_test = _read_idx(paths[2], 8)
    x_test = _read_idx(paths[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
