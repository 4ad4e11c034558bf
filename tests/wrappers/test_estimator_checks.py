"""scikit-learn's own estimator checks on loom's wrappers, with the expected failures Keras's tests declare."""

import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import loom  # noqa: E402
from loom.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer  # noqa: E402


class DynamicModel:
    """Keras's test model builder, sized from the data (no hidden layer by default: speed).

    An object, not a function, for its repr: the checks' test ids hold the estimator's
    repr, which must not contain a memory address, or pytest-xdist workers disagree.
    """

    def __call__(self, X, y, loss, out_activation_function="softmax", layers=()):
        inputs = loom.Input((X.shape[1],))
        hidden = inputs
        for units in layers:
            hidden = loom.layers.Dense(units, activation="relu")(hidden)
        outputs = loom.layers.Dense(y.shape[1] if y.ndim > 1 else 1, activation=out_activation_function)(hidden)
        model = loom.Model(inputs, outputs)
        # Op by op: these checks build ~200 models on a few dozen rows each; compiling each with XLA costs more.
        model.compile(loss=loss, optimizer="sgd", run_eagerly=True)
        return model

    def __repr__(self):
        return "dynamic_model"


dynamic_model = DynamicModel()


# The checks Keras 3's own tests (keras/src/wrappers/sklearn_test.py) expect to fail, with their reasons.
EXPECTED_FAILED_CHECKS = {
    "SKLearnClassifier": {
        "check_classifiers_regression_target": "not an issue in sklearn>=1.6",
        "check_parameters_default_constructible": "not an issue in sklearn>=1.6",
        "check_classifiers_one_label_sample_weights": "0 sample weight is not ignored",
        "check_classifiers_classes": "with small test cases the estimator returns not all classes sometimes",
        "check_classifier_data_not_an_array": "This test assumes reproducibility in fit.",
        "check_supervised_y_2d": "This test assumes reproducibility in fit.",
        "check_fit_idempotent": "This test assumes reproducibility in fit.",
        "check_classifiers_train": "decision_function can return both probabilities and logits",
    },
    "SKLearnRegressor": {
        "check_parameters_default_constructible": "not an issue in sklearn>=1.6",
    },
    "SKLearnTransformer": {
        "check_parameters_default_constructible": "not an issue in sklearn>=1.6",
    },
}

# These checks test the estimator protocol (input checks, target encoding, parameters, cloning,
# pickling, shapes), not learning: every wrapper tag says poor_score. epochs=0 runs the whole
# wrapper and model.fit's data checks without the ~25 s of compiling each data shape's training
# step (with epochs=1 the same checks pass too); test_sklearn_wrappers.py trains through them.
NO_TRAINING = {"epochs": 0, "verbose": 0}


@parametrize_with_checks(
    [
        SKLearnClassifier(
            model=dynamic_model, model_kwargs={"loss": "categorical_crossentropy"}, fit_kwargs=NO_TRAINING
        ),
        SKLearnRegressor(model=dynamic_model, model_kwargs={"loss": "mse"}, fit_kwargs=NO_TRAINING),
        SKLearnTransformer(model=dynamic_model, model_kwargs={"loss": "mse"}, fit_kwargs=NO_TRAINING),
    ],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS[type(estimator).__name__],
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
