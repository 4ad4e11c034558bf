"""Fitted estimators pickle: each model travels as its saved file, custom classes by reference."""

import pickle

import numpy as np
import pytest

pytest.importorskip("sklearn")

import loom  # noqa: E402
from loom.wrappers import SKLearnRegressor  # noqa: E402
from loom.wrappers.pickled_model import PickledModel  # noqa: E402

QUIET = {"epochs": 1, "verbose": 0}


class Doubling(loom.layers.Layer):
    """A custom layer, not registered: unpickling must still find it."""

    def call(self, x):
        return x * 2.0


def build(X, y):
    model = loom.Sequential([loom.Input((X.shape[1],)), Doubling(), loom.layers.Dense(y.shape[1] if y.ndim > 1 else 1)])
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    return model


def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 4))
    return X, X.sum(axis=1)


def test_a_fitted_estimator_predicts_the_same_after_pickling():
    X, y = data()
    estimator = SKLearnRegressor(build, fit_kwargs=QUIET).fit(X, y)
    copy = pickle.loads(pickle.dumps(estimator))
    assert isinstance(copy.model_, loom.Model) and copy.model_ is not estimator.model_
    assert isinstance(copy.model_.layers[0], Doubling) and copy.n_features_in_ == 4
    np.testing.assert_array_equal(copy.predict(X), estimator.predict(X))
    assert copy.history_.history == estimator.history_.history and copy.history_.model is None
    assert estimator.history_.model is estimator.model_  # pickling left the original alone
    # The optimizer's state travels too: training resumes where it stopped.
    iterations = [int(np.asarray(e.model_.optimizer.iterations)) for e in (copy, estimator)]
    assert iterations == [1, 1]


def test_a_model_held_twice_comes_back_as_one_model():
    X, y = data()
    estimator = SKLearnRegressor(build(X, y), warm_start=True, fit_kwargs=QUIET).fit(X, y)
    copy = pickle.loads(pickle.dumps(estimator))
    assert copy.model is copy.model_ and copy.warm_start
    np.testing.assert_array_equal(copy.predict(X), estimator.predict(X))


def test_an_unfitted_estimator_with_a_model_pickles():
    X = data()[0]
    model = build(*data())
    copy = pickle.loads(pickle.dumps(SKLearnRegressor(model)))
    np.testing.assert_array_equal(copy.model.get_weights()[0], model.get_weights()[0])
    assert copy.model.compiled and copy.model.predict(X, verbose=0).shape == (12, 1)


def test_restore_loads_once():
    holder = PickledModel(build(*data()))
    copy = pickle.loads(pickle.dumps(holder))
    assert copy.restore() is copy.restore()
