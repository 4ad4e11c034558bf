"""Adamax: Adam with the infinity norm in place of the second moment."""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from loom.optimizers.optimizer import Optimizer


class KerasAdamaxState(NamedTuple):
    count: jax.Array
    momentum: Any
    norm: Any


def scale_by_keras_adamax(beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7):
    """Adamax's direction with Keras's epsilon: ``m / ((1 - beta_1^t) * (u + epsilon))``.

    ``optax.scale_by_adamax`` adds epsilon to ``|g|`` inside the running
    maximum instead, so the Keras rule is written out here.
    """

    def init_fn(params):
        return KerasAdamaxState(jnp.zeros([], jnp.int32), optax.tree.zeros_like(params), optax.tree.zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        momentum = jax.tree.map(lambda m, g: m + (g - m) * (1 - beta_1), state.momentum, updates)
        norm = jax.tree.map(lambda u, g: jnp.maximum(beta_2 * u, jnp.abs(g)), state.norm, updates)

        def direction(m, u):
            beta_1_power = jnp.power(jnp.asarray(beta_1, m.dtype), (state.count + 1).astype(m.dtype))
            return m / ((1 - beta_1_power) * (u + epsilon))

        updates = jax.tree.map(direction, momentum, norm)
        return updates, KerasAdamaxState(optax.safe_increment(state.count), momentum, norm)

    return optax.GradientTransformation(init_fn, update_fn)


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2014, section 7), as Keras computes it.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable; default 0.001.
        beta_1: exponential decay rate of the first-moment estimates.
        beta_2: exponential decay rate of the weighted infinity norm.
        epsilon: small constant for numerical stability.
        **kwargs: the base ``Optimizer`` arguments.
    """

    _slot_groups = (("momentum", "norm"),)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _update_rule(self, learning_rate):
        return optax.chain(
            scale_by_keras_adamax(self.beta_1, self.beta_2, self.epsilon),
            optax.scale_by_learning_rate(learning_rate),
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
