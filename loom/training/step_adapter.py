"""Step adapter: a model's own ``train_step``/``test_step``/``predict_step`` as a pure chunk step.

The compiled chunks (``training/step.py``) loop over steps of the form
``(TrainState, batch, key) -> (TrainState, logs)``. This module wraps the
model's step methods in that form when the built-in step cannot stand in for
them: when a subclass overrides a step, or a part the default step uses
(``compute_loss``, ``compute_metrics``, ``metrics``), or tracks metrics of its own.

Two forms of override are accepted:
- Keras 3's JAX form ``train_step(self, state, data)``, which returns
  ``(logs, state)``; random draws in its ``stateless_call`` come from the step's key.
- the form ``train_step(self, data)`` of Keras's other backends, which reads and
  assigns variables (``self(x)``, ``metric.update_state``, ``optimizer.apply``): it
  runs in a stateless scope that maps every model, optimizer and metric variable
  to the traced state, and whatever it assigns becomes the new state. (Keras's JAX
  backend rejects this form; loom runs it because the scope makes it pure.)
"""

import inspect

from loom.state.stateless_scope import StatelessScope
from loom.training.step_data import step_data
from loom.training.step_methods import StepMethods
from loom.training.train_state import TrainState

_PARTS = {
    "train": ("train_step", "compute_loss", "compute_metrics", "get_metrics_result"),
    "test": ("test_step", "compute_loss", "compute_metrics", "get_metrics_result"),
    "predict": ("predict_step",),
}


def uses_builtin(model, kind: str) -> bool:
    """Whether the built-in ``kind`` step computes what the model's own step would."""
    cls = type(model)
    if any(getattr(cls, name) is not getattr(StepMethods, name) for name in _PARTS[kind]):
        return False
    if kind == "predict":
        return True
    return cls.metrics is StepMethods.metrics and not model._tracked_metrics()


def takes_state(method) -> bool:
    """Whether a step method has Keras's JAX signature ``(state, data)`` (else ``(data)``)."""
    try:
        parameters = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return True
    return len(positional) >= 2


def _lists(parts, expected: list, model, method: str) -> list:
    parts = list(parts)
    if len(parts) != len(expected):
        raise ValueError(
            f"Model '{model.name}'.{method} must return (logs, state) with a state of {len(expected)} "
            f"lists ({', '.join(expected)}); received a state of {len(parts)} items."
        )
    return [list(part) for part in parts]


def _logs(logs, model, method: str) -> dict:
    if logs is None:
        return {}
    if not isinstance(logs, dict):
        raise TypeError(
            f"Model '{model.name}'.{method} must return its logs as a dict of scalars (e.g. "
            f"{{'loss': loss}}); received {type(logs).__name__}."
        )
    return dict(logs)


class StepAdapter:
    """The model's step methods with loom's chunk signatures."""

    def __init__(self, model, output_names: list):
        self.model = model
        self.output_names = list(output_names)

    def _data(self, batch, sample_weight):
        x, y, _ = batch
        return step_data(x, y, sample_weight, self.output_names)

    def _in_scope(self, method, data, variables: list, values: list, key):
        """Run a ``(data)``-form step with ``variables`` mapped to ``values``; returns
        ``(logs, new values)``."""
        with StatelessScope(list(zip(variables, values)), rng=key) as scope:
            logs = method(data)
        new = []
        for variable, value in zip(variables, values):
            current = scope.get_current_value(variable)
            new.append(value if current is None else current)
        return logs, new

    def train(self, state: TrainState, batch, sample_weight, key):
        """``(TrainState, logs)`` after the model's ``train_step`` on one batch."""
        model, data = self.model, self._data(batch, sample_weight)
        method = model.train_step
        if takes_state(method):
            with StatelessScope(rng=key):  # the step's stateless_call draws from the step's key
                logs, new = method(tuple(state), data)
            parts = _lists(new, ["trainable", "non_trainable", "optimizer", "metrics"], model, "train_step")
            return TrainState(*parts), _logs(logs, model, "train_step")
        groups = [
            model.trainable_variables,
            model.non_trainable_variables,
            list(model.optimizer.variables),
            model.metrics_variables,
        ]
        flat_variables = [v for group in groups for v in group]
        flat_values = [v for part in state for v in part]
        logs, values = self._in_scope(method, data, flat_variables, flat_values, key)
        parts, start = [], 0
        for group in groups:
            parts.append(values[start : start + len(group)])
            start += len(group)
        return TrainState(*parts), _logs(logs, model, "train_step")

    def test(self, state: TrainState, batch, sample_weight):
        """``(metric values, logs)`` after the model's ``test_step`` on one batch."""
        model, data = self.model, self._data(batch, sample_weight)
        method = model.test_step
        if takes_state(method):
            logs, new = method((state.trainable, state.non_trainable, state.metrics), data)
            parts = _lists(new, ["trainable", "non_trainable", "metrics"], model, "test_step")
            return parts[2], _logs(logs, model, "test_step")
        variables = model.trainable_variables + model.non_trainable_variables + model.metrics_variables
        values = list(state.trainable) + list(state.non_trainable) + list(state.metrics)
        logs, values = self._in_scope(method, data, variables, values, None)
        return values[len(values) - len(state.metrics) :], _logs(logs, model, "test_step")

    def predict(self, trainable, non_trainable, x):
        """The model's ``predict_step`` outputs for one batch of inputs."""
        model, data = self.model, step_data(x, None, None, self.output_names)
        method = model.predict_step
        if takes_state(method):
            outputs, _ = method((trainable, non_trainable), data)
            return outputs
        variables = model.trainable_variables + model.non_trainable_variables
        with StatelessScope(list(zip(variables, list(trainable) + list(non_trainable)))):
            return method(data)
