"""LearningRateScheduler: set the optimizer's learning rate from a function of the epoch."""

import inspect

import numpy as np

from loom.callbacks.callback import Callback


def read_learning_rate(model, owner: str) -> float:
    """``model.optimizer.learning_rate`` as a float, or a ValueError naming ``owner``."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(
            f"{owner} needs an optimizer with a `learning_rate` attribute; received "
            f"model.optimizer={optimizer!r}. Call model.compile(optimizer=...) before fit."
        )
    return float(np.asarray(optimizer.learning_rate))


def _as_learning_rate(value) -> float | None:
    """A float learning rate from a float or a 0-d float array; None for anything else."""
    if isinstance(value, (float, np.floating)):
        return float(value)
    # Keras's own example returns ``lr * ops.exp(-0.1)``: a 0-d array.
    dtype, shape = getattr(value, "dtype", None), getattr(value, "shape", None)
    if dtype is not None and shape == () and np.issubdtype(np.dtype(dtype), np.floating):
        return float(value)
    return None


def _takes_learning_rate(schedule) -> bool | None:
    """Whether ``schedule(epoch, lr)`` binds; None when the signature cannot be read."""
    try:
        inspect.signature(schedule).bind(0, 0.0)
    except TypeError:
        return False
    except ValueError:
        return None
    return True


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of every epoch to ``schedule(epoch, lr)``.

    Args:
        schedule: a function of the epoch index (from 0) and the current
            learning rate (a float) returning the new learning rate (a float);
            a function of the epoch alone is accepted too.
        verbose: 0 quiet, 1 prints a message at each update.

    The learning rate is added to the epoch's logs as ``"learning_rate"``.

    Example:

    >>> def scheduler(epoch, lr):
    ...     return lr if epoch < 10 else lr * 0.9
    >>> callback = LearningRateScheduler(scheduler)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                "LearningRateScheduler: `schedule` must be a function (epoch, lr) -> new lr; "
                f"received schedule={schedule!r}."
            )
        self.schedule = schedule
        self.verbose = verbose

    def _call_schedule(self, epoch: int, learning_rate: float):
        takes_learning_rate = _takes_learning_rate(self.schedule)
        if takes_learning_rate is None:
            # No readable signature (some builtins): try both forms, as Keras always does.
            try:
                return self.schedule(epoch, learning_rate)
            except TypeError:
                return self.schedule(epoch)
        return self.schedule(epoch, learning_rate) if takes_learning_rate else self.schedule(epoch)

    def on_epoch_begin(self, epoch, logs=None):
        current = read_learning_rate(self.model, "LearningRateScheduler")
        value = self._call_schedule(epoch, current)
        learning_rate = _as_learning_rate(value)
        if learning_rate is None:
            raise ValueError(
                f"The output of the `schedule` function should be a float. Got: {value!r} "
                f"(type {type(value).__name__}) at epoch {epoch}. Return e.g. 0.01, not 1 or a list."
            )
        self.model.optimizer.learning_rate = learning_rate
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = read_learning_rate(self.model, "LearningRateScheduler")
