"""RemoteMonitor: POST each epoch's logs as JSON to an HTTP server."""

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np

from loom.callbacks.callback import Callback

# Keras (through `requests`) waits forever; a monitoring server that hangs should not stop training.
_TIMEOUT_SECONDS = 10.0


def _json_value(value):
    """A log value as JSON can hold it: arrays become numbers (a scalar) or lists."""
    if isinstance(value, (np.ndarray, np.generic)) or hasattr(value, "__array__"):
        array = np.asarray(value)
        return array.item() if array.ndim == 0 else array.tolist()
    return value


class RemoteMonitor(Callback):
    """Sends each epoch's logs to a server: an HTTP POST to ``root + path``.

    The payload is ``{"epoch": epoch, **logs}`` in JSON: sent as the body with
    content type ``application/json`` (``send_as_json=True``), or as the form
    field ``field`` of an ``application/x-www-form-urlencoded`` body. An
    unreachable server gives a warning, not an error. Keras needs the
    ``requests`` library for this; loom uses the standard library.

    Args:
        root: the server's root URL.
        path: the path, relative to ``root``, that the events are sent to.
        field: the form field holding the JSON (form bodies only).
        headers: extra HTTP headers, a dict.
        send_as_json: send the JSON as the request body instead of a form.

    Example:

    >>> monitor = RemoteMonitor(root="http://localhost:9000", send_as_json=True)
    >>> # model.fit(x, y, callbacks=[monitor])
    """

    def __init__(
        self, root="http://localhost:9000", path="/publish/epoch/end/", field="data", headers=None, send_as_json=False
    ):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch, logs=None):
        payload = {"epoch": epoch, **{key: _json_value(value) for key, value in (logs or {}).items()}}
        if self.send_as_json:
            body, content_type = json.dumps(payload).encode(), "application/json"
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(payload)}).encode()
            content_type = "application/x-www-form-urlencoded"
        request = urllib.request.Request(
            self.root + self.path, data=body, headers={"Content-Type": content_type, **(self.headers or {})}
        )
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS):
                pass
        except urllib.error.HTTPError as err:
            # loom: Keras ignores error statuses silently; the server's answer is worth a warning.
            warnings.warn(
                f"RemoteMonitor: the server at {self.root} answered HTTP {err.code} ({err.reason}).", stacklevel=2
            )
        except (urllib.error.URLError, OSError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}", stacklevel=2)
