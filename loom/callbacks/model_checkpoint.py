"""ModelCheckpoint: save the model (or its weights) during training, atomically."""

import os
import warnings

from loom.callbacks.monitor_callback import MonitorCallback

_MODEL_SUFFIXES = (".keras", ".loom")
_WEIGHTS_SUFFIXES = (".weights.h5", ".safetensors", ".weights.safetensors")


class ModelCheckpoint(MonitorCallback):
    """Saves the model or its weights at the end of epochs or every ``save_freq`` batches.

    Each file is written to a temporary file in the same folder and renamed into
    place, so an interrupted save leaves the previous checkpoint intact.

    Args:
        filepath: where to save; may contain ``{epoch}``, ``{batch}`` (with an int
            ``save_freq``) and any log key, e.g. ``"ckpt-{epoch:02d}-{val_loss:.2f}.keras"``.
            A whole model needs ``.keras`` or ``.loom``; weights need ``.weights.h5``
            or ``.safetensors`` (loom writes safetensors either way).
        monitor: the log key compared when ``save_best_only``.
        verbose: 1 prints a line per save.
        save_best_only: save only when ``monitor`` improves.
        save_weights_only: save weights (``model.save_weights``) instead of the model.
        mode: "auto", "min" or "max" for ``monitor``.
        save_freq: "epoch", or an int: save after that many batches.
        initial_value_threshold: the value ``monitor`` must beat for the first save.
    """

    def __init__(
        self,
        filepath,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq="epoch",
        initial_value_threshold=None,
    ):
        super().__init__(monitor=monitor, mode=mode, baseline=initial_value_threshold)
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1):
            raise ValueError(
                f"ModelCheckpoint: `save_freq` must be 'epoch' or a positive int (batches); received {save_freq!r}."
            )
        self.save_freq = save_freq
        suffixes = _WEIGHTS_SUFFIXES if save_weights_only else _MODEL_SUFFIXES
        if not self.filepath.endswith(suffixes):
            kind = "save_weights_only=True" if save_weights_only else "saving the whole model"
            raise ValueError(
                f"ModelCheckpoint: when {kind}, `filepath` must end in one of {list(suffixes)}; "
                f"received filepath={self.filepath!r}."
            )
        self._batches_since_save = 0
        # Epoch-level saving is content with one batch call per compiled chunk.
        self._chunk_level_batch_hooks = save_freq == "epoch"

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        position = getattr(self.model, "_fit_position", None)
        steps = self.params.get("steps") if self.params else None
        total = position[0] * (steps or 0) + position[1] if position is not None else batch + 1
        last = getattr(self, "_last_saved_total", 0)
        if total - last >= self.save_freq:
            self._last_saved_total = total
            self._save(position[0] if position else 0, batch, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    def _path(self, epoch: int, batch, logs: dict) -> str:
        values = dict(logs)
        try:
            if batch is None:
                return self.filepath.format(epoch=epoch + 1, **values)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **values)
        except KeyError as err:
            raise KeyError(
                f"ModelCheckpoint: `filepath` {self.filepath!r} names {err}, which is not in the logs "
                f"(available: {sorted(['epoch'] + list(values))})."
            ) from None

    def _save(self, epoch: int, batch, logs: dict) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        path = self._path(epoch, batch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(
                    f"ModelCheckpoint: can save best model only with {self.monitor} available; the logs have "
                    f"{sorted(logs)}. Skipping.",
                    stacklevel=2,
                )
                return
            if not self._is_improvement(current, self.best):
                if self.verbose:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose:
                previous = "inf" if self.best is None else f"{self.best:.5f}"
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {previous} to {current:.5f}, saving to {path}")
            self.best = current
        elif self.verbose:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)
