"""PyDataset: a dataset of batches computed by Python code, indexed by batch number.

Keras's ``keras.utils.PyDataset`` (``Sequence`` is its old name): subclasses give
``__len__`` (or ``num_batches``) and ``__getitem__(index) -> batch``; fit,
evaluate and predict iterate over it. loom computes the next batches in one
background thread while the device trains (``workers``, ``use_multiprocessing``
and ``max_queue_size`` are accepted and kept for Keras's code, but loom does not
start worker processes: a JAX step outruns most Python batch code, and a process
pool would copy every batch once more).
"""

import itertools
import random
import warnings

_SUPER_NOT_CALLED = (
    "Your `PyDataset` class should call `super().__init__(**kwargs)` in its constructor. `**kwargs` can "
    "include `workers`, `use_multiprocessing`, `max_queue_size`. Do not pass these arguments to `fit()`, as "
    "they will be ignored."
)


class PyDataset:
    """Base class for datasets of batches produced by ``__getitem__``.

    Args:
        workers: how many workers Keras would use (kept for compatibility).
        use_multiprocessing: whether Keras would use processes (kept for compatibility).
        max_queue_size: how many batches Keras would queue (kept for compatibility).

    Example:

    >>> import numpy as np
    >>> class Batches(PyDataset):
    ...     def __init__(self, x, batch_size, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.x, self.batch_size = x, batch_size
    ...     def __len__(self):
    ...         return -(-len(self.x) // self.batch_size)
    ...     def __getitem__(self, index):
    ...         return self.x[index * self.batch_size : (index + 1) * self.batch_size]
    >>> [len(b) for b in Batches(np.zeros(10), 4)]
    [4, 4, 2]
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _setting(self, name: str, default):
        if not hasattr(self, name):
            warnings.warn(_SUPER_NOT_CALLED, stacklevel=3)
            setattr(self, name, default)
        return getattr(self, name)

    @property
    def workers(self) -> int:
        return self._setting("_workers", 1)

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self) -> bool:
        return self._setting("_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self) -> int:
        return self._setting("_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        """The batch at position ``index``."""
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index) returning a batch.")

    @property
    def num_batches(self):
        """Batches per epoch, or None for an endless dataset (``__len__`` by default)."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(
            f"{type(self).__name__} must implement __len__ or the num_batches property "
            "(return None for an endless dataset)."
        )

    def on_epoch_begin(self):
        """Called before each pass over the dataset."""

    def on_epoch_end(self):
        """Called after each pass over the dataset (e.g. to reshuffle the data)."""

    def __iter__(self):
        return self.epoch(shuffle=False)

    def epoch(self, shuffle: bool = False, seed=None):
        """One pass: the batches in order (or in a shuffled order of batch indices, as
        Keras's fit does with ``shuffle=True``), between the epoch hooks."""
        count = self.num_batches
        if count is None:
            indices = itertools.count()
        else:
            indices = list(range(count))
            if shuffle:
                random.Random(seed).shuffle(indices)
        self.on_epoch_begin()
        try:
            for index in indices:
                yield self[index]
        finally:
            self.on_epoch_end()


# Keras 2's name, kept by Keras 3.
Sequence = PyDataset
