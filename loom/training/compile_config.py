"""Compile configuration: the losses, loss weights and metrics of each model output.

``compile`` stores what the user asked for; the first batch of data fixes the
output structure and shapes, and ``build`` resolves everything into objects the
compiled step uses as pure functions (metric state is a flat list of arrays).
"""

import difflib

import jax.numpy as jnp
import numpy as np

from loom import losses as losses_module
from loom import metrics as metrics_module
from loom.training.metric_state import MetricState


def _per_output(value, output_names: list, what: str, broadcast: bool) -> list:
    """``value`` (single, list or dict by output name) as a list aligned with the outputs."""
    count = len(output_names)
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(output_names))
        if unknown:
            hints = "; ".join(
                f"'{name}' (did you mean '{close[0]}'?)" if (close := difflib.get_close_matches(name, output_names, 1))
                else f"'{name}'"
                for name in unknown
            )
            raise ValueError(
                f"compile: `{what}` names unknown output(s) {hints}. The model's outputs are {output_names}."
            )
        return [value.get(name) for name in output_names]
    if isinstance(value, (list, tuple)) and count > 1 and len(value) == count:
        return list(value)
    if isinstance(value, (list, tuple)) and count > 1 and what in ("loss", "loss_weights"):
        raise ValueError(
            f"compile: `{what}` has {len(value)} entries but the model has {count} outputs {output_names}; "
            "give one entry per output (None to skip an output) or a dict keyed by output name."
        )
    if isinstance(value, (list, tuple)) and count == 1 and what in ("loss", "loss_weights") and len(value) == 1:
        return list(value)
    return [value] * count if broadcast else [value] + [None] * (count - 1)


class CompileLoss:
    """The total training loss: a weighted sum of one loss per output."""

    def __init__(self, loss, loss_weights, output_names: list):
        self.output_names = list(output_names)
        self.losses = [self._resolve(entry) for entry in _per_output(loss, self.output_names, "loss", True)]
        weights = _per_output(loss_weights, self.output_names, "loss_weights", True) if loss_weights is not None else None
        self.weights = [1.0 if w is None else float(w) for w in (weights or [None] * len(self.output_names))]
        if all(entry is None for entry in self.losses) and loss is not None:
            raise ValueError("compile: every output's loss is None, so there is nothing to train.")

    @staticmethod
    def _resolve(identifier):
        if identifier is None:
            return None
        loss = losses_module.get(identifier)
        if not isinstance(loss, losses_module.Loss):
            loss = losses_module.LossFunctionWrapper(loss, name=getattr(loss, "__name__", "loss"))
        return loss

    @property
    def active(self) -> list:
        """Indices of outputs that have a loss."""
        return [i for i, loss in enumerate(self.losses) if loss is not None]

    def __call__(self, y_true: list, y_pred: list, sample_weight: list):
        """``(total, per_output)``: the weighted total and each output's reduced loss."""
        per_output = []
        total = jnp.zeros((), jnp.float32)
        for index in self.active:
            value = self.losses[index](y_true[index], y_pred[index], sample_weight=sample_weight[index])
            per_output.append(value)
            total = total + self.weights[index] * value.astype(jnp.float32)
        return total, per_output


