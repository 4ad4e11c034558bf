"""A custom JAX ``train_step`` (the keras.io guide's) against loom's built-in fit on the
same MLP, a hand-written ``lax.scan`` loop, and Keras running the same custom step.

The issue's goal: a custom step gets the same epoch fusion as the built-in one,
so its fit runs within 10% of the built-in fit.

Run: python bench/bench_custom_step.py
"""

import sys

import jax
import jax.numpy as jnp
import numpy as np

import common
import loom

SAMPLES, FEATURES, BATCH, EPOCHS, ROUNDS = 2048, 64, 32, 5, 7


def build(lib, custom: bool):
    """An MLP whose train_step is the guide's custom one (``custom``) or the built-in."""

    class GuideStep(lib.Model):
        def _loss(self, trainable, non_trainable, x, y):
            y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x, training=True)
            return self.compute_loss(x, y, y_pred), (y_pred, non_trainable)

        def train_step(self, state, data):
            trainable, non_trainable, optimizer_variables, metrics_variables = state
            x, y = data
            (loss, (y_pred, non_trainable)), grads = jax.value_and_grad(self._loss, has_aux=True)(
                trainable, non_trainable, x, y
            )
            trainable, optimizer_variables = self.optimizer.stateless_apply(optimizer_variables, grads, trainable)
            new_metrics, logs = [], {}
            for metric in self.metrics:
                piece = metrics_variables[len(new_metrics) : len(new_metrics) + len(metric.variables)]
                if metric.name == "loss":
                    piece = metric.stateless_update_state(piece, loss)
                else:
                    piece = metric.stateless_update_state(piece, y, y_pred)
                logs[metric.name] = metric.stateless_result(piece)
                new_metrics += piece
            return logs, (trainable, non_trainable, optimizer_variables, new_metrics)

    inputs = lib.Input((FEATURES,))
    hidden = lib.layers.Dense(128, activation="relu")(inputs)
    hidden = lib.layers.Dense(64, activation="relu")(hidden)
    outputs = lib.layers.Dense(1)(hidden)
    model = (GuideStep if custom else lib.Model)(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    return model


def hand_written(model, x, y):
    def loss_fn(params, xb, yb):
        prediction, _ = model.stateless_call(params, [], xb)
        return jnp.mean((prediction - yb) ** 2)

    params = [v.value for v in model.trainable_variables]
    return common.hand_written_runners(loss_fn, params, x, y, BATCH)


def run(epochs: int = EPOCHS, rounds: int = ROUNDS):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(SAMPLES, FEATURES)).astype("float32")
    y = (x[:, :1] * 2.0 + 0.5).astype("float32")
    first, runners = {}, {}
    first["loom custom train_step"], runners["loom custom train_step"] = common.loom_fit_runner(build(loom, True), x, y, BATCH)
    first["loom built-in"], runners["loom built-in fit"] = common.loom_fit_runner(build(loom, False), x, y, BATCH)
    loops = hand_written(build(loom, False), x, y)
    runners["lax.scan"] = loops["lax.scan"]
    first["hand-written lax.scan"] = loops["lax.scan first call (s)"]
    if common.keras_available():
        import keras

        first["Keras custom train_step"], runners["Keras custom train_step"] = common.keras_fit_runner(
            build(keras, True), x, y, BATCH
        )
    common.compare_and_print(
        f"custom JAX train_step, MLP {FEATURES}-128-64-1, {SAMPLES} samples, batch {BATCH}", runners, first, epochs, rounds
    )


if __name__ == "__main__":
    run(*(int(a) for a in sys.argv[1:]))
