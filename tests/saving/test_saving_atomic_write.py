"""Writes replace files atomically: a failure or a SIGKILL leaves the old or the new complete file."""

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import loom
from loom.saving.atomic_write import atomic_open, atomic_write_bytes


def test_atomic_write_replaces_the_file(tmp_path):
    path = tmp_path / "f.bin"
    atomic_write_bytes(path, b"old")
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["f.bin"]


def test_a_failing_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="interrupted"):
        with atomic_open(path) as handle:
            handle.write(b"half of the ne")
            raise RuntimeError("interrupted")
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f.bin"]


def test_permissions_of_an_existing_file_are_kept(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    atomic_write_bytes(path, b"new")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_new_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "f.bin", b"x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "f.bin").st_mode) == 0o644


def test_writing_into_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        atomic_write_bytes(tmp_path / "missing" / "f.bin", b"x")


_SAVER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import loom

    inputs = loom.Input((512,), name="x")
    hidden = loom.layers.Dense(2048, name="big")(inputs)  # ~4 MiB of weights per layer
    outputs = loom.layers.Dense(1024, name="bigger")(hidden)
    model = loom.Model(inputs, outputs)
    step = 0
    while True:
        model.set_weights([np.full(w.shape, step, w.dtype) for w in model.get_weights()])
        model.save(sys.argv[1])
        print(step, flush=True)
        step += 1
    """
)


def test_a_process_killed_while_saving_leaves_a_complete_file(tmp_path):
    path = tmp_path / "model.keras"
    script = tmp_path / "saver.py"
    script.write_text(_SAVER)
    environment = {**os.environ, "JAX_PLATFORMS": "cpu"}
    with subprocess.Popen(
        [sys.executable, str(script), str(path)], stdout=subprocess.PIPE, text=True, env=environment
    ) as process:
        try:
            saved = [int(process.stdout.readline()) for _ in range(3)]  # the loop is running
            assert saved == [0, 1, 2]
            time.sleep(np.random.default_rng().uniform(0.0, 0.2))  # land somewhere inside a save
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
    assert process.returncode == -signal.SIGKILL
    model = loom.models.load_model(path)
    values = {float(np.unique(w)[0]) for w in model.get_weights()}
    assert len(values) == 1 and values.pop() >= 2  # one complete save, not a mix of two
    stray = [name for name in os.listdir(tmp_path) if name not in ("model.keras", "saver.py")]
    assert all(name.startswith(".model.keras.") and name.endswith(".tmp") for name in stray)
