"""loom's persistent compilation cache: on by default, a second process running the same
fit loads its compiled programs instead of compiling them, and entries are written
atomically, checked by digest, kept per machine and bounded in size. Runs that change
the switch are subprocesses, so the switch never changes under this test session."""

import os
import stat
import subprocess
import sys
import textwrap
import threading

import pytest

import loom
from loom.config import compilation_cache

SCRIPT = textwrap.dedent(
    """
    import sys
    import jax
    import numpy as np
    import loom
    from loom import layers

    hits = []
    jax.monitoring.register_event_listener(
        lambda event, **kwargs: hits.append(event) if event == "/jax/compilation_cache/cache_hits" else None
    )
    if sys.argv[1] not in ("env", "default"):
        loom.config.enable_compilation_cache(sys.argv[1], min_compile_seconds=0)
    inputs = loom.Input((3,))
    model = loom.Model(inputs, layers.Dense(1)(layers.Dense(4, activation="relu")(inputs)))
    model.compile("adam", "mse")
    model.fit(np.ones((64, 3), "float32"), np.ones((64, 1), "float32"), epochs=1, verbose=0)
    print(loom.config.compilation_cache_directory(), len(hits))
    """
)


def _run(argument, env=None, home=None):
    environment = {**os.environ, **(env or {})}
    if home is not None:
        environment["LOOM_HOME"] = str(home)
    environment.pop("JAX_COMPILATION_CACHE_DIR", None)
    for name, value in (env or {}).items():
        environment[name] = value
    result = subprocess.run([sys.executable, "-c", SCRIPT, argument], capture_output=True, text=True, timeout=300,
                            env=environment)
    assert result.returncode == 0, result.stderr[-3000:]
    directory, hits = result.stdout.split()
    return directory, int(hits)


def test_a_second_run_loads_its_programs_from_the_cache(tmp_path):
    cache = str(tmp_path / "cache")
    directory, first_hits = _run(cache)
    assert directory.startswith(cache + os.sep) and os.listdir(directory)  # the first run wrote its programs
    _, second_hits = _run(cache)
    assert second_hits > first_hits  # (a first run may hit programs it compiled itself moments before)


def test_it_is_on_by_default_under_loom_home(tmp_path):
    directory, _ = _run("default", {"LOOM_COMPILATION_CACHE": ""}, home=tmp_path)
    assert directory.startswith(str(tmp_path / "jax_compilation_cache") + os.sep)
    assert stat.S_IMODE(os.stat(tmp_path / "jax_compilation_cache").st_mode) & 0o077 == 0  # private to the user


def test_the_environment_variable_names_a_folder_or_turns_it_off(tmp_path):
    cache = str(tmp_path / "from_env")
    directory, _ = _run("env", {"LOOM_COMPILATION_CACHE": cache})
    assert directory.startswith(cache + os.sep)
    directory, _ = _run("env", {"LOOM_COMPILATION_CACHE": "0"}, home=tmp_path / "off")
    assert directory == "None" and not (tmp_path / "off" / "jax_compilation_cache").exists()


def test_a_cache_set_up_through_jax_is_left_alone(tmp_path):
    directory, _ = _run("env", {"LOOM_COMPILATION_CACHE": "", "JAX_COMPILATION_CACHE_DIR": str(tmp_path / "jax")})
    assert directory == "None"


def test_this_session_runs_with_the_default_cache_on():
    # tests/conftest.py points LOOM_HOME at a fresh folder, so the suite runs as users do.
    assert loom.config.compilation_cache_directory() is not None
    assert loom.config.compilation_cache_directory().startswith(os.environ["LOOM_HOME"])


# --- the entry files ---------------------------------------------------------------------


def test_entries_round_trip_and_leave_no_temporary_files(tmp_path):
    files = compilation_cache.EntryFiles(str(tmp_path))
    files.put("jit_step-abc", b"program bytes")
    assert files.get("jit_step-abc") == b"program bytes"
    assert files.get("jit_other-def") is None
    assert [name for name in os.listdir(tmp_path) if name.startswith(".")] == []
    files.put("jit_step-abc", b"another program")  # an existing entry is kept, as JAX's cache does
    assert files.get("jit_step-abc") == b"program bytes"


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "empty"])
def test_a_damaged_entry_is_deleted_and_reads_as_missing(tmp_path, damage):
    files = compilation_cache.EntryFiles(str(tmp_path))
    files.put("jit_step-abc", b"program bytes" * 10)
    (path,) = [tmp_path / name for name in os.listdir(tmp_path)]
    data = bytearray(path.read_bytes())
    if damage == "flip a byte":
        data[5] ^= 0xFF
    elif damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    assert files.get("jit_step-abc") is None
    assert not path.exists()  # so the next compile writes a whole entry
    files.put("jit_step-abc", b"program bytes")
    assert files.get("jit_step-abc") == b"program bytes"


def test_a_write_cut_short_leaves_no_entry(tmp_path, monkeypatch):
    files = compilation_cache.EntryFiles(str(tmp_path))

    def fail(*args):
        raise KeyboardInterrupt  # the process interrupted between writing and renaming

    monkeypatch.setattr(compilation_cache.os, "replace", fail)
    with pytest.raises(KeyboardInterrupt):
        files.put("jit_step-abc", b"program bytes")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []
    assert files.get("jit_step-abc") is None


def test_concurrent_writers_of_one_entry_leave_one_whole_entry(tmp_path):
    files = compilation_cache.EntryFiles(str(tmp_path))
    value = os.urandom(1 << 20)
    threads = [threading.Thread(target=files.put, args=("jit_big-abc", value)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert files.get("jit_big-abc") == value
    assert len(os.listdir(tmp_path)) == 1


def test_the_least_recently_used_entries_go_past_the_size_limit(tmp_path):
    files = compilation_cache.EntryFiles(str(tmp_path), max_bytes=3 * 1100)
    for index in range(3):
        files.put(f"jit_{index}-abc", bytes(1000))
        os.utime(tmp_path / f"jit_{index}-abc.xla-entry", (1000 + index, 1000 + index))
    files.get("jit_0-abc")  # used again: now the most recent
    files.put("jit_3-abc", bytes(1000))
    remaining = sorted(os.listdir(tmp_path))
    assert "jit_0-abc.xla-entry" in remaining and "jit_3-abc.xla-entry" in remaining
    assert "jit_1-abc.xla-entry" not in remaining  # the oldest unused one went first


def test_keys_that_are_not_plain_file_names_are_refused(tmp_path):
    files = compilation_cache.EntryFiles(str(tmp_path))
    for key in ("", "../escape", ".hidden"):
        with pytest.raises(ValueError, match="plain file name"):
            files.put(key, b"x")


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_folder_others_can_write_to_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    before = loom.config.compilation_cache_directory()
    with pytest.warns(UserWarning, match="others may write"):
        assert loom.config.enable_compilation_cache(str(shared)) is None
    assert loom.config.compilation_cache_directory() == before  # the session's cache is unchanged


def test_the_machine_fingerprint_is_stable_and_short():
    assert compilation_cache.machine_fingerprint() == compilation_cache.machine_fingerprint()
    assert len(compilation_cache.machine_fingerprint()) == 16
