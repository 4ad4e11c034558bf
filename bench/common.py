"""Shared benchmark helpers: timing loom, hand-written JAX and Keras in one process."""

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


def loom_fit_rates(model, x, y, batch_size, epochs, repeats=3):
    """(first-epoch seconds, steps/s of later epochs) for ``model.fit``."""
    steps = -(-len(jax.tree_util.tree_leaves(x)[0]) // batch_size)
    timer = EpochTimer()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[timer])
    first = timer.times[0]
    rates = []
    for _ in range(repeats):
        model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[timer])
        rates.append(steps / statistics.median(timer.times))
    return first, max(rates)


def keras_fit_rates(model, x, y, batch_size, epochs, repeats=3):
    import keras

    class Timer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self._start)

    steps = -(-len(jax.tree_util.tree_leaves(x)[0]) // batch_size)
    timer = Timer()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[timer])
    first = timer.times[0]
    rates = []
    for _ in range(repeats):
        model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[timer])
        rates.append(steps / statistics.median(timer.times))
    return first, max(rates)


def hand_written_rates(loss_fn, params, x, y, batch_size, epochs, learning_rate=1e-3, repeats=3):
    """Steps/s of two hand-written optax loops on device-resident data: one jitted
    call per step, and one ``lax.scan`` over each (shuffled) epoch.

    Args:
        loss_fn: ``loss_fn(params, x_batch, y_batch) -> scalar``.
        params: initial parameters (a pytree).
        x, y: arrays (or lists of arrays) with samples on axis 0.
    """
    optimizer = optax.adam(learning_rate, eps=1e-7)
    x = jax.tree_util.tree_map(jax.device_put, x)
    y = jax.device_put(y)
    count = len(jax.tree_util.tree_leaves(x)[0])
    steps = count // batch_size

    def step(state, batch):
        params, opt_state = state
        xb, yb = batch
        loss, grads = jax.value_and_grad(loss_fn)(params, xb, yb)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    jit_step = jax.jit(step)

    @jax.jit
    def scan_epoch(state, key):
        perm = jax.random.permutation(key, count)[: steps * batch_size].reshape(steps, batch_size)
        batches = (jax.tree_util.tree_map(lambda a: a[perm], x), y[perm])
        return jax.lax.scan(step, state, batches)

    state = (params, optimizer.init(params))
    # Per-step jit: batches sliced ahead of time, as a careful hand-written loop does.
    batches = [
        (jax.tree_util.tree_map(lambda a, i=i: a[i * batch_size : (i + 1) * batch_size], x), y[i * batch_size : (i + 1) * batch_size])
        for i in range(steps)
    ]
    state, loss = jit_step(state, batches[0])
    jax.block_until_ready(loss)
    per_step = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(epochs):
            for batch in batches:
                state, loss = jit_step(state, batch)
        jax.block_until_ready(loss)
        per_step.append(steps * epochs / (time.perf_counter() - start))
    key = jax.random.PRNGKey(0)
    start = time.perf_counter()
    state, losses = scan_epoch(state, key)
    jax.block_until_ready(losses)
    scan_compile = time.perf_counter() - start
    scan = []
    for _ in range(repeats):
        start = time.perf_counter()
        for epoch in range(epochs):
            state, losses = scan_epoch(state, jax.random.fold_in(key, epoch))
        jax.block_until_ready(losses)
        scan.append(steps * epochs / (time.perf_counter() - start))
    return {"jit_per_step": max(per_step), "scan": max(scan), "scan_first_call_s": scan_compile}


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
