"""Progbar: a Keras-style progress line, redrawn in place with rich when stdout is a terminal.

In a terminal (or a Jupyter kernel) the line is redrawn on each update::

    12/32 ━━━━━━━━━━━━━━━━━━━━ 1s 5ms/step - accuracy: 0.8731 - loss: 0.3120

Elsewhere (CI logs, files, pytest capture) only the final line is written, so
logs hold one line per epoch instead of one per update. With interactive
logging off (``loom.utils.disable_interactive_logging()``) that final line is
a record of the ``"loom"`` logger instead.
"""

import os
import sys
import time

import numpy as np
from rich.console import Console
from rich.text import Text

from loom.utils.interactive_logging import is_interactive_logging_enabled, print_msg

_BAR = "━"


def is_dynamic_display() -> bool:
    """Whether stdout can redraw a line in place: a terminal or a Jupyter kernel.

    ``TTY_COMPATIBLE=1`` / ``TTY_COMPATIBLE=0`` (rich's convention) force the answer.
    False while interactive logging is off: a log takes lines, not redraws.
    """
    if not is_interactive_logging_enabled():
        return False
    # Keras also treats every POSIX system as dynamic, which floods CI logs with
    # redraws; loom asks the stream itself.
    tty_compatible = os.environ.get("TTY_COMPATIBLE", "")
    if tty_compatible in ("0", "1"):
        return tty_compatible == "1"
    if "ipykernel" in sys.modules:
        return True
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except ValueError:  # a closed stream
        return False


def format_time_per_unit(seconds: float, unit_name: str) -> str:
    """``0.0021, "step"`` -> ``"2ms/step"`` (s, ms or us, as Keras shows it)."""
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


def _format_eta(seconds: float) -> str:
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


def _format_value(total, count) -> str:
    if isinstance(total, str):
        return total
    try:
        average = float(np.mean(total)) / max(1, count)
    except (TypeError, ValueError):
        return str(total)
    return f"{average:.4f}" if abs(average) > 1e-3 else f"{average:.4e}"


