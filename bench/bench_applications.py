"""MobileNetV2 (``loom.applications`` vs ``keras.applications``, weights=None) training steps:
forward and backward passes with Adam, batch 8, 96x96 images, 10 classes. loom fit vs a
hand-written optax loop over the same loom model (``stateless_call``, one jitted call per step)
vs Keras-JAX fit on the same architecture, timed in interleaved rounds.

Run: python bench/bench_applications.py
"""

import sys

import common
import jax
import jax.numpy as jnp
import numpy as np
import optax

import loom
import loom.applications  # loom.__init__ does not import it yet

BATCH, SIZE, SAMPLES, CLASSES = 8, 96, 64, 10
EPOCHS, ROUNDS = 2, 4


def build(module):
    model = module.applications.MobileNetV2(
        input_shape=(SIZE, SIZE, 3), weights=None, classes=CLASSES, classifier_activation="softmax"
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def hand_written_runner(model, x, y):
    """One jitted Adam step per batch on ``model.stateless_call``, batch-norm statistics carried by hand."""
    optimizer = optax.adam(1e-3, eps=1e-7)

    def step(state, batch):
        trainable, non_trainable, opt_state = state
        xb, yb = batch

        def loss_fn(t):
            p, new_nt = model.stateless_call(t, non_trainable, xb, training=True)
            picked = jnp.take_along_axis(p, yb[:, None], axis=-1)
            return -jnp.mean(jnp.log(jnp.clip(picked, 1e-7, 1.0))), new_nt

        (loss, new_nt), grads = jax.value_and_grad(loss_fn, has_aux=True)(trainable)
        updates, opt_state = optimizer.update(grads, opt_state, trainable)
        return (optax.apply_updates(trainable, updates), new_nt, opt_state), loss

    trainable = [v.value for v in model.trainable_variables]
    state = (trainable, [v.value for v in model.non_trainable_variables], optimizer.init(trainable))
    return common.jit_per_step_runner(step, state, (jax.device_put(x), jax.device_put(y)), BATCH)


def data():
    """``(x, y, batch_size)``: random images and labels (also bench_first_epoch.py's)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (SAMPLES, SIZE, SIZE, 3)).astype("float32")
    y = rng.integers(0, CLASSES, SAMPLES).astype("int32")
    return x, y, BATCH


def run(epochs: int = EPOCHS, rounds: int = ROUNDS):
    x, y, _ = data()
    first, runners = {}, {}
    first["loom fit"], runners["loom fit"] = common.loom_fit_runner(build(loom), x, y, BATCH)
    runners["jit per step"] = hand_written_runner(build(loom), x, y)
    if common.keras_available():
        import keras

        first["Keras"], runners["Keras"] = common.keras_fit_runner(build(keras), x, y, BATCH)
    params = build(loom).count_params()
    common.compare_and_print(
        f"MobileNetV2 training, {SIZE}x{SIZE}x3, {params:,} parameters, {SAMPLES} samples, batch {BATCH}",
        runners,
        first,
        epochs,
        rounds,
    )


if __name__ == "__main__":
    sys.exit(run())
