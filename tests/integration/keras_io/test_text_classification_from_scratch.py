"""keras.io example "Text classification from scratch" (examples/nlp/text_classification_from_scratch.py).

The IMDB reviews and the TextVectorization step (tf.data and strings) are
replaced by what that step yields: seeded int64 token sequences of length 500 in
[0, 20000), with a label that follows from the tokens (a "positive" or a "negative"
word recurs). 256 training, 64 validation and 64 test reviews.
"""

import numpy as np
import pytest

max_features = 20000
embedding_dim = 128
sequence_length = 500


def vectorized_reviews(samples, seed):
    """What `vectorize_layer` returns for `samples` reviews: int64 (samples, 500), and int32 labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=(samples,))
    tokens = rng.integers(2, max_features, size=(samples, sequence_length))
    often = rng.random((samples, sequence_length)) < 0.4
    tokens[often & (labels[:, None] == 1)] = 7  # a "positive" word
    tokens[often & (labels[:, None] == 0)] = 9  # a "negative" word
    lengths = rng.integers(200, sequence_length + 1, size=(samples,))
    tokens[np.arange(sequence_length)[None, :] >= lengths[:, None]] = 0  # padding
    return tokens.astype("int64"), labels.astype("int32")


def text_classifier(keras):
    layers = keras.layers
    # A integer input for vocab indices.
    inputs = keras.Input(shape=(None,), dtype="int64")

    # Next, we add a layer to map those vocab indices into a space of dimensionality
    # 'embedding_dim'.
    x = layers.Embedding(max_features, embedding_dim)(inputs)
    x = layers.Dropout(0.5)(x)

    # Conv1D + global max pooling
    x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.GlobalMaxPooling1D()(x)

    # We add a vanilla hidden layer:
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.5)(x)

    # We project onto a single unit output layer, and squash it with a sigmoid:
    predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)

    model = keras.Model(inputs, predictions)

    # Compile the model with binary crossentropy loss and an adam optimizer.
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


# Without jax_enable_x64, JAX warns that the int64 input becomes int32; the example runs so under Keras too.
@pytest.mark.filterwarnings("ignore:Explicitly requested dtype int64:UserWarning")
def test_convnet_over_embeddings_learns_review_labels(keras):
    x_train, y_train = vectorized_reviews(256, seed=0)
    x_val, y_val = vectorized_reviews(64, seed=1)
    x_test, y_test = vectorized_reviews(64, seed=2)
    model = text_classifier(keras)
    assert tuple(model.output.shape) == (None, 1)
    assert model.count_params() == 20000 * 128 + (7 * 128 * 128 + 128) * 2 + 128 * 128 + 128 + 129

    epochs = 3

    # Fit the model using the train and test datasets (batches of 32, as text_dataset_from_directory makes).
    history = model.fit(x_train, y_train, batch_size=32, validation_data=(x_val, y_val), epochs=epochs)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.history["loss"][-1] < history.history["loss"][0]

    loss, accuracy = model.evaluate(x_test, y_test)
    assert accuracy > 0.7  # chance is 0.5
    # Reviews of another length go through the same model: the input is (None,) long.
    assert model.predict(x_test[:2, :300], verbose=0).shape == (2, 1)
