"""SKLearnClassifier: a loom model as a scikit-learn classifier, labels one-hot encoded as Keras does."""

import numpy as np

from loom.wrappers import sklearn_compat
from loom.wrappers.sklearn_compat import ClassifierMixin, check_is_fitted, validate_data
from loom.wrappers.sklearn_wrapper import SKLearnWrapper
from loom.wrappers.target_reshaper import TargetReshaper


class SKLearnClassifier(ClassifierMixin, SKLearnWrapper):
    """A scikit-learn classifier around a loom model (``keras.wrappers.SKLearnClassifier``).

    Labels (binary or multiclass, of any sortable type) are one-hot encoded in
    the order of ``classes_``, so the model needs one output per class
    (softmax with categorical cross-entropy, typically); ``predict`` returns the
    label of the largest output, ``decision_function`` the raw outputs.

    Args:
        model: a compiled loom ``Model``, or a callable ``model(X=X, y=y,
            **model_kwargs)`` returning one; ``y`` is the one-hot targets.
            A model is cloned before each fit unless ``warm_start=True``.
        warm_start: reuse the model and its weights from the previous fit.
        model_kwargs: keyword arguments for ``model`` when it is a callable.
        fit_kwargs: keyword arguments for ``model.fit``; those given to
            ``fit`` take precedence.

    Attributes:
        model_: the fitted model.
        history_: the ``History`` returned by ``model.fit``.
        classes_: the class labels, sorted, shape ``(n_classes,)``.

    Example:

    >>> import numpy as np, loom as keras
    >>> def build(X, y):
    ...     inputs = keras.Input((X.shape[1],))
    ...     outputs = keras.layers.Dense(y.shape[1], activation="softmax")(inputs)
    ...     model = keras.Model(inputs, outputs)
    ...     model.compile(optimizer="adam", loss="categorical_crossentropy")
    ...     return model
    >>> X, y = np.random.rand(12, 3), np.array(["cat", "dog", "fox"] * 4)
    >>> classifier = SKLearnClassifier(build, fit_kwargs={"epochs": 2, "verbose": 0}).fit(X, y)
    >>> classifier.classes_.tolist()
    ['cat', 'dog', 'fox']
    """

    def decision_function(self, X):
        """The model's raw outputs for ``X``, shape ``(n_samples, n_classes)``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.model_.predict(X)

    def _process_target(self, y, reset=False):
        target_type = sklearn_compat.type_of_target(y)
        if target_type not in ("binary", "multiclass"):
            raise ValueError(f"Only binary and multiclass target types are supported. Target type: {target_type}")
        if reset:
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import OneHotEncoder

            self._target_encoder = make_pipeline(TargetReshaper(), OneHotEncoder(sparse_output=False)).fit(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                # scikit-learn's check_classifiers_one_label expects these words.
                raise ValueError("Classifier can't train when only one class is present.")
        return self._target_encoder.transform(y)

    def _more_tags(self):  # scikit-learn < 1.6
        return {"poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags
