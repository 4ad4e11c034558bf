"""A small CNN (Conv2D, BatchNormalization, MaxPooling2D, GlobalAveragePooling2D, Dense)
on scikit-learn's 8x8 digits: loom fit vs a hand-written optax loop over the same
forward function (``stateless_call``, batch-norm statistics threaded by hand) vs Keras.

Run: python bench/bench_cnn.py
"""

import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

import common
import loom

BATCH, EPOCHS = 32, 5


def build(module):
    L = module.layers
    return module.Sequential(
        [
            L.Input((8, 8, 1)),
            L.Conv2D(32, 3, padding="same", activation="relu"),
            L.BatchNormalization(),
            L.MaxPooling2D(),
            L.Conv2D(64, 3, padding="same", activation="relu"),
            L.BatchNormalization(),
            L.GlobalAveragePooling2D(),
            L.Dense(10, activation="softmax"),
        ]
    )


def hand_written_rate(model, x, y, epochs):
    """lax.scan epochs of an optax loop on model.stateless_call, carrying BN statistics."""
    optimizer = optax.adam(1e-3, eps=1e-7)
    steps = len(x) // BATCH
    x, y = jax.device_put(x), jax.device_put(y)

    def step(state, batch):
        trainable, non_trainable, opt_state = state
        xb, yb = batch

        def loss_fn(t):
            p, new_nt = model.stateless_call(t, non_trainable, xb, training=True)
            logp = jnp.log(jnp.clip(jnp.take_along_axis(p, yb[:, None], axis=-1), 1e-7, 1.0))
            return -jnp.mean(logp), new_nt

        (loss, new_nt), grads = jax.value_and_grad(loss_fn, has_aux=True)(trainable)
        updates, opt_state = optimizer.update(grads, opt_state, trainable)
        return (optax.apply_updates(trainable, updates), new_nt, opt_state), loss

    @jax.jit
    def epoch(state, key):
        perm = jax.random.permutation(key, len(x))[: steps * BATCH].reshape(steps, BATCH)
        return jax.lax.scan(step, state, (x[perm], y[perm]))

    trainable = [v.value for v in model.trainable_variables]
    state = (trainable, [v.value for v in model.non_trainable_variables], optimizer.init(trainable))
    state, losses = epoch(state, jax.random.PRNGKey(0))
    jax.block_until_ready(losses)
    start = time.perf_counter()
    for i in range(epochs):
        state, losses = epoch(state, jax.random.PRNGKey(i))
    jax.block_until_ready(losses)
    return steps * epochs / (time.perf_counter() - start)


def run():
    from sklearn.datasets import load_digits

    started = time.perf_counter()
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target.astype("int32")
    model = build(loom)
    model.compile("adam", "sparse_categorical_crossentropy")
    first, rate = common.loom_fit_rates(model, x, y, BATCH, EPOCHS, repeats=2)
    scan = hand_written_rate(model, x, y, EPOCHS)
    rows = [
        ("loom fit (steps/s)", f"{rate:,.0f}"),
        ("hand-written lax.scan epoch (steps/s)", f"{scan:,.0f}"),
        ("loom / lax.scan", f"{rate / scan:.2f}x"),
        ("loom first epoch incl. compile (s)", f"{first:.2f}"),
    ]
    if common.keras_available():
        import keras

        kmodel = build(keras)
        kmodel.compile("adam", "sparse_categorical_crossentropy")
        k_first, k_rate = common.keras_fit_rates(kmodel, x, y, BATCH, EPOCHS, repeats=2)
        rows += [
            ("Keras fit (steps/s)", f"{k_rate:,.0f}"),
            ("loom / Keras", f"{rate / k_rate:.2f}x"),
            ("Keras first epoch incl. compile (s)", f"{k_first:.2f}"),
        ]
    common.print_table(f"digits CNN, {len(x)} samples, batch {BATCH} ({time.perf_counter() - started:.0f}s)", rows)


if __name__ == "__main__":
    sys.exit(run())
