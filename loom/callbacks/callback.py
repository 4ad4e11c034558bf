"""Callback: hooks that ``fit``, ``evaluate`` and ``predict`` call at fixed moments."""

BATCH_HOOKS = (
    "on_batch_begin",
    "on_batch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)
OTHER_HOOKS = (
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_begin",
    "on_train_end",
    "on_test_begin",
    "on_test_end",
    "on_predict_begin",
    "on_predict_end",
)
HOOKS = BATCH_HOOKS + OTHER_HOOKS


def _default(method):
    """Marks a hook as the base class's no-op, so a subclass's override can be detected."""
    # Keras marks its defaults with the same attribute, so its callbacks are detected alike.
    method._is_default = True
    return method


def is_default(method) -> bool:
    """Whether ``method`` is ``Callback``'s own no-op (not overridden)."""
    return getattr(method, "_is_default", False)


class Callback:
    """Base class for callbacks: override the hooks you need.

    A callback that overrides a batch-level hook is called for every batch,
    with that batch's index and logs, as Keras does with its default
    ``steps_per_execution=1`` (with ``steps_per_execution=k``, once per k
    batches, as Keras does). When no callback needs batch hooks, loom runs many
    steps per compiled call (a *chunk*). A callback may set the class attribute
    ``_chunk_level_batch_hooks = True`` to say that one call per chunk of any
    size is enough (the progress bar, ``TerminateOnNaN``).

    Attributes:
        params: dict of training parameters (``verbose``, ``epochs``, ``steps``).
        model: the model being trained, evaluated or used for prediction.

    Example:

    >>> class StopAfterTwo(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         if epoch == 1:
    ...             self.model.stop_training = True
    """

    _chunk_level_batch_hooks = False

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params) -> None:
        self.params = params

    def set_model(self, model) -> None:
        self._model = model

    @property
    def model(self):
        return self._model

    @_default
    def on_batch_begin(self, batch, logs=None):
        """A backwards-compatible alias of ``on_train_batch_begin``."""

    @_default
    def on_batch_end(self, batch, logs=None):
        """A backwards-compatible alias of ``on_train_batch_end``."""

    @_default
    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of epoch ``epoch`` (0-based) of ``fit``."""

    @_default
    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch; ``logs`` holds its metrics, ``val_*`` included."""

    @_default
    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training batch (before each group of ``steps_per_execution`` batches)."""
        self.on_batch_begin(batch, logs=logs)

    @_default
    def on_train_batch_end(self, batch, logs=None):
        """Called after each training batch (after each group of ``steps_per_execution`` batches).

        ``logs`` holds the metrics aggregated over the epoch so far.
        """
        self.on_batch_end(batch, logs=logs)

    @_default
    def on_test_batch_begin(self, batch, logs=None):
        """Called before an evaluation batch (``evaluate`` or validation in ``fit``)."""

    @_default
    def on_test_batch_end(self, batch, logs=None):
        """Called after an evaluation batch; ``logs`` holds the metrics so far."""

    @_default
    def on_predict_batch_begin(self, batch, logs=None):
        """Called before a ``predict`` batch."""

    @_default
    def on_predict_batch_end(self, batch, logs=None):
        """Called after a ``predict`` batch."""

    @_default
    def on_train_begin(self, logs=None):
        """Called at the start of ``fit``."""

    @_default
    def on_train_end(self, logs=None):
        """Called at the end of ``fit``; ``logs`` are the last epoch's."""

    @_default
    def on_test_begin(self, logs=None):
        """Called at the start of ``evaluate`` or of a validation run."""

    @_default
    def on_test_end(self, logs=None):
        """Called at the end of ``evaluate`` or of a validation run."""

    @_default
    def on_predict_begin(self, logs=None):
        """Called at the start of ``predict``."""

    @_default
    def on_predict_end(self, logs=None):
        """Called at the end of ``predict``."""
