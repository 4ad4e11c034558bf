"""Shared benchmark helpers: timing loom, hand-written JAX and Keras in one process.

Every contender is a *runner*: a function ``run(epochs) -> steps/s`` that is already
compiled. ``compare`` times the runners in interleaved rounds (loom, then the
hand-written loops, then Keras, again and again), so a change in machine load
hits all of them alike, and reports each ratio as the median of per-round ratios.
"""

import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import loom  # noqa: E402


class EpochTimer(loom.callbacks.Callback):
    """Wall time of every epoch of a loom fit."""

    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._start)


def _steps_per_epoch(x, batch_size: int) -> int:
    return -(-len(jax.tree_util.tree_leaves(x)[0]) // batch_size)


def loom_fit_runner(model, x, y, batch_size):
    """(first-epoch seconds incl. compiling, runner) for ``model.fit``; the runner's
    rate is steps over the median epoch time, what the progress bar shows."""
    steps, timer = _steps_per_epoch(x, batch_size), EpochTimer()
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, callbacks=[timer])
    first = timer.times[0]

    def run(epochs):
        model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[timer])
        return steps / statistics.median(timer.times)

    return first, run


def keras_fit_runner(model, x, y, batch_size):
    """(first-epoch seconds incl. compiling, runner) for a Keras model's fit, timed like loom's."""
    import keras

    class Timer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self._start)

    steps, timer = _steps_per_epoch(x, batch_size), Timer()
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, callbacks=[timer])
    first = timer.times[0]

    def run(epochs):
        model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[timer])
        return steps / statistics.median(timer.times)

    return first, run


def scan_epoch_runner(step, state, data, batch_size):
    """(first-call seconds, runner) for a hand-written ``lax.scan`` over shuffled epochs.

    ``step(state, batch) -> (state, loss)``; ``data`` is a pytree of device arrays with
    samples on axis 0. Epochs are dispatched back to back with no host sync between
    them, the most favourable timing for the hand-written loop.
    """
    count = len(jax.tree_util.tree_leaves(data)[0])
    steps = count // batch_size

    @jax.jit
    def epoch(state, key):
        order = jax.random.permutation(key, count)[: steps * batch_size].reshape(steps, batch_size)
        return jax.lax.scan(step, state, jax.tree_util.tree_map(lambda a: a[order], data))

    holder = {"state": state}
    key = jax.random.PRNGKey(0)
    started = time.perf_counter()
    holder["state"], losses = epoch(holder["state"], key)
    jax.block_until_ready(losses)
    first = time.perf_counter() - started

    def run(epochs):
        started = time.perf_counter()
        for index in range(epochs):
            holder["state"], losses = epoch(holder["state"], jax.random.fold_in(key, index))
        jax.block_until_ready(losses)
        return steps * epochs / (time.perf_counter() - started)

    def run_reading_loss(epochs):
        # what a loop that prints each epoch's loss does, and what fit does for its logs
        started = time.perf_counter()
        for index in range(epochs):
            holder["state"], losses = epoch(holder["state"], jax.random.fold_in(key, index))
            float(losses.mean())
        return steps * epochs / (time.perf_counter() - started)

    run.reading_loss = run_reading_loss
    return first, run


def jit_per_step_runner(step, state, data, batch_size):
    """Runner for a hand-written loop with one jitted call per step on pre-sliced batches."""
    count = len(jax.tree_util.tree_leaves(data)[0])
    steps = count // batch_size
    jit_step = jax.jit(step)
    batches = [
        jax.tree_util.tree_map(lambda a, i=i: a[i * batch_size : (i + 1) * batch_size], data) for i in range(steps)
    ]
    holder = {"state": state}
    holder["state"], loss = jit_step(holder["state"], batches[0])
    jax.block_until_ready(loss)

    def run(epochs):
        started = time.perf_counter()
        for _ in range(epochs):
            for batch in batches:
                holder["state"], loss = jit_step(holder["state"], batch)
        jax.block_until_ready(loss)
        return steps * epochs / (time.perf_counter() - started)

    return run


def optax_step(loss_fn, learning_rate=1e-3):
    """(step, init) of a plain optax Adam loop: ``loss_fn(params, x_batch, y_batch) -> scalar``."""
    optimizer = optax.adam(learning_rate, eps=1e-7)

    def step(state, batch):
        params, opt_state = state
        xb, yb = batch
        loss, grads = jax.value_and_grad(loss_fn)(params, xb, yb)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    return step, lambda params: (params, optimizer.init(params))


def hand_written_runners(loss_fn, params, x, y, batch_size, learning_rate=1e-3) -> dict:
    """The hand-written optax loops on device-resident data, as runners: one jitted
    call per step, and ``lax.scan`` epochs (dispatched back to back, or reading each
    epoch's loss on the host as fit does for its logs); plus the scan's first-call seconds."""
    step, init = optax_step(loss_fn, learning_rate)
    data = (jax.tree_util.tree_map(jax.device_put, x), jax.device_put(y))
    per_step = jit_per_step_runner(step, init(params), data, batch_size)
    scan_first, scan = scan_epoch_runner(step, init(params), data, batch_size)
    return {
        "jit per step": per_step,
        "lax.scan": scan,
        "lax.scan, loss read per epoch": scan.reading_loss,
        "lax.scan first call (s)": scan_first,
    }


class Comparison:
    """Rates of several runners timed in interleaved rounds."""

    def __init__(self, runners: dict, epochs: int, rounds: int):
        self.rates = {name: [] for name in runners}
        for _ in range(rounds):
            for name, run in runners.items():
                self.rates[name].append(run(epochs))

    def rate(self, name: str) -> float:
        return statistics.median(self.rates[name])

    def ratio(self, a: str, b: str) -> float:
        """Median over rounds of rate(a) / rate(b) measured in the same round."""
        return statistics.median(x / y for x, y in zip(self.rates[a], self.rates[b]))

    def spread(self, a: str, b: str) -> str:
        ratios = sorted(x / y for x, y in zip(self.rates[a], self.rates[b]))
        return f"{ratios[0]:.2f}-{ratios[-1]:.2f}"


def compare_and_print(title: str, runners: dict, first_epoch: dict, epochs: int, rounds: int, extra_rows=()):
    """Time ``runners`` (the first is loom) in interleaved rounds and print one table:
    steps/s of each, loom's ratio to each (median and range over rounds), and the
    first epoch (compile included) of each contender that reports one."""
    started = time.perf_counter()
    result = Comparison(runners, epochs, rounds)
    names = list(runners)
    loom_name = names[0]
    digits = 2 if result.rate(loom_name) < 100 else 0
    rows = [(f"{name} (steps/s)", f"{result.rate(name):,.{digits}f}") for name in names]
    rows += [
        (f"{loom_name} / {name}", f"{result.ratio(loom_name, name):.2f}x  (rounds {result.spread(loom_name, name)})")
        for name in names[1:]
    ]
    rows += [(f"{name} first epoch incl. compile (s)", f"{seconds:.2f}") for name, seconds in first_epoch.items()]
    rows += list(extra_rows)
    print_table(f"{title}, {rounds} interleaved rounds of {epochs} epochs ({time.perf_counter() - started:.0f}s)", rows)
    return result


def keras_available() -> bool:
    try:
        import keras  # noqa: F401
    except ImportError:
        return False
    return True


def print_table(title: str, rows: list) -> None:
    print(f"\n{title}")
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


def dense_init(rng, shape):
    limit = np.sqrt(6 / (shape[0] + shape[1]))
    return jax.numpy.asarray(rng.uniform(-limit, limit, shape).astype("float32"))
