"""SKLearnTransformer: a loom model as a scikit-learn transformer (a pipeline step that maps X)."""

from loom.wrappers.sklearn_compat import TransformerMixin, check_is_fitted, validate_data
from loom.wrappers.sklearn_wrapper import SKLearnWrapper


class SKLearnTransformer(TransformerMixin, SKLearnWrapper):
    """A scikit-learn transformer around a loom model (``keras.wrappers.SKLearnTransformer``).

    "Transformer" in scikit-learn's sense: ``fit`` trains the model on
    ``(X, y)``, ``transform`` returns its outputs, e.g. embeddings fed to the
    next step of a pipeline. Wrap it in ``sklearn.frozen.FrozenEstimator`` to
    keep a trained model from being fitted again.

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
    ...     inputs = keras.Input((X.shape[1],))
    ...     outputs = keras.layers.Dense(y.shape[1])(keras.layers.Dense(2, name="embedding")(inputs))
    ...     model = keras.Model(inputs, outputs)
    ...     model.compile(optimizer="adam", loss="mse")
    ...     return model
    >>> X = np.random.rand(12, 3)
    >>> SKLearnTransformer(build, fit_kwargs={"verbose": 0}).fit(X, X.sum(axis=1)).transform(X).shape
    (12, 1)
    """

    def transform(self, X):
        """The model's outputs for ``X``, shape ``(n_samples, n_outputs)``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.model_.predict(X)

    def _more_tags(self):  # scikit-learn < 1.6
        return {"preserves_dtype": []}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []  # outputs are the model's floats, whatever X was
        return tags
