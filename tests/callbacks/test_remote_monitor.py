import http.server
import json
import threading
import urllib.parse

import numpy as np
import pytest

from loom.callbacks import CallbackList, RemoteMonitor

LOGS = [{"loss": np.float32(0.5), "accuracy": np.array(0.75)}, {"loss": 0.25, "per_class": np.array([1.0, 2.0])}]


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Records each POST (path, headers, body) on the server; answers with the server's status."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((self.path, dict(self.headers), body))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def server():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    server.requests, server.status = [], 200
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def _root(server):
    return f"http://127.0.0.1:{server.server_address[1]}"


def _run(monitor, epoch_logs=LOGS):
    callbacks = CallbackList([monitor], epochs=len(epoch_logs), steps=1, verbose=0)
    for epoch, logs in enumerate(epoch_logs):
        callbacks.on_epoch_end(epoch, dict(logs))


def test_posts_each_epoch_as_a_json_form_field(server):
    _run(RemoteMonitor(root=_root(server), field="payload"))
    assert [path for path, _, _ in server.requests] == ["/publish/epoch/end/"] * 2
    path, headers, body = server.requests[0]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = urllib.parse.parse_qs(body.decode())
    assert json.loads(form["payload"][0]) == {"epoch": 0, "loss": 0.5, "accuracy": 0.75}


def test_posts_json_bodies_with_custom_headers_and_path(server):
    _run(RemoteMonitor(root=_root(server), path="/logs", headers={"X-Run": "7"}, send_as_json=True))
    path, headers, body = server.requests[1]
    assert path == "/logs" and headers["Content-Type"] == "application/json" and headers["X-Run"] == "7"
    assert json.loads(body) == {"epoch": 1, "loss": 0.25, "per_class": [1.0, 2.0]}


def test_unreachable_server_warns_and_training_goes_on(server):
    root = _root(server)
    server.shutdown()
    server.server_close()
    with pytest.warns(UserWarning, match=f"Could not reach RemoteMonitor root server at {root}"):
        _run(RemoteMonitor(root=root), LOGS[:1])


def test_error_status_warns(server):
    server.status = 500
    with pytest.warns(UserWarning, match="answered HTTP 500"):
        _run(RemoteMonitor(root=_root(server)), LOGS[:1])
