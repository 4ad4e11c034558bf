"""Attention layers: Keras 3 parity on the same weights, masks, scores, shapes, configs and errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import loom  # noqa: E402
from loom.layers import Input  # noqa: E402
from loom.layers.attention import AdditiveAttention, Attention, MultiHeadAttention  # noqa: E402
from loom.layers.embedding import Embedding  # noqa: E402

RNG = np.random.default_rng(8)
TOL = dict(rtol=1e-5, atol=1e-5)


def _array(*shape):
    return RNG.normal(size=shape).astype("float32")


Q, V, K = _array(2, 4, 6), _array(2, 5, 7), _array(2, 5, 3)
Q4, V4 = _array(2, 3, 4, 6), _array(2, 3, 4, 5)
VALUE_MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
QUERY_MASK = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)
ATTENTION_MASK = RNG.uniform(size=(2, 4, 5)) > 0.3


# XLA's backend optimizations make most of a small test's compile time (10x for random draws);
# these tests check values, not speed.
FAST_COMPILE = {"xla_backend_optimization_level": 0}


def _run(fn, *args):
    """``fn`` compiled once, quickly: far cheaper than compiling each eager op of a new shape."""
    return jax.tree_util.tree_map(np.asarray, jax.jit(fn, compiler_options=FAST_COMPILE)(*args))


def _mha_pair(layer_kwargs, query, value, key=None):
    """A loom and a Keras MultiHeadAttention built for these inputs, with loom's weights in both."""
    # Keras compiles a random draw per new kernel shape; its weights are overwritten anyway.
    ours, theirs = MultiHeadAttention(**layer_kwargs), keras.layers.MultiHeadAttention(
        **layer_kwargs, kernel_initializer="zeros"
    )
    key_kwargs = {} if key is None else {"key": Input(key.shape[1:])}
    ours(Input(query.shape[1:]), Input(value.shape[1:]), **key_kwargs)
    key_kwargs = {} if key is None else {"key": keras.Input(key.shape[1:])}
    theirs(keras.Input(query.shape[1:]), keras.Input(value.shape[1:]), **key_kwargs)
    ours.set_weights([RNG.normal(size=w.shape).astype("float32") * 0.5 for w in ours.get_weights()])
    theirs.set_weights(ours.get_weights())
    return ours, theirs


# (layer arguments, query, value, key, call arguments); Keras takes its fused path for the
# cases without returned scores. (Plain calls are compared in the model test below.)
MHA_CASES = [
    # Keras's fused path fails when value_dim != key_dim; its scores path (asked for here) works.
    ({"num_heads": 2, "key_dim": 3, "value_dim": 4, "output_shape": 8, "use_bias": False}, Q, V, K,
     {"key_mask": VALUE_MASK, "return_attention_scores": True}),
    ({"num_heads": 3, "key_dim": 2, "use_gate": True, "sliding_window": 2}, Q, V, None,
     {"value_mask": VALUE_MASK, "attention_mask": ATTENTION_MASK}),
    ({"num_heads": 2, "key_dim": 3}, Q, Q, None, {"use_causal_mask": True}),
    ({"num_heads": 2, "key_dim": 3}, Q, Q, None, {"use_causal_mask": True, "value_mask": QUERY_MASK,
                                                  "return_attention_scores": True}),
    ({"num_heads": 2, "key_dim": 3, "attention_axes": (1, 2), "output_shape": (2, 3)}, Q4, V4, None,
     {"return_attention_scores": True}),
]


def test_multi_head_attention_matches_keras_on_the_same_weights():
    pairs = [_mha_pair(kwargs, q, v, k) for kwargs, q, v, k, _ in MHA_CASES]

    def both(arrays):
        results = []
        for (ours, theirs), (_, _, _, _, call), (q, v, k) in zip(pairs, MHA_CASES, arrays):
            key = {} if k is None else {"key": k}
            results.append((ours(q, v, **key, **call), theirs(q, v, **key, **call)))
        return results

    results = _run(both, [(q, v, k) for _, q, v, k, _ in MHA_CASES])
    for (kwargs, q, _, _, call), (out, keras_out) in zip(MHA_CASES, results):
        if call.get("return_attention_scores"):
            (out, scores), (keras_out, keras_scores) = out, keras_out
            np.testing.assert_allclose(scores, keras_scores, **TOL)
            if scores.ndim == 4:
                np.testing.assert_allclose(scores.sum(-1), 1.0, rtol=1e-5)
        np.testing.assert_allclose(out, keras_out, **TOL)
    (_, scores), _ = results[3]
    assert np.all(scores[:, :, np.triu_indices(4, 1)[0], np.triu_indices(4, 1)[1]] == 0)  # causal: no future


