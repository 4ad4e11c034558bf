"""Embedding: lookup against NumPy and Keras 3, masks, shapes, configs and errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import loom  # noqa: E402
from loom.layers import Input  # noqa: E402
from loom.layers.core import Lambda  # noqa: E402
from loom.layers.embedding import Embedding  # noqa: E402

IDS = np.array([[1, 0, 3, 9], [2, 2, 0, 0]], np.int32)


def test_embedding_matches_numpy_and_keras():
    layer = Embedding(10, 4)
    ours = np.asarray(layer(IDS))
    (table,) = layer.get_weights()
    assert table.shape == (10, 4)
    np.testing.assert_array_equal(ours, table[IDS])
    theirs = keras.layers.Embedding(10, 4)
    theirs.build()
    theirs.set_weights([table])
    np.testing.assert_allclose(ours, np.asarray(theirs(IDS)), rtol=1e-6)


def test_embedding_default_initializer_is_uniform_0_05_as_keras():
    layer = Embedding(50, 20)
    layer(IDS)
    (table,) = layer.get_weights()
    assert np.abs(table).max() <= 0.05 and table.std() > 0.01


def test_embedding_float_ids_are_cast_and_outputs_are_float():
    layer = Embedding(10, 3)
    out = np.asarray(layer(IDS.astype("float32")))
    np.testing.assert_array_equal(out, layer.get_weights()[0][IDS])
    symbolic = layer(Input((4,), dtype="int32"))
    assert symbolic.shape == (None, 4, 3) and symbolic.dtype == "float32"
    assert Embedding(10, 3)(Input((None,), dtype="int32")).shape == (None, None, 3)


def test_embedding_mask_zero_marks_padding():
    layer = Embedding(10, 4, mask_zero=True)
    np.testing.assert_array_equal(np.asarray(layer.compute_mask(IDS)), IDS != 0)
    assert Embedding(10, 4).compute_mask(IDS) is None
    theirs = keras.layers.Embedding(10, 4, mask_zero=True)
    np.testing.assert_array_equal(np.asarray(theirs.compute_mask(IDS)), np.asarray(layer.compute_mask(IDS)))


def test_embedding_mask_flows_to_the_next_layer_in_a_model():
    ids = Input((4,), dtype="int32")
    vectors = Embedding(10, 2, mask_zero=True)(ids)
    seen_mask = Lambda(lambda x, mask: loom.ops.cast(mask, "float32"))(vectors)
    model = loom.Model(ids, seen_mask)
    np.testing.assert_array_equal(model.predict(IDS, verbose=0), (IDS != 0).astype("float32"))


def test_embedding_in_a_model_with_given_weights():
    table = np.arange(30, dtype="float32").reshape(10, 3)
    ids = Input((4,), dtype="int32")
    model = loom.Model(ids, Embedding(10, 3, weights=[table])(ids))
    np.testing.assert_array_equal(model.predict(IDS, verbose=0), table[IDS])
    layer = Embedding(10, 3, weights=table)  # Keras also takes the table itself
    np.testing.assert_array_equal(np.asarray(layer(IDS)), table[IDS])


def test_embedding_accepts_tf_keras_input_length():
    model = loom.Sequential([Embedding(10, 3, input_length=4), loom.layers.core.Dense(2)])
    assert model.output.shape == (None, 4, 2)
    assert Embedding(10, 3, input_length=4)(Input((6,), dtype="int32")).shape == (None, 6, 3)


def test_embedding_config_round_trip():
    layer = Embedding(10, 3, embeddings_initializer="ones", embeddings_regularizer="l2", mask_zero=True,
                      embeddings_constraint="non_neg", input_length=5)
    config = layer.get_config()
    assert config["mask_zero"] is True and config["input_length"] == 5
    assert config["embeddings_initializer"]["class_name"] == "Ones"
    assert Embedding.from_config(config).get_config() == config


def test_embedding_regularizer_penalizes_the_table():
    layer = Embedding(5, 2, embeddings_initializer="ones", embeddings_regularizer=loom.regularizers.L2(0.1))
    layer(IDS[:, :2] % 5)
    np.testing.assert_allclose(float(layer.losses[0]), 0.1 * 10, rtol=1e-6)


def test_embedding_rejects_bad_sizes():
    with pytest.raises(ValueError, match=r"Layer 'embedding' \(Embedding\): `input_dim` must be a positive int; "
                       r"received input_dim=0"):
        Embedding(0, 4)
    with pytest.raises(ValueError, match=r"`output_dim` must be a positive int; received output_dim=2.5"):
        Embedding(10, 2.5)
    with pytest.raises(ValueError, match=r"`input_length` must be a positive int or None; received input_length=-3"):
        Embedding(10, 2, input_length=-3)
