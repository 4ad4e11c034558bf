"""Models whose first layers take strings: fit, evaluate and predict on raw text, save and load."""

import numpy as np
import pytest

import loom
from loom import layers as L
from loom.layers.host_prefix import HostEncoded

TEXTS = np.array(["good great fine", "bad awful poor", "great good", "poor bad", "fine good", "awful bad"] * 6)
LABELS = np.array([1, 0, 1, 0, 1, 0] * 6, "float32")


def text_classifier(vectorizer):
    inputs = loom.Input(shape=(1,), dtype="string", name="text")
    x = L.Embedding(vectorizer.vocabulary_size(), 8)(vectorizer(inputs))
    outputs = L.Dense(1, activation="sigmoid")(L.GlobalAveragePooling1D()(x))
    model = loom.Model(inputs, outputs)
    model.compile(optimizer=loom.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def adapted_vectorizer():
    vectorizer = L.TextVectorization(max_tokens=12, output_sequence_length=4)
    vectorizer.adapt(TEXTS)
    return vectorizer


def test_text_classifier_trains_and_predicts_from_raw_strings():
    model = text_classifier(adapted_vectorizer())
    history = model.fit(TEXTS, LABELS, epochs=15, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    predictions = model.predict(["great good fine", "awful poor"], verbose=0)
    assert predictions.shape == (2, 1) and predictions[0, 0] > 0.5 > predictions[1, 0]
    _, accuracy = model.evaluate(TEXTS, LABELS, verbose=0)
    assert accuracy == 1.0
    # An eager call runs the host prefix, then the compiled part.
    np.testing.assert_allclose(
        np.asarray(model(np.array([["great good fine"], ["awful poor"]]))), predictions, rtol=1e-5
    )


def test_fit_on_an_iterable_of_string_batches_and_validation_split():
    model = text_classifier(adapted_vectorizer())
    batches = [(TEXTS[i : i + 12], LABELS[i : i + 12]) for i in range(0, len(TEXTS), 12)]
    history = model.fit(batches, epochs=10, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    split = model.fit(TEXTS, LABELS, epochs=1, validation_split=0.25, verbose=0)
    assert "val_loss" in split.history


def test_saved_model_carries_its_vocabulary(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("good\ngreat\nfine\nbad\nawful\npoor", encoding="utf-8")
    model = text_classifier(L.TextVectorization(vocabulary=str(path), output_sequence_length=4))
    model.fit(TEXTS, LABELS, epochs=2, batch_size=8, verbose=0)
    model.save(tmp_path / "model.keras")
    path.unlink()  # loading must not read the vocabulary file
    restored = loom.models.load_model(tmp_path / "model.keras")
    np.testing.assert_array_equal(restored.predict(TEXTS[:6], verbose=0), model.predict(TEXTS[:6], verbose=0))
    assert restored.layers[1].get_vocabulary()[2:] == ["good", "great", "fine", "bad", "awful", "poor"]


def test_mixed_string_and_numeric_inputs_with_several_host_layers():
    words = loom.Input(shape=(1,), dtype="string", name="word")
    number = loom.Input(shape=(1,), dtype="int32", name="code")
    amount = loom.Input(shape=(2,), name="amount")
    word_ids = L.StringLookup(vocabulary=["x", "y"], output_mode="one_hot")(words)
    code_bins = L.Hashing(4, output_mode="one_hot")(number)
    crossed = L.HashedCrossing(3, output_mode="one_hot")((words, number))
    merged = L.Concatenate()([word_ids, code_bins, crossed, amount])
    model = loom.Model([words, number, amount], L.Dense(1)(merged))
    model.compile("sgd", "mse")
    data = {
        "word": np.array(["x", "y", "z", "x"]),
        "code": np.array([[1], [2], [3], [4]]),
        "amount": np.ones((4, 2), "float32"),
    }
    model.fit(data, np.zeros((4, 1)), epochs=1, verbose=0)
    outputs = model.predict(data, verbose=0)
    # The compiled part equals Dense on the host layers' outputs, computed by hand.
    features = np.concatenate(
        [
            np.asarray(L.StringLookup(vocabulary=["x", "y"], output_mode="one_hot")(data["word"][:, None])),
            np.asarray(L.Hashing(4, output_mode="one_hot")(data["code"])),
            np.asarray(L.HashedCrossing(3, output_mode="one_hot")((data["word"][:, None], data["code"]))),
            data["amount"],
        ],
        axis=1,
    )
    kernel, bias = model.layers[-1].get_weights()
    np.testing.assert_allclose(outputs, features @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_host_prefix_encodes_once_per_batch_into_a_pytree():
    model = text_classifier(adapted_vectorizer())
    encoded = model._encode_on_host(np.array([["good"], ["bad"]]))
    assert isinstance(encoded, HostEncoded) and encoded.inputs == ()
    assert encoded.boundary[0].shape == (2, 4) and encoded.boundary[0].dtype == np.int32
    np.testing.assert_allclose(np.asarray(model(encoded)), np.asarray(model(np.array([["good"], ["bad"]]))))


def test_host_layer_after_a_compiled_layer_is_refused_by_name():
    inputs = loom.Input(shape=(2,))
    dense = L.Dense(1, name="scores")(inputs)
    hashed = L.Hashing(3, name="bins")(dense)
    with pytest.raises(ValueError, match="'bins'.*runs on the host.*'scores'"):
        loom.Model(inputs, hashed)


def test_string_input_into_a_compiled_layer_is_refused():
    strings = loom.Input(shape=(1,), dtype="string", name="raw")
    ids = L.StringLookup(vocabulary=["a"])(strings)
    with pytest.raises(ValueError, match="input 'raw' holds strings"):
        loom.Model(strings, [ids, strings])


def test_string_input_layer_config_round_trip():
    layer = L.InputLayer(shape=(1,), dtype="string")
    assert layer.output.dtype == "string"
    assert L.InputLayer.from_config(layer.get_config()).output.dtype == "string"
