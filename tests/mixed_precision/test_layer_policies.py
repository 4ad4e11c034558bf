"""Layers under mixed policies: float32 weights, half-precision computation, Keras's dtypes and numbers."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import loom
from loom import layers, mixed_precision

X = np.random.default_rng(0).normal(size=(4, 8, 8, 3)).astype("float32")
# float16 keeps ~3 significant digits, bfloat16 ~2; both libraries round at the same places.
TOLERANCE = {"mixed_float16": {"rtol": 1e-2, "atol": 1e-2}, "mixed_bfloat16": {"rtol": 5e-2, "atol": 5e-2}}


def test_mixed_precision_has_every_name_of_keras_mixed_precision():
    def public(module):
        return sorted(n for n in dir(module) if not n.startswith("_") and not isinstance(getattr(module, n), type(np)))

    assert public(mixed_precision) == public(keras.mixed_precision)
    assert mixed_precision.global_policy is mixed_precision.dtype_policy is loom.config.dtype_policy
    assert mixed_precision.set_global_policy is mixed_precision.set_dtype_policy is loom.config.set_dtype_policy


def test_the_global_policy_applies_to_layers_created_after_it():
    before = layers.Dense(2)
    mixed_precision.set_global_policy("mixed_float16")
    after, pinned = layers.Dense(2), layers.Dense(2, dtype="float32")
    assert before.dtype_policy.name == "float32" and pinned.dtype_policy.name == "float32"
    assert (after.dtype_policy.name, after.compute_dtype, after.variable_dtype, after.dtype) == (
        "mixed_float16", "float16", "float32", "float32",
    )  # fmt: skip
    out = after(np.ones((1, 3), "float32"))
    assert out.dtype == jnp.float16 and [w.dtype for w in after.weights] == ["float32", "float32"]
    assert before(np.ones((1, 3), "float32")).dtype == jnp.float32


def _model(lib):
    inputs = lib.Input((8, 8, 3))
    x = lib.layers.Conv2D(4, 3, strides=2, activation="relu")(inputs)
    x = lib.layers.Dense(16, activation="relu")(lib.layers.Flatten()(x))
    logits = lib.layers.Dense(3)(x)
    probabilities = lib.layers.Activation("softmax", dtype="float32")(logits)
    return lib.Model(inputs, [logits, probabilities])


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_a_conv_dense_model_matches_keras_dtypes_and_numbers(policy):
    mixed_precision.set_dtype_policy(policy)
    keras.mixed_precision.set_dtype_policy(policy)
    ours, theirs = _model(loom), _model(keras)
    for mine, reference in zip(ours.layers, theirs.layers):
        assert mine.compute_dtype == reference.compute_dtype, mine.name
        assert [w.dtype for w in mine.weights] == [w.dtype for w in reference.weights], mine.name
    assert [t.dtype for t in ours.outputs] == [t.dtype for t in theirs.outputs]
    ours.set_weights([np.asarray(w.value) for w in theirs.weights])
    predicted, expected = ours.predict(X, verbose=0), [np.asarray(t) for t in theirs(X)]
    assert [p.dtype for p in predicted] == [e.dtype for e in expected] == [np.dtype(policy[6:]), np.float32]
    for mine, reference in zip(predicted, expected):
        np.testing.assert_allclose(mine.astype("float32"), reference.astype("float32"), **TOLERANCE[policy])


def test_mixed_training_keeps_float32_weights_and_float32_gradients():
    mixed_precision.set_dtype_policy("mixed_float16")
    layer = layers.Dense(3)
    layer.build((None, 4))
    x = jnp.asarray(np.random.default_rng(1).normal(size=(5, 4)), jnp.float32)

    def loss(trainable):
        out, _ = layer.stateless_call(trainable, [], x)
        return jnp.sum(out.astype(jnp.float32) ** 2)

    values = [v.value for v in layer.trainable_variables]
    grads = jax.jit(jax.grad(loss))(values)
    kernel, bias = (np.asarray(v, np.float64) for v in values)
    expected = 2 * (np.asarray(x, np.float64) @ kernel + bias)
    assert [g.dtype for g in grads] == [jnp.float32, jnp.float32]
    np.testing.assert_allclose(grads[0], np.asarray(x, np.float64).T @ expected, rtol=2e-2, atol=2e-2)


class _Probe(layers.Layer):
    """Records the dtypes its weights read as, and of its second input, during call."""

    def build(self, input_shape):
        self.cast_weight = self.add_weight(shape=(2,), initializer="ones")
        self.kept_weight = self.add_weight(shape=(2,), initializer="ones", autocast=False)

    def call(self, inputs, other):
        self.seen = (self.cast_weight.value.dtype, self.kept_weight.value.dtype, other.dtype)
        return inputs * self.cast_weight + other


def test_weights_read_in_the_compute_dtype_inside_call_unless_autocast_is_off():
    probe = _Probe(dtype="mixed_bfloat16")
    out = probe(np.ones((1, 2), "float32"), np.ones((1, 2), "float32"))
    # As Keras, every floating call argument is cast, not only the first.
    assert probe.seen == (jnp.bfloat16, jnp.float32, jnp.bfloat16) and out.dtype == jnp.bfloat16
    assert probe.cast_weight.value.dtype == jnp.float32  # outside call: stored dtype


class _Outer(layers.Layer):
    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def call(self, inputs):
        return self.inner(inputs, inputs)


@pytest.mark.parametrize(
    "inner_kwargs, seen",
    [
        ({"dtype": "float32"}, (jnp.float32, jnp.float32, jnp.float32)),
        ({"dtype": "mixed_float16"}, (jnp.float16, jnp.float32, jnp.float16)),
        ({"dtype": "mixed_float16", "autocast": False}, (jnp.float32, jnp.float32, jnp.float16)),
    ],
)
def test_a_nested_layer_reads_weights_by_its_own_policy(inner_kwargs, seen):
    probe = _Probe(**inner_kwargs)
    _Outer(probe, dtype="mixed_float16")(np.ones((1, 2), "float32"))
    assert probe.seen == seen


def test_integer_inputs_are_not_cast_and_embeddings_return_the_compute_dtype():
    mixed_precision.set_dtype_policy("mixed_float16")
    embedding = layers.Embedding(10, 4)
    out = embedding(np.array([[1, 2]], "int32"))
    assert out.dtype == jnp.float16 and embedding.embeddings.dtype == "float32"


def test_batch_normalization_keeps_float32_statistics_as_keras():
    for lib in (loom, keras):
        lib.config.set_dtype_policy("mixed_float16")
    ours, theirs = layers.BatchNormalization(), keras.layers.BatchNormalization()
    x = np.random.default_rng(2).normal(size=(6, 3)).astype("float32")
    out, expected = ours(x, training=True), theirs(x, training=True)
    assert out.dtype == expected.dtype == jnp.float16
    assert [w.dtype for w in ours.weights] == [w.dtype for w in theirs.weights]
    np.testing.assert_allclose(np.asarray(ours.moving_mean.value), np.asarray(theirs.moving_mean.value), rtol=1e-3)


def test_dtype_policy_can_be_set_and_round_trips_through_config():
    layer = layers.Dense(2)
    layer.dtype_policy = "mixed_bfloat16"
    assert layer.compute_dtype == "bfloat16" and isinstance(layer.dtype_policy, mixed_precision.Policy)
    config = layer.get_config()
    assert config["dtype"] == "mixed_bfloat16"
    assert layers.Dense.from_config(config).dtype_policy == mixed_precision.DTypePolicy("mixed_bfloat16")
    keras_style = {**config, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float16"}}}
    assert layers.Dense.from_config(keras_style).compute_dtype == "float16"


def test_a_float32_first_layer_of_a_functional_model_sees_float32_data_as_keras():
    # The model converts its inputs to each Input's dtype, not to its own compute dtype, so a
    # first layer kept in float32 under mixed_float16 loses no precision (float16 would round
    # 1.0001 to 1.0).
    x = np.array([[1.0001, 2.0002, 3.0003]], "float32")
    results = []
    for library in (keras, loom):
        library.mixed_precision.set_global_policy("mixed_float16")
        inputs = library.Input((3,))
        outputs = library.layers.Dense(2, dtype="float32", kernel_initializer="ones")(inputs)
        model = library.Model(inputs, outputs)
        results.append(np.asarray(model.predict(x, verbose=0)))
        assert model(x).dtype == "float32"
    np.testing.assert_array_equal(results[1], results[0])
    np.testing.assert_allclose(results[1], [[6.0006, 6.0006]], rtol=1e-6)
