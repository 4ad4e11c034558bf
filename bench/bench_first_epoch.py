"""The first fit epoch of a new process, as a user running a script meets it: loom with
an empty compilation cache, loom again with the cache the first run left (its default),
and Keras 3 (JAX backend), which keeps no such cache.

Each measurement is its own Python process: build the seed model, compile it, and time
``fit(epochs=1)`` (set-up and compiling included). Rounds alternate the contenders; the
table shows the median seconds and the range.

Run: python bench/bench_first_epoch.py [--rounds R] [--seed NAME] [--mobilenet]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

import common
import seed_cases

CHILD = """
import sys, time
sys.path.insert(0, {bench!r})
import numpy as np
if {name!r} == MOBILENET:
    import bench_applications
    if {keras!r}:
        import keras as library
    else:
        import loom as library
        import loom.applications
    model = bench_applications.build(library)
    x, y, batch_size = bench_applications.data()
else:
    import seed_cases
    case = [c for c in seed_cases.cases() if c.name == {name!r}][0]
    model = case.make_keras() if {keras!r} else case.make_loom()
    model.compile("adam", case.loss)
    x, y, batch_size = case.x, case.y, 32
started = time.perf_counter()
model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
print("SECONDS", time.perf_counter() - started)
""".replace("MOBILENET", repr("MobileNetV2"))


def _seconds(name: str, keras: bool, cache: str | None) -> float:
    env = dict(os.environ, KERAS_BACKEND="jax")
    env["LOOM_COMPILATION_CACHE"] = cache or "0"
    script = CHILD.format(bench=os.path.dirname(os.path.abspath(__file__)), name=name, keras=keras)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    line = [line for line in result.stdout.splitlines() if line.startswith("SECONDS")][-1]
    return float(line.split()[1])


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", help="only the cases whose name contains this")
    parser.add_argument("--mobilenet", action="store_true", help="also MobileNetV2 (bench_applications.py's set-up)")
    args = parser.parse_args(argv)
    with_keras = common.keras_available()
    names = [case.name for case in seed_cases.cases()] + (["MobileNetV2"] if args.mobilenet else [])
    for name in names:
        if args.seed and args.seed not in name:
            continue
        times = {"loom, empty cache": [], "loom, cache from the last run": [], "Keras": []}
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as cache:
                times["loom, empty cache"].append(_seconds(name, False, cache))
                times["loom, cache from the last run"].append(_seconds(name, False, cache))
            if with_keras:
                times["Keras"].append(_seconds(name, True, None))
        rows = []
        for label, values in times.items():
            if values:
                spread = f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"
                rows.append((f"first epoch s: {label}", spread))
        if times["Keras"]:
            keras = statistics.median(times["Keras"])
            for label in ("loom, empty cache", "loom, cache from the last run"):
                rows.append((f"Keras / {label}", f"{keras / statistics.median(times[label]):.2f}x"))
        common.print_table(f"{name}: first fit epoch of a new process, {args.rounds} rounds", rows)


if __name__ == "__main__":
    sys.exit(main())
