"""The model's overridable steps and their parts, in Keras 3's JAX contract.

``train_step(state, data) -> (logs, state)`` with ``state = (trainable,
non_trainable, optimizer, metrics)`` lists of arrays; ``test_step`` takes and
returns ``(trainable, non_trainable, metrics)``; ``predict_step(state, data) ->
(outputs, non_trainable)``. A subclass's override is what ``fit``, ``evaluate``
and ``predict`` run, inside the same compiled chunks as the defaults. The
defaults are written from the parts users override too (``compute_loss``,
``compute_metrics``, ``metrics``), so overriding a part changes what the default
step does, as in Keras. When nothing is overridden, the trainer runs an
equivalent built-in step (``training/step.py``) that skips the per-step logs.
"""

import jax
import jax.numpy as jnp

from loom.metrics.metric import Metric
from loom.state import stateless_scope
from loom.state.stateless_scope import StatelessScope
from loom.training.step import NOTHING_TO_MINIMIZE, flatten_outputs
from loom.training.step_data import as_list
from loom.utils.data_packing import unpack_x_y_sample_weight



def _batch_size(structure):
    leaves = [leaf for leaf in jax.tree_util.tree_leaves(structure) if hasattr(leaf, "shape")]
    return leaves[0].shape[0] if leaves and leaves[0].shape else 1


