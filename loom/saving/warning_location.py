"""Where saving's warnings point: the user's line that called into loom, not loom's own."""

import sys


def user_stacklevel() -> int:
    """The ``stacklevel`` of the first caller outside loom (the user's line), for warnings."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("loom."):
        frame, level = frame.f_back, level + 1
    return level
