"""EarlyStopping: stop training when a monitored metric stops improving."""

import warnings

from loom.callbacks.monitor_callback import MonitorCallback, check_non_negative_int, check_real


class EarlyStopping(MonitorCallback):
    """Stops training when a monitored metric has stopped improving.

    At the end of every epoch the callback compares ``logs[monitor]`` with
    the best value so far; after ``patience`` epochs without improvement it
    sets ``model.stop_training = True``.

    Args:
        monitor: the quantity to watch. Defaults to ``"val_loss"``.
        min_delta: the smallest change that counts as an improvement; a
            smaller change counts as none. Defaults to 0.
        patience: epochs without improvement before training stops. Defaults to 0.
        verbose: 0 silent, 1 prints a message when the callback acts.
        mode: ``"min"`` stops when the quantity stops decreasing, ``"max"``
            when it stops increasing, ``"auto"`` infers the direction from the
            monitored metric. Defaults to ``"auto"``.
        baseline: a value the quantity must beat: an epoch that improves on
            the best so far but not on ``baseline`` does not reset the patience
            count. Defaults to None.
        restore_best_weights: at the end of training, restore the weights of
            the epoch with the best value of the monitored quantity (whether
            training stopped early or not, and regardless of ``baseline``).
            If False, the weights of the last step are kept. Defaults to False.
        start_from_epoch: epochs of warm-up before monitoring starts. Defaults to 0.

    Attributes:
        stopped_epoch: the epoch at which training was stopped (0 if it was not).
        best: the best monitored value; ``best_epoch`` its epoch.

    Example:

    >>> callback = EarlyStopping(monitor="loss", patience=3)
    >>> # Stops training after three epochs without a lower loss.
    """

    def __init__(
        self,
        monitor="val_loss",
        min_delta=0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
        start_from_epoch=0,
    ):
        super().__init__(monitor, mode, min_delta=min_delta)
        check_non_negative_int("EarlyStopping", "patience", patience)
        check_non_negative_int("EarlyStopping", "start_from_epoch", start_from_epoch)
        if baseline is not None:
            check_real("EarlyStopping", "baseline", baseline)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.best_epoch = 0
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        # A callback may be reused across fit calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            # Set up late: the model's metrics exist only once training has run.
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Until something better shows up, the first monitored epoch is the best.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch

        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # The patience count restarts only on beating both the best and the baseline.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return

        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """``logs[monitor]``, or None with a warning naming the keys that are there."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {', '.join(logs)}. Pass one of them as `monitor`, "
                "or pass validation data to fit for `val_*` metrics.",
                stacklevel=2,
            )
        return value