class Progbar:
    """Displays a progress bar.

    If neither ``stateful_metrics`` nor ``stateless_metrics`` is given, every
    metric is averaged over the steps by the bar before display.

    Args:
        target: total number of steps expected, None if unknown.
        width: width of the bar, in characters.
        verbose: 0 (silent), 1 (a bar redrawn in place; elsewhere the final
            line only) or 2 (the final line only).
        interval: minimum time between redraws, in seconds.
        stateful_metrics: names of metrics shown as given, not averaged.
            Do not combine with ``stateless_metrics``.
        stateless_metrics: names of metrics that are averaged; all others are
            shown as given. Do not combine with ``stateful_metrics``.
        unit_name: what a step is called in the time per step ("step", "sample").

    Example:

    >>> bar = Progbar(3, verbose=2)
    >>> for step in range(3):
    ...     bar.update(step + 1, [("loss", 0.5)])  # doctest: +ELLIPSIS
    3/3 - 0s - ...s/step - loss: 0.5000
    """

    def __init__(
        self,
        target,
        width=20,
        verbose=1,
        interval=0.05,
        stateful_metrics=None,
        stateless_metrics=None,
        unit_name="step",
    ):
        if verbose not in (0, 1, 2):
            raise ValueError(f"Progbar: `verbose` must be 0, 1 or 2; received verbose={verbose!r}.")
        if not isinstance(width, int) or width < 1:
            raise ValueError(f"Progbar: `width` must be a positive int; received width={width!r}.")
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Progbar: pass only one of `stateful_metrics` (metrics shown as given; "
                "the rest averaged) or `stateless_metrics` (metrics averaged; the rest "
                "shown as given); received both."
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = None if stateless_metrics is not None else set(stateful_metrics or ())
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self._dynamic_display = is_dynamic_display()
        self._console = Console(force_terminal=True, force_jupyter=False) if self._dynamic_display else None
        self._values = {}  # name -> [weighted sum, weight], in the order first seen
        self._seen_so_far = 0
        self._start = time.time()
        self._last_update = 0.0
        self._first_update = None  # (time, step) of the first update past step 0
        self._previous_width = 0

    def update(self, current, values=None, finalize=None):
        """Moves the bar to step ``current``.

        Args:
            current: index of the current step (1 after the first step).
            values: list of ``(name, value_for_last_step)`` tuples. A stateful
                metric is shown as given, any other is averaged over the steps.
            finalize: whether this is the last update; defaults to
                ``current >= target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._record(current, values or [], finalize)
        now = time.time()
        time_per_unit = self._estimate_step_duration(current, now)
        if self.verbose == 1:
            if not finalize and (not self._dynamic_display or now - self._last_update < self.interval):
                return
            self._draw_bar(current, now, time_per_unit, finalize)
        elif self.verbose == 2 and finalize:
            self._write(self._summary_line(current, now, time_per_unit) + "\n")
        self._last_update = now

    def add(self, n, values=None):
        """Moves the bar ``n`` steps forward."""
        self.update(self._seen_so_far + n, values)

    def _record(self, current, values, finalize) -> None:
        for name, value in values:
            if self.stateful_metrics is not None:
                averaged = name not in self.stateful_metrics
            else:
                averaged = name in self.stateless_metrics
            if averaged and not finalize and not isinstance(value, str):
                # Weight by the steps since the last update: one update may cover a whole chunk.
                weight = max(current - self._seen_so_far, 1)
                total, count = self._values.get(name, (0, 0))
                self._values[name] = [total + value * weight, count + weight]
            else:
                self._values[name] = [value, 1]
        self._seen_so_far = current

    def _estimate_step_duration(self, current, now) -> float:
        """Seconds per step, leaving out the first update (it holds compilation) when possible."""
        if not current:
            return 0.0
        if self._first_update is None:
            self._first_update = (now, current)
        first_time, first_step = self._first_update
        if current > first_step:
            return (now - first_time) / (current - first_step)
        return (now - self._start) / current

    def _counter(self, current) -> str:
        if self.target is None or self.target <= 0:
            return "%7d/Unknown" % current
        return "%*d/%d" % (len(str(int(self.target))), current, self.target)

    def _metrics_text(self) -> str:
        return "".join(f" - {name}: {_format_value(*self._values[name])}" for name in self._values)

    def _bar_line(self, current, now, time_per_unit, finalize) -> Text:
        line = Text()
        line.append(self._counter(current), style="bold")
        known_target = self.target is not None and self.target > 0
        if known_target:
            done = min(int(self.width * current / self.target), self.width)
            line.append(" ")
            line.append(_BAR * done, style="green")
            line.append(_BAR * (self.width - done), style="grey37")
        if known_target and not finalize:
            clock = _format_eta(time_per_unit * (self.target - current))
        else:
            clock = f"{now - self._start:.0f}s"
        line.append(f" {clock}", style="bold")
        line.append(f" {format_time_per_unit(time_per_unit, self.unit_name)}")
        line.append(self._metrics_text())
        return line

    def _summary_line(self, current, now, time_per_unit) -> str:
        timing = format_time_per_unit(time_per_unit, self.unit_name)
        return f"{self._counter(current)} - {now - self._start:.0f}s - {timing}{self._metrics_text()}"

    def _draw_bar(self, current, now, time_per_unit, finalize) -> None:
        line = self._bar_line(current, now, time_per_unit, finalize)
        if not self._dynamic_display:
            self._write(line.plain + "\n")
            return
        if not finalize:
            # A line wider than the terminal would wrap, and "\r" could not redraw it. The
            # final line is never redrawn, so it keeps every metric.
            line.truncate(max(self._console.width - 1, 1), overflow="ellipsis")
        with self._console.capture() as capture:
            self._console.print(line, end="", soft_wrap=True)
        padding = " " * max(self._previous_width - line.cell_len, 0)
        self._write("\r" + capture.get() + padding + ("\n" if finalize else ""))
        self._previous_width = line.cell_len

    @staticmethod
    def _write(message: str) -> None:
        if is_interactive_logging_enabled():
            print_msg(message, line_break=False)
        else:
            print_msg(message.strip("\r\n"))  # one log record per line, without redraw codes
