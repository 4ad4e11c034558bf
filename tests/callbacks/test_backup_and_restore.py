"""BackupAndRestore: an interrupted run (an exception, or a killed process) resumes exactly."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import loom
from loom.layers import Dense, Dropout, Input

SCRIPT = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    import loom
    from loom.layers import Dense, Dropout, Input

    backup_dir, out, marker, slow = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    loom.utils.set_random_seed(5)
    x = np.random.default_rng(0).random((96, 4)).astype("float32")
    y = (x @ np.arange(4.0)[:, None]).astype("float32")
    inputs = Input((4,))
    model = loom.Model(inputs, Dense(1)(Dropout(0.1)(Dense(16, activation="relu")(inputs))))
    model.compile("adam", "mse", metrics=["mae"], steps_per_execution=2)

    class Marker(loom.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            with open(marker, "a") as f:
                f.write(f"{self.model._fit_position}\\n")
            time.sleep(slow)

    history = model.fit(x, y, batch_size=16, epochs=4, verbose=0, callbacks=[
        loom.callbacks.BackupAndRestore(backup_dir, save_freq=2), Marker()])
    np.savez(out, *model.get_weights(), loss=np.array(history.history["loss"]))
    """
)


def run_script(tmp_path, name, slow=0.0, kill_after_lines=None):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    marker = tmp_path / f"{name}.marker"
    out = tmp_path / f"{name}.npz"
    args = [sys.executable, str(script), str(tmp_path / f"{name}_backup"), str(out), str(marker), str(slow)]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if kill_after_lines is not None:
        deadline = time.time() + 120
        while time.time() < deadline and process.poll() is None:
            if marker.exists() and len(marker.read_text().splitlines()) >= kill_after_lines:
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.05)
        process.communicate()
        assert process.returncode == -signal.SIGKILL, "the run finished before it could be killed"
        return None
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err.decode()[-3000:]
    return np.load(out)


def test_a_killed_process_resumes_to_the_same_result(tmp_path):
    reference = run_script(tmp_path, "reference")
    # Kill in the middle of epoch 2 (6 batches per epoch; 2 per compiled call).
    run_script(tmp_path, "interrupted", slow=0.3, kill_after_lines=5)
    assert os.path.exists(tmp_path / "interrupted_backup" / "backup.loom")
    (tmp_path / "interrupted.marker").unlink()
    resumed = run_script(tmp_path, "interrupted")
    for key in reference.files:
        if key != "loss":
            np.testing.assert_array_equal(resumed[key], reference[key])
    # The resumed run reports the epochs it ran; their losses equal the reference's.
    np.testing.assert_array_equal(resumed["loss"], reference["loss"][-len(resumed["loss"]):])
    assert not os.path.exists(tmp_path / "interrupted_backup")  # removed after a finished run


def build():
    loom.utils.set_random_seed(3)
    inputs = Input((4,))
    model = loom.Model(inputs, Dense(1)(Dropout(0.1)(Dense(8, activation="relu")(inputs))))
    model.compile("adam", "mse", steps_per_execution=3)
    return model


def test_an_exception_mid_epoch_then_a_rerun_equals_an_uninterrupted_run(tmp_path):
    x = np.random.default_rng(1).random((80, 4)).astype("float32")
    y = x.sum(1, keepdims=True)
    reference = build()
    reference.fit(x, y, batch_size=8, epochs=3, verbose=0)

    class Crash(loom.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.model._fit_position == (1, 6):
                raise KeyboardInterrupt

    backup = loom.callbacks.BackupAndRestore(tmp_path / "b", save_freq=3)
    model = build()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[backup, Crash()])
    again = build()
    again.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[loom.callbacks.BackupAndRestore(tmp_path / "b", save_freq=3)])
    for a, b in zip(reference.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_epoch_backups_and_double_checkpoint(tmp_path):
    x = np.random.default_rng(2).random((40, 4)).astype("float32")
    y = x.sum(1, keepdims=True)

    class StopAfter(loom.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("stop")

    model = build()
    with pytest.raises(RuntimeError):
        model.fit(x, y, epochs=4, verbose=0, callbacks=[
            loom.callbacks.BackupAndRestore(tmp_path / "d", double_checkpoint=True, delete_checkpoint=False), StopAfter()])
    assert (tmp_path / "d" / "backup.loom").exists() and (tmp_path / "d" / "backup.previous.loom").exists()
    (tmp_path / "d" / "backup.loom").write_bytes(b"torn")  # a damaged latest backup
    resumed = build()
    history = resumed.fit(x, y, epochs=4, verbose=0, callbacks=[
        loom.callbacks.BackupAndRestore(tmp_path / "d", double_checkpoint=True)])
    assert len(history.history["loss"]) == 3  # resumed after epoch 1 (from the previous backup)


def test_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="`backup_dir` must be a folder"):
        loom.callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="`save_freq` must be 'epoch' or a positive int"):
        loom.callbacks.BackupAndRestore(tmp_path, save_freq=-1)
    (tmp_path / "x").mkdir()
    loom.saving.write_archive(tmp_path / "x" / "backup.loom", {"something": "else"}, {}, {})
    model = build()
    with pytest.raises(loom.saving.ConfigError, match="not a loom training backup"):
        model.fit(np.ones((4, 4)), np.ones((4, 1)), verbose=0, callbacks=[loom.callbacks.BackupAndRestore(tmp_path / "x")])
