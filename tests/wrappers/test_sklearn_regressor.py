"""SKLearnRegressor: 1-D targets in, 1-D predictions out, R² as score, as Keras's wrapper."""

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
keras = pytest.importorskip("keras")

from sklearn.metrics import r2_score  # noqa: E402
from sklearn.model_selection import cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import loom  # noqa: E402
from loom.wrappers import SKLearnRegressor  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def fixed_weights_builder(lib, run_eagerly=False):
    """The same program for loom and Keras: one linear unit starting from the same weights."""

    def build(X, y, learning_rate=0.1):
        model = lib.Sequential([lib.Input((X.shape[1],)), lib.layers.Dense(y.shape[1])])
        model.set_weights([np.linspace(-1.0, 1.0, X.shape[1])[:, None].astype("float32"), np.zeros(1, "float32")])
        compile_kwargs = {"run_eagerly": True} if run_eagerly else {}
        model.compile(optimizer=lib.optimizers.SGD(learning_rate), loss="mse", **compile_kwargs)
        return model

    return build


def data(rows=12, features=4):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, features))
    return X, X @ np.array([1.0, -2.0, 0.5, 3.0]) + 1.0


def test_learns_a_linear_target_and_scores_r2():
    X, y = data()
    regressor = SKLearnRegressor(fixed_weights_builder(loom), fit_kwargs={"epochs": 60, "verbose": 0}).fit(X, y)
    predictions = regressor.predict(X)
    assert predictions.shape == (12,) and predictions.dtype == np.float32
    assert regressor.score(X, y) == pytest.approx(r2_score(y, predictions)) and regressor.score(X, y) > 0.95


def test_works_in_a_pipeline_and_cross_validation():
    X, y = data()
    build = fixed_weights_builder(loom, run_eagerly=True)
    pipeline = make_pipeline(StandardScaler(), SKLearnRegressor(build, fit_kwargs={"verbose": 0})).fit(X, y)
    assert pipeline.predict(X).shape == (12,)
    scores = cross_val_score(SKLearnRegressor(build, fit_kwargs={"verbose": 0}), X, y, cv=2)
    assert scores.shape == (2,) and np.all(np.isfinite(scores))


def test_the_same_program_gives_keras_shapes_and_numbers():
    X, y = data()
    fit_kwargs = {"epochs": 2, "batch_size": 4, "shuffle": False, "verbose": 0}
    results = []
    for lib in (loom, keras):
        regressor = lib.wrappers.SKLearnRegressor(fixed_weights_builder(lib), fit_kwargs=fit_kwargs).fit(X, y)
        results.append((regressor.predict(X), regressor.score(X, y), regressor.n_features_in_))
    (predictions, score, features), (keras_predictions, keras_score, keras_features) = results
    assert predictions.shape == keras_predictions.shape == (12,) and predictions.dtype == keras_predictions.dtype
    np.testing.assert_allclose(predictions, keras_predictions, rtol=1e-4, atol=1e-5)
    assert score == pytest.approx(keras_score, rel=1e-4) and features == keras_features == 4


def test_a_column_target_is_flattened_with_sklearns_warning_as_in_keras():
    X, y = data()
    for lib in (loom, keras):
        regressor = lib.wrappers.SKLearnRegressor(fixed_weights_builder(lib, run_eagerly=lib is loom))
        with pytest.warns(sklearn.exceptions.DataConversionWarning, match="column-vector y was passed"):
            regressor.fit(X, y[:, None], verbose=0)
        assert regressor.predict(X).shape == (12,)


def test_tags_and_public_names_match_keras():
    build = fixed_weights_builder(loom)
    tags, keras_tags = (
        SKLearnRegressor(build).__sklearn_tags__(),
        keras.wrappers.SKLearnRegressor(build).__sklearn_tags__(),
    )
    assert tags == keras_tags and tags.regressor_tags.poor_score and tags.non_deterministic
    public = {name for name in dir(SKLearnRegressor) if not name.startswith("_")}
    assert public == {name for name in dir(keras.wrappers.SKLearnRegressor) if not name.startswith("_")}
