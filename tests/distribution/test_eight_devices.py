"""Runs ``eight_devices/`` in its own pytest process on 8 simulated CPU devices.

JAX fixes the device count when it starts, so the sharded tests cannot share this
session (which keeps one device for the rest of the suite)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_eight_device_tests_pass():
    env = dict(os.environ)
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8").strip()
    env["LOOM_EIGHT_DEVICE_SESSION"] = "1"
    env["JAX_PLATFORMS"] = "cpu"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "-n",
        "0",
        "tests/distribution/eight_devices",
    ]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    summary = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, summary
    assert " passed" in result.stdout and "failed" not in result.stdout.splitlines()[-1], summary
