"""ReversibleEmbedding: lookup and reverse projection against NumPy and Keras 3, masks, training, configs."""

import keras
import numpy as np
import pytest

import loom
from loom import layers as L

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

IDS = np.array([[1, 0, 3], [2, 2, 0]], "int32")


@pytest.mark.parametrize(
    "options",
    [{}, {"tie_weights": False}, {"logit_soft_cap": 0.05}, {"mask_zero": True, "reverse_dtype": "float32"}],
)
def test_reversible_embedding_matches_keras_both_ways(options):
    theirs = keras.layers.ReversibleEmbedding(10, 4, **options)
    hidden = theirs(IDS)
    expected = np.asarray(theirs(hidden, reverse=True))
    ours = L.ReversibleEmbedding(10, 4, **options)
    ours(IDS)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    ours_hidden = ours(IDS)
    np.testing.assert_allclose(np.asarray(ours_hidden), np.asarray(hidden), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(ours(ours_hidden, reverse=True)), expected, rtol=1e-5, atol=1e-7)


def test_reversible_embedding_reverse_is_the_tied_or_untied_matmul_with_soft_cap():
    tied = L.ReversibleEmbedding(6, 3, logit_soft_cap=2.0)
    vectors = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32") * 10
    logits = np.asarray(tied(vectors, reverse=True))
    (table,) = tied.get_weights()
    np.testing.assert_allclose(logits, np.tanh(vectors @ table.T / 2.0) * 2.0, rtol=1e-5, atol=1e-6)
    assert np.abs(logits).max() <= 2.0
    untied = L.ReversibleEmbedding(6, 3, tie_weights=False, embeddings_initializer="random_normal")
    untied(IDS)
    table, reverse = untied.get_weights()
    assert reverse.shape == (3, 6) and not np.allclose(reverse, table.T)
    np.testing.assert_allclose(np.asarray(untied(vectors, reverse=True)), vectors @ reverse, rtol=1e-5, atol=1e-5)


def test_reversible_embedding_masks_only_the_lookup():
    ids = loom.Input((3,), dtype="int32")
    layer = L.ReversibleEmbedding(10, 4, mask_zero=True)
    hidden = layer(ids)
    logits = layer(hidden, reverse=True)
    assert hidden._keras_mask is not None and getattr(logits, "_keras_mask", None) is None
    assert logits.shape == (None, 3, 10)
    seen = L.Lambda(lambda x, mask: loom.ops.cast(mask, "float32"))(hidden)
    np.testing.assert_array_equal(loom.Model(ids, seen).predict(IDS, verbose=0), (IDS != 0).astype("float32"))
    eager_hidden = layer(IDS)
    np.testing.assert_array_equal(np.asarray(eager_hidden._keras_mask), IDS != 0)
    assert getattr(layer(eager_hidden, reverse=True), "_keras_mask", None) is None


def test_reversible_embedding_trains_a_tied_language_model_and_survives_save_load(tmp_path):
    rng = np.random.default_rng(1)
    ids = rng.integers(0, 8, size=(64, 5)).astype("int32")
    targets = (ids + 1) % 8  # predict the next id
    inputs = loom.Input((5,), dtype="int32")
    embedding = L.ReversibleEmbedding(8, 16)
    logits = embedding(L.Dense(16, activation="tanh")(embedding(inputs)), reverse=True)
    model = loom.Model(inputs, logits)
    model.compile(loom.optimizers.Adam(0.05), loom.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(ids, targets, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.3 * history.history["loss"][0]
    assert len(model.weights) == 3  # one table for both directions, plus the Dense
    model.save(tmp_path / "lm.keras")
    restored = loom.models.load_model(tmp_path / "lm.keras")
    np.testing.assert_array_equal(restored.predict(ids, verbose=0), model.predict(ids, verbose=0))


def test_reversible_embedding_config_round_trip_and_keras_config():
    layer = L.ReversibleEmbedding(10, 4, tie_weights=False, reverse_dtype="float32", logit_soft_cap=30.0)
    config = layer.get_config()
    assert {"tie_weights": False, "reverse_dtype": "float32", "logit_soft_cap": 30.0}.items() <= config.items()
    assert L.ReversibleEmbedding.from_config(config).get_config() == config
    keras_config = keras.layers.ReversibleEmbedding(10, 4, logit_soft_cap=5.0).get_config()
    rebuilt = L.ReversibleEmbedding.from_config(
        {k: v for k, v in keras_config.items() if k not in ("dtype", "embeddings_initializer")}
    )
    assert rebuilt.logit_soft_cap == 5.0 and rebuilt.tie_weights


def test_reversible_embedding_errors_in_words():
    with pytest.raises(ValueError, match="`logit_soft_cap` must be a positive number"):
        L.ReversibleEmbedding(10, 4, logit_soft_cap=-1.0)
    layer = L.ReversibleEmbedding(10, 4)
    with pytest.raises(ValueError, match="needs vectors of size output_dim=4"):
        layer(np.ones((2, 3), "float32"), reverse=True)
