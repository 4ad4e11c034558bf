"""SKLearnTransformer: a trained model's outputs as a pipeline step, as Keras's wrapper."""

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
keras = pytest.importorskip("keras")

from sklearn.frozen import FrozenEstimator  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

import loom  # noqa: E402
from loom.wrappers import SKLearnTransformer  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
QUIET = {"epochs": 1, "verbose": 0}


def embedding_builder(lib, run_eagerly=False):
    """The same program for loom and Keras: a tanh feature trained to predict y, from the same weights."""

    def build(X, y):
        model = lib.Sequential([lib.Input((X.shape[1],)), lib.layers.Dense(y.shape[1], activation="tanh")])
        model.set_weights([np.linspace(-1.0, 1.0, X.shape[1])[:, None].astype("float32"), np.zeros(1, "float32")])
        compile_kwargs = {"run_eagerly": True} if run_eagerly else {}
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse", **compile_kwargs)
        return model

    return build


def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 4))
    return X, (X[:, 0] > 0).astype(int)


def test_transform_returns_the_models_outputs():
    X, y = data()
    transformer = SKLearnTransformer(embedding_builder(loom, run_eagerly=True), fit_kwargs=QUIET)
    features = transformer.fit_transform(X, y)
    assert features.shape == (12, 1) and features.dtype == np.float32
    np.testing.assert_array_equal(features, transformer.model_.predict(X, verbose=0))
    np.testing.assert_array_equal(transformer.transform(X), features)


def test_a_frozen_transformer_feeds_a_classifier_without_retraining():
    X, y = data()
    transformer = SKLearnTransformer(embedding_builder(loom, run_eagerly=True), fit_kwargs=QUIET).fit(X, y)
    weights = transformer.model_.get_weights()
    pipeline = make_pipeline(FrozenEstimator(transformer), LogisticRegression()).fit(X, y)
    assert pipeline.predict(X).shape == (12,) and 0.0 <= pipeline.score(X, y) <= 1.0
    assert all(np.array_equal(a, b) for a, b in zip(transformer.model_.get_weights(), weights))
    trained = make_pipeline(SKLearnTransformer(embedding_builder(loom, run_eagerly=True), fit_kwargs=QUIET),
                            LogisticRegression()).fit(X, y)  # fmt: skip
    assert trained.steps[0][1].model_ is not transformer.model_ and trained.predict(X).shape == (12,)


def test_the_same_program_gives_keras_shapes_and_numbers():
    X, y = data()
    fit_kwargs = {"epochs": 2, "batch_size": 4, "shuffle": False, "verbose": 0}
    outputs = [
        lib.wrappers.SKLearnTransformer(embedding_builder(lib), fit_kwargs=fit_kwargs).fit(X, y).transform(X)
        for lib in (loom, keras)
    ]
    assert outputs[0].shape == outputs[1].shape == (12, 1) and outputs[0].dtype == outputs[1].dtype
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-4, atol=1e-5)


def test_tags_and_public_names_match_keras():
    build = embedding_builder(loom)
    tags = SKLearnTransformer(build).__sklearn_tags__()
    assert tags == keras.wrappers.SKLearnTransformer(build).__sklearn_tags__()
    assert tags.transformer_tags.preserves_dtype == [] and tags.non_deterministic
    public = {name for name in dir(SKLearnTransformer) if not name.startswith("_")}
    assert public == {name for name in dir(keras.wrappers.SKLearnTransformer) if not name.startswith("_")}
