"""keras.io example "Bidirectional LSTM on IMDB" (examples/nlp/bidirectional_lstm_imdb.py).

`keras.datasets.imdb` is replaced by seeded lists of word indices of varied
lengths (positive reviews use more words from a "positive" range), padded with
the example's own pad_sequences call; maxlen 40 instead of 200, 128 reviews.
"""

import numpy as np

max_features = 20000  # Only consider the top 20k words
maxlen = 40  # Only consider the first 40 words of each movie review (200 in the example)


def load_data(samples, seed):
    """imdb.load_data's shape: an object array of int lists (word indices >= 1), and int64 labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=(samples,))
    reviews = []
    for label in labels:
        words = rng.integers(1, max_features, size=rng.integers(10, 2 * maxlen))
        if label:
            words[rng.random(len(words)) < 0.3] = rng.integers(1, 20)
        reviews.append(list(words))
    return np.array(reviews, dtype="object"), labels


def bidirectional_lstm(keras):
    layers = keras.layers
    # Input for variable-length sequences of integers
    inputs = keras.Input(shape=(None,), dtype="int32")
    # Embed each integer in a 128-dimensional vector
    x = layers.Embedding(max_features, 128)(inputs)
    # Add 2 bidirectional LSTMs
    x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(64))(x)
    # Add a classifier
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.summary()
    return model


def test_pad_sequences_truncates_and_pads_at_the_front(keras):
    padded = keras.utils.pad_sequences([[1, 2, 3], list(range(1, 51))], maxlen=maxlen)
    assert padded.shape == (2, maxlen) and padded.dtype == "int32"
    np.testing.assert_array_equal(padded[0, -3:], [1, 2, 3])
    np.testing.assert_array_equal(padded[0, :-3], 0)
    np.testing.assert_array_equal(padded[1], np.arange(11, 51))  # the last maxlen words are kept


def test_stacked_bidirectional_lstms_learn_review_labels(keras):
    model = bidirectional_lstm(keras)
    # Embedding, two Bidirectional LSTM(64)s (forward and backward: kernel, recurrent kernel, bias), Dense
    assert model.count_params() == 20000 * 128 + 2 * (4 * 64 * (128 + 64 + 1)) * 2 + 129

    (x_train, y_train), (x_val, y_val) = load_data(128, seed=0), load_data(64, seed=1)
    print(len(x_train), "Training sequences")
    print(len(x_val), "Validation sequences")
    # Use pad_sequence to standardize sequence length:
    # this will truncate sequences longer than maxlen words and zero-pad sequences shorter than maxlen words.
    x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
    x_val = keras.utils.pad_sequences(x_val, maxlen=maxlen)

    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=2, validation_data=(x_val, y_val))
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.history["loss"][1] < history.history["loss"][0]
    assert model.predict(x_val[:3], verbose=0).shape == (3, 1)
