"""SKLearnWrapper: the scikit-learn estimator behaviour shared by loom's three wrappers."""

import copy

from loom.models.cloning import clone_model
from loom.models.model import Model
from loom.wrappers import sklearn_compat
from loom.wrappers.pickled_model import PickledModel
from loom.wrappers.sklearn_compat import BaseEstimator, check_is_fitted, validate_data
from loom.wrappers.target_reshaper import TargetReshaper


class SKLearnWrapper(BaseEstimator):
    """A loom model as a scikit-learn estimator: ``fit``, ``predict``, parameters, cloning, pickling.

    Model initialization and training are random; set ``loom.utils.set_random_seed``
    for repeatable fits.

    Args:
        model: a compiled loom ``Model``, or a callable returning one. A model
            is cloned with ``loom.models.clone_model`` (new weights) before each
            fit unless ``warm_start=True``. A callable is called as
            ``model(X=X, y=y, **model_kwargs)`` with the validated inputs and
            the encoded targets, so it can size the model from them.
        warm_start: reuse the model and its weights from the previous fit (the
            given model itself on the first fit) instead of a new one.
        model_kwargs: keyword arguments for ``model`` when it is a callable.
        fit_kwargs: keyword arguments for ``model.fit`` (``epochs``,
            ``batch_size``, ...); those given to ``fit`` itself take precedence.

    Attributes:
        model_: the fitted model.
        history_: the ``History`` returned by ``model.fit``.
        n_features_in_: the number of features seen in ``fit``.
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        sklearn_compat.require_sklearn(type(self).__name__)
        # scikit-learn estimators store their parameters unchanged and check them in fit.
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    # --- scikit-learn's estimator protocol -----------------------------------------------
    def _more_tags(self):  # scikit-learn < 1.6
        return {"non_deterministic": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self):
        """A new unfitted estimator with these parameters; ``sklearn.base.clone`` calls it.

        The model is shared, not deep-copied (a model cannot be deep-copied and
        is cloned at fit anyway), as Keras does. Unlike Keras 3, ``fit_kwargs``
        and requests made with ``set_fit_request`` carry over, so
        ``GridSearchCV`` and ``cross_val_score`` train as configured.
        """
        params = self.get_params(deep=False)
        if not callable(params["model"]):
            params["model"] = copy.deepcopy(params["model"])
        clone = type(self)(**params)
        if hasattr(self, "_metadata_request"):
            clone._metadata_request = copy.deepcopy(self._metadata_request)
        return clone

    def set_fit_request(self, **kwargs):
        """Routes the named metadata (``sample_weight=True``, or an alias) to ``fit`` under metadata routing.

        Needs ``sklearn.set_config(enable_metadata_routing=True)``; see
        https://scikit-learn.org/stable/metadata_routing.html. Keras 3 records these
        requests for ``score`` instead; loom records them for ``fit``, as the name says.

        Returns:
            self
        """
        if not sklearn_compat.routing_enabled():
            raise RuntimeError(
                "set_fit_request is only available when metadata routing is enabled. You can enable it using "
                "sklearn.set_config(enable_metadata_routing=True)."
            )
        self._metadata_request = self._get_metadata_request()
        for param, alias in kwargs.items():
            self._metadata_request.fit.add_request(param=param, alias=alias)
        return self

    @property
    def epoch_(self) -> int:
        """The number of epochs trained by the last fit (counting ``initial_epoch``); 0 before fitting."""
        history = getattr(self, "history_", None)
        return history.epoch[-1] + 1 if history is not None and history.epoch else 0

    # --- fitting and predicting ----------------------------------------------------------
    def fit(self, X, y, **kwargs):
        """Trains the model on ``(X, y)``.

        Args:
            X: array-like, shape ``(n_samples, n_features)``.
            y: array-like, shape ``(n_samples,)``; as in Keras, scikit-learn's input checks
                refuse 2-D targets (a single column is flattened, with a warning).
            **kwargs: keyword arguments for ``model.fit``, over ``fit_kwargs``.

        Returns:
            self
        """
        if y is None:
            # As scikit-learn words it for estimators that require y; the model trains on (X, y).
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None. Pass the targets the "
                "model is trained on, e.g. fit(X, y)."
            )
        X, y = validate_data(self, X, y)
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        # A fresh dict: Keras 3 updates `fit_kwargs` itself, so fit's arguments leak into get_params().
        self.history_ = model.fit(X, y, **{**(self.fit_kwargs or {}), **kwargs})
        self.model_ = model
        return self

    def predict(self, X):
        """The model's predictions for ``X``, decoded back to the targets' form."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self._reverse_process_target(self.model_.predict(X))

    def _get_model(self, X, y) -> Model:
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            model = self.model if self.warm_start else clone_model(self.model)
        elif _looks_like_a_model(self.model):
            raise TypeError(
                f"{type(self).__name__}: `model` must be a loom Model or a callable building one; received a "
                f"{type(self.model).__module__}.{type(self.model).__name__}. Build the model with loom "
                "(`import loom as keras`)."
            )
        elif callable(self.model):
            model = self.model(X=X, y=y, **(self.model_kwargs or {}))
        else:
            raise TypeError(
                f"{type(self).__name__}: `model` must be a compiled loom Model or a callable returning one; "
                f"received {self.model!r:.80}. Pass e.g. model=build_model where build_model(X, y) returns a "
                "compiled model."
            )
        _check_model(model, self.model)
        return model

    def _process_target(self, y, reset=False):
        """The targets as the model sees them: 2-D (regressors and transformers)."""
        sklearn_compat.type_of_target(y)  # refuses targets scikit-learn cannot classify, as Keras does
        if reset:
            self._target_encoder = TargetReshaper().fit(y)
        return self._target_encoder.transform(y)

    def _reverse_process_target(self, y):
        return self._target_encoder.inverse_transform(y)

    # --- pickling ------------------------------------------------------------------------
    def __getstate__(self):
        state = dict(super().__getstate__())
        # Models pickle as their saved file, once per model (warm_start may hold one twice);
        # the History drops its link to the model.
        pickled = {}
        for key, value in state.items():
            if isinstance(value, Model):
                if id(value) not in pickled:
                    pickled[id(value)] = PickledModel(value)
                state[key] = pickled[id(value)]
        if "history_" in state:
            history = copy.copy(state["history_"])
            history.set_model(None)
            state["history_"] = history
        return state

    def __setstate__(self, state):
        state = {key: value.restore() if isinstance(value, PickledModel) else value for key, value in state.items()}
        super().__setstate__(state)


def _looks_like_a_model(value) -> bool:
    """A model from another library (a Keras model passed to loom's wrapper by mistake)."""
    return not isinstance(value, type) and all(hasattr(value, name) for name in ("fit", "predict", "compile"))


def _check_model(model, given) -> None:
    if not isinstance(model, Model):
        raise TypeError(
            f"`model` must return a compiled loom Model; {getattr(given, '__name__', given)!r:.80} returned "
            f"{type(model).__name__} {model!r:.80}."
        )
    if not model.compiled or not getattr(model, "loss", None) or not getattr(model, "optimizer", None):
        # RuntimeError, as Keras raises.
        raise RuntimeError(
            f"Given model '{model.name}' needs to be compiled, and have a loss and an optimizer. Call "
            "model.compile(optimizer=..., loss=...) before passing the model (or inside the function building it)."
        )
