"""Reading one batch file of the CIFAR-10/100 Python version (a pickled dict)."""

import numpy as np

from loom.datasets.safe_unpickling import load_pickle


def load_batch(fpath, label_key="labels"):
    """``(data, labels)`` of a CIFAR batch file: uint8 images (n, 3, 32, 32) and a list of labels."""
    with open(fpath, "rb") as handle:
        batch = load_pickle(handle, encoding="bytes")  # pickled by Python 2: keys are bytes
    batch = {key.decode("utf8") if isinstance(key, bytes) else key: value for key, value in batch.items()}
    data = np.asarray(batch["data"])
    return data.reshape(data.shape[0], 3, 32, 32), batch[label_key]
