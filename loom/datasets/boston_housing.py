"""Boston housing prices: 506 suburbs, 13 attributes each, median home value (``keras.datasets.boston_housing``)."""

from loom.datasets.housing import check_test_split, read_xy, shuffle_and_split
from loom.utils.file_download import get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz"
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"  # sha256


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads the Boston housing dataset.

    The dataset has an ethical problem (one attribute encodes race); Keras keeps
    it for existing examples, and so does loom. Prefer ``california_housing``.

    Args:
        path: the file's name in the cache.
        test_split: the fraction of the data for the test part, in [0, 1).
        seed: the shuffle's seed.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float arrays of shape (n, 13) and (n,),
        targets in thousands of dollars.
    """
    check_test_split(test_split)
    x, y = read_xy(get_file(path, origin=ORIGIN, file_hash=FILE_HASH))
    return shuffle_and_split(x, y, test_split, seed)