def test_multi_head_attention_weights_have_keras_layout():
    ours, theirs = _mha_pair({"num_heads": 2, "key_dim": 3, "value_dim": 4, "use_gate": True, "name": "mha"}, Q, V, K)
    assert [v.path for v in ours.weights] == [v.path for v in theirs.weights]
    assert [v.shape for v in ours.weights] == [tuple(v.shape) for v in theirs.weights]
    assert ours.query_dense.kernel.shape == (6, 2, 3) and ours.output_dense.kernel.shape == (2, 4, 6)
    assert (ours.num_heads, ours.key_dim, ours.value_dim, ours.dropout, ours.use_bias) == (2, 3, 4, 0.0, True)


def _masked_models(return_scores):
    ids = Input((5,), dtype="int32")
    embedded = Embedding(10, 6, mask_zero=True)(ids)
    ours = loom.Model(ids, MultiHeadAttention(2, 3)(embedded, embedded, return_attention_scores=return_scores))
    keras_ids = keras.Input((5,), dtype="int32")
    keras_embedded = keras.layers.Embedding(10, 6, mask_zero=True, embeddings_initializer="zeros")(keras_ids)
    keras_outputs = keras.layers.MultiHeadAttention(2, 3, kernel_initializer="zeros")(keras_embedded, keras_embedded,
                                                          return_attention_scores=return_scores)
    theirs = keras.Model(keras_ids, keras_outputs)
    for mine, keras_layer in zip(ours.layers[1:], theirs.layers[1:]):
        keras_layer.set_weights(mine.get_weights())
    return ours, theirs


def test_multi_head_attention_takes_masks_from_its_inputs_in_a_model_as_keras():
    ids = np.array([[1, 2, 3, 0, 0], [4, 5, 6, 7, 8]], np.int32)
    (ours, theirs), (ours_scored, theirs_scored) = _masked_models(False), _masked_models(True)
    out, keras_out, (scored, scores), (keras_scored, keras_scores) = _run(
        lambda x: (ours(x), theirs(x), ours_scored(x), theirs_scored(x)), ids
    )
    np.testing.assert_allclose(out, keras_out, **TOL)
    np.testing.assert_allclose(scored, keras_scored, **TOL)
    np.testing.assert_allclose(scores, keras_scores, **TOL)
    assert np.all(scores[0, :, :3, 3:] == 0)  # padded keys get no attention
    mha_output = ours.outputs[0]
    assert mha_output._keras_mask is not None  # the query's mask flows on, as in Keras
    assert getattr(ours_scored.outputs[1], "_keras_mask", None) is None


def test_multi_head_attention_honours_an_explicit_query_mask():
    layer = MultiHeadAttention(2, 3)
    out, masked = _run(lambda q: (layer(q, q, return_attention_scores=True),
                                  layer(q, q, query_mask=QUERY_MASK, return_attention_scores=True)), Q)
    np.testing.assert_allclose(masked[0][1], out[0][1], **TOL)  # unmasked rows are unchanged
    assert np.all(masked[1][0, :, 2:] == 0)  # masked query rows attend to nothing


def test_multi_head_attention_dropout_only_in_training():
    layer = MultiHeadAttention(2, 3, dropout=0.5, seed=1)
    layer(Input(Q.shape[1:]), Input(Q.shape[1:]))
    trainable = [v.value for v in layer.trainable_variables]
    state = [v.value for v in layer.non_trainable_variables]
    infer, train, reference = _run(
        lambda q, key: (
            layer(q, q),
            layer.stateless_call(trainable, state, q, q, training=True, rng=key)[0],
            layer(q, q, return_attention_scores=True)[0],  # not dropped either
        ),
        Q, jax.random.PRNGKey(0),
    )
    np.testing.assert_allclose(infer, reference, **TOL)
    assert not np.allclose(train, infer)


