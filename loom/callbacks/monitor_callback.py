"""MonitorCallback: the shared base of callbacks that watch a metric for improvement."""

import numbers
import operator
import warnings

from loom.callbacks.callback import Callback


def check_non_negative_int(owner: str, name: str, value) -> None:
    """Raises a ValueError naming ``owner`` unless ``value`` is an int >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{owner}: `{name}` must be an int >= 0; received {name}={value!r}.")


def check_real(owner: str, name: str, value) -> None:
    """Raises a TypeError naming ``owner`` unless ``value`` is a real number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: `{name}` must be a number; received {name}={value!r}.")


def _metric_direction(metrics, name: str) -> str | None:
    """The ``_direction`` ("up" / "down") of the metric called ``name``, searching nested metric lists."""
    for metric in metrics or []:
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)):
            direction = _metric_direction(inner, name)
            if direction is not None:
                return direction
        if getattr(metric, "name", None) == name and getattr(metric, "_direction", None) in ("up", "down"):
            return metric._direction
    return None


class MonitorCallback(Callback):
    """Watches ``logs[monitor]`` and decides whether a new value improves on a reference.

    Args:
        monitor: the log key to watch, e.g. ``"val_loss"``.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (a loss is minimised; other
            metrics follow the direction their metric object declares).
        baseline: the initial best value; None uses the first value seen.
        min_delta: the smallest change that counts as an improvement.

    Raises:
        ValueError: at the first epoch's end, when ``mode="auto"`` cannot tell
            the direction of ``monitor``.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        owner = type(self).__name__
        if not isinstance(monitor, str):
            raise TypeError(f"{owner}: `monitor` must be a log key such as 'val_loss'; received monitor={monitor!r}.")
        check_real(owner, "min_delta", min_delta)
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{owner} mode '{mode}' is unknown, falling back to mode='auto'. Use 'min', 'max' or 'auto'.",
                stacklevel=3,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self) -> None:
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            metric_name = self.monitor.removeprefix("val_")
            # Keras 3 recognises "loss" only; per-output losses ("dense_loss") are minimised too.
            if metric_name == "loss" or metric_name.endswith("_loss"):
                self.monitor_op = operator.lt
            direction = _metric_direction(getattr(self.model, "metrics", None), metric_name)
            if direction is not None:
                self.monitor_op = operator.gt if direction == "up" else operator.lt
            if self.monitor_op is None:
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor}, but loom cannot "
                    "tell whether that metric should be maximized or minimized. Pass `mode='max'` "
                    "to monitor the highest value, or `mode='min'` for the lowest."
                )
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value, reference_value) -> bool:
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))
