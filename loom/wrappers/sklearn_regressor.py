"""SKLearnRegressor: a loom model as a scikit-learn regressor."""

from loom.wrappers.sklearn_compat import RegressorMixin
from loom.wrappers.sklearn_wrapper import SKLearnWrapper


class SKLearnRegressor(RegressorMixin, SKLearnWrapper):
    """A scikit-learn regressor around a loom model (``keras.wrappers.SKLearnRegressor``).

    A 1-D ``y`` reaches the model as one column, and ``predict`` returns 1-D
    values again; ``score`` is R², as for every scikit-learn regressor.

    Args:
        model: a compiled loom ``Model``, or a callable ``model(X=X, y=y,
            **model_kwargs)`` returning one (``y`` 2-D). A model is cloned
            before each fit unless ``warm_start=True``.
        warm_start: reuse the model and its weights from the previous fit.
        model_kwargs: keyword arguments for ``model`` when it is a callable.
        fit_kwargs: keyword arguments for ``model.fit``; those given to
            ``fit`` take precedence.

    Attributes:
        model_: the fitted model.
        history_: the ``History`` returned by ``model.fit``.

    Example:

    >>> import numpy as np, loom as keras
    >>> def build(X, y):
    ...     model = keras.Sequential([keras.Input((X.shape[1],)), keras.layers.Dense(y.shape[1])])
    ...     model.compile(optimizer="adam", loss="mse")
    ...     return model
    >>> X = np.random.rand(12, 3)
    >>> regressor = SKLearnRegressor(build, fit_kwargs={"epochs": 2, "verbose": 0}).fit(X, X.sum(axis=1))
    >>> regressor.predict(X).shape
    (12,)
    """

    def _more_tags(self):  # scikit-learn < 1.6
        return {"poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags
