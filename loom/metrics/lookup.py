"""Finding metrics by name or config (get, serialize, deserialize) and Keras's "accuracy" rule."""

import inspect
from typing import Any, Union

from loom import losses
from loom.metrics import accuracy_metrics as acc
from loom.metrics import confusion_metrics as conf
from loom.metrics import correlation_metrics as corr
from loom.metrics import hinge_metrics as hinge
from loom.metrics import iou_metrics as iou
from loom.metrics import probabilistic_metrics as prob
from loom.metrics import regression_metrics as reg
from loom.metrics import sensitivity_specificity as operating_point
from loom.metrics.auc import AUC
from loom.metrics.f_score_metrics import F1Score, FBetaScore
from loom.metrics.metric import Metric
from loom.metrics.r2_score import R2Score
from loom.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum, serialize_function
from loom.utils.lookup import unknown_name
from loom.utils.naming import to_snake_case

MetricLike = Union[Metric, str, dict, type, Any, None]

# Keras 3's keras.metrics.ALL_OBJECTS: the classes found by name (and snake-cased name).
_CLASSES = (
    Metric, Mean, Sum, MeanMetricWrapper,
    reg.MeanSquaredError, reg.RootMeanSquaredError, reg.MeanAbsoluteError,
    reg.MeanAbsolutePercentageError, reg.MeanSquaredLogarithmicError, reg.CosineSimilarity,
    reg.LogCoshError, R2Score,
    AUC, conf.FalseNegatives, conf.FalsePositives, conf.Precision, conf.Recall, conf.TrueNegatives,
    conf.TruePositives, operating_point.PrecisionAtRecall, operating_point.RecallAtPrecision,
    operating_point.SensitivityAtSpecificity, operating_point.SpecificityAtSensitivity,
    corr.ConcordanceCorrelation, corr.PearsonCorrelation,
    hinge.Hinge, hinge.SquaredHinge, hinge.CategoricalHinge,
    prob.KLDivergence, prob.Poisson, prob.BinaryCrossentropy, prob.CategoricalCrossentropy,
    prob.SparseCategoricalCrossentropy,
    acc.Accuracy, acc.BinaryAccuracy, acc.CategoricalAccuracy, acc.SparseCategoricalAccuracy,
    acc.TopKCategoricalAccuracy, acc.SparseTopKCategoricalAccuracy,
    F1Score, FBetaScore,
    iou.IoU, iou.BinaryIoU, iou.MeanIoU, iou.OneHotIoU, iou.OneHotMeanIoU,
)  # fmt: skip
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
# Short names Keras 3 also resolves (to the classes, named after the class).
_BY_NAME.update(
    {
        "bce": prob.BinaryCrossentropy,
        "BCE": prob.BinaryCrossentropy,
        "mse": reg.MeanSquaredError,
        "MSE": reg.MeanSquaredError,
        "mae": reg.MeanAbsoluteError,
        "MAE": reg.MeanAbsoluteError,
        "mape": reg.MeanAbsolutePercentageError,
        "MAPE": reg.MeanAbsolutePercentageError,
        "msle": reg.MeanSquaredLogarithmicError,
        "MSLE": reg.MeanSquaredLogarithmicError,
    }
)
# The functions keras.metrics exports, for function configs ({"class_name": "function", ...}).
_FUNCTIONS = {
    fn.__name__: fn
    for fn in (
        acc.binary_accuracy, acc.categorical_accuracy, acc.sparse_categorical_accuracy,
        acc.top_k_categorical_accuracy, acc.sparse_top_k_categorical_accuracy,
        reg.mean_squared_error, reg.mean_absolute_error,
        reg.mean_absolute_percentage_error, reg.mean_squared_logarithmic_error,
        corr.pearson_correlation, corr.concordance_correlation,
        losses.binary_crossentropy, losses.binary_focal_crossentropy, losses.categorical_crossentropy,
        losses.categorical_focal_crossentropy, losses.sparse_categorical_crossentropy,
        losses.hinge, losses.squared_hinge, losses.categorical_hinge,
        losses.huber, losses.kl_divergence, losses.log_cosh, losses.poisson,
    )
}  # fmt: skip

