"""The seed models as benchmark cases: loom's model, the same architecture in Keras 3,
the data, and a hand-written loss, so every entry point can be timed against both.

loom builds its models from ``loom.demo.seeds`` (the askers' code). The Keras twins
rebuild the same layers with Keras 3 names; where a seed uses a loom layer Keras
lacks (ElementwiseScale, ConvexCombination, a constant Input), the twin defines it
in a few lines. Weights are not shared: these cases time, they do not compare numbers.
"""

import jax.numpy as jnp
import numpy as np

import bench_mixture
from loom.demo import seeds

SAMPLES = 1024


class Case:
    """One seed: ``make_loom()`` and ``make_keras()`` return uncompiled models."""

    def __init__(self, name, make_loom, make_keras, x, y, loss, loss_fn):
        self.name, self.make_loom, self.make_keras = name, make_loom, make_keras
        self.x, self.y, self.loss, self.loss_fn = x, y, loss, loss_fn


def mse(y, p):
    return jnp.mean((p - y) ** 2)


def categorical(y, p):
    return -jnp.mean(jnp.sum(y * jnp.log(jnp.clip(p, 1e-7, 1 - 1e-7)), axis=-1))


def binary(y, p):
    p = jnp.clip(p, 1e-7, 1 - 1e-7)
    return -jnp.mean(y * jnp.log(p) + (1 - y) * jnp.log(1 - p))


def _keras_dot_product():
    import keras

    g, d_pos, d_neg = keras.Input((300,)), keras.Input((1000,)), keras.Input((1000,))
    lt = keras.layers.Dense(128)(g)
    shared = keras.layers.Dense(
        128, activation="softmax", kernel_constraint=keras.constraints.UnitNorm(),
        kernel_regularizer=keras.regularizers.l2(0.001),
    )
    scores = keras.ops.add(keras.layers.Dot(axes=1)([lt, shared(d_pos)]), keras.layers.Dot(axes=1)([lt, shared(d_neg)]))
    return keras.Model([g, d_pos, d_neg], keras.layers.ReLU(threshold=0.5)(scores))


def _keras_constant_subset(x_pk, coefficients):
    import keras

    class ConstantF(keras.layers.Layer):
        def call(self, x):
            diff = keras.ops.expand_dims(x, 1) - keras.ops.expand_dims(keras.ops.convert_to_tensor(x_pk), 0)
            return keras.ops.exp(diff / coefficients.reshape(1, 1, -1))

    class ElementwiseScale(keras.layers.Layer):
        def build(self, shape):
            self.scale = self.add_weight(shape=tuple(shape[1:]), initializer="ones")

        def call(self, x):
            return x * self.scale

    x = keras.Input((x_pk.shape[1],))
    out = keras.ops.sum(ElementwiseScale()(ConstantF()(x)), axis=-1)
    return keras.Model(x, keras.layers.Activation("softmax")(out))


def _keras_siamese():
    import keras

    a, b = keras.Input((64,)), keras.Input((64,))
    shared = keras.layers.Dense(32, activation="tanh")
    merged = keras.layers.concatenate([shared(a), shared(b)])
    return keras.Model([a, b], keras.layers.Dense(1, activation="sigmoid")(merged))


def _keras_ensemble():
    import keras

    members = []
    for units in (8, 10, 12):
        inp = keras.Input((4,))
        members.append(keras.Model(inp, keras.layers.Dense(3, activation="softmax")(
            keras.layers.Dense(units, activation="relu")(inp))))
    weighted = [keras.layers.Lambda(lambda t: t * np.ones(3, "float32"))(m.output) for m in members]
    return keras.Model([m.input for m in members], keras.layers.Average()(weighted))


def _loom_ensemble():
    members = [seeds.make_model((4,), d) for d in (8, 10, 12)]
    return seeds.ensemble_model(members, [np.ones(3)] * 3)[0]


def cases() -> list:
    x_pk, coefficients, x1, y1 = seeds.constant_subset_data(samples=SAMPLES)
    x4, y4 = seeds.ensemble_data(samples=SAMPLES)
    return [
        Case("seed 000 dot", seeds.dot_product_model, _keras_dot_product,
             *seeds.dot_product_data(samples=SAMPLES), "mse", mse),
        Case("seed 001 constant", lambda: seeds.constant_subset_model(x_pk, coefficients),
             lambda: _keras_constant_subset(x_pk, coefficients), x1, y1, "categorical_crossentropy", categorical),
        Case("seed 002 mixture", seeds.mixture_model, bench_mixture.keras_model,
             *seeds.mixture_data(samples=SAMPLES), "mse", mse),
        Case("seed 003 siamese", lambda: seeds.siamese_model()[0], _keras_siamese,
             *seeds.siamese_data(samples=SAMPLES), "binary_crossentropy", binary),
        Case("seed 004 ensemble", _loom_ensemble, _keras_ensemble, [x4, x4, x4], y4, "categorical_crossentropy",
             categorical),
    ]
