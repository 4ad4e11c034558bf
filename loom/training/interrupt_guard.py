"""Ctrl-C while a compiled step owns the model's state.

The steps donate the state's buffers to XLA (they are updated in place), and the
new state is written back to the Variables when the call returns. A
KeyboardInterrupt between the two would leave every Variable holding a deleted
buffer: a model that can neither predict nor train again. Inside
``deferred_interrupt()`` a SIGINT is held back and raised as soon as the state is
written back, so an interrupted fit leaves the last consistent state: weights,
optimizer and metrics of the last finished call.
"""

# ``_signal``: the C functions under ``signal``, the same calls without the enum
# conversions that ``signal.signal`` adds (a measurable share of a single-batch call on a
# small model).
import _signal
import signal
import threading


class deferred_interrupt:  # noqa: N801 (used as a context manager, like contextlib's)
    """Hold SIGINT until the block ends, then deliver it to the handler that was installed."""

    def __enter__(self):
        self._received = None
        self._previous = None
        if threading.current_thread() is threading.main_thread():
            previous = _signal.getsignal(signal.SIGINT)
            if callable(previous):  # not SIG_IGN / SIG_DFL: there is a Python handler to defer
                self._previous = previous
                _signal.signal(signal.SIGINT, self._hold)
        return self

    def _hold(self, signum, frame):
        self._received = (signum, frame)

    def __exit__(self, *exc_info):
        if self._previous is not None:
            _signal.signal(signal.SIGINT, self._previous)
            if self._received is not None:
                self._previous(*self._received)  # Python's default handler raises KeyboardInterrupt
        return False
