"""The shared half of the housing datasets: read ``x`` and ``y`` from an npz, shuffle, split off a test part."""

import numpy as np


def check_test_split(test_split) -> None:
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Invalid `test_split` argument: {test_split}. It must be between 0 and 1 (exclusive of 1)."
        )


def read_xy(path):
    with np.load(path, allow_pickle=False) as data:
        return data["x"], data["y"]


def shuffle_and_split(x, y, test_split, seed):
    """``(x_train, y_train), (x_test, y_test)``: shuffled with ``RandomState(seed)``, the last
    ``test_split`` of the samples for testing (as Keras)."""
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))
