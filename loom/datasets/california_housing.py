"""California housing: 20,640 districts, 8 attributes, median house value (``keras.datasets.california_housing``)."""

from loom.datasets.housing import check_test_split, read_xy, shuffle_and_split
from loom.utils.file_download import get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/california_housing.npz"
FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"  # sha256
SMALL_VERSION_SIZE = 600


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Loads the California housing dataset (from the 1990 US census).

    Args:
        version: ``"large"`` (20,640 districts) or ``"small"`` (the first 600, for quick runs).
        path: the file's name in the cache.
        test_split: the fraction of the data for the test part, in [0, 1).
        seed: the shuffle's seed.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float32 arrays of shape (n, 8) and (n,),
        targets in dollars.
    """
    check_test_split(test_split)
    if version not in ("small", "large"):
        raise ValueError(f"Argument `version` must be one of 'small', 'large'. Received: version={version}")
    x, y = read_xy(get_file(path, origin=ORIGIN, file_hash=FILE_HASH))
    if version == "small":
        x, y = x[:SMALL_VERSION_SIZE], y[:SMALL_VERSION_SIZE]
    return shuffle_and_split(x, y, test_split, seed)