def test_multi_head_attention_symbolic_shapes_and_config_round_trip():
    layer = MultiHeadAttention(2, 3, value_dim=4, output_shape=5, attention_axes=[1], seed=3, name="mha")
    query, value = Input((None, 6)), Input((7, 8))
    out, scores = layer(query, value, return_attention_scores=True)
    assert out.shape == (None, None, 5) and scores.shape == (None, 2, None, 7)
    config = layer.get_config()
    assert config["value_dim"] == 4 and config["output_shape"] == (5,) and config["attention_axes"] == (1,)
    clone = MultiHeadAttention.from_config(config)
    assert clone.get_config() == config
    clone.build_from_config(layer.get_build_config())
    assert [v.shape for v in clone.weights] == [v.shape for v in layer.weights]


def test_multi_head_attention_errors():
    with pytest.raises(ValueError, match=r"^Layer 'multi_head_attention' \(MultiHeadAttention\): `num_heads` must be "
                       r"a positive int; received num_heads=0\.$"):
        MultiHeadAttention(0, 3)
    with pytest.raises(ValueError, match=r"`key_dim` must be a positive int; received key_dim=2.5"):
        MultiHeadAttention(2, 2.5)
    with pytest.raises(ValueError, match=r"`value_dim` must be a positive int or None; received value_dim=-1"):
        MultiHeadAttention(2, 2, value_dim=-1)
    with pytest.raises(ValueError, match=r"`dropout` must be a float in \[0, 1\); received dropout=1"):
        MultiHeadAttention(2, 2, dropout=1)
    with pytest.raises(ValueError, match=r"`sliding_window` must be None or a positive int; received sliding_window=0"):
        MultiHeadAttention(2, 2, sliding_window=0)
    with pytest.raises(ValueError, match=r"`output_shape` must be a positive int or a tuple of them; received "
                       r"output_shape='a'"):
        MultiHeadAttention(2, 2, output_shape="a")
    with pytest.raises(ValueError, match=r"`attention_axes` must be an int or a list/tuple of ints; received "
                       r"attention_axes='1'"):
        MultiHeadAttention(2, 2, attention_axes="1")
    with pytest.raises(ValueError, match=r"attention_axes=\(3,\) must name axes of the query between the batch axis "
                       r"and the features axis \(1 to 1 for rank-3 inputs\)"):
        MultiHeadAttention(2, 2, attention_axes=3)(Input((4, 6)), Input((5, 6)))
    with pytest.raises(ValueError, match=r"needs `value` and `key` to agree on every dimension but the last; received "
                       r"value shape \(None, 5, 6\) and key shape \(None, 4, 6\)"):
        MultiHeadAttention(2, 2)(Input((4, 6)), Input((5, 6)), key=Input((4, 6)))
    with pytest.raises(ValueError, match=r"needs `query` of rank >= 3, e.g. \(batch, steps, features\), with a known "
                       r"last dimension; received shape \(None, 6\)"):
        MultiHeadAttention(2, 2)(Input((6,)), Input((5, 6)))


# --- Attention and AdditiveAttention ------------------------------------------------

QA, VA, KA = _array(2, 4, 3), _array(2, 5, 3), _array(2, 5, 3)
# (class name, layer arguments, inputs, call arguments)
ATTENTION_CASES = [
    ("Attention", {}, [QA, VA], {}),
    ("Attention", {"use_scale": True}, [QA, VA, KA], {"mask": [QUERY_MASK, VALUE_MASK],
                                                     "return_attention_scores": True}),
    ("Attention", {"score_mode": "concat", "use_scale": True}, [QA, VA], {"mask": [None, VALUE_MASK]}),
    ("Attention", {}, [QA, QA], {"use_causal_mask": True, "return_attention_scores": True}),
    ("AdditiveAttention", {}, [QA, VA, KA], {"mask": [QUERY_MASK, VALUE_MASK], "use_causal_mask": True}),
    ("AdditiveAttention", {"use_scale": False}, [QA, VA], {"return_attention_scores": True}),
]


