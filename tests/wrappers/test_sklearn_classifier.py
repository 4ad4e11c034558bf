"""SKLearnClassifier: labels one-hot encoded as Keras does, in scikit-learn's pipelines and searches, as Keras."""

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
keras = pytest.importorskip("keras")

from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import loom  # noqa: E402
from loom.wrappers import SKLearnClassifier  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
# Batches of 4 rows: every fit here (24 rows, or 12 in 2-fold splits) reuses the same compiled ops.
QUIET = {"epochs": 1, "verbose": 0, "batch_size": 4}


def build(X, y, learning_rate=0.5, run_eagerly=True):
    """One softmax output per class; op by op unless asked (no XLA compile: fast on tiny data)."""
    model = loom.Sequential([loom.Input((X.shape[1],)), loom.layers.Dense(y.shape[1], activation="softmax")])
    model.compile(
        optimizer=loom.optimizers.SGD(learning_rate), loss="categorical_crossentropy", run_eagerly=run_eagerly
    )
    return model


def clusters(labels=("cat", "dog", "fox"), per_class=8, seed=0):
    """Well-separated clusters, one per label, in 2-D."""
    rng = np.random.default_rng(seed)
    centres = 4.0 * np.eye(len(labels), 2) if len(labels) <= 2 else 4.0 * np.array([[1, 0], [-1, 1], [-1, -1]])
    X = np.concatenate([centre + 0.3 * rng.normal(size=(per_class, 2)) for centre in centres])
    y = np.repeat(np.array(labels), per_class)
    order = rng.permutation(len(y))
    return X[order], y[order]


def test_learns_string_labels_and_predicts_them():
    X, y = clusters()
    classifier = SKLearnClassifier(build, model_kwargs={"run_eagerly": False}, fit_kwargs={"epochs": 30, "verbose": 0})
    assert classifier.fit(X, y) is classifier
    assert classifier.classes_.tolist() == ["cat", "dog", "fox"]
    predictions = classifier.predict(X)
    assert predictions.shape == (24,) and predictions.dtype == y.dtype
    assert classifier.score(X, y) == np.mean(predictions == y) == 1.0
    scores = classifier.decision_function(X)
    assert scores.shape == (24, 3)
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(classifier.classes_[scores.argmax(axis=1)], predictions)


def test_works_in_a_pipeline_cross_validation_and_grid_search():
    X, y = clusters()
    pipeline = make_pipeline(StandardScaler(), SKLearnClassifier(build, fit_kwargs=QUIET)).fit(X, y)
    assert pipeline.predict(X).shape == (24,) and 0.0 <= pipeline.score(X, y) <= 1.0
    scores = cross_val_score(SKLearnClassifier(build, fit_kwargs=QUIET), X, y, cv=2)
    assert scores.shape == (2,) and np.all((0.0 <= scores) & (scores <= 1.0))
    grid = {"model_kwargs": [{"learning_rate": 0.01}, {"learning_rate": 0.5}]}
    search = GridSearchCV(SKLearnClassifier(build, fit_kwargs=QUIET), grid, cv=2).fit(X, y)
    assert search.best_params_["model_kwargs"] in grid["model_kwargs"]
    best = search.best_estimator_
    assert best.classes_.tolist() == ["cat", "dog", "fox"] and best.fit_kwargs == QUIET  # Keras drops fit_kwargs
    assert float(best.model_.optimizer.learning_rate) == pytest.approx(best.model_kwargs["learning_rate"])


# --- parity with keras.wrappers -------------------------------------------------------------
def fixed_weights_builder(lib):
    """The same program for loom and Keras: one softmax layer starting from the same weights."""

    def build_same(X, y):
        model = lib.Sequential([lib.Input((X.shape[1],)), lib.layers.Dense(y.shape[1], activation="softmax")])
        kernel = np.linspace(-1.0, 1.0, X.shape[1] * y.shape[1]).reshape(X.shape[1], y.shape[1])
        model.set_weights([kernel.astype("float32"), np.zeros(y.shape[1], "float32")])
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="categorical_crossentropy")
        return model

    return build_same


@pytest.mark.parametrize("labels", [("cat", "dog", "fox"), (3, 7)])
def test_the_same_program_gives_keras_classes_shapes_and_numbers(labels):
    X, y = clusters(labels=labels)
    fit_kwargs = {"epochs": 2, "batch_size": 8, "shuffle": False, "verbose": 0}
    results = []
    for lib in (loom, keras):
        classifier = lib.wrappers.SKLearnClassifier(fixed_weights_builder(lib), fit_kwargs=fit_kwargs).fit(X, y)
        results.append((classifier.classes_, classifier.predict(X), classifier.decision_function(X)))
    (classes, predictions, scores), (keras_classes, keras_predictions, keras_scores) = results
    np.testing.assert_array_equal(classes, keras_classes)
    assert classes.tolist() == sorted(labels)
    assert classes.dtype == keras_classes.dtype and predictions.dtype == keras_predictions.dtype
    np.testing.assert_array_equal(predictions, keras_predictions)
    assert scores.shape == keras_scores.shape == (len(y), len(labels))
    np.testing.assert_allclose(scores, keras_scores, rtol=1e-4, atol=1e-6)


def test_tags_and_public_names_match_keras():
    loom_classifier, keras_classifier = SKLearnClassifier(build), keras.wrappers.SKLearnClassifier(build)
    assert loom_classifier.__sklearn_tags__() == keras_classifier.__sklearn_tags__()
    assert loom_classifier.__sklearn_tags__().classifier_tags.poor_score
    assert loom_classifier.__sklearn_tags__().non_deterministic
    public = {name for name in dir(SKLearnClassifier) if not name.startswith("_")}
    assert public == {name for name in dir(keras.wrappers.SKLearnClassifier) if not name.startswith("_")}
    assert "decision_function" in public and "predict_proba" not in public  # Keras has no predict_proba


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (np.linspace(0.0, 1.0, 24), "Only binary and multiclass target types are supported. Target type: continuous"),
        (np.full(24, "cat"), "Classifier can't train when only one class is present."),
    ],
)
def test_refuses_targets_as_keras_does(y, message):
    X = clusters()[0]
    for lib in (loom, keras):
        with pytest.raises(ValueError, match=message):
            lib.wrappers.SKLearnClassifier(fixed_weights_builder(lib), fit_kwargs=QUIET).fit(X, y)
