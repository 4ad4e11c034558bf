"""Graph leniencies of Keras 3 that loom keeps: the same program under Keras (JAX backend) and loom.

Each program is a function of the library module it is given (``keras`` or
``loom``), written as a Keras user writes it; weights are copied from the Keras
run into the loom run so that the numbers can be compared.
"""

import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import loom  # noqa: E402

keras = pytest.importorskip("keras")

# Keras 3's Variable.numpy() (get_weights, predict) trips a NumPy 2 deprecation inside
# Keras itself; it is Keras's to fix, so it is not an error here.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

RNG = np.random.default_rng(7)


def _fresh(lib):
    lib.utils.clear_session()
    lib.utils.set_random_seed(0)
    return lib


def _copy_weights(source, target) -> None:
    target.set_weights([np.asarray(w) for w in source.get_weights()])


# --- 1. a model of an intermediate layer: inputs it does not use -------------------------


def two_tower_probe(lib):
    a, b = lib.Input((3,), name="a"), lib.Input((2,), name="b")
    tower_a = lib.layers.Dense(4, name="tower_a")(a)
    tower_b = lib.layers.Dense(4, name="tower_b")(b)
    total = lib.layers.Add(name="add")([tower_a, tower_b])
    model = lib.Model([a, b], lib.layers.Dense(1, name="out")(total))
    return model, lib.Model(model.inputs, model.get_layer("tower_a").output)


def test_model_reading_an_intermediate_layer_matches_keras():
    theirs, their_probe = two_tower_probe(_fresh(keras))
    ours, our_probe = two_tower_probe(_fresh(loom))
    _copy_weights(theirs, ours)
    assert [layer.name for layer in our_probe.layers] == [layer.name for layer in their_probe.layers]
    ours_config, theirs_config = our_probe.get_config(), their_probe.get_config()
    for key in ("input_layers", "output_layers"):
        assert ours_config[key] == theirs_config[key]
    assert [entry["name"] for entry in ours_config["layers"]] == [entry["name"] for entry in theirs_config["layers"]]
    xa, xb = RNG.normal(size=(5, 3)).astype("float32"), RNG.normal(size=(5, 2)).astype("float32")
    expected = their_probe.predict([xa, xb], verbose=0)
    np.testing.assert_allclose(our_probe.predict([xa, xb], verbose=0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(our_probe([xa, xb])), np.asarray(their_probe([xa, xb])), rtol=1e-5)


# --- 2. layer.output of a layer called twice --------------------------------------------


def shared_layer_first_call(lib):
    a, b = lib.Input((3,), name="a"), lib.Input((3,), name="b")
    shared = lib.layers.Dense(2, name="shared")
    both = lib.Model([a, b], lib.layers.Concatenate()([shared(a), shared(b)]))
    return both, shared, lib.Model([a, b], shared.output)


def test_output_of_a_shared_layer_is_its_first_call_as_in_keras():
    theirs, their_shared, their_first = shared_layer_first_call(_fresh(keras))
    _fresh(loom)
    with pytest.warns(UserWarning, match="2 inbound nodes"):
        ours, our_shared, our_first = shared_layer_first_call(loom)
    _copy_weights(theirs, ours)
    assert our_shared.output.shape == their_shared.output.shape
    assert our_shared.input.name == their_shared.input.name == "a"
    x = [RNG.normal(size=(4, 3)).astype("float32"), RNG.normal(size=(4, 3)).astype("float32")]
    expected = their_first.predict(x, verbose=0)
    np.testing.assert_allclose(our_first.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(expected, their_shared(x[0]), rtol=1e-5, atol=1e-6)  # the call on `a`


# --- 3. data one trailing size-1 axis off the Input's rank ------------------------------


def image_classifier(lib, shape):
    inputs = lib.Input(shape)
    features = lib.layers.Flatten()(inputs)
    model = lib.Model(inputs, lib.layers.Dense(3, activation="softmax")(features))
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize(
    "input_shape, data_shape",
    [((4, 4, 1), (6, 4, 4)), ((4, 4), (6, 4, 4, 1)), ((4, 4, 1), (6, 4, 4, 1, 1)), ((1,), (6,))],
    ids=["channel-added", "channel-dropped", "extra-axis-dropped", "vector-to-column"],
)
def test_rank_adjusted_data_trains_and_predicts_as_in_keras(input_shape, data_shape):
    x = RNG.normal(size=data_shape).astype("float32")
    y = RNG.integers(0, 3, size=(data_shape[0],))
    theirs = image_classifier(_fresh(keras), input_shape)
    ours = image_classifier(_fresh(loom), input_shape)
    _copy_weights(theirs, ours)
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    their_history = theirs.fit(x, y, batch_size=3, epochs=2, shuffle=False, verbose=0).history
    our_history = ours.fit(x, y, batch_size=3, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(our_history["loss"], their_history["loss"], rtol=1e-4)
    for mine, reference in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, reference, rtol=1e-4, atol=1e-6)
    assert ours.evaluate(x, y, verbose=0) == pytest.approx(theirs.evaluate(x, y, verbose=0), rel=1e-4)


@pytest.mark.parametrize("data_shape", [(6, 4, 4, 3), (6, 4), (6, 4, 1)], ids=["last-not-1", "two-off", "wrong-dims"])
def test_data_no_trailing_axis_fixes_is_refused_as_by_keras(data_shape):
    x = np.ones(data_shape, "float32")
    with pytest.raises(ValueError):
        image_classifier(_fresh(keras), (4, 4, 1))(x)
    with pytest.raises(ValueError, match=rf"received shape \({data_shape[0]}, "):
        image_classifier(_fresh(loom), (4, 4, 1))(x)


# --- 4. masks on arrays from eager layer calls -----------------------------------------


def masked_sequence_encoder(lib, ids):
    embedding = lib.layers.Embedding(6, 3, mask_zero=True)
    vectors = embedding(ids)
    lstm = lib.layers.LSTM(2, return_sequences=True)
    return embedding, lstm, vectors, lstm(vectors)


def test_eager_masks_attach_and_reach_the_next_layer_as_in_keras():
    ids = np.array([[2, 0, 4, 0], [0, 0, 1, 5]])
    their_embedding, their_lstm, their_vectors, _ = masked_sequence_encoder(_fresh(keras), ids)
    our_embedding, our_lstm, our_vectors, _ = masked_sequence_encoder(_fresh(loom), ids)
    np.testing.assert_array_equal(np.asarray(our_vectors._keras_mask), np.asarray(their_vectors._keras_mask))
    _copy_weights(their_embedding, our_embedding)
    _copy_weights(their_lstm, our_lstm)
    theirs = np.asarray(their_lstm(their_embedding(ids)))
    np.testing.assert_allclose(np.asarray(our_lstm(our_embedding(ids))), theirs, rtol=1e-5, atol=1e-6)
    x = RNG.normal(size=(2, 3, 2)).astype("float32")
    x[0, 1] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither library warns on this program
        ours_masked, theirs_masked = loom.layers.Masking()(x), keras.layers.Masking()(x)
    np.testing.assert_array_equal(np.asarray(ours_masked._keras_mask), np.asarray(theirs_masked._keras_mask))
