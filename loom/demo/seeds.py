"""The five seed questions loom exists to answer, written as their askers would.

Each builder returns a model; each ``*_data`` function returns synthetic data
with a learnable signal. The code reads as Keras user code on purpose
(``import loom as keras``): it is what the README's tour shows, what the demo
runs, and what the tests and benchmarks check.
"""

import numpy as np

import loom as keras
from loom import ops
from loom.layers import (
    Average,
    ConvexCombination,
    Dense,
    Dot,
    ElementwiseScale,
    Input,
    Lambda,
    ThresholdedReLU,
    concatenate,
)

# --- (a) seed 000: multiply / dot the outputs of a shared layer --------------------


def dot_product_model(n_docs: int = 1000, query_dim: int = 300, units: int = 128) -> keras.Model:
    """Two document inputs through one shared Dense layer (unit-norm columns, L2),
    each dotted with a projection of a query; the scores summed and thresholded."""
    g = Input((query_dim,), name="g")
    d_pos = Input((n_docs,), name="d_pos")
    d_neg = Input((n_docs,), name="d_neg")
    lt = Dense(units, name="lt")(g)
    shared = Dense(
        units,
        activation="softmax",
        kernel_constraint=keras.constraints.UnitNorm(),
        kernel_regularizer=keras.regularizers.l2(0.001),
        name="ld",
    )
    ld_pos, ld_neg = shared(d_pos), shared(d_neg)
    ls_pos = Dot(axes=1, name="ls_pos")([lt, ld_pos])
    ls_neg = Dot(axes=1, name="ls_neg")([lt, ld_neg])
    summed = ops.add(ls_pos, ls_neg)
    loss_out = ThresholdedReLU(theta=0.5, name="loss_out")(summed)
    return keras.Model([g, d_pos, d_neg], loss_out, name="seed_000_dot")


def dot_product_data(samples: int = 256, n_docs: int = 1000, query_dim: int = 300, seed: int = 0):
    rng = np.random.default_rng(seed)
    g = rng.normal(size=(samples, query_dim)).astype("float32")
    d_pos = rng.random((samples, n_docs)).astype("float32")
    d_neg = rng.random((samples, n_docs)).astype("float32")
    target = (np.tanh(g[:, :4].sum(-1, keepdims=True)) + 1.0).astype("float32")
    return [g, d_pos, d_neg], target


# --- (b) seed 001: a constant data subset inside the model ---------------------------


def constant_subset_model(x_pk: np.ndarray, coefficients: np.ndarray) -> keras.Model:
    """f(x, x_pk) = exp((x - x_pk) / c) against a constant (m, n) subset, weighted by
    one trainable weight per element, summed over n, softmax over the m rows."""
    m, n = x_pk.shape
    x = Input((n,), name="x")
    rows = Input(tensor=x_pk, name="x_pk")  # constant: part of the model, never fed

    def calculate_f(inputs):
        x, x_pk = inputs
        # (batch, 1, n) against (1, m, n): broadcasting instead of a fixed batch size.
        return ops.exp((ops.expand_dims(x, 1) - ops.expand_dims(x_pk, 0)) / coefficients.reshape(1, 1, n))

    out = Lambda(calculate_f, name="f")([x, rows])  # (batch, m, n)
    out = ElementwiseScale(name="a_pk")(out)  # one trainable weight per (m, n) element
    out = Lambda(lambda t: ops.sum(t, axis=-1), name="sum_n")(out)  # (batch, m)
    out = keras.layers.Activation("softmax", name="softmax")(out)
    return keras.Model([x, rows], out, name="seed_001_constant")


def constant_subset_data(samples: int = 512, m: int = 3, n: int = 3, seed: int = 0):
    """x ~ N(0, 1), labelled by which of its first m coordinates is largest.

    The model's logits are linear in exp(x / c) (one free weight per (row, feature)),
    so the rule is exactly learnable, and the m classes are equally likely.
    """
    if m > n:
        raise ValueError(f"constant_subset_data needs m <= n; received m={m}, n={n}.")
    rng = np.random.default_rng(seed)
    x_pk = rng.normal(size=(m, n)).astype("float32")
    x = rng.normal(size=(samples, n)).astype("float32")
    labels = x[:, :m].argmax(1)
    return x_pk, np.full((n,), 2.0, "float32"), x, np.eye(m, dtype="float32")[labels]


# --- (c) seed 002: parallel MLPs mixed by weights that stay positive and sum to 1 -----


def mixture_model(branches: int = 3, features: int = 100, hidden: int = 32, outputs: int = 10) -> keras.Model:
    """N parallel MLPs (features -> hidden -> outputs) mixed by trainable weights on
    the simplex: Out = W1 * Out_MLP1 + ... with W_i > 0 and sum W_i = 1."""
    inputs = [Input((features,), name=f"x{i + 1}") for i in range(branches)]
    mlp_outputs = []
    for x in inputs:
        h = Dense(hidden, activation="relu")(x)
        mlp_outputs.append(Dense(outputs, activation="linear")(h))
    out = ConvexCombination(name="mix")(mlp_outputs)
    return keras.Model(inputs, out, name="seed_002_mixture")


