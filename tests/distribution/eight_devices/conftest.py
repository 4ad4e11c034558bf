"""These tests need 8 devices: they run in their own pytest process, started by
``tests/distribution/test_eight_devices.py`` with
``XLA_FLAGS=--xla_force_host_platform_device_count=8``, so the rest of the suite keeps
one device. In the main session they are not collected."""

import os

if os.environ.get("LOOM_EIGHT_DEVICE_SESSION") != "1":
    collect_ignore_glob = ["test_*.py"]
