"""scikit-learn as an optional dependency: its base classes, or stand-ins when it is missing, across versions."""

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:  # loom runs without scikit-learn; the estimators then refuse to be built
    sklearn = None

    class BaseEstimator:
        pass

    class ClassifierMixin:
        pass

    class RegressorMixin:
        pass

    class TransformerMixin:
        pass


__all__ = ["BaseEstimator", "ClassifierMixin", "RegressorMixin", "TransformerMixin", "sklearn"]


def require_sklearn(class_name: str) -> None:
    """Raises ImportError naming ``class_name`` when scikit-learn is not installed."""
    if sklearn is None:
        raise ImportError(
            f"loom.wrappers.{class_name} needs scikit-learn, which is not installed. "
            "Install it with `pip install scikit-learn`."
        )


def validate_data(estimator, *args, **kwargs):
    """scikit-learn's input checks (and ``n_features_in_``): ``validate_data`` from 1.6, the method before."""
    try:
        from sklearn.utils.validation import validate_data as sklearn_validate_data
    except ImportError:  # scikit-learn < 1.6
        return estimator._validate_data(*args, **kwargs)
    return sklearn_validate_data(estimator, *args, **kwargs)


def type_of_target(y) -> str:
    """scikit-learn's name for the kind of ``y`` ("binary", "multiclass", "continuous", ...).

    Raises:
        ValueError: scikit-learn cannot tell (type "unknown"), as Keras raises.
    """
    from sklearn.utils.multiclass import type_of_target as sklearn_type_of_target

    target_type = sklearn_type_of_target(y)
    if target_type == "unknown":
        raise ValueError(f"Unknown label type for data: {y!r:.200}")
    return target_type


def routing_enabled() -> bool:
    """Whether scikit-learn's metadata routing is switched on (``sklearn.set_config(enable_metadata_routing=True)``)."""
    return sklearn is not None and bool(sklearn.get_config().get("enable_metadata_routing", False))


def check_is_fitted(estimator) -> None:
    """scikit-learn's NotFittedError when ``estimator`` has not been fitted."""
    from sklearn.utils.validation import check_is_fitted as sklearn_check_is_fitted

    sklearn_check_is_fitted(estimator)
