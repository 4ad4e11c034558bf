"""CompiledRun: the steps, state binding and metrics of one compiled training configuration.

Built on the first fit/evaluate/train_on_batch for the model's trainable set and
class weights, and reused by every later call with the same ones. Its checks run
on shapes alone, so mistakes in the targets are reported before any step runs.
"""

import jax
import jax.numpy as jnp
import numpy as np

from loom.distribution import placement
from loom.distribution.distribution import distribution
from loom.state import structure_version
from loom.training.compile_config import CompileLoss, CompileMetrics
from loom.training.metric_state import MetricState
from loom.training.step import Steps, flatten_outputs
from loom.training.step_adapter import StepAdapter, uses_builtin
from loom.training.train_state import StateBinding, TrainState


class CompiledRun:
    """What one compiled configuration needs: its cache key, steps, state binding, metrics."""

    def __init__(self, key, steps, binding, metrics, output_names: list, classes: list):
        self.key = key
        self.steps = steps
        self.binding = binding
        self.metrics = metrics
        self.output_names = output_names
        # The size of each output's last axis (the class count for sparse labels), None if unknown.
        self.classes = classes
        # The structure_version at which `key` was last found current (a cheaper check).
        self.version = structure_version.current()
        # The outputs whose loss takes class ids (their labels are checked each call).
        compile_loss = steps.compile_loss
        self.sparse_outputs = [i for i in compile_loss.active if _sparse_loss(compile_loss.losses[i])]


def compiled_run_for(model, x_sample, y: list, class_weight) -> "CompiledRun":
    """The compiled machinery of ``model`` for its current trainable set and
    class weights; cached on the model as ``_training``."""
    current = model._training
    unchanged = current is not None and current.version == structure_version.current()
    if unchanged and class_weight is None and current.key[1] is None:  # nothing about the model changed
        return current
    key = (
        tuple(id(v) for v in model.trainable_variables),
        None if class_weight is None else tuple(sorted(class_weight.items())),
    )
    if current is not None and current.key == key:
        current.version = structure_version.current()
        return current
    if model._needs_predictions():
        spec = model._prediction_spec(x_sample)
        output_names = model._output_names_for(spec)
        predictions = flatten_outputs(spec, output_names)
    else:
        output_names = model._output_names_for(None)
        predictions = [None] * len(output_names)
    compile_loss = CompileLoss(model._compile_args["loss"], model._compile_args["loss_weights"], output_names)
    if len(y) != len(output_names):
        raise ValueError(f"fit expects targets for {len(output_names)} outputs {output_names}; received {len(y)}.")
    for index in compile_loss.active:
        if y[index] is None:
            raise ValueError(
                f"Output '{output_names[index]}' has a loss but fit received no target for it; "
                "pass its y, or set its loss to None in compile."
            )
        check_target_shape(compile_loss.losses[index], y[index], predictions[index], output_names[index])
    metrics = CompileMetrics(
        model._compile_args["metrics"], model._compile_args["weighted_metrics"], output_names, compile_loss
    )
    metrics.build(y, predictions)
    if model.optimizer.built and [id(v) for v in model.optimizer._trainable_variables] != [
        id(v) for v in model.trainable_variables
    ]:
        # What is trainable changed since the optimizer was built (layers frozen or
        # unfrozen): start a fresh optimizer of the same configuration, as recompiling would.
        model.optimizer = type(model.optimizer).from_config(model.optimizer.get_config())
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    table = None
    if class_weight is not None:
        if len(output_names) > 1:
            raise ValueError("`class_weight` is only supported for models with a single output; use sample_weight.")
        _check_class_weight(class_weight, predictions[0], output_names[0])
        classes = max(int(max(class_weight)) + 1, int(predictions[0].shape[-1] or 1) if predictions[0] is not None else 1)
        table = jnp.asarray([float(class_weight.get(i, 1.0)) for i in range(classes)], jnp.float32)
    model._compile_metrics = metrics
    # The state's metrics are ``model.metrics``: the compiled ones, unless the model says otherwise.
    tracked = model.metrics
    metric_state = MetricState(tracked, model._metric_log_names(tracked))
    custom = [kind for kind in ("train", "test") if not uses_builtin(model, kind)]
    steps = Steps(
        model, compile_loss, metrics, model.optimizer, output_names, table, jit=model.jit_compile,
        loop=model._step_loop, metric_state=metric_state, adapter=StepAdapter(model, output_names), custom=custom,
    )
    binding = StateBinding(model, model.optimizer, metric_state.variables)
    if distribution() is not None:  # every piece of state in its layout; steps keep it there
        groups = TrainState(binding.trainable, binding.non_trainable, binding.optimizer, binding.metrics)
        placement.place_variables([v for group in groups for v in group])
        steps.constraints = placement.Constraints.for_state(groups)
    classes = [None if p is None or not p.shape or p.shape[-1] is None else int(p.shape[-1]) for p in predictions]
    model._training = CompiledRun(key, steps, binding, metric_state, output_names, classes)
    return model._training


