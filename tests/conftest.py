"""Shared test set-up: fixed seeds and fresh auto-names for every test."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("KERAS_BACKEND", "jax")
# loom reads keras.json defaults (floatx, image_data_format) from LOOM_HOME: an empty
# folder here, so a developer's own ~/.keras/keras.json cannot change what tests see.
if "LOOM_HOME" not in os.environ:
    os.environ["LOOM_HOME"] = tempfile.mkdtemp(prefix="loom_home_")
    atexit.register(shutil.rmtree, os.environ["LOOM_HOME"], True)

import pytest

import loom
from loom.utils import naming


@pytest.fixture(autouse=True)
def _fresh_state():
    naming.reset_names()
    loom.utils.set_random_seed(1234)
    yield


def pytest_terminal_summary(terminalreporter):
    """After a run that included the Keras-coverage test, print the coverage per namespace."""
    ran = any(
        getattr(report, "nodeid", "").startswith("tests/test_keras_coverage.py")
        for reports in terminalreporter.stats.values()
        for report in reports
    )
    if not ran:
        return
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "tools" / "keras_coverage.py"
    spec = importlib.util.spec_from_file_location("keras_coverage", path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    try:
        import keras
    except ImportError:  # the coverage tests were skipped
        return
    terminalreporter.section("Keras coverage (tools/keras_coverage.py)")
    for line in tool.format_table(tool.coverage(keras, loom), keras.__version__).splitlines():
        terminalreporter.write_line(line)