def test_attention_layers_match_keras_on_the_same_weights():
    pairs = []
    for name, kwargs, inputs, _ in ATTENTION_CASES:
        ours, theirs = {"Attention": Attention, "AdditiveAttention": AdditiveAttention}[name](**kwargs), getattr(
            keras.layers, name
        )(**kwargs)
        ours([Input(x.shape[1:]) for x in inputs])
        theirs([keras.Input(x.shape[1:]) for x in inputs])
        ours.set_weights([RNG.uniform(0.5, 1.5, size=w.shape).astype("float32") for w in ours.get_weights()])
        theirs.set_weights(ours.get_weights())
        assert [v.name for v in ours.weights] == [v.name for v in theirs.weights]
        pairs.append((ours, theirs))
    results = _run(
        lambda all_inputs: [(ours(list(x), **call), theirs(list(x), **call))
                            for (ours, theirs), x, (_, _, _, call) in zip(pairs, all_inputs, ATTENTION_CASES)],
        [inputs for _, _, inputs, _ in ATTENTION_CASES],
    )
    for (out, keras_out), (_, _, _, call) in zip(results, ATTENTION_CASES):
        if call.get("return_attention_scores"):
            np.testing.assert_allclose(out[1], keras_out[1], **TOL)
            out, keras_out = out[0], keras_out[0]
        np.testing.assert_allclose(out, keras_out, **TOL)
    (_, scores), _ = results[1]
    assert np.all(scores[0, :, 3:] == 0)  # masked values get no weight
    (out, _), _ = results[1]
    assert np.all(out[0, 2:] == 0)  # masked query steps output zeros


def test_dot_attention_matches_numpy():
    layer = Attention()
    out = _run(lambda q, v: layer([q, v]), QA, VA)
    scores = QA @ VA.transpose(0, 2, 1)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    np.testing.assert_allclose(out, weights @ VA, **TOL)


def test_attention_masks_shapes_and_configs():
    query, value = Input((4, 3)), Input((None, 3))
    masked_value = loom.layers.Masking()(value)
    out, scores = Attention()([query, masked_value], return_attention_scores=True)
    assert out.shape == (None, 4, 3) and scores.shape == (None, 4, None)
    masked_query = loom.layers.Masking()(query)
    assert Attention()([masked_query, value])._keras_mask is not None
    # In a model, the Masking layer's mask reaches Attention's `mask` argument.
    layer = Attention()
    model = loom.Model([query, value], layer([query, masked_value]))
    padded = VA.copy()
    padded[0, 3:] = 0.0
    np.testing.assert_allclose(
        model.predict([QA, padded], verbose=0),
        _run(lambda q, v: layer([q, v], mask=[None, VALUE_MASK]), QA, padded), **TOL,
    )
    layers = (Attention(use_scale=True, score_mode="concat", dropout=0.1, seed=2), AdditiveAttention(use_scale=False))
    for layer in layers:
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    assert "score_mode" not in AdditiveAttention().get_config()


def test_attention_dropout_only_in_training():
    layer, plain = Attention(dropout=0.5, seed=0), Attention()
    layer([Input((4, 3)), Input((5, 3))])
    infer, train, reference = _run(
        lambda q, v, key: (layer([q, v]), layer.stateless_call([], [s.value for s in layer.non_trainable_variables],
                                                               [q, v], training=True, rng=key)[0], plain([q, v])),
        QA, VA, jax.random.PRNGKey(1),
    )
    np.testing.assert_allclose(infer, reference, **TOL)
    assert not np.allclose(infer, train)


def test_attention_errors():
    with pytest.raises(ValueError, match=r"\(Attention\): `score_mode` must be 'dot' or 'concat'; received "
                       r"score_mode='add'"):
        Attention(score_mode="add")
    with pytest.raises(ValueError, match=r"\(AdditiveAttention\): `dropout` must be a float in \[0, 1\); received "
                       r"dropout=2"):
        AdditiveAttention(dropout=2)
    with pytest.raises(ValueError, match=r"must be called on a list of inputs, \[query, value\] or "
                       r"\[query, value, key\]"):
        Attention()(Input((4, 3)))
    with pytest.raises(ValueError, match=r"must be called on \[query, value\] or \[query, value, key\]; "
                       r"received a list of 4 inputs"):
        Attention()([Input((4, 3))] * 4)
    with pytest.raises(ValueError, match=r"`mask` must be a list \[query_mask, value_mask\]"):
        Attention()([QA, VA], mask=VALUE_MASK)
