"""Interactive logging: loom's messages (progress bars, downloads) go to stdout or to ``logging``.

The switch is ``keras.config``'s and lives in ``loom.config.switches``; it is
re-exported here as ``keras.utils`` re-exports it. On, the default, messages
are written to stdout; off, each message is one record of the ``"loom"``
logger at INFO level, which suits jobs whose output is a log file (Keras
sends them to absl's logger; loom has no absl dependency).
"""

import logging
import sys

from loom.config.switches import disable_interactive_logging as disable_interactive_logging
from loom.config.switches import enable_interactive_logging as enable_interactive_logging
from loom.config.switches import is_interactive_logging_enabled as is_interactive_logging_enabled

_logger = logging.getLogger("loom")


def print_msg(message, line_break: bool = True) -> None:
    """Write ``message`` to stdout, or log it when interactive logging is off."""
    message = str(message)
    if not is_interactive_logging_enabled():
        _logger.info(message)
        return
    text = message + "\n" if line_break else message
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:  # a stream that cannot encode the bar character
        encoding = sys.stdout.encoding or "utf-8"
        sys.stdout.write(text.replace("━", "=").encode(encoding, errors="replace").decode(encoding))
    sys.stdout.flush()