def mixture_data(samples: int = 1000, branches: int = 3, features: int = 100, outputs: int = 10, seed: int = 0):
    rng = np.random.default_rng(seed)
    xs = [rng.uniform(0, 1, (samples, features)).astype("float32") for _ in range(branches)]
    projection = rng.normal(size=(features, outputs)).astype("float32") / np.sqrt(features)
    y = (0.7 * xs[0] @ projection + 0.3 * xs[1] @ projection).astype("float32")
    return xs, y


# --- (d) seed 003: one tower shared by two inputs, and the node API -----------------


def siamese_model(features: int = 64, units: int = 32) -> tuple:
    """A Dense tower shared by two inputs (a stand-in for the shared LSTM), encodings
    concatenated, then a logistic regression. Returns (model, shared, encoded_a, encoded_b)."""
    tweet_a = Input((features,), name="tweet_a")
    tweet_b = Input((features,), name="tweet_b")
    shared = Dense(units, activation="tanh", name="shared_tower")
    encoded_a = shared(tweet_a)
    encoded_b = shared(tweet_b)
    merged_vector = concatenate([encoded_a, encoded_b], axis=-1)
    predictions = Dense(1, activation="sigmoid", name="same_author")(merged_vector)
    model = keras.Model(inputs=[tweet_a, tweet_b], outputs=predictions, name="seed_003_siamese")
    return model, shared, encoded_a, encoded_b


def siamese_data(samples: int = 512, features: int = 64, seed: int = 0):
    """Pairs of "tweets"; label 1 when both are by the reference author (author 0).

    The seed's head (concatenate, then one sigmoid unit) computes f(a) + g(b), which
    cannot test whether two arbitrary authors are equal; "both by author 0" is an
    AND of per-tweet facts, which it can learn.
    """
    rng = np.random.default_rng(seed)
    authors = rng.normal(size=(6, features)).astype("float32")
    positive = rng.random(samples) < 0.5
    first = np.where(positive, 0, rng.integers(0, 6, samples))
    second = np.where(positive, 0, rng.integers(1, 6, samples))
    swap = rng.random(samples) < 0.5
    first, second = np.where(swap, second, first), np.where(swap, first, second)
    a = authors[first] + 0.5 * rng.normal(size=(samples, features)).astype("float32")
    b = authors[second] + 0.5 * rng.normal(size=(samples, features)).astype("float32")
    return [a, b], ((first == 0) & (second == 0)).astype("float32")[:, None]


def siamese_lstm_model(timesteps: int = 280, features: int = 256, units: int = 64) -> tuple:
    """Seed 003 as asked: one LSTM(64) shared by two tweets of shape (280, 256),
    encodings concatenated, then a logistic regression."""
    tweet_a = Input(shape=(timesteps, features))
    tweet_b = Input(shape=(timesteps, features))
    shared_lstm = keras.layers.LSTM(units)
    encoded_a = shared_lstm(tweet_a)
    encoded_b = shared_lstm(tweet_b)
    merged_vector = concatenate([encoded_a, encoded_b], axis=-1)
    predictions = Dense(1, activation="sigmoid")(merged_vector)
    model = keras.Model(inputs=[tweet_a, tweet_b], outputs=predictions, name="seed_003_siamese_lstm")
    return model, shared_lstm, encoded_a, encoded_b


def siamese_sequence_data(samples: int = 128, timesteps: int = 280, features: int = 256, seed: int = 0):
    """Sequences whose every step carries the author's signature plus noise; label 1
    when both tweets are by the reference author (see ``siamese_data``)."""
    rng = np.random.default_rng(seed)
    (a, b), labels = siamese_data(samples=samples, features=features, seed=seed)
    noise = 0.5 * rng.normal(size=(2, samples, timesteps, features)).astype("float32")
    return [a[:, None, :] + noise[0], b[:, None, :] + noise[1]], labels


# --- (e) seed 004: a weighted ensemble of trained models ------------------------------


def make_model(input_shape, dense_dim: int, num_classes: int = 3) -> keras.Model:
    ipt = Input(shape=input_shape)
    x = Dense(dense_dim, activation="relu")(ipt)
    out = Dense(num_classes, activation="softmax")(x)
    return keras.Model(ipt, out)


def ensemble_model(models, class_weights) -> tuple:
    """Each member's softmax output times a constant per-class weight vector, then the
    average; also a model reading each weighted branch. Returns (ensemble, probe)."""
    weighted = [
        Lambda(lambda t, w=np.asarray(w, "float32"): t * w, name=f"weighted_{i}")(m.output)
        for i, (m, w) in enumerate(zip(models, class_weights))
    ]
    average = Average(name="average")(weighted)
    inputs = [m.input for m in models]
    ensemble = keras.Model(inputs, average, name="seed_004_ensemble")
    probe = keras.Model(inputs, weighted, name="seed_004_branches")
    return ensemble, probe


def ensemble_data(samples: int = 600, input_dim: int = 4, num_classes: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, input_dim)).astype("float32")
    labels = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5).astype(int)
    return x, np.eye(num_classes, dtype="float32")[labels]
