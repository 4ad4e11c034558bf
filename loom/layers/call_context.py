"""The call context: the training flag and entry layer shared by nested layer calls."""

import contextlib
import threading

_local = threading.local()


class CallContext:
    """One frame per layer call: the resolved ``training`` flag and the outermost layer."""

    __slots__ = ("training", "entry_layer")

    def __init__(self, training, entry_layer):
        self.training = training
        self.entry_layer = entry_layer


def current() -> CallContext | None:
    stack = getattr(_local, "stack", None)
    return stack[-1] if stack else None


@contextlib.contextmanager
def enter(layer, training):
    """Make ``training`` visible to layers called inside ``layer.call``."""
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    outer = stack[-1] if stack else None
    frame = CallContext(training, outer.entry_layer if outer else layer)
    stack.append(frame)
    try:
        yield frame
    finally:
        stack.pop()
