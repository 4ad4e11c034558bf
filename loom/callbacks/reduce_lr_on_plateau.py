"""ReduceLROnPlateau: lower the learning rate when a monitored metric stops improving."""

import warnings

import numpy as np

from loom.callbacks.learning_rate_scheduler import read_learning_rate
from loom.callbacks.monitor_callback import MonitorCallback, check_non_negative_int, check_real


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by ``factor`` after ``patience`` epochs without improvement.

    Args:
        monitor: the quantity to watch. Defaults to ``"val_loss"``.
        factor: the learning rate becomes ``lr * factor``; in [0, 1).
        patience: epochs without improvement before the rate is lowered.
        verbose: 0 quiet, 1 prints a message at each reduction.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (the direction inferred from
            the monitored metric).
        min_delta: the smallest change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the lowest learning rate.

    The current learning rate is added to each epoch's logs as ``"learning_rate"``.

    Example:

    >>> reduce_lr = ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=5, min_lr=0.001)
    """

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        verbose=0,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
    ):
        # Keras 3 also takes **kwargs and ignores them; loom rejects unknown arguments.
        super().__init__(monitor, mode, min_delta=min_delta)
        check_real("ReduceLROnPlateau", "factor", factor)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        if factor < 0:
            raise ValueError(f"ReduceLROnPlateau: `factor` must be in [0, 1); received factor={factor}.")
        check_non_negative_int("ReduceLROnPlateau", "patience", patience)
        check_non_negative_int("ReduceLROnPlateau", "cooldown", cooldown)
        check_real("ReduceLROnPlateau", "min_lr", min_lr)
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self) -> None:
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            # Set up late: the model's metrics exist only once training has run.
            self._set_monitor_op()
        logs = {} if logs is None else logs
        logs["learning_rate"] = read_learning_rate(self.model, "ReduceLROnPlateau")
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {', '.join(logs)}. Pass one of them as "
                "`monitor`, or pass validation data to fit for `val_*` metrics.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce_learning_rate(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce_learning_rate(self, epoch: int) -> bool:
        """Lowers the rate unless it is at ``min_lr`` already; returns whether it did."""
        old_lr = read_learning_rate(self.model, "ReduceLROnPlateau")
        # Compared in float32, as the optimizer stores it, so a rate at min_lr stays put.
        if old_lr <= np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        self.model.optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True
