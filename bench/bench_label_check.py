"""What checking sparse labels costs (issue 13): the host check that refuses labels out of
range or not integers, against the train_on_batch call it guards and on a large label array.

Run: python bench/bench_label_check.py
"""

import sys
import time

import numpy as np

import common  # noqa: F401  (sets KERAS_BACKEND before loom is imported)
import loom
from loom import layers
from loom.training.compiled_run import check_sparse_labels


def _per_call_ms(function, calls: int) -> float:
    function()
    started = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - started) / calls * 1e3


def main() -> None:
    inputs = loom.Input((16,))
    model = loom.Model(inputs, layers.Dense(10, activation="softmax")(layers.Dense(32, activation="relu")(inputs)))
    model.compile("adam", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 16)).astype("float32"), rng.integers(0, 10, 32)
    model.train_on_batch(x, y)
    training = model._training
    rows = [("train_on_batch (ms per call)", _per_call_ms(lambda: model.train_on_batch(x, y), 500))]
    rows.append(("label check of its 32 labels (ms)", _per_call_ms(lambda: check_sparse_labels(training, [y]), 2000)))
    big = [rng.integers(0, 10, 1_000_000)]
    rows.append(("label check of 1M labels, once per fit (ms)", _per_call_ms(lambda: check_sparse_labels(training, big), 20)))
    rows.append(("share of a train_on_batch call", f"{rows[1][1] / rows[0][1]:.1%}"))
    common.print_table("sparse-label check", [(name, value if isinstance(value, str) else f"{value:.4f}") for name, value in rows])


if __name__ == "__main__":
    sys.exit(main())
