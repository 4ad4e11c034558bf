"""BatchedDataset: the PyDataset that loom's dataset builders return, batches taken by sample index.

Keras builds ``tf.data.Dataset``s in ``timeseries_dataset_from_array``,
``image_dataset_from_directory``, ``text_dataset_from_directory`` and
``split_dataset``. loom has no TensorFlow; these return a ``BatchedDataset``:
a ``PyDataset`` (so ``fit``, ``evaluate`` and ``predict`` take it) whose batch
``i`` is made on demand from the samples at positions ``i * batch_size ...``
of the current order. With ``shuffle=True`` the order is a new permutation
every epoch, drawn from ``seed``. Without a batch size it yields single
samples, like an unbatched ``tf.data.Dataset``, and ``.batch(n)`` batches it.
"""

import math

import jax
import numpy as np

from loom.utils.py_dataset import PyDataset


class BatchedDataset(PyDataset):
    """Batches of samples taken by index from a source of samples.

    Args:
        take: a function from an int array of sample indices to the batch of those
            samples (an array, or a tuple/dict of arrays with a leading batch axis).
        count: the number of samples.
        batch_size: samples per batch; None yields single samples.
        shuffle: draw a new sample order every epoch (the first one included).
        seed: the seed of that order.
        drop_remainder: leave out a last, smaller batch.

    Attributes:
        class_names: for datasets made from folders, the class of each label index.
        file_paths: for datasets made from folders, the file of each sample (in the
            unshuffled order).
    """

    def __init__(self, take, count: int, batch_size=None, shuffle=False, seed=None, drop_remainder=False):
        super().__init__()
        bad_size = isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
        if batch_size is not None and bad_size:
            raise ValueError(f"`batch_size` must be a positive int or None; received batch_size={batch_size!r}.")
        self._take = take
        self._count = int(count)
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.drop_remainder = bool(drop_remainder)
        self.class_names = None
        self.file_paths = None
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(self._count) if self.shuffle else np.arange(self._count)

    def __len__(self) -> int:
        if self.batch_size is None:
            return self._count
        if self.drop_remainder:
            return self._count // self.batch_size
        return math.ceil(self._count / self.batch_size)

    @property
    def sample_count(self) -> int:
        """The number of samples over all batches (before ``drop_remainder``)."""
        return self._count

    def __getitem__(self, index):
        length = len(self)
        if isinstance(index, (int, np.integer)) and -length <= index < length:
            index = int(index) % length
        else:
            raise IndexError(f"{type(self).__name__} index {index!r} out of range for {length} items.")
        if self.batch_size is None:
            sample = self._take(self._order[index : index + 1])
            return jax.tree_util.tree_map(lambda array: array[0], sample)
        return self._take(self._order[index * self.batch_size : (index + 1) * self.batch_size])

    def samples(self):
        """Every sample, in source order (unshuffled), as one batch: an array or a tuple/dict of arrays."""
        return self._take(np.arange(self._count))

    def on_epoch_end(self):
        if self.shuffle:
            self._order = self._rng.permutation(self._count)

    def batch(self, batch_size: int, drop_remainder: bool = False) -> "BatchedDataset":
        """The same samples in batches of ``batch_size`` (as ``tf.data.Dataset.batch``)."""
        if self.batch_size is not None:
            raise ValueError(
                f"This dataset is already batched (batch_size={self.batch_size}); batching it again would "
                "make batches of batches. Build it with batch_size=None to batch it yourself."
            )
        batched = BatchedDataset(self._take, self._count, batch_size, self.shuffle, self.seed, drop_remainder)
        batched.class_names, batched.file_paths = self.class_names, self.file_paths
        return batched

    def __repr__(self):
        if self.batch_size is None:
            return f"<{type(self).__name__}: {self._count} samples, unbatched>"
        return f"<{type(self).__name__}: {len(self)} batches of up to {self.batch_size} from {self._count} samples>"


def take_rows(structure):
    """A ``take`` function for ``BatchedDataset`` over in-memory arrays: rows of every array."""
    return lambda indices: jax.tree_util.tree_map(lambda array: array[indices], structure)
