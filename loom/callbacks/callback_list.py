"""CallbackList: one object that calls a hook on every callback, in order."""

import jax
import numpy as np

from loom.callbacks.callback import BATCH_HOOKS, Callback, is_default
from loom.callbacks.history import History
from loom.callbacks.progbar_logger import ProgbarLogger


def pythonify_logs(logs) -> dict:
    """``logs`` as a flat dict sorted by key, with numbers as Python floats (as Keras does).

    Device arrays are fetched in one transfer; nested dicts are merged into the top level.
    """
    logs = jax.device_get(dict(logs or {}))
    result = {}
    for key, value in sorted(logs.items()):
        if isinstance(value, dict):
            result.update(pythonify_logs(value))
        else:
            result[key] = _as_float(value)
    return result


def _as_float(value):
    if isinstance(value, (bool, int, float, np.number)):
        return float(value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "biuf":
        return float(value)
    return value


def _flatten_callbacks(callbacks) -> list:
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(
            f"`callbacks` must be a list of loom.callbacks.Callback instances; "
            f"received {type(callbacks).__name__}: {callbacks!r}."
        )
    flat = []
    for position, callback in enumerate(callbacks):
        if isinstance(callback, (list, tuple)):
            flat.extend(_flatten_callbacks(callback))
        elif isinstance(callback, Callback):
            flat.append(callback)
        else:
            raise TypeError(
                f"`callbacks[{position}]` is not a loom.callbacks.Callback; received "
                f"{type(callback).__name__}: {callback!r}. Subclass loom.callbacks.Callback, "
                "or wrap a function in LambdaCallback(on_epoch_end=...)."
            )
    return flat


_HOOKS_OF = {
    "train": ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end"),
    "test": ("on_test_batch_begin", "on_test_batch_end"),
    "predict": ("on_predict_batch_begin", "on_predict_batch_end"),
}


def _wants_every_batch(callback, kind: str | None = None) -> bool:
    """Whether ``callback`` overrides a batch-level hook (of ``kind``: "train", "test",
    "predict"; any if None) and so must be called for every batch."""
    if getattr(callback, "_chunk_level_batch_hooks", False):
        return False
    names = BATCH_HOOKS if kind is None else _HOOKS_OF[kind]
    return any(not is_default(getattr(callback, name)) for name in names)


class CallbackList(Callback):
    """Calls every hook on a list of callbacks, adding ``History`` and ``ProgbarLogger`` on request.

    Args:
        callbacks: a list of ``Callback`` instances (nested lists are flattened).
        add_history: add a ``History`` unless the list already holds one.
        add_progbar: add a ``ProgbarLogger`` unless the list already holds one.
        model: the model the callbacks see as ``self.model``.
        **params: passed to every callback's ``set_params`` (``verbose``,
            ``epochs``, ``steps``).

    Logs are handed to the callbacks as flat dicts sorted by key, with numbers
    (device arrays included) converted to Python floats.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = _flatten_callbacks(callbacks)
        self._history = next((c for c in reversed(self.callbacks) if isinstance(c, History)), None)
        self._progbar = next((c for c in reversed(self.callbacks) if isinstance(c, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self.set_model(model)
        self.set_params(params)

    def set_params(self, params) -> None:
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model) -> None:
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    @property
    def needs_batch_hooks(self) -> bool:
        """Whether a callback overrides a batch-level hook and should see every batch.

        The trainer then calls them for every batch, as Keras does with its default
        ``steps_per_execution=1`` (once per k steps with ``steps_per_execution=k``);
        otherwise it may fuse as many steps per compiled call as it likes.
        Callbacks with ``_chunk_level_batch_hooks = True`` (the progress bar,
        ``TerminateOnNaN``) are content with one call per chunk and do not count.
        """
        return any(_wants_every_batch(callback) for callback in self.callbacks)

    def needs_batch_hooks_for(self, kind: str) -> bool:
        """Whether a callback overrides a batch hook of ``kind`` ("train", "test" or "predict")."""
        return any(_wants_every_batch(callback, kind) for callback in self.callbacks)

    @property
    def update_interval_seconds(self) -> float | None:
        """The shortest interval at which a callback wants batch hooks called, or None.

        The progress bar asks for 0.1 s while it redraws a line in place; None
        means no callback needs calls between the ends of epochs.
        """
        intervals = [getattr(c, "update_interval_seconds", None) for c in self.callbacks]
        intervals = [interval for interval in intervals if interval is not None]
        return min(intervals) if intervals else None

    # The argument conventions (positional ``logs`` for epoch and begin/end hooks,
    # ``logs=`` for batch hooks) are Keras's, so LambdaCallback functions work alike.

    def on_batch_begin(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_batch_begin(batch, logs=logs)

    def on_batch_end(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_batch_end(batch, logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_batch_begin(batch, logs=logs)

    def on_test_batch_end(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_batch_end(batch, logs=logs)

    def on_predict_batch_begin(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_predict_batch_begin(batch, logs=logs)

    def on_predict_batch_end(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_predict_batch_end(batch, logs=logs)

    def on_train_begin(self, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def on_test_begin(self, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_begin(logs)

    def on_test_end(self, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_end(logs)

    def on_predict_begin(self, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_predict_begin(logs)

    def on_predict_end(self, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_predict_end(logs)
