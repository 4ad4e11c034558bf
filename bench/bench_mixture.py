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

SAMPLES, BATCH, EPOCHS = 1000, 32, 20


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


def run():
    xs, y = seeds.mixture_data(samples=SAMPLES)
    rows = []
    model = seeds.mixture_model()
    model.compile("adam", "mse")
    start = time.perf_counter()
    loom_first, loom_rate = common.loom_fit_rates(model, xs, y, BATCH, EPOCHS)
    params, loss_fn = hand_written_model(np.random.default_rng(0))
    hand = common.hand_written_rates(loss_fn, params, xs, y, BATCH, EPOCHS)
    rows += [
        ("loom fit (steps/s)", f"{loom_rate:,.0f}"),
        ("hand-written jit per step (steps/s)", f"{hand['jit_per_step']:,.0f}"),
        ("hand-written lax.scan epoch (steps/s)", f"{hand['scan']:,.0f}"),
        ("loom / lax.scan", f"{loom_rate / hand['scan']:.2f}x"),
        ("loom / jit per step", f"{loom_rate / hand['jit_per_step']:.2f}x"),
        ("loom first epoch incl. compile (s)", f"{loom_first:.2f}"),
    ]
    predict_start = time.perf_counter()
    model.predict(xs, batch_size=BATCH)
    predict_first = time.perf_counter() - predict_start
    predict_start = time.perf_counter()
    for _ in range(5):
        model.predict(xs, batch_size=BATCH)
    rows.append(("loom predict (samples/s)", f"{5 * SAMPLES / (time.perf_counter() - predict_start):,.0f}"))
    rows.append(("loom predict first call (s)", f"{predict_first:.2f}"))
    if common.keras_available():
        import keras

        for label, spe in (("Keras default", 1), ("Keras steps_per_execution=32", 32)):
            kmodel = keras_model()
            kmodel.compile("adam", "mse", steps_per_execution=spe)
            k_first, k_rate = common.keras_fit_rates(kmodel, xs, y, BATCH, EPOCHS)
            rows += [
                (f"{label} fit (steps/s)", f"{k_rate:,.0f}"),
                (f"loom / {label}", f"{loom_rate / k_rate:.2f}x"),
                (f"{label} first epoch incl. compile (s)", f"{k_first:.2f}"),
                (f"loom first epoch / {label} first epoch", f"{loom_first / k_first:.2f}x"),
            ]
        del keras
    common.print_table(f"seed 002 mixture, {SAMPLES} samples, batch {BATCH} ({time.perf_counter() - start:.0f}s)", rows)


if __name__ == "__main__":
    sys.exit(run())
