"""Seed 002 (three MLPs mixed by weights on the simplex): loom fit vs hand-written JAX vs Keras.

Run: python bench/bench_mixture.py   (the issue's target: >= 0.8x lax.scan, >= 3x Keras)
"""

import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

import common
from loom.demo import seeds

SAMPLES, BATCH, EPOCHS, ROUNDS = 1000, 32, 20, 7


def hand_written_model(rng):
    params = {}
    for i in range(3):
        params[f"w1_{i}"] = common.dense_init(rng, (100, 32))
        params[f"b1_{i}"] = jnp.zeros(32)
        params[f"w2_{i}"] = common.dense_init(rng, (32, 10))
        params[f"b2_{i}"] = jnp.zeros(10)
    params["logits"] = jnp.zeros(3)

    def loss_fn(params, xs, y):
        outs = [
            jax.nn.relu(xs[i] @ params[f"w1_{i}"] + params[f"b1_{i}"]) @ params[f"w2_{i}"] + params[f"b2_{i}"]
            for i in range(3)
        ]
        weights = jax.nn.softmax(params["logits"])
        pred = sum(w * o for w, o in zip(weights, outs))
        return jnp.mean((pred - y) ** 2)

    return params, loss_fn


def keras_model():
    import keras

    class ConvexCombination(keras.layers.Layer):
        def build(self, shapes):
            self.logits = self.add_weight(shape=(len(shapes),), initializer="zeros")

        def call(self, inputs):
            weights = keras.ops.softmax(self.logits)
            return sum(weights[i] * x for i, x in enumerate(inputs))

    inputs = [keras.Input((100,)) for _ in range(3)]
    outs = [keras.layers.Dense(10)(keras.layers.Dense(32, activation="relu")(x)) for x in inputs]
    return keras.Model(inputs, ConvexCombination()(outs))


def run(epochs: int = EPOCHS, rounds: int = ROUNDS):
    xs, y = seeds.mixture_data(samples=SAMPLES)
    model = seeds.mixture_model()
    model.compile("adam", "mse")
    first = {}
    first["loom fit"], runners = common.loom_fit_runner(model, xs, y, BATCH)
    runners = {"loom fit": runners}
    params, loss_fn = hand_written_model(np.random.default_rng(0))
    hand = common.hand_written_runners(loss_fn, params, xs, y, BATCH)
    for name in ("jit per step", "lax.scan", "lax.scan, loss read per epoch"):
        runners[name] = hand[name]
    first["hand-written lax.scan"] = hand["lax.scan first call (s)"]
    if common.keras_available():
        for label, spe in (("Keras default", 1), ("Keras steps_per_execution=32", 32)):
            kmodel = keras_model()
            kmodel.compile("adam", "mse", steps_per_execution=spe)
            first[label], runners[label] = common.keras_fit_runner(kmodel, xs, y, BATCH)
    extra = [
        (f"loom first epoch / {label} first epoch", f"{first['loom fit'] / first[label]:.2f}x")
        for label in first
        if label.startswith("Keras")
    ]
    predict_start = time.perf_counter()
    model.predict(xs, batch_size=BATCH)
    predict_first = time.perf_counter() - predict_start
    predict_start = time.perf_counter()
    for _ in range(5):
        model.predict(xs, batch_size=BATCH)
    extra.append(("loom predict (samples/s)", f"{5 * SAMPLES / (time.perf_counter() - predict_start):,.0f}"))
    extra.append(("loom predict first call (s)", f"{predict_first:.2f}"))
    common.compare_and_print(f"seed 002 mixture, {SAMPLES} samples, batch {BATCH}", runners, first, epochs, rounds, extra)


if __name__ == "__main__":
    sys.exit(run())