class StepMethods:
    """Keras's ``train_step``/``test_step``/``predict_step`` and the methods they use."""

    _compile_metrics = None  # the CompileMetrics of the current compiled configuration

    # --- metrics --------------------------------------------------------------------
    @property
    def metrics(self) -> list:
        """The loss trackers and compiled metrics (once fit/evaluate has resolved them), then
        the Metric objects set as attributes of the model, as Keras tracks them."""
        compiled = [] if self._compile_metrics is None else self._compile_metrics.metrics
        return compiled + self._tracked_metrics()

    def _tracked_metrics(self) -> list:
        found = []
        for value in vars(self).values():
            if isinstance(value, Metric):
                found.append(value)
            elif isinstance(value, (list, tuple)):
                found.extend(item for item in value if isinstance(item, Metric))
        return found

    @property
    def metrics_variables(self) -> list:
        """The state variables of ``metrics``, in order (the ``metrics`` part of a step's state)."""
        return [variable for metric in self.metrics for variable in metric.variables]

    def _metric_log_names(self, metrics: list) -> list:
        """Log names: compiled metrics keep their per-output names (``out_a_accuracy``)."""
        compiled = {}
        if self._compile_metrics is not None:
            compiled = {id(m): name for m, name in zip(self._compile_metrics.metrics, self._compile_metrics.names)}
        return [compiled.get(id(metric), metric.name) for metric in metrics]

    @property
    def metrics_names(self) -> list:
        return self._metric_log_names(self.metrics)

    def reset_metrics(self) -> None:
        """Reset the state of every metric in ``metrics``."""
        for metric in self.metrics:
            metric.reset_state()

    def get_metrics_result(self) -> dict:
        """``{name: result}`` for every metric in ``metrics`` (dict results are merged in)."""
        metrics = self.metrics
        results = {}
        for name, metric in zip(self._metric_log_names(metrics), metrics):
            value = metric.result()
            if isinstance(value, dict):
                results.update(value)
            else:
                results[name] = value
        return results

    # --- the parts of a step ---------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss: the compiled losses plus the side losses of the last call
        (``add_loss``, regularizers). Override it to change what training minimizes.

        Returns a scalar; zero when there is nothing to compute (when evaluating a model
        compiled without a loss).
        """
        del x  # the default does not use it
        compile_metrics = self._compile_metrics
        names = compile_metrics.output_names
        compile_loss = compile_metrics.compile_loss
        total = jnp.zeros((), jnp.float32)
        if compile_loss.active:
            predictions = flatten_outputs(y_pred, names)
            total, per_output = compile_loss(as_list(y, names), predictions, as_list(sample_weight, names))
            rows = jnp.float32(_batch_size(predictions))
            # Per-output loss trackers are updated here, as Keras's compiled loss does.
            for tracker, value in zip(compile_metrics.trackers[1:], per_output):
                tracker.update_state(value, sample_weight=rows)
        side = self.losses
        for loss in side:
            total = total + jnp.sum(loss).astype(total.dtype)
        if training and not compile_loss.active and not side:
            raise ValueError(NOTHING_TO_MINIMIZE.format(name=self.name))
        return total

    def stateless_compute_loss(
        self, trainable_variables, non_trainable_variables, metrics_variables, x=None, y=None, y_pred=None,
        sample_weight=None, training=True,
    ):
        """``compute_loss`` as a pure function: ``(loss, (trainable, non_trainable, metrics))``
        with the values it updated (loss trackers, for instance)."""
        mapping = self._mapping(trainable_variables, non_trainable_variables, metrics_variables)
        with StatelessScope(mapping) as scope:
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return loss, (
            list(trainable_variables),
            [_current(scope, v) for v in self.non_trainable_variables],
            [_current(scope, v) for v in self.metrics_variables],
        )

    def compute_metrics(self, x, y, y_pred, sample_weight=None) -> dict:
        """Update the compiled metrics with one batch; returns ``get_metrics_result()``."""
        del x
        compile_metrics = self._compile_metrics
        names = compile_metrics.output_names
        targets, predictions = as_list(y, names), flatten_outputs(y_pred, names)
        weights = as_list(sample_weight, names)
        for index, metric, weighted, _ in compile_metrics.entries:
            if targets[index] is not None:
                metric.update_state(targets[index], predictions[index], sample_weight=weights[index] if weighted else None)
        return self.get_metrics_result()

    def _track_loss(self, loss, x) -> None:
        if self._compile_metrics is not None:
            self._compile_metrics.trackers[0].update_state(loss, sample_weight=jnp.float32(_batch_size(x)))

    def _mapping(self, trainable, non_trainable, metrics) -> list:
        return (
            list(zip(self.trainable_variables, trainable))
            + list(zip(self.non_trainable_variables, non_trainable))
            + list(zip(self.metrics_variables, metrics))
        )

    def _forward_and_loss(self, trainable, non_trainable, metrics, x, y, sample_weight, training):
        """``(loss, (y_pred, non_trainable, metrics))``: one call and ``compute_loss`` as a pure function."""
        with StatelessScope(self._mapping(trainable, non_trainable, metrics), rng=stateless_scope.scope_rng_key()) as scope:
            y_pred = self(x, training=training)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=training)
        new_non_trainable = [_current(scope, v) for v in self.non_trainable_variables]
        new_metrics = [_current(scope, v) for v in self.metrics_variables]
        return loss, (y_pred, new_non_trainable, new_metrics)

    def _update_metrics(self, metrics, loss, x, y, y_pred, sample_weight):
        with StatelessScope(list(zip(self.metrics_variables, metrics))) as scope:
            self._track_loss(loss, x)
            logs = self.compute_metrics(x, y, y_pred, sample_weight)
        return logs, [_current(scope, v) for v in self.metrics_variables]

    # --- the steps ------------------------------------------------------------------
    def train_step(self, state, data):
        """One optimizer step: ``(logs, (trainable, non_trainable, optimizer, metrics))``."""
        trainable, non_trainable, optimizer_variables, metrics = state
        x, y, sample_weight = unpack_x_y_sample_weight(data)

        def loss_fn(trainable):
            loss, aux = self._forward_and_loss(trainable, non_trainable, metrics, x, y, sample_weight, True)
            # Gradients of the scaled loss (loss scaling under mixed_float16); metrics see the loss itself.
            return self.optimizer.stateless_scale_loss(optimizer_variables, loss), (loss, aux)

        (_, (loss, (y_pred, non_trainable, metrics))), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            list(trainable)
        )
        trainable, optimizer_variables = self.optimizer.stateless_apply(optimizer_variables, grads, trainable)
        logs, metrics = self._update_metrics(metrics, loss, x, y, y_pred, sample_weight)
        return logs, (trainable, non_trainable, optimizer_variables, metrics)

    def test_step(self, state, data):
        """Loss and metrics of one batch: ``(logs, (trainable, non_trainable, metrics))``."""
        trainable, non_trainable, metrics = state
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        loss, (y_pred, non_trainable, metrics) = self._forward_and_loss(
            trainable, non_trainable, metrics, x, y, sample_weight, False
        )
        logs, metrics = self._update_metrics(metrics, loss, x, y, y_pred, sample_weight)
        return logs, (trainable, non_trainable, metrics)

    def predict_step(self, state, data):
        """The outputs of one batch: ``(outputs, non_trainable)``."""
        trainable, non_trainable = state
        x, _, _ = unpack_x_y_sample_weight(data)
        return self.stateless_call(trainable, non_trainable, x, training=False)


def _current(scope, variable):
    value = scope.get_current_value(variable)
    return variable.value if value is None else value
