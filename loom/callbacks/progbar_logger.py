"""ProgbarLogger: the progress bar of ``fit``, ``evaluate`` and ``predict``."""

from loom.callbacks.callback import Callback
from loom.utils.progress import Progbar, is_dynamic_display

# ~10 redraws a second look live without costing the trainer more than a few host wake-ups.
UPDATE_INTERVAL_SECONDS = 0.1


class ProgbarLogger(Callback):
    """Prints a progress bar and the metrics to stdout.

    ``fit`` shows "Epoch i/N" and one bar per epoch (validation runs silently);
    ``evaluate`` and ``predict`` show one bar. ``verbose`` comes from the
    trainer's params: 0 silent, 1 a bar (redrawn in place in a terminal; the
    final line only elsewhere), 2 one line per epoch, ``"auto"`` is 1.
    """

    # A time-driven display: it is content with one call per chunk, whatever its size.
    _chunk_level_batch_hooks = True

    def __init__(self):
        super().__init__()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    @property
    def update_interval_seconds(self) -> float | None:
        """How often the trainer should call the batch hooks: 0.1 s while the bar
        is redrawn in place, None when only the ends of epochs are shown."""
        if self.verbose == 1 and is_dynamic_display():
            return UPDATE_INTERVAL_SECONDS
        return None

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", self.verbose)
        if verbose == "auto":
            verbose = 1
        if verbose not in (0, 1, 2):
            raise ValueError(f"ProgbarLogger: `verbose` must be 0, 1, 2 or 'auto'; received verbose={verbose!r}.")
        self.verbose = verbose
        self.epochs = params.get("epochs", self.epochs)
        self.target = params.get("steps", self.target)

    def on_train_begin(self, logs=None):
        # Inside fit, validation runs are silent.
        self._called_in_fit = True

    def on_train_end(self, logs=None):
        # Keras never resets this, which silences a later evaluate() that reuses the logger.
        self._called_in_fit = False

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)  # predictions are not metrics

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def _reset_progbar(self) -> None:
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self) -> None:
        if self.progbar is None:
            # Logs hold running averages already, so every metric is shown as given.
            self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step", stateless_metrics=set())

    def _update_progbar(self, batch, logs) -> None:
        self._maybe_init_progbar()
        self.seen = batch + 1  # one-based
        if self.verbose == 1:
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finalize_progbar(self, logs) -> None:
        self._maybe_init_progbar()
        if self.target is None:
            # The first epoch of a dataset of unknown length tells the length of the next ones.
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, list((logs or {}).items()), finalize=True)
