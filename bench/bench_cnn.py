"""A small CNN (Conv2D, BatchNormalization, MaxPooling2D, GlobalAveragePooling2D, Dense)
on scikit-learn's 8x8 digits: loom fit vs a hand-written optax loop over the same
forward function (``stateless_call``, batch-norm statistics threaded by hand) vs Keras.

Run: python bench/bench_cnn.py
"""

import sys

import jax
import jax.numpy as jnp
import optax

import common
import loom

BATCH, EPOCHS, ROUNDS = 32, 3, 5


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


def hand_written_runners(model, x, y):
    """An optax loop on model.stateless_call, carrying BN statistics: (first scan call
    seconds, lax.scan epochs runner, jit-per-step runner). On the CPU the per-step loop
    is the faster one here, as XLA:CPU convolves slowly inside loops."""
    optimizer = optax.adam(1e-3, eps=1e-7)

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

    trainable = [v.value for v in model.trainable_variables]
    state = (trainable, [v.value for v in model.non_trainable_variables], optimizer.init(trainable))
    data = (jax.device_put(x), jax.device_put(y))
    first, scan = common.scan_epoch_runner(step, state, data, BATCH)
    return first, scan, common.jit_per_step_runner(step, state, data, BATCH)


def run(epochs: int = EPOCHS, rounds: int = ROUNDS):
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target.astype("int32")
    model = build(loom)
    model.compile("adam", "sparse_categorical_crossentropy")
    first = {}
    first["loom fit"], loom_run = common.loom_fit_runner(model, x, y, BATCH)
    runners = {"loom fit": loom_run}
    first["hand-written lax.scan"], runners["lax.scan"], runners["jit per step"] = hand_written_runners(build(loom), x, y)
    if common.keras_available():
        import keras

        kmodel = build(keras)
        kmodel.compile("adam", "sparse_categorical_crossentropy")
        first["Keras"], runners["Keras"] = common.keras_fit_runner(kmodel, x, y, BATCH)
    common.compare_and_print(f"digits CNN, {len(x)} samples, batch {BATCH}", runners, first, epochs, rounds)


if __name__ == "__main__":
    sys.exit(run())
