"""Two processes on localhost train one model under DataParallel (jax.distributed with a
coordinator on 127.0.0.1, 2 simulated CPU devices each): the result equals one process
on all the rows; files are written once, by process 0; a run killed after a backup and
restarted ends bitwise where the uninterrupted run ended."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

PROGRAM = Path(__file__).parent / "programs" / "two_process_fit.py"
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(mode: str, work_dir: Path, processes: int = 2) -> list:
    port = str(_free_port())
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    started = [
        subprocess.Popen(
            [sys.executable, str(PROGRAM), str(index), port, str(work_dir), mode],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for index in range(processes)
    ]
    results = []
    for process in started:
        try:
            output, _ = process.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            for other in started:
                other.kill()
            raise
        results.append((process.returncode, output))
    return results


def _weights(work_dir: Path, tag: str) -> list:
    with np.load(work_dir / f"{tag}.npz") as stored:
        return [stored[f"arr_{i}"] for i in range(len(stored.files) - 1)], stored["predictions"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp("two_processes")
    outcome = {}
    for mode, processes in (("full", 2), ("single", 1), ("killed", 2), ("resumed", 2)):
        outcome[mode] = _run(mode, work_dir, processes)
    return work_dir, outcome


def test_both_processes_finish_and_see_four_devices(runs):
    work_dir, outcome = runs
    for mode in ("full", "resumed"):
        for code, output in outcome[mode]:
            assert code == 0, output[-3000:]
    for index in (0, 1):
        assert json.loads((work_dir / f"full_{index}.json").read_text())["devices"] == 4


def test_two_processes_train_as_one_process_on_all_rows(runs):
    work_dir, _ = runs
    single, single_predictions = _weights(work_dir, "single_0")
    for index in (0, 1):
        weights, predictions = _weights(work_dir, f"full_{index}")
        # 4 devices against 2: the same sums in another order (float32 rounding).
        for a, b in zip(single, weights):
            np.testing.assert_allclose(b, a, rtol=2e-5, atol=2e-6)
        # Each process gets the predictions of the rows it passed.
        rows = slice(index * 32, index * 32 + 32)
        np.testing.assert_allclose(predictions, single_predictions[rows], rtol=2e-5, atol=2e-6)
    single_loss = json.loads((work_dir / "single_0.json").read_text())["loss"]
    assert json.loads((work_dir / "full_0.json").read_text())["loss"] == pytest.approx(single_loss, rel=1e-5)


def test_the_model_file_is_written_once_and_loads_on_one_device(runs):
    work_dir, _ = runs
    import loom

    leftovers = [p.name for p in work_dir.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    model = loom.models.load_model(work_dir / "model.loom")
    weights, _ = _weights(work_dir, "full_0")
    for a, b in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_killed_two_process_run_resumes_bitwise(runs):
    work_dir, outcome = runs
    assert [code for code, _ in outcome["killed"]] == [17, 17], [o[-2000:] for _, o in outcome["killed"]]
    # The restarted run continued from the backup: it ran the last two epochs only.
    full_loss = json.loads((work_dir / "full_0.json").read_text())["loss"]
    assert json.loads((work_dir / "resumed_0.json").read_text())["loss"] == full_loss[2:]
    for index in (0, 1):
        full, full_predictions = _weights(work_dir, f"full_{index}")
        resumed, resumed_predictions = _weights(work_dir, f"resumed_{index}")
        for a, b in zip(full, resumed):
            np.testing.assert_array_equal(b, a)
        np.testing.assert_array_equal(resumed_predictions, full_predictions)
