"""loom.config.enable_compilation_cache: a second process running the same fit loads its
compiled programs from the cache instead of compiling them. Each run is a subprocess, so
the switch never touches this test session."""

import os
import subprocess
import sys
import textwrap

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
    if sys.argv[1] != "env":
        loom.config.enable_compilation_cache(sys.argv[1], min_compile_seconds=0)
    inputs = loom.Input((3,))
    model = loom.Model(inputs, layers.Dense(1)(layers.Dense(4, activation="relu")(inputs)))
    model.compile("adam", "mse")
    model.fit(np.ones((64, 3), "float32"), np.ones((64, 1), "float32"), epochs=1, verbose=0)
    print(loom.config.compilation_cache_directory(), len(hits))
    """
)


def _run(argument, env=None):
    result = subprocess.run([sys.executable, "-c", SCRIPT, argument], capture_output=True, text=True, timeout=300,
                            env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stderr[-3000:]
    directory, hits = result.stdout.split()
    return directory, int(hits)


def test_a_second_run_loads_its_programs_from_the_cache(tmp_path):
    cache = str(tmp_path / "cache")
    directory, first_hits = _run(cache)
    assert directory == cache and os.listdir(cache)  # the first run wrote its programs
    _, second_hits = _run(cache)
    assert second_hits > first_hits  # (a first run may hit programs it compiled itself moments before)


def test_the_environment_variable_turns_it_on(tmp_path):
    cache = str(tmp_path / "from_env")
    directory, _ = _run("env", {"LOOM_COMPILATION_CACHE": cache})
    assert directory == cache and os.path.isdir(cache)  # (entries only for programs that took >= 0.5 s)


def test_it_is_off_by_default():
    import loom

    assert loom.config.compilation_cache_directory() is None
