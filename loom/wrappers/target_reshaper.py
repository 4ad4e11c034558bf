"""TargetReshaper: 1-D targets made 2-D for the model, and predictions made 1-D again."""

import numpy as np

from loom.wrappers.sklearn_compat import BaseEstimator, TransformerMixin, check_is_fitted


class TargetReshaper(TransformerMixin, BaseEstimator):
    """Turns a 1-D ``y`` into one column and back, as Keras's wrappers do.

    A step in a scikit-learn pipeline before encoders that only take 2-D
    input (``OneHotEncoder``); a model's ``(n, 1)`` predictions for targets
    fitted 1-D come back as ``(n,)``.

    Attributes:
        ndim_: the number of dimensions of the ``y`` it was fitted on.
    """

    def fit(self, y):
        self.ndim_ = y.ndim
        return self

    def transform(self, y):
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y):
        check_is_fitted(self)
        if self.ndim_ == 1 and y.ndim == 2:
            return np.squeeze(y, axis=1)
        return y
