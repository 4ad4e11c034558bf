"""predict pads a partial last batch only when the traced step proves that rows do not
see each other (training/row_independence.py); otherwise the partial batch is predicted
at its own size, as Keras does. The proof must say "no" whenever rows can mix."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import loom
from loom import layers, ops
from loom.training.row_independence import rows_are_independent

W = np.ones((4, 3), np.float32)


def _row_wise(function, *batched_shapes, constants=()):
    specs = [jax.ShapeDtypeStruct(shape, np.float32) for shape in batched_shapes]
    closed = jax.make_jaxpr(lambda *args: function(*args))(*constants, *specs)
    return rows_are_independent(closed, [False] * len(constants) + [True] * len(specs))


@pytest.mark.parametrize(
    "function",
    [
        lambda x: jnp.tanh(x @ W + 1.0),
        lambda x: jax.nn.softmax(x, axis=-1),
        lambda x: (x - x.mean(axis=1, keepdims=True)) / (x.std(axis=1, keepdims=True) + 1e-3),
        lambda x: jnp.cumsum(x, axis=1),
        lambda x: jnp.concatenate([x, 2 * x], axis=1),
        lambda x: x.reshape(x.shape[0], 2, 2).transpose(0, 2, 1).reshape(x.shape[0], 4),
        lambda x: x + jnp.arange(8.0)[:, None],  # depends on the row's position, not on other rows
        lambda x: jax.jit(lambda t: t * 2)(x),
        lambda x: jax.nn.relu(x)[:, 1:3],
        lambda x: jax.lax.scan(lambda c, col: (jnp.tanh(c + col), c), jnp.zeros(8), x.T)[1].T,  # over columns
    ],
)
def test_row_wise_functions_are_proven(function):
    assert _row_wise(function, (8, 4))


def test_a_table_lookup_by_each_rows_ids_is_proven():
    table = np.arange(40, dtype=np.float32).reshape(10, 4)
    specs = jax.ShapeDtypeStruct((8, 5), np.int32)
    closed = jax.make_jaxpr(lambda t, ids: jnp.take(t, ids, axis=0).sum(axis=1))(table, specs)
    assert rows_are_independent(closed, [False, True])
    closed = jax.make_jaxpr(lambda t, ids: jnp.take(t, ids.T, axis=0))(table, specs)  # rows moved to axis 1
    assert not rows_are_independent(closed, [False, True])


@pytest.mark.parametrize(
    "function",
    [
        lambda x: x - x.mean(axis=0, keepdims=True),
        lambda x: x.T @ x,
        lambda x: jnp.cumsum(x, axis=0),
        lambda x: jnp.sort(x, axis=0),
        lambda x: x[::-1],
        lambda x: x[jnp.array([1, 0, 2, 3, 4, 5, 6, 7])],
        lambda x: jnp.take(x, jnp.array([0, 1]), axis=1),  # a gather from the batched value itself
        lambda x: jnp.roll(x, 1, axis=0),
        lambda x: x.reshape(4, 8),
        lambda x: jax.lax.scan(lambda c, row: (c + row, c), jnp.zeros(4), x)[1],  # over the rows
        lambda x: jax.lax.scan(lambda c, col: (c[::-1] + col, c), jnp.zeros(8), x.T)[1].T,  # carry reverses rows
    ],
)
def test_functions_that_mix_or_may_mix_rows_are_not_proven(function):
    assert not _row_wise(function, (8, 4))


def test_a_dense_and_normalising_model_pads_its_partial_batch():
    inputs = loom.Input((6,))
    hidden = layers.LayerNormalization()(layers.Dense(8, activation="relu")(inputs))
    model = loom.Model(inputs, layers.Dense(2, activation="softmax")(layers.BatchNormalization()(hidden)))
    assert model._chunk_plan(np.zeros((10, 6), "float32"), 4)[2]


def test_a_batch_mean_layer_predicts_its_partial_batch_at_its_own_size():
    inputs = loom.Input((3,))
    centred = layers.Lambda(lambda t: t - ops.mean(t, axis=0, keepdims=True))(inputs)
    model = loom.Model(inputs, layers.Dense(2, use_bias=False)(centred))
    x = np.random.default_rng(0).normal(size=(23, 3)).astype("float32")
    assert model._chunk_plan(x, 8)[2] is False
    (kernel,) = model.get_weights()
    # Keras's batches: 8, 8 and the partial 7, each centred on its own mean.
    expected = np.concatenate([(b - b.mean(axis=0, keepdims=True)) @ kernel for b in np.split(x, [8, 16])])
    np.testing.assert_allclose(model.predict(x, batch_size=8, verbose=0), expected, rtol=1e-5, atol=1e-5)
    # Fewer rows than one batch: only the partial batch.
    np.testing.assert_allclose(model.predict(x[:5], batch_size=8, verbose=0),
                               (x[:5] - x[:5].mean(axis=0, keepdims=True)) @ kernel, rtol=1e-5, atol=1e-5)


def test_predict_hooks_see_the_partial_batch_too():
    inputs = loom.Input((3,))
    model = loom.Model(inputs, layers.Lambda(lambda t: t - ops.mean(t, axis=0, keepdims=True))(inputs))
    seen = []

    class Hooks(loom.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            seen.append((batch, logs["outputs"].shape[0]))

    model.predict(np.ones((10, 3), "float32"), batch_size=4, verbose=0, callbacks=[Hooks()])
    assert seen == [(0, 4), (1, 4), (2, 2)]


def test_an_embedding_model_is_proven_and_predicts_right():
    inputs = loom.Input((5,), dtype="int32")
    model = loom.Model(inputs, layers.GlobalAveragePooling1D()(layers.Embedding(10, 4)(inputs)))
    ids = np.random.default_rng(1).integers(0, 10, size=(13, 5)).astype("int32")
    assert model._chunk_plan(ids, 4)[2] is True  # a lookup of each row's own ids
    (table,) = model.get_weights()
    np.testing.assert_allclose(model.predict(ids, batch_size=4, verbose=0), table[ids].mean(axis=1), rtol=1e-5)


@pytest.mark.parametrize("recurrent", [lambda: layers.LSTM(4), lambda: layers.GRU(4, return_sequences=True),
                                       lambda: layers.Bidirectional(layers.SimpleRNN(4))])
def test_a_recurrent_model_is_proven_and_its_partial_batch_matches_predict_on_batch(recurrent):
    # The layer loops over time with a scan whose body sees one time step of every row;
    # its carry keeps the rows in place from step to step.
    inputs = loom.Input((6, 3))
    model = loom.Model(inputs, recurrent()(inputs))
    x = np.random.default_rng(2).normal(size=(11, 6, 3)).astype("float32")
    assert model._chunk_plan(x, 4)[2] is True
    expected = np.concatenate([model.predict_on_batch(b) for b in np.split(x, [4, 8])])
    np.testing.assert_allclose(model.predict(x, batch_size=4, verbose=0), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_the_partial_batch_matches_keras():
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(3).normal(size=(23, 3)).astype("float32")

    def build(library, mean):
        inputs = library.Input((3,))
        centred = library.layers.Lambda(lambda t: t - mean(t, axis=0, keepdims=True))(inputs)
        return library.Model(inputs, library.layers.Dense(2, use_bias=False)(centred))

    ours, theirs = build(loom, ops.mean), build(keras, keras.ops.mean)
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(ours.predict(x, batch_size=8, verbose=0), theirs.predict(x, batch_size=8, verbose=0),
                               rtol=1e-5, atol=1e-5)
