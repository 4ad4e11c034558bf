"""GroupQueryAttention: parity with Keras 3 on the same weights, masks, dropout, training, configs, errors."""

import jax
import keras
import numpy as np
import pytest

import loom
from loom import layers as L

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

RNG = np.random.default_rng(0)
QUERY = RNG.normal(size=(2, 4, 6)).astype("float32")
VALUE = RNG.normal(size=(2, 5, 6)).astype("float32")
KEY = RNG.normal(size=(2, 5, 3)).astype("float32")
ATTENTION_MASK = RNG.random((2, 4, 5)) > 0.3
ATTENTION_MASK[0, 1] = False  # a query row that sees no key at all


def _pair(**options):
    theirs = keras.layers.GroupQueryAttention(3, 4, 2, bias_initializer="random_normal", **options)
    ours = L.GroupQueryAttention(3, 4, 2, **options)
    return theirs, ours


@pytest.mark.parametrize("options", [{}, {"use_gate": True}, {"use_bias": False}, {"sliding_window": 2}])
@pytest.mark.parametrize(
    "call",
    [
        {},
        {"attention_mask": ATTENTION_MASK},
        {"use_causal_mask": True},
        {"attention_mask": ATTENTION_MASK, "return_attention_scores": True},
        {"use_causal_mask": True, "return_attention_scores": True},
    ],
)
def test_group_query_attention_matches_keras_on_the_same_weights(options, call):
    theirs, ours = _pair(**options)
    expected = theirs(QUERY, VALUE, **call)
    ours(QUERY, VALUE)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    for a, b in zip(jax.tree_util.tree_leaves(ours(QUERY, VALUE, **call)), jax.tree_util.tree_leaves(expected)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)


def test_group_query_attention_with_a_separate_key_matches_keras():
    theirs, ours = _pair()
    expected = np.asarray(theirs(QUERY, VALUE, key=KEY))
    ours(QUERY, VALUE, key=KEY)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(np.asarray(ours(QUERY, VALUE, key=KEY)), expected, rtol=1e-5, atol=1e-5)


def test_group_query_attention_equals_numpy_with_shared_key_value_heads():
    layer = L.GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2, use_bias=False)
    out, scores = layer(QUERY, VALUE, return_attention_scores=True)
    wq, wk, wv, wo = layer.get_weights()  # (6, 4, 2), (6, 2, 2), (6, 2, 2), (4, 2, 6)
    q = np.einsum("bqm,muh->bquh", QUERY, wq)
    k = np.repeat(np.einsum("bkm,mvh->bkvh", VALUE, wk), 2, axis=2)  # heads 0,1 share key head 0
    v = np.repeat(np.einsum("bkm,mvh->bkvh", VALUE, wv), 2, axis=2)
    logits = np.einsum("bquh,bkuh->buqk", q / np.sqrt(2.0), k)
    probabilities = np.exp(logits - logits.max(-1, keepdims=True))
    probabilities /= probabilities.sum(-1, keepdims=True)
    expected = np.einsum("buqk,bkuh,uhm->bqm", probabilities, v, wo)
    np.testing.assert_allclose(np.asarray(scores), probabilities, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-4, atol=1e-5)


def test_group_query_attention_padding_masks_flow_from_embeddings_in_a_model():
    ids = loom.Input((4,), dtype="int32")
    vectors = L.Embedding(10, 6, mask_zero=True)(ids)
    layer = L.GroupQueryAttention(3, 4, 2)
    model = loom.Model(ids, layer(vectors, vectors, return_attention_scores=True)[1])
    batch = np.array([[1, 2, 0, 0], [3, 0, 0, 0]], "int32")
    scores = model.predict(batch, verbose=0)
    # keys at padded positions get no attention; every real query row sums to 1
    assert np.all(scores[0, :, :2, 2:] == 0) and np.all(scores[1, :, :1, 1:] == 0)
    np.testing.assert_allclose(scores[0, :, :2].sum(-1), 1.0, rtol=1e-5)


def test_group_query_attention_dropout_only_in_training_and_repeatable():
    layer = L.GroupQueryAttention(3, 4, 2, dropout=0.5, seed=3)
    inference = np.asarray(layer(QUERY, VALUE))
    np.testing.assert_array_equal(np.asarray(layer(QUERY, VALUE)), inference)
    trained = np.asarray(layer(QUERY, VALUE, training=True))
    assert not np.allclose(trained, inference)
    values = [v.value for v in layer.trainable_variables]
    states = [v.value for v in layer.non_trainable_variables]
    first = layer.stateless_call(values, states, QUERY, VALUE, training=True)[0]
    second = layer.stateless_call(values, states, QUERY, VALUE, training=True)[0]
    np.testing.assert_array_equal(np.asarray(first), np.asarray(second))


def test_group_query_attention_trains_and_survives_save_load(tmp_path):
    query, value = loom.Input((4, 6)), loom.Input((5, 6))
    model = loom.Model([query, value], L.GroupQueryAttention(3, 4, 2)(query, value))
    model.compile(loom.optimizers.Adam(0.01), "mse")
    x = [np.repeat(QUERY, 8, 0), np.repeat(VALUE, 8, 0)]
    y = np.tanh(x[0])
    history = model.fit(x, y, epochs=20, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    model.save(tmp_path / "gqa.keras")
    restored = loom.models.load_model(tmp_path / "gqa.keras")
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [w.path for w in restored.weights][:2] == [w.path for w in model.weights][:2]


def test_group_query_attention_config_matches_keras_names():
    ours = L.GroupQueryAttention(8, 4, 1, dropout=0.1, sliding_window=3, use_gate=True, seed=2)
    config = ours.get_config()
    theirs = keras.layers.GroupQueryAttention(8, 4, 1, dropout=0.1, sliding_window=3, use_gate=True, seed=2)
    assert set(theirs.get_config()) - set(config) == set()
    assert L.GroupQueryAttention.from_config(config).get_config() == config
    assert type(ours).__name__ == type(theirs).__name__ == "GroupedQueryAttention"


@pytest.mark.parametrize(
    "arguments, message",
    [
        ((4, 6, 4), "multiple of `num_key_value_heads`"),
        ((0, 4, 2), "`head_dim` must be a positive int"),
        ((4, 4, 2, 1.5), "`dropout` must be a float in"),
    ],
)
def test_group_query_attention_rejects_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        L.GroupQueryAttention(*arguments)
    with pytest.raises(ValueError, match="sliding_window"):
        L.GroupQueryAttention(4, 4, 2, sliding_window=0)


def test_group_query_attention_rejects_mismatched_inputs_in_words():
    with pytest.raises(ValueError, match="same last dimension"):
        L.GroupQueryAttention(3, 4, 2)(loom.Input((4, 6)), loom.Input((5, 7)))
    with pytest.raises(ValueError, match="same length"):
        L.GroupQueryAttention(3, 4, 2)(loom.Input((4, 6)), loom.Input((5, 6)), key=loom.Input((3, 6)))
    with pytest.raises(ValueError, match=r"\(batch, steps, features\)"):
        L.GroupQueryAttention(3, 4, 2)(loom.Input((6,)), loom.Input((6,)))
