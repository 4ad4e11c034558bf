"""The estimator behaviour all three wrappers share: parameters, cloning, building the model, warm starts, errors."""

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.model_selection import cross_validate  # noqa: E402

import loom  # noqa: E402
from loom.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer, sklearn_compat  # noqa: E402

QUIET = {"epochs": 1, "verbose": 0}


def build(X, y, units=3):
    """One Dense layer from the features to the targets, op by op (no XLA compile: fast on tiny data)."""
    model = loom.Sequential([loom.Input((X.shape[1],)), loom.layers.Dense(y.shape[1] if y.ndim > 1 else 1, name="out")])
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    return model


def data(rows=12, features=4):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, features))
    return X, X @ rng.normal(size=features)


def test_parameters_are_stored_as_given_and_set_by_set_params():
    estimator = SKLearnRegressor(build, model_kwargs={"units": 2}, fit_kwargs=QUIET)
    assert estimator.get_params() == {
        "model": build,
        "warm_start": False,
        "model_kwargs": {"units": 2},
        "fit_kwargs": QUIET,
    }
    assert estimator.set_params(warm_start=True, model_kwargs=None) is estimator
    assert estimator.warm_start is True and estimator.model_kwargs is None


def test_sklearn_clone_shares_the_model_and_keeps_every_parameter():
    model = build(*data())
    estimator = SKLearnRegressor(model, warm_start=True, model_kwargs={"units": 2}, fit_kwargs=QUIET)
    copy = clone(estimator)
    assert copy is not estimator and copy.model is model  # a model cannot be deep-copied; Keras shares it too
    # Keras 3 drops fit_kwargs here; loom keeps them, so GridSearchCV trains as configured.
    assert copy.get_params() == estimator.get_params()


def test_fit_arguments_take_precedence_without_changing_fit_kwargs():
    estimator = SKLearnRegressor(build, fit_kwargs=QUIET)
    assert estimator.epoch_ == 0
    estimator.fit(*data(), epochs=3)
    assert estimator.history_.epoch == [0, 1, 2] and estimator.epoch_ == 3
    assert estimator.fit_kwargs == QUIET  # Keras 3 writes epochs=3 into it
    estimator.fit(*data())
    assert estimator.epoch_ == 1


def test_a_model_instance_is_cloned_for_every_fit():
    model = build(*data())
    before = model.get_weights()
    estimator = SKLearnRegressor(model, fit_kwargs=QUIET).fit(*data())
    first = estimator.model_
    assert first is not model and first.compiled and first.get_layer("out") is not model.get_layer("out")
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    assert estimator.fit(*data()).model_ is not first


def test_warm_start_trains_the_given_model_further():
    model = build(*data())
    estimator = SKLearnRegressor(model, warm_start=True, fit_kwargs=QUIET).fit(*data())
    assert estimator.model_ is model
    after_one = model.get_weights()
    estimator.fit(*data())
    assert estimator.model_ is model
    assert not np.allclose(model.get_weights()[0], after_one[0])


def test_warm_start_builds_once_from_a_callable():
    calls = []

    def counted(X, y):
        calls.append(1)
        return build(X, y)

    estimator = SKLearnRegressor(counted, warm_start=True, fit_kwargs=QUIET).fit(*data())
    first = estimator.model_
    estimator.fit(*data())
    assert len(calls) == 1 and estimator.model_ is first
    estimator.set_params(warm_start=False).fit(*data())
    assert len(calls) == 2 and estimator.model_ is not first


@pytest.mark.parametrize(
    ("estimator_class", "y", "seen_y_shape"),
    [
        (SKLearnClassifier, np.array(["a", "b", "c"] * 4), (12, 3)),  # one-hot
        (SKLearnRegressor, np.arange(12.0), (12, 1)),
        (SKLearnTransformer, np.arange(12.0), (12, 1)),
    ],
)
def test_the_callable_gets_validated_inputs_encoded_targets_and_model_kwargs(estimator_class, y, seen_y_shape):
    seen = {}

    def recording(X, y, units):
        seen.update(X=X, y=y, units=units)
        return build(X, y)

    X = data()[0].tolist()  # a list: the callable receives scikit-learn's validated array
    estimator_class(recording, model_kwargs={"units": 5}, fit_kwargs=QUIET).fit(X, y)
    assert isinstance(seen["X"], np.ndarray) and seen["X"].shape == (12, 4)
    assert seen["y"].shape == seen_y_shape and seen["units"] == 5


