"""predict runs several batches side by side in each turn of a chunk's loop (vmap), so
small batches make large matrix products. Each batch must still be computed as its own
batch: a layer that looks across the batch sees only its batch, as in Keras."""

import jax
import numpy as np
import pytest

import loom
from loom import layers, ops
from loom.training import predictor


def _dense_model():
    inputs = loom.Input((6,))
    outputs = layers.Dense(3)(layers.Dense(16, activation="tanh")(inputs))
    return loom.Model(inputs, outputs)


def _numpy_dense(model, x):
    k1, b1, k2, b2 = model.get_weights()
    return np.tanh(x @ k1 + b1) @ k2 + b2


def _plan(model, x, batch_size):
    return model._chunk_plan(x, batch_size)


def test_a_dense_model_predicts_in_groups_and_matches_numpy():
    model, x = _dense_model(), np.random.default_rng(0).normal(size=(1000, 6)).astype("float32")
    chunks, group, row_wise = _plan(model, x, 8)
    assert chunks and row_wise and group == predictor.GROUP_ROWS // 8  # 64 batches side by side
    np.testing.assert_allclose(model.predict(x, batch_size=8, verbose=0), _numpy_dense(model, x), rtol=1e-5,
                               atol=1e-5)


def test_each_batch_is_still_its_own_batch():
    # Centring on the batch mean depends on which rows share a batch: grouping must not
    # merge batches (Keras computes it batch by batch).
    inputs = loom.Input((4,))
    centred = layers.Lambda(lambda t: t - ops.mean(t, axis=0, keepdims=True))(inputs)
    model = loom.Model(inputs, layers.Dense(2, use_bias=False)(centred))
    x = np.random.default_rng(1).normal(size=(100, 4)).astype("float32")
    assert _plan(model, x, 10)[1] > 1
    (kernel,) = model.get_weights()
    expected = np.concatenate([(b - b.mean(axis=0, keepdims=True)) @ kernel for b in np.split(x, 10)])
    np.testing.assert_allclose(model.predict(x, batch_size=10, verbose=0), expected, rtol=1e-5, atol=1e-5)


def test_a_short_call_after_a_long_one_is_cut_right():
    model = _dense_model()
    rng = np.random.default_rng(2)
    long, short = rng.normal(size=(2048, 6)).astype("float32"), rng.normal(size=(37, 6)).astype("float32")
    model.predict(long, batch_size=4, verbose=0)  # the chunk keeps the long call's size
    np.testing.assert_allclose(model.predict(short, batch_size=4, verbose=0), _numpy_dense(model, short),
                               rtol=1e-5, atol=1e-5)


def test_elementwise_models_and_big_intermediates_are_not_grouped():
    inputs = loom.Input((6,))
    elementwise = loom.Model(inputs, layers.Activation("tanh")(inputs))
    assert _plan(elementwise, np.zeros((64, 6), "float32"), 8)[1] == 1
    wide = loom.Input((4,))
    big = loom.Model(wide, layers.Dense(2)(layers.Dense(200_000)(wide)))  # 800 kB per row
    # Its largest value, (8, 200000) float32, is 6.4 MB: two such batches fit in GROUP_BYTES (16 MB).
    assert _plan(big, np.zeros((64, 4), "float32"), 8)[1] == 2


def test_a_step_that_cannot_be_vmapped_predicts_batch_by_batch():
    def host_double(t):
        # No vmap_method: jax refuses to vmap this callback, so predict must not group.
        return jax.pure_callback(lambda a: np.asarray(a) * 2, jax.ShapeDtypeStruct(t.shape, t.dtype), t)

    inputs = loom.Input((3,))
    model = loom.Model(inputs, layers.Dense(2, use_bias=False)(layers.Lambda(host_double)(inputs)))
    x = np.random.default_rng(3).normal(size=(40, 3)).astype("float32")
    assert _plan(model, x, 4)[:2] == (True, 1)
    (kernel,) = model.get_weights()
    np.testing.assert_allclose(model.predict(x, batch_size=4, verbose=0), (2 * x) @ kernel, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("batch_size", [1, 3, 32, 512, 1024])
def test_group_sizes_stay_within_the_row_limit(batch_size):
    model = _dense_model()
    group = _plan(model, np.zeros((8, 6), "float32"), batch_size)[1]
    assert group >= 1 and group & (group - 1) == 0  # a power of two
    assert group == 1 or group * batch_size <= predictor.GROUP_ROWS