class CompileMetrics(MetricState):
    """Loss trackers and metrics of every output, with state as a flat list of arrays."""

    def __init__(self, metrics, weighted_metrics, output_names: list, compile_loss: CompileLoss):
        self.output_names = list(output_names)
        self._metrics_arg = metrics
        self._weighted_arg = weighted_metrics
        self.compile_loss = compile_loss
        self.built = False
        self.trackers = [metrics_module.Mean(name="loss")]
        if len(self.output_names) > 1:
            self.trackers += [metrics_module.Mean(name=f"{self.output_names[i]}_loss") for i in compile_loss.active]
        self.entries = []  # (output index, metric, weighted, log name)

    def build(self, y_true: list, y_pred: list) -> None:
        """Resolve metric names (``"accuracy"`` from the loss and shapes) per output."""
        if self.built:
            return
        plain = self._per_output_lists(self._metrics_arg, "metrics")
        weighted = self._per_output_lists(self._weighted_arg, "weighted_metrics")
        taken = {}
        for is_weighted, per_output in ((False, plain), (True, weighted)):
            for index, identifiers in enumerate(per_output):
                for identifier in identifiers:
                    if y_true[index] is None:
                        continue
                    metric = self._resolve(identifier, y_true[index], y_pred[index], index)
                    if any(metric is m for _, m, _, _ in self.entries):
                        # One metric object given for two outputs: each needs its own state.
                        metric = type(metric).from_config(metric.get_config())
                    if y_pred[index] is not None and hasattr(metric, "build"):
                        # Metrics sized by the data (F1Score, R2Score) make their variables now.
                        metric.build(tuple(np.shape(y_true[index])), tuple(y_pred[index].shape))
                    # The log name is kept apart: a user's metric object keeps its own name.
                    name = self._unique_name(metric.name, index, is_weighted, taken)
                    self.entries.append((index, metric, is_weighted, name))
        self.built = True

    def _unique_name(self, name: str, index: int, weighted: bool, taken: dict) -> str:
        """Keras's log names: ``out_a_accuracy``; repeats get ``_1``, and a weighted
        metric that repeats a plain one becomes ``weighted_accuracy``."""
        prefix = f"{self.output_names[index]}_" if len(self.output_names) > 1 else ""
        full = prefix + name
        if full not in taken:
            taken[full] = 1
            return full
        if weighted:
            full = f"{prefix}weighted_{name}"
            if full not in taken:
                taken[full] = 1
                return full
        count = taken[full]
        taken[full] += 1
        return f"{full}_{count}"

    def _per_output_lists(self, value, what: str) -> list:
        if value is None:
            return [[] for _ in self.output_names]
        if isinstance(value, dict):
            lists = _per_output(value, self.output_names, what, False)
            return [[] if v is None else (list(v) if isinstance(v, (list, tuple)) else [v]) for v in lists]
        if not isinstance(value, (list, tuple)):
            value = [value]
        if len(self.output_names) > 1 and len(value) == len(self.output_names) and all(
            isinstance(v, (list, tuple)) or v is None for v in value
        ):
            return [[] if v is None else list(v) for v in value]
        return [list(value) for _ in self.output_names]

    def _resolve(self, identifier, y_true, y_pred, index):
        if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
            metric = metrics_module.resolve_accuracy(
                tuple(y_true.shape), tuple(y_pred.shape), self.compile_loss.losses[index]
            )
            metric.name = identifier
            return metric
        metric = metrics_module.get(identifier)
        if not isinstance(metric, metrics_module.Metric):
            metric = metrics_module.MeanMetricWrapper(metric, name=getattr(metric, "__name__", "metric"))
        if isinstance(identifier, str):
            metric.name = identifier  # as Keras: metrics=["mae"] logs "mae"
        return metric

    @property
    def metrics(self) -> list:
        return self.trackers + [metric for _, metric, _, _ in self.entries]

    @property
    def names(self) -> list:
        """The names the logs use, in the order of ``metrics``."""
        return [tracker.name for tracker in self.trackers] + [name for _, _, _, name in self.entries]

    def update(self, values, y_true, y_pred, sample_weight, total_loss, per_output_losses, batch_size):
        """New metric state after one batch (pure)."""
        pieces = self.split(values)
        new = []
        losses = [total_loss] + (list(per_output_losses) if len(self.trackers) > 1 else [])
        for tracker, piece, loss in zip(self.trackers, pieces, losses):
            new.append(tracker.stateless_update_state(piece, loss, sample_weight=batch_size))
        for (index, metric, weighted, _), piece in zip(self.entries, pieces[len(self.trackers) :]):
            weight = sample_weight[index] if weighted else None
            new.append(metric.stateless_update_state(piece, y_true[index], y_pred[index], sample_weight=weight))
        return [value for piece in new for value in piece]