# Names the training engine resolves from the shapes of labels and predictions.
_ACCURACY_NAMES = ("accuracy", "acc")


def _unknown(name: str, valid) -> ValueError:
    return unknown_name(
        "metric", name, valid, "For a custom metric pass the object itself, or its class or function in `custom_objects`."
    )


def _lookup_class(name: str, custom_objects: dict | None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _BY_NAME:
        return _BY_NAME[name]
    raise _unknown(name, _BY_NAME)


def _lookup_function(config: dict, custom_objects: dict | None):
    """The function a ``{"class_name": "function", "config": name}`` dict names."""
    name = config.get("config")
    # Keras writes a registered function's "package>name" in registered_name.
    for key in (config.get("registered_name"), name):
        if custom_objects and key in custom_objects:
            return custom_objects[key]
    if name in _FUNCTIONS:
        return _FUNCTIONS[name]
    raise _unknown(str(name), _FUNCTIONS)


def _to_callable(value, custom_objects: dict | None):
    """A serialized ``fn`` (dict or name) of a MeanMetricWrapper config, resolved."""
    if isinstance(value, dict) and value.get("class_name") == "function":
        return _lookup_function(value, custom_objects)
    if isinstance(value, str):
        return _lookup_function({"config": value}, custom_objects)
    return value


def _object_name(obj) -> str:
    """Keras's name for a wrapped callable: its ``name``, else its snake-cased function or class name."""
    if isinstance(getattr(obj, "name", None), str):
        return obj.name
    return to_snake_case(getattr(obj, "__name__", None) or type(obj).__name__)


def _required_arguments(cls) -> list:
    """The constructor arguments of ``cls`` without a default (``IoU``: num_classes, target_class_ids)."""
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return []
    return [
        p.name
        for p in parameters
        if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]


def serialize(metric) -> dict | None:
    """The metric's config dict: ``module``, ``class_name``, ``config``, ``registered_name``.

    Args:
        metric: a ``Metric``, a named metric function, or None.

    Returns:
        A JSON-serializable dict that ``deserialize`` turns back into an equal
        metric (or the same function); None for None.
    """
    if metric is None:
        return None
    if isinstance(metric, Metric):
        cls = type(metric)
        builtin = _BY_NAME.get(cls.__name__) is cls
        return {
            "module": "loom.metrics" if builtin else cls.__module__,
            "class_name": cls.__name__,
            "config": metric.get_config(),
            "registered_name": None if builtin else cls.__name__,
        }
    if callable(metric) and not inspect.isclass(metric):
        return serialize_function(metric)
    raise ValueError(
        f"Cannot serialize metric {metric!r}: expected a loom.metrics.Metric or a metric function "
        f"fn(y_true, y_pred); received an object of type {type(metric).__name__}."
    )


def deserialize(config, custom_objects: dict | None = None):
    """Builds a metric from ``serialize``'s dict, or from a name.

    Args:
        config: a name such as "mse" or "AUC" (gives a new instance), a dict
            with ``class_name`` and ``config`` (Keras's files work too), or a
            function's ``{"class_name": "function", "config": name}``.
        custom_objects: ``{name: class or function}`` for metrics loom does not
            define.

    Returns:
        A new ``Metric``, or the metric function a function config names.
    """
    if isinstance(config, str):
        found = _lookup_class(config, custom_objects)
        if not inspect.isclass(found):
            return found
        required = _required_arguments(found)
        if required:
            raise ValueError(
                f"Metric '{config}' ({found.__name__}) needs arguments that a name cannot give: "
                f"{', '.join(required)}. Pass an instance instead, e.g. "
                f"{found.__name__}({', '.join(f'{a}=...' for a in required)})."
            )
        return found()
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "metrics.deserialize expects a name or a dict with 'class_name' and 'config' "
            f"(the output of serialize); received {config!r}."
        )
    if config["class_name"] == "function":
        return _lookup_function(config, custom_objects)
    cls = _lookup_class(config["class_name"], custom_objects)
    arguments = dict(config.get("config") or {})
    if "fn" in arguments:
        arguments["fn"] = _to_callable(arguments["fn"], custom_objects)
    return cls.from_config(arguments)


