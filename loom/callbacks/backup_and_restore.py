"""BackupAndRestore: an interrupted fit, even a killed process, resumes where it stopped."""

import os

from loom import saving
from loom.callbacks.callback import Callback
from loom.distribution.placement import host_value, is_writer

_BACKUP = "backup.loom"
_PREVIOUS = "backup.previous.loom"
_PREFIX = "backup/"


class BackupAndRestore(Callback):
    """Back up the whole training state so a rerun of the same ``fit`` continues it.

    A backup holds the weights, the optimizer's state, the metric accumulators of
    the epoch in progress, the run's seed (which fixes data order and random
    draws) and the position (epoch, step). When ``fit`` starts and a backup
    exists, training continues from it, and the finished run equals an
    uninterrupted one bitwise on the CPU — also for an interruption in the middle
    of an epoch with a batch-level ``save_freq`` (where Keras drifts). With an
    iterable of batches (whose order loom does not control) a run resumes at the
    start of the interrupted epoch, as in Keras. Backups are written atomically;
    the backup folder is removed when training completes.

    Args:
        backup_dir: folder for the backup files.
        save_freq: "epoch", or an int: back up after that many batches (at the end
            of the compiled call that reaches them).
        double_checkpoint: keep the previous backup too, and fall back to it when
            the latest cannot be read.
        delete_checkpoint: remove the backups when training ends normally.
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint: bool = False, delete_checkpoint: bool = True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: `backup_dir` must be a folder path; received an empty value.")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1):
            raise ValueError(
                f"BackupAndRestore: `save_freq` must be 'epoch' or a positive int (batches); received {save_freq!r}."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._chunk_level_batch_hooks = save_freq == "epoch"
        self._last_saved_total = None

    @property
    def _latest(self) -> str:
        return os.path.join(self.backup_dir, _BACKUP)

    @property
    def _previous(self) -> str:
        return os.path.join(self.backup_dir, _PREVIOUS)

    def on_train_begin(self, logs=None):
        for path in (self._latest, self._previous if self.double_checkpoint else None):
            if path is None or not os.path.exists(path):
                continue
            try:
                backup = saving.read_archive(path)
            except saving.SavingError:
                if path == self._latest and self.double_checkpoint and os.path.exists(self._previous):
                    continue  # fall back to the previous backup
                raise
            self._restore(backup)
            return

    # A backup is restored into the same program's model, whose auto-generated layer
    # names may differ in a new process or session: arrays are matched by order
    # (and checked by shape), not by name.
    def _groups(self):
        optimizer = self.model.optimizer
        if optimizer is not None and not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        return {"variables": self.model.variables, "optimizer": [] if optimizer is None else optimizer.variables}

    def _restore(self, backup) -> None:
        config = backup.config
        if not isinstance(config, dict) or config.get("loom_backup") != 1:
            raise saving.ConfigError(f"{self.backup_dir} holds a file that is not a loom training backup.")
        for group, variables in self._groups().items():
            count = int(config.get(f"{group}_count", -1))
            if count != len(variables):
                raise saving.WeightsMismatchError(
                    f"The backup in {self.backup_dir} holds {count} {group} arrays, but this model has "
                    f"{len(variables)}: it was written for a different model or compile settings. Delete the "
                    "folder to start over, or restore the program that wrote it."
                )
            values = [backup.weights.array(f"{_PREFIX}{group}/{i}") for i in range(count)]
            for variable, value in zip(variables, values):
                if tuple(value.shape) != variable.shape:
                    raise saving.WeightsMismatchError(
                        f"The backup in {self.backup_dir} holds an array of shape {tuple(value.shape)} for "
                        f"'{variable.path}' of shape {variable.shape}; it was written for a different model."
                    )
            for variable, value in zip(variables, values):
                variable.assign(value)
        count = int(config.get("metric_count", 0))
        metrics = [backup.weights.array(f"{_PREFIX}metrics/{i}") for i in range(count)]
        self.model._restore_training_checkpoint(
            epoch=int(config["epoch"]), step=int(config["step"]), seed=int(config["seed"]), metrics=metrics
        )
        steps = self.params.get("steps") if self.params else None
        self._last_saved_total = int(config["epoch"]) * (steps or 0) + int(config["step"])

    def _save(self) -> None:
        checkpoint = self.model._training_checkpoint()
        arrays, config = {}, {"loom_backup": 1}
        for group, variables in self._groups().items():
            for index, variable in enumerate(variables):
                arrays[f"{_PREFIX}{group}/{index}"] = host_value(variable.value)
            config[f"{group}_count"] = len(variables)
            config[f"{group}_paths"] = [variable.path for variable in variables]
        for index, value in enumerate(checkpoint["metrics"]):
            arrays[f"{_PREFIX}metrics/{index}"] = value
        config.update(
            epoch=checkpoint["epoch"], step=checkpoint["step"], seed=checkpoint["seed"],
            metric_count=len(checkpoint["metrics"]),
        )
        os.makedirs(self.backup_dir, exist_ok=True)
        # With several processes, process 0 alone manages the files (see placement.is_writer).
        if self.double_checkpoint and is_writer() and os.path.exists(self._latest):
            os.replace(self._latest, self._previous)
        saving.write_archive(self._latest, config, arrays, {"format": "loom training backup"})

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        epoch, step = self.model._fit_position
        steps = self.params.get("steps") if self.params else None
        total = epoch * (steps or 0) + step
        if self._last_saved_total is None or total - self._last_saved_total >= self.save_freq:
            self._last_saved_total = total
            self._save()

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save()

    def on_train_end(self, logs=None):
        # Reached only when fit ends normally (early stopping included), as in Keras.
        if not self.delete_checkpoint or not is_writer():
            return
        for path in (self._latest, self._previous):
            if os.path.exists(path):
                os.remove(path)
        if os.path.isdir(self.backup_dir) and not os.listdir(self.backup_dir):
            os.rmdir(self.backup_dir)
