"""Seed 003 with its real layer: a shared LSTM(64) over two (280, 256) sequences.

loom fit vs a hand-written JAX LSTM (input projection hoisted out of lax.scan,
one matmul per step inside) trained with optax, and Keras 3 on JAX.

Run: python bench/bench_siamese_lstm.py
"""

import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

import common
from loom.demo import seeds

SAMPLES, BATCH, EPOCHS, UNITS = 256, 32, 2, 64


def hand_written(rng, features):
    params = {
        "kernel": common.dense_init(rng, (features, 4 * UNITS)),
        "recurrent": jnp.asarray(np.linalg.qr(rng.normal(size=(4 * UNITS, UNITS)))[0].T.astype("float32")),
        "bias": jnp.zeros(4 * UNITS).at[UNITS : 2 * UNITS].set(1.0),
        "w": common.dense_init(rng, (2 * UNITS, 1)),
        "b": jnp.zeros(1),
    }

    def encode(params, x):  # x: (batch, time, features)
        projected = jnp.einsum("btf,fg->tbg", x, params["kernel"]) + params["bias"]

        def step(carry, z):
            h, c = carry
            z = z + h @ params["recurrent"]
            i, f, g, o = jnp.split(z, 4, axis=-1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), None

        zeros = jnp.zeros((x.shape[0], UNITS))
        (h, _), _ = jax.lax.scan(step, (zeros, zeros), projected)
        return h

    def loss_fn(params, xs, y):
        logits = jnp.concatenate([encode(params, xs[0]), encode(params, xs[1])], -1) @ params["w"] + params["b"]
        p = jnp.clip(jax.nn.sigmoid(logits), 1e-7, 1 - 1e-7)
        return -jnp.mean(y * jnp.log(p) + (1 - y) * jnp.log(1 - p))

    return params, loss_fn


def keras_model():
    import keras

    a, b = keras.Input((280, 256)), keras.Input((280, 256))
    lstm = keras.layers.LSTM(UNITS)
    merged = keras.layers.concatenate([lstm(a), lstm(b)])
    return keras.Model([a, b], keras.layers.Dense(1, activation="sigmoid")(merged))


def run():
    started = time.perf_counter()
    xs, y = seeds.siamese_sequence_data(samples=SAMPLES)
    model = seeds.siamese_lstm_model()[0]
    model.compile("adam", "binary_crossentropy")
    first, rate = common.loom_fit_rates(model, xs, y, BATCH, EPOCHS, repeats=2)
    params, loss_fn = hand_written(np.random.default_rng(0), 256)
    hand = common.hand_written_rates(loss_fn, params, xs, y, BATCH, EPOCHS, repeats=2)
    rows = [
        ("loom fit (steps/s)", f"{rate:,.2f}"),
        ("hand-written jit per step (steps/s)", f"{hand['jit_per_step']:,.2f}"),
        ("hand-written lax.scan epoch (steps/s)", f"{hand['scan']:,.2f}"),
        ("loom / lax.scan", f"{rate / hand['scan']:.2f}x"),
        ("loom first epoch incl. compile (s)", f"{first:.2f}"),
    ]
    if common.keras_available():
        kmodel = keras_model()
        kmodel.compile("adam", "binary_crossentropy")
        k_first, k_rate = common.keras_fit_rates(kmodel, xs, y, BATCH, EPOCHS, repeats=2)
        rows += [
            ("Keras fit (steps/s)", f"{k_rate:,.2f}"),
            ("loom / Keras", f"{rate / k_rate:.2f}x"),
            ("Keras first epoch incl. compile (s)", f"{k_first:.2f}"),
        ]
    common.print_table(
        f"seed 003 siamese LSTM(64) over (280, 256), {SAMPLES} samples, batch {BATCH} "
        f"({time.perf_counter() - started:.0f}s)",
        rows,
    )


if __name__ == "__main__":
    sys.exit(run())
