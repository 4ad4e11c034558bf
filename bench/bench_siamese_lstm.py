"""Seed 003 with its real layer: a shared LSTM(64) over two (280, 256) sequences.

loom fit vs a hand-written JAX LSTM (input projection hoisted out of lax.scan,
one matmul per step inside) trained with optax, and Keras 3 on JAX.

Run: python bench/bench_siamese_lstm.py
"""

import sys

import jax
import jax.numpy as jnp
import numpy as np

import common
from loom.demo import seeds

SAMPLES, BATCH, EPOCHS, ROUNDS, UNITS = 256, 32, 1, 3, 64


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


def run(epochs: int = EPOCHS, rounds: int = ROUNDS):
    xs, y = seeds.siamese_sequence_data(samples=SAMPLES)
    model = seeds.siamese_lstm_model()[0]
    model.compile("adam", "binary_crossentropy")
    first = {}
    first["loom fit"], loom_run = common.loom_fit_runner(model, xs, y, BATCH)
    runners = {"loom fit": loom_run}
    params, loss_fn = hand_written(np.random.default_rng(0), 256)
    hand = common.hand_written_runners(loss_fn, params, xs, y, BATCH)
    for name in ("jit per step", "lax.scan"):
        runners[name] = hand[name]
    first["hand-written lax.scan"] = hand["lax.scan first call (s)"]
    if common.keras_available():
        kmodel = keras_model()
        kmodel.compile("adam", "binary_crossentropy")
        first["Keras"], runners["Keras"] = common.keras_fit_runner(kmodel, xs, y, BATCH)
    common.compare_and_print(
        f"seed 003 siamese LSTM({UNITS}) over (280, 256), {SAMPLES} samples, batch {BATCH}", runners, first, epochs, rounds
    )


if __name__ == "__main__":
    sys.exit(run())