def _check_class_weight(class_weight: dict, prediction, output_name: str) -> None:
    """Keys must be the integer ids of classes the output has; anything else would leave
    every sample's weight at 1.0 without a word."""
    if not isinstance(class_weight, dict) or not class_weight:
        raise ValueError(f"`class_weight` must be a non-empty dict {{class id: weight}}; received {class_weight!r}.")
    for key in class_weight:
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)):
            raise ValueError(
                f"`class_weight` keys must be integer class ids; received the key {key!r} "
                f"({type(key).__name__}). Use e.g. {{int(k): w for k, w in class_weight.items()}}."
            )
    if prediction is None:
        return
    units = prediction.shape[-1] if prediction.shape else 1
    classes = 2 if units in (None, 1) else int(units)  # one sigmoid unit: classes 0 and 1
    unknown = sorted(int(k) for k in class_weight if not 0 <= k < classes)
    if unknown:
        raise ValueError(
            f"`class_weight` names class(es) {unknown}, but output '{output_name}' has {classes} classes "
            f"(ids 0 to {classes - 1}). Check the label encoding or the class_weight dict."
        )


# Built-in losses that compare targets and predictions element by element: a target that
# merely broadcasts against the predictions gives a number, but not the one meant.
_ELEMENTWISE_LOSSES = frozenset({
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "huber", "log_cosh", "binary_crossentropy", "binary_focal_crossentropy",
    "hinge", "squared_hinge", "categorical_hinge", "poisson", "kl_divergence", "cosine_similarity",
    "categorical_crossentropy", "categorical_focal_crossentropy",
})


def _check_same_shape(y_shape: tuple, prediction_shape: tuple, loss, output_name: str) -> None:
    """Targets must have the predictions' shape per sample, or differ only by a trailing
    axis of size 1 (Keras squeezes ``(N,)`` against ``(N, 1)``); refuse broadcasting."""
    target, predicted = tuple(y_shape[1:]), tuple(prediction_shape[1:])

    def same(a, b):
        return len(a) == len(b) and all(p is None or t == p for t, p in zip(a, b))

    if same(target, predicted) or same(target + (1,), predicted) or same(target, predicted + (1,)):
        return
    shown = (None,) + predicted
    raise ValueError(
        f"Output '{output_name}': targets of shape {tuple(y_shape)} do not match predictions of shape {shown} "
        f"for loss '{getattr(loss, 'name', _loss_name(loss))}'. They would broadcast into a loss over every "
        "pair of elements, not the loss you meant (Keras computes it without a word). Give one target per "
        "prediction: reshape y, or change the model's output size."
    )


def check_target_shape(loss, y, prediction, output_name: str) -> None:
    """Run the loss on shapes alone, so a target/loss mismatch is reported before training.

    The probe uses the targets' own sample count, so every shape in the message is one the user gave.
    """
    y_shape = tuple(np.shape(y))
    y_dtype = y.dtype if hasattr(y, "dtype") else np.asarray(y[:1]).dtype
    samples = y_shape[0] if y_shape else 1
    spec_y = jax.ShapeDtypeStruct(y_shape, y_dtype)
    spec_p = jax.ShapeDtypeStruct((samples,) + tuple(d or 1 for d in prediction.shape[1:]), prediction.dtype)
    try:
        jax.eval_shape(lambda t, p: loss(t, p), spec_y, spec_p)
    except (ValueError, TypeError) as err:
        shown = (None,) + tuple(prediction.shape[1:])
        raise type(err)(
            f"Output '{output_name}': targets of shape {y_shape} do not fit predictions of shape "
            f"{shown} for loss '{getattr(loss, 'name', loss)}': {err}"
        ) from err
    # After the loss's own check, whose message is the more specific one where it has one.
    if _loss_name(loss) in _ELEMENTWISE_LOSSES:
        _check_same_shape(y_shape, tuple(prediction.shape), loss, output_name)


def _loss_name(loss) -> str:
    function = getattr(loss, "fn", None)
    return getattr(function, "__name__", "") or getattr(loss, "name", "") or ""


def _sparse_loss(loss) -> bool:
    return "sparse_categorical" in _loss_name(loss)


def check_sparse_labels(training, y: list, what: str = "fit", on_device_too: bool = True) -> None:
    """Integer labels outside [0, classes), or labels that are not integers, silently give
    garbage in XLA; refuse them before any step runs, naming the first bad value.

    Host arrays cost a pass over the labels. Labels already on an accelerator are read back
    only when ``on_device_too`` (whole arrays given to fit/evaluate: one transfer per call);
    a batch iterable's device batches are not read back (it would stall every step).
    """
    for index in training.sparse_outputs:
        if y[index] is None:
            continue
        labels = y[index]
        if isinstance(labels, jax.Array) and not (on_device_too or jax.default_backend() == "cpu"):
            continue
        labels = np.asarray(labels)
        if labels.size == 0:
            continue
        output = training.output_names[index]
        if labels.dtype.kind == "f":
            fractional = np.flatnonzero(labels.ravel() != np.floor(labels.ravel()))
            if fractional.size:
                where = np.unravel_index(fractional[0], labels.shape)
                raise ValueError(
                    f"{what}: output '{output}' uses a sparse categorical loss, whose targets are class "
                    f"indices; received the non-integer label {labels[where]} at index {tuple(map(int, where))}. "
                    "Pass integer class ids, or one-hot targets with loss='categorical_crossentropy'."
                )
        classes = training.classes[index]
        low, high = labels.min(), labels.max()
        if low < 0 or (classes is not None and high >= classes):
            bad = np.flatnonzero((labels.ravel() < 0) | (labels.ravel() >= (classes or np.inf)))[0]
            where = tuple(map(int, np.unravel_index(bad, labels.shape)))
            raise ValueError(
                f"{what}: output '{output}': sparse labels must be integers in [0, {classes}); received labels "
                f"from {low} to {high} (the first out of range is {labels[where]} at index {where}). Check the "
                "label encoding or the output size."
            )
