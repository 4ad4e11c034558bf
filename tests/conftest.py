"""Shared test set-up: fixed seeds and fresh auto-names for every test."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import pytest  # noqa: E402

import loom  # noqa: E402
from loom.utils import naming  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_state():
    naming.reset_names()
    loom.utils.set_random_seed(1234)
    yield