def test_set_fit_request_routes_metadata_to_model_fit():
    X, y = data()
    with pytest.raises(RuntimeError, match="only available when metadata routing is enabled"):
        SKLearnRegressor(build).set_fit_request(sample_weight=True)
    with sklearn.config_context(enable_metadata_routing=True):
        estimator = SKLearnRegressor(build, fit_kwargs=QUIET)
        estimator.set_fit_request(sample_weight=True).set_score_request(sample_weight=False)
        # cross_validate clones the estimator: the requests must survive clone().
        results = cross_validate(estimator, X, y, cv=2, params={"sample_weight": np.zeros(12)}, return_estimator=True)
    # Every sample weighted 0: the loss the model saw is 0.
    assert [fitted.history_.history["loss"] for fitted in results["estimator"]] == [[0.0], [0.0]]


# --- errors ---------------------------------------------------------------------------------
def test_refuses_a_model_that_is_not_compiled():
    def uncompiled(X, y):
        return loom.Sequential([loom.Input((X.shape[1],)), loom.layers.Dense(1)], name="raw")

    with pytest.raises(RuntimeError, match=r"model 'raw' needs to be compiled.*Call model.compile\(optimizer="):
        SKLearnRegressor(uncompiled).fit(*data())


def test_refuses_a_callable_that_returns_no_model():
    with pytest.raises(TypeError, match=r"`model` must return a compiled loom Model; 'nothing' returned NoneType"):

        def nothing(X, y):
            return None

        SKLearnRegressor(nothing).fit(*data())


def test_refuses_what_is_neither_a_model_nor_callable():
    with pytest.raises(TypeError, match="must be a compiled loom Model or a callable returning one; received 3"):
        SKLearnRegressor(3).fit(*data())


def test_refuses_a_model_of_another_library_by_name():
    class OtherModel:
        def compile(self): ...
        def fit(self): ...
        def predict(self): ...

    with pytest.raises(TypeError, match=r"must be a loom Model .* received a .*OtherModel. Build the model with loom"):
        SKLearnRegressor(OtherModel()).fit(*data())


@pytest.mark.parametrize("estimator_class", [SKLearnClassifier, SKLearnRegressor, SKLearnTransformer])
def test_refuses_fit_without_targets(estimator_class):
    with pytest.raises(
        ValueError, match=f"{estimator_class.__name__} requires y to be passed, but the target y is None"
    ):
        estimator_class(build).fit(data()[0], None)


def test_refuses_two_dimensional_targets_as_keras_does():
    # Keras's docstrings mention (n_samples, n_outputs) targets, but its input checks take 1-D y only.
    with pytest.raises(ValueError, match=r"y should be a 1d array, got an array of shape \(12, 2\)"):
        SKLearnRegressor(build).fit(data()[0], np.ones((12, 2)))


def test_predict_before_fit_and_on_other_features_raise_sklearn_errors():
    estimator = SKLearnRegressor(build, fit_kwargs=QUIET)
    with pytest.raises(NotFittedError):
        estimator.predict(data()[0])
    estimator.fit(*data())
    with pytest.raises(ValueError, match="X has 5 features, but SKLearnRegressor is expecting 4 features"):
        estimator.predict(np.ones((2, 5)))


def test_without_sklearn_construction_names_the_install(monkeypatch):
    monkeypatch.setattr(sklearn_compat, "sklearn", None)
    with pytest.raises(
        ImportError, match=r"loom.wrappers.SKLearnRegressor needs scikit-learn.*pip install scikit-learn"
    ):
        SKLearnRegressor(build)


# --- the package ----------------------------------------------------------------------------
def test_loom_wrappers_has_keras_names_loaded_on_first_use():
    assert {"SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"} <= set(dir(loom.wrappers))
    assert loom.wrappers.SKLearnRegressor is SKLearnRegressor
    with pytest.raises(AttributeError, match="module 'loom.wrappers' has no attribute 'KerasClassifier'"):
        loom.wrappers.KerasClassifier  # noqa: B018
