"""Nadam: Adam with Nesterov momentum and Dozat's momentum schedule."""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from loom.optimizers.optimizer import Optimizer


class KerasNadamState(NamedTuple):
    count: jax.Array
    momentum: Any
    velocity: Any
    u_product: jax.Array  # product of the momentum schedule so far, one scalar


def scale_by_keras_nadam(beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7):
    """Nadam's direction as Keras computes it (multiply by ``-learning_rate`` to step).

    Keras follows Dozat's schedule ``u_t = beta_1 * (1 - 0.5 * 0.96^t)`` and
    keeps its running product; ``optax.nadam`` (Nesterov-corrected Adam) has
    neither, so the Keras rule is written out here.
    """

    def init_fn(params):
        leaves = jax.tree.leaves(params)
        dtype = leaves[0].dtype if leaves else jnp.float32
        return KerasNadamState(
            jnp.zeros([], jnp.int32),
            optax.tree.zeros_like(params),
            optax.tree.zeros_like(params),
            jnp.ones([], dtype),
        )

    def update_fn(updates, state, params=None):
        del params
        step = (state.count + 1).astype(state.u_product.dtype)
        u_product = state.u_product * beta_1 * (1.0 - 0.5 * jnp.power(0.96, step))
        # Keras casts the betas to the variable's dtype before `1 - beta`.
        momentum = jax.tree.map(lambda m, g: m + (g - m) * (1 - jnp.asarray(beta_1, m.dtype)), state.momentum, updates)
        velocity = jax.tree.map(
            lambda v, g: v + (jnp.square(g) - v) * (1 - jnp.asarray(beta_2, v.dtype)), state.velocity, updates
        )

        def direction(g, m, v):
            dtype = m.dtype
            local_step = step.astype(dtype)
            b1 = jnp.asarray(beta_1, dtype)
            u_t = b1 * (1.0 - 0.5 * jnp.power(jnp.asarray(0.96, dtype), local_step))
            u_t_1 = b1 * (1.0 - 0.5 * jnp.power(jnp.asarray(0.96, dtype), local_step + 1))
            u_product_t = u_product.astype(dtype)
            u_product_t_1 = u_product_t * u_t_1
            m_hat = u_t_1 * m / (1 - u_product_t_1) + (1 - u_t) * g / (1 - u_product_t)
            v_hat = v / (1 - jnp.power(jnp.asarray(beta_2, dtype), local_step))
            return m_hat / (jnp.sqrt(v_hat) + epsilon)

        updates = jax.tree.map(direction, updates, momentum, velocity)
        return updates, KerasNadamState(optax.safe_increment(state.count), momentum, velocity, u_product)

    return optax.GradientTransformation(init_fn, update_fn)


class Nadam(Optimizer):
    """Nadam (Dozat, 2016), as Keras computes it.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable; default 0.001.
        beta_1: exponential decay rate of the first-moment estimates.
        beta_2: exponential decay rate of the second-moment estimates.
        epsilon: small constant for numerical stability.
        **kwargs: the base ``Optimizer`` arguments.
    """

    _slot_groups = (("momentum", "velocity"),)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _update_rule(self, learning_rate):
        return optax.chain(
            scale_by_keras_nadam(self.beta_1, self.beta_2, self.epsilon),
            optax.scale_by_learning_rate(learning_rate),
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
