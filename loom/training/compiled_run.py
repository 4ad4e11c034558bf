"""CompiledRun: the steps, state binding and metrics of one compiled training configuration.

Built on the first fit/evaluate/train_on_batch for the model's trainable set and
class weights, and reused by every later call with the same ones. Its checks run
on shapes alone, so mistakes in the targets are reported before any step runs.
"""

import jax
import jax.numpy as jnp
import numpy as np

from loom.training.compile_config import CompileLoss, CompileMetrics
from loom.training.metric_state import MetricState
from loom.training.step import Steps, flatten_outputs
from loom.training.step_adapter import StepAdapter, uses_builtin
from loom.training.train_state import StateBinding


class CompiledRun:
    """What one compiled configuration needs: its cache key, steps, state binding, metrics."""

    def __init__(self, key, steps: Steps, binding: StateBinding, metrics: MetricState, output_names: list):
        self.key = key
        self.steps = steps
        self.binding = binding
        self.metrics = metrics
        self.output_names = output_names


def compiled_run_for(model, x_sample, y: list, class_weight) -> "CompiledRun":
    """The compiled machinery of ``model`` for its current trainable set and
    class weights; cached on the model as ``_training``."""
    key = (
        tuple(id(v) for v in model.trainable_variables),
        None if class_weight is None else tuple(sorted(class_weight.items())),
    )
    if model._training is not None and model._training.key == key:
        return model._training
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
        classes = max(int(max(class_weight)) + 1, int(predictions[0].shape[-1] or 1))
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
    model._training = CompiledRun(key, steps, binding, metric_state, output_names)
    return model._training


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


def check_sparse_labels(training, y: list) -> None:
    """Integer labels outside [0, classes) silently give garbage in XLA; refuse them up front."""
    for index in training.steps.compile_loss.active:
        loss = training.steps.compile_loss.losses[index]
        function = getattr(loss, "fn", None)
        name = getattr(function, "__name__", "") or getattr(loss, "name", "")
        if "sparse_categorical" not in name or y[index] is None:
            continue
        labels = np.asarray(y[index])
        if labels.size == 0:
            continue
        low, high = labels.min(), labels.max()
        predictions = training.steps.model.outputs[index].shape[-1] if hasattr(training.steps.model, "_outputs") else None
        if low < 0 or (predictions is not None and high >= predictions):
            raise ValueError(
                f"Output '{training.output_names[index]}': sparse labels must be integers in [0, {predictions}); "
                f"received labels from {low} to {high}. Check the label encoding or the output size."
            )
