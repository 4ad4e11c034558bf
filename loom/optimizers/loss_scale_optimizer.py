"""LossScaleOptimizer: dynamic loss scaling around another optimizer, for float16 training.

float16 gradients underflow to zero below ~6e-8. Multiplying the loss by a large
scale before differentiating lifts the gradients into range; dividing them by
the same scale before the update brings them back. The scale adapts: a step
whose gradients overflow (inf or nan) is skipped and the scale halved; after
``dynamic_growth_steps`` finite steps in a row the scale doubles.
"""

import numbers

import jax.numpy as jnp

from loom.config import dtype_policies
from loom.optimizers.optimizer import Optimizer
from loom.state.stateless_scope import StatelessScope

# Base-optimizer arguments Keras's LossScaleOptimizer accepts only at their defaults
# (old Keras configs carried them); set them on the inner optimizer instead.
_BASE_DEFAULTS = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


def _serialization():
    # The optimizer serialization module lists this class among the built-ins, so it
    # imports this module; the inner optimizer's (de)serialization reaches back here.
    from loom.optimizers import serialization

    return serialization


class LossScaleOptimizer(Optimizer):
    """Wraps ``inner_optimizer`` with dynamic loss scaling, as Keras's ``LossScaleOptimizer``.

    A training step multiplies the loss by ``scale_loss`` before taking
    gradients; ``apply`` then divides the gradients by the current scale and,
    if they are all finite, lets the inner optimizer update the weights. A step
    with an inf or nan gradient changes no weight and no inner-optimizer state,
    and halves the scale; ``dynamic_growth_steps`` finite steps in a row double it.

    Args:
        inner_optimizer: the ``Optimizer`` instance that computes the updates.
            Its own ``loss_scale_factor`` is switched off (the gradients would
            be unscaled twice).
        initial_scale: the starting loss scale, a positive float. Keep it high:
            a scale that is too high falls fast (one skipped step per halving),
            one that is too low rises only every ``dynamic_growth_steps`` steps.
        dynamic_growth_steps: how many finite steps in a row double the scale.
        name: prefix of the optimizer's variable paths.

    Example:

    >>> import loom
    >>> w = loom.Variable([1.0], name="w")
    >>> optimizer = LossScaleOptimizer(loom.optimizers.SGD(1.0), initial_scale=4.0)
    >>> optimizer.apply([[float("inf")]], [w])  # overflow: skipped, scale halved
    >>> float(w.numpy()[0]), float(optimizer.dynamic_scale.numpy())
    (1.0, 2.0)
    >>> optimizer.apply([[2.0]], [w])  # the gradient of the scaled loss, divided by 2
    >>> float(w.numpy()[0])
    0.0
    """

    def __init__(self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000, name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. For a fixed scale, set "
                "`loss_scale_factor` on the inner optimizer instead."
            )
        for argument, default in _BASE_DEFAULTS.items():
            if argument in kwargs and kwargs.pop(argument) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{argument}`; set `{argument}` on the inner optimizer."
                )
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments {sorted(kwargs)}.")
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(
                "LossScaleOptimizer wraps an optimizer instance, e.g. LossScaleOptimizer(loom.optimizers.Adam()) "
                f"or LossScaleOptimizer(loom.optimizers.get('adam')); received {inner_optimizer!r}."
            )
        if isinstance(initial_scale, bool) or not isinstance(initial_scale, numbers.Real) or not initial_scale > 0:
            raise ValueError(
                "LossScaleOptimizer: `initial_scale` must be a positive float; "
                f"received initial_scale={initial_scale!r}."
            )
        if (
            isinstance(dynamic_growth_steps, bool)
            or not isinstance(dynamic_growth_steps, numbers.Integral)
            or dynamic_growth_steps < 1
        ):
            raise ValueError(
                "LossScaleOptimizer: `dynamic_growth_steps` must be an integer >= 1; received "
                f"dynamic_growth_steps={dynamic_growth_steps!r}."
            )
        # Keras's own `iteration` and a learning rate of 0 come first in `variables`, for
        # checkpoints laid out as Keras's; the inner optimizer does the work.
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = int(dynamic_growth_steps)
        self.inner_optimizer.loss_scale_factor = None

    def build(self, var_list) -> None:
        """Creates ``step_counter`` and ``dynamic_scale``, then builds the inner optimizer."""
        if self.built:
            return
        var_list = list(var_list)
        self.step_counter = self._new_variable("step_counter", jnp.asarray(0, jnp.int32))
        self.dynamic_scale = self._new_variable("dynamic_scale", jnp.asarray(self.initial_scale, jnp.float32))
        self.inner_optimizer.build(var_list)
        self._trainable_variables = var_list
        self._indices = {id(variable): i for i, variable in enumerate(var_list)}
        self.built = True

    @property
    def variables(self) -> list:
        """Own variables (``iteration``, ``learning_rate``, ``step_counter``, ``dynamic_scale``), then the inner's."""
        return list(self._variables) + self.inner_optimizer.variables

    @property
    def iterations(self):
        """The inner optimizer's step count: skipped steps do not count."""
        return self.inner_optimizer.iterations

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.inner_optimizer.learning_rate = learning_rate

    def scale_loss(self, loss):
        """``loss`` times the current scale (the initial scale before the optimizer is built)."""
        scale = self.dynamic_scale.value if self.built else self.initial_scale
        return jnp.multiply(loss, scale)

    def check_finite(self, grads):
        """A boolean scalar: whether every given gradient is free of inf and nan."""
        checks = [jnp.all(jnp.isfinite(g)) for g in grads if g is not None]
        return jnp.all(jnp.stack(checks)) if checks else jnp.asarray(True)

    def apply(self, grads, trainable_variables=None) -> None:
        """Unscales ``grads`` and applies them with the inner optimizer if all are finite; updates the scale.

        Args:
            grads: gradients of the scaled loss, one (or None) per variable.
            trainable_variables: the Variables; may be left out once built.
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be built on a list "
                    "of variables. Call `optimizer.build(trainable_variables)` first."
                )
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if not self.built:
                self.build(trainable_variables)
        grads = [None if g is None else jnp.asarray(g) for g in grads]
        finite = self.check_finite(grads)
        scale = self.dynamic_scale.value
        unscaled = [None if g is None else g / scale for g in grads]
        # The inner step runs on staged values and is kept only where the gradients were
        # finite: a select rather than a branch, so it traces into one compiled step.
        watched = list(trainable_variables) + self.inner_optimizer.variables
        with StatelessScope([(v, v.value) for v in watched]) as scope:
            self.inner_optimizer.apply(unscaled, trainable_variables)
        for variable in watched:
            variable.assign(jnp.where(finite, scope.get_current_value(variable), variable.value))
        self._update_scale(finite)

    def _update_scale(self, finite) -> None:
        counter, scale = self.step_counter.value, self.dynamic_scale.value
        grow = jnp.logical_and(finite, counter == self.dynamic_growth_steps - 1)
        self.dynamic_scale.assign(jnp.where(finite, jnp.where(grow, scale * 2.0, scale), scale * 0.5))
        self.step_counter.assign(jnp.where(jnp.logical_and(finite, ~grow), counter + 1, 0))
        # Keras leaves its own `iteration` at 0; loom counts every step here, skipped ones
        # too, so a compiled step that folds optimizer.variables[0] into its random key
        # draws fresh dropout masks every step.
        self._iterations.assign(self._iterations.value + 1)

    def finalize_variable_values(self, var_list) -> None:
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "inner_optimizer": _serialization().serialize(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "LossScaleOptimizer":
        config = dict(config)
        if "inner_optimizer" not in config:
            raise ValueError(
                "A LossScaleOptimizer config needs 'inner_optimizer' (the wrapped optimizer's serialize() dict); "
                f"received keys {sorted(config)}."
            )
        inner = config.pop("inner_optimizer")
        if isinstance(inner, dict):
            inner = _serialization().deserialize(inner, custom_objects)
        return cls(inner, **config)


def loss_scale_optimizer_for(optimizer, dtype_policy=None):
    """``optimizer`` wrapped in a ``LossScaleOptimizer`` when the policy is ``"mixed_float16"``, as Keras's
    ``compile(auto_scale_loss=True)`` does; otherwise (or if already wrapped, or None) ``optimizer`` itself.

    Args:
        optimizer: an ``Optimizer`` or None.
        dtype_policy: the model's policy (``model.dtype_policy``); None means the global policy.
    """
    policy = dtype_policies.get(dtype_policy)
    if optimizer is None or isinstance(optimizer, LossScaleOptimizer) or policy.name != "mixed_float16":
        return optimizer
    return LossScaleOptimizer(optimizer, name="loss_scale_optimizer")
