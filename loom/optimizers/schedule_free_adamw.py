"""ScheduleFreeAdamW: AdamW without a learning-rate schedule, by interpolating and averaging iterates."""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from loom.optimizers.optimizer import Optimizer


class KerasScheduleFreeState(NamedTuple):
    count: jax.Array
    momentum: Any  # the sequence z that gradient steps move; starts at the weights
    velocity: Any


def keras_schedule_free_adamw(
    learning_rate, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8, warmup_steps: int = 0
) -> optax.GradientTransformation:
    """Schedule-free AdamW as Keras computes it; its updates move the weights to the new interpolation.

    The weights ``y`` are ``(1 - beta_1) * z + beta_1 * x``: ``z`` takes
    RMSprop-style steps, ``x`` is the running average of the ``z``'s (weight
    ``1 / t``). The rule recovers the old ``x`` from ``y`` and the old ``z``,
    so it reads the weights (the decayed ones, with weight decay, as Keras).
    ``init`` starts ``z`` at the weights.
    """

    def init_fn(params):
        return KerasScheduleFreeState(
            count=jnp.zeros([], jnp.int32),
            momentum=jax.tree.map(jnp.array, params),
            velocity=optax.tree.zeros_like(params),
        )

    def one_variable(g, y, z, v, count):
        step = (count + 1).astype(y.dtype)
        lr = jnp.asarray(learning_rate, y.dtype)
        if warmup_steps > 0:
            lr = lr * jnp.minimum(step / warmup_steps, 1.0)
        v = v + (jnp.square(g) - v) * (1 - beta_2)
        denominator = jnp.sqrt(v / (1 - jnp.power(jnp.asarray(beta_2, y.dtype), step))) + epsilon
        new_z = z - lr * g / denominator
        x = (y - (1 - beta_1) * z) / beta_1
        weight = 1.0 / step
        x = (1 - weight) * x + weight * new_z
        new_y = (1 - beta_1) * new_z + beta_1 * x
        return new_y - y, new_z, v

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("keras_schedule_free_adamw needs `params`; pass them to update(updates, state, params).")
        results = jax.tree.map(
            lambda g, y, z, v: one_variable(g, y, z, v, state.count), updates, params, state.momentum, state.velocity
        )
        deltas, momenta, velocities = jax.tree.transpose(
            jax.tree.structure(updates), jax.tree.structure((0, 0, 0)), results
        )
        return deltas, KerasScheduleFreeState(optax.safe_increment(state.count), momenta, velocities)

    return optax.GradientTransformation(init_fn, update_fn)


class ScheduleFreeAdamW(Optimizer):
    """Schedule-Free AdamW (Defazio et al., 2024), as Keras computes it.

    Interpolation and averaging of iterates replace the learning-rate
    schedule, so training need not know its length in advance. As in Keras,
    the model holds the training interpolation ``y`` throughout (evaluation
    sees ``y``, not the average ``x``).

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable; default 0.0025.
        beta_1: the interpolation between the step sequence and its average.
        beta_2: decay rate of the squared-gradient average.
        epsilon: small constant for numerical stability.
        warmup_steps: the learning rate rises linearly from 0 over this many steps.
        **kwargs: the base ``Optimizer`` arguments (``weight_decay``, ``clipnorm``, ``name``, ...).

    Example:

    >>> import loom
    >>> w = loom.Variable([1.0], name="w")
    >>> ScheduleFreeAdamW(learning_rate=0.1).apply([[1.0]], [w])
    >>> round(float(w.numpy()[0]), 4)
    0.9
    """

    _slot_groups = (("momentum", "velocity"),)

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8, warmup_steps=0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps

    def build(self, var_list) -> None:
        """Creates the slots, then starts ``momentum`` (the step sequence) at the weights."""
        if self.built:
            return
        super().build(var_list)
        # The base class makes the state from zeros of the right shapes; z must start at the weights.
        state = self._update_rule(jnp.float32(1.0)).init([v.value for v in self._trainable_variables])
        for variable, value, _ in self._slots.split(state):
            variable.assign(value)

    def _update_rule(self, learning_rate):
        return keras_schedule_free_adamw(learning_rate, self.beta_1, self.beta_2, self.epsilon, self.warmup_steps)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "warmup_steps": self.warmup_steps,
        }
