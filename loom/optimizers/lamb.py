"""Lamb: Adam's step rescaled per variable by the ratio of the weight norm to the step norm."""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from loom.optimizers.optimizer import Optimizer


class KerasLambState(NamedTuple):
    count: jax.Array
    momentum: Any
    velocity: Any


def scale_by_keras_lamb(
    beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7
) -> optax.GradientTransformation:
    """Lamb's direction as Keras computes it (multiply by ``-learning_rate`` to step).

    The Adam direction ``m_hat / (sqrt(v_hat) + epsilon)`` times the trust ratio
    ``||w|| / ||direction||`` (1 where either norm is 0). ``optax.lamb`` puts
    epsilon and the ratio's guards elsewhere, so the Keras rule is written out.
    The rule reads the weights: with weight decay it sees the decayed ones, as in Keras.

    Args:
        beta_1: decay rate of the gradient average.
        beta_2: decay rate of the squared-gradient average.
        epsilon: small constant for numerical stability.
    """

    def init_fn(params):
        return KerasLambState(
            count=jnp.zeros([], jnp.int32),
            momentum=optax.tree.zeros_like(params),
            velocity=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("scale_by_keras_lamb needs `params`; pass them to update(updates, state, params).")
        momentum = jax.tree.map(lambda m, g: m + (g - m) * (1 - beta_1), state.momentum, updates)
        velocity = jax.tree.map(lambda v, g: v + (jnp.square(g) - v) * (1 - beta_2), state.velocity, updates)

        def direction(m, v, w):
            step = (state.count + 1).astype(w.dtype)
            m_hat = m / (1 - jnp.power(jnp.asarray(beta_1, w.dtype), step))
            v_hat = v / (1 - jnp.power(jnp.asarray(beta_2, w.dtype), step))
            adam = m_hat / (jnp.sqrt(v_hat) + epsilon)
            w_norm = jnp.sqrt(jnp.sum(jnp.square(w)))
            adam_norm = jnp.sqrt(jnp.sum(jnp.square(adam)))
            # Guard the ratio where either norm is 0 (fresh zero weights, a zero gradient).
            ratio = jnp.where((w_norm > 0) & (adam_norm > 0), w_norm / jnp.where(adam_norm > 0, adam_norm, 1), 1.0)
            return ratio * adam

        updates = jax.tree.map(direction, momentum, velocity, params)
        return updates, KerasLambState(optax.safe_increment(state.count), momentum, velocity)

    return optax.GradientTransformation(init_fn, update_fn)


class Lamb(Optimizer):
    """Lamb (You et al., 2019), as Keras computes it: Adam with a per-variable trust ratio.

    Each variable's Adam step is scaled by ``||w|| / ||step||``, so every layer
    moves by a similar fraction of its weights; this keeps very large batches stable.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable; default 0.001.
        beta_1: exponential decay rate of the first-moment estimates.
        beta_2: exponential decay rate of the second-moment estimates.
        epsilon: small constant for numerical stability.
        **kwargs: the base ``Optimizer`` arguments (``weight_decay``, ``clipnorm``, ``name``, ...).

    Example:

    >>> import loom
    >>> w = loom.Variable([3.0, 4.0], name="w")
    >>> Lamb(learning_rate=0.1).apply([[1.0, 1.0]], [w])
    >>> [round(float(v), 4) for v in w.numpy()]
    [2.6464, 3.6464]
    """

    _slot_groups = (("momentum", "velocity"),)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _update_rule(self, learning_rate):
        return optax.chain(
            scale_by_keras_lamb(self.beta_1, self.beta_2, self.epsilon),
            optax.scale_by_learning_rate(learning_rate),
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