def get(identifier: MetricLike):
    """Resolves a metric from a name, config dict, class, instance or function.

    "accuracy" and "acc" are returned unchanged: which accuracy they mean
    depends on the labels and predictions, so the training engine resolves them
    with ``resolve_accuracy`` once it sees the data (Keras does the same in its
    compile step).

    Args:
        identifier: None (returns None); a name ("mse", "auc", "Precision",
            "binary_accuracy", ...); a ``serialize`` dict; a ``Metric`` class
            (instantiated with defaults) or instance (returned as is); or a
            function ``fn(y_true, y_pred)``, wrapped in ``MeanMetricWrapper``
            named after the function.

    Returns:
        A ``Metric``, the string "accuracy"/"acc", or None.

    Example:

    >>> get("mse")
    <MeanSquaredError name=mean_squared_error>
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        # Departure from Keras 3, whose get("accuracy") gives Accuracy() and whose
        # compile step catches these names first: here get leaves them to the engine.
        if identifier.lower() in _ACCURACY_NAMES:
            return identifier
        return deserialize(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, Metric):
        return identifier
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier) and not inspect.isclass(identifier):
        # Keras 3's get returns a function as is and its compile step wraps it; the
        # wrapping (and Keras's naming) is done here so that get always gives a Metric.
        return MeanMetricWrapper(identifier, name=_object_name(identifier))
    raise ValueError(
        f"Could not interpret metric identifier: {identifier!r}. Pass a name such as 'mse' or "
        "'accuracy', a Metric instance or class, a config dict, or a function fn(y_true, y_pred)."
    )


def resolve_accuracy(y_true_shape, y_pred_shape, loss=None, name: str = "accuracy") -> Metric:
    """The accuracy metric that "accuracy" means for these labels and predictions.

    Keras 3's rule reads the shapes only (tf.keras 2 also read the loss; Keras 3
    and loom do not, so ``loss`` is accepted and ignored):

    - predictions with last dimension 1 -> ``BinaryAccuracy``;
    - else labels of lower rank than the predictions, or labels with last
      dimension 1 -> ``SparseCategoricalAccuracy``;
    - else ``CategoricalAccuracy``.

    Args:
        y_true_shape: shape of one batch of labels, e.g. ``(32,)`` or ``(32, 10)``.
        y_pred_shape: shape of one batch of predictions, e.g. ``(32, 10)``.
        loss: the output's loss (unused, see above).
        name: the new metric's name ("accuracy" or "acc", as the user wrote it).

    Returns:
        A new ``BinaryAccuracy``, ``SparseCategoricalAccuracy`` or
        ``CategoricalAccuracy`` named ``name``.

    Example:

    >>> resolve_accuracy((32,), (32, 10))
    <SparseCategoricalAccuracy name=accuracy>
    """
    del loss  # Keras 3 chooses from the shapes alone.
    y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
    if not y_true_shape or not y_pred_shape:
        raise ValueError(
            f"metrics.resolve_accuracy: labels and predictions need at least one axis (the batch) to "
            f"choose an accuracy; received y_true shape {y_true_shape} and y_pred shape {y_pred_shape}. "
            "Pass per-sample labels and predictions, or name the metric explicitly (e.g. 'binary_accuracy')."
        )
    true_last, pred_last = y_true_shape[-1], y_pred_shape[-1]
    is_binary = pred_last == 1
    is_sparse = len(y_true_shape) < len(y_pred_shape) or (
        true_last == 1 and pred_last is not None and pred_last > 1
    )
    if is_binary:
        return acc.BinaryAccuracy(name=name)
    if is_sparse:
        return acc.SparseCategoricalAccuracy(name=name)
    return acc.CategoricalAccuracy(name=name)
