"""Adam and AdamW: steps from bias-corrected moving averages of the gradient and its square."""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from loom.optimizers.optimizer import Optimizer


class KerasAdamState(NamedTuple):
    count: jax.Array
    momentum: Any
    velocity: Any
    velocity_hat: Any = None  # only with amsgrad


def scale_by_keras_adam(
    beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False
) -> optax.GradientTransformation:
    """Adam's direction with Keras's epsilon (multiply by ``-learning_rate`` to step).

    Keras adds epsilon to ``sqrt(v)`` before the bias correction of ``v``,
    ``m * sqrt(1 - beta_2^t) / (1 - beta_1^t) / (sqrt(v) + epsilon)``, while
    ``optax.scale_by_adam`` adds it after (``m_hat / (sqrt(v_hat) + eps)``): the
    two differ by a factor ``sqrt(1 - beta_2^t)`` on epsilon, which matters
    early in training. So the Keras rule is written out here.

    Args:
        beta_1: decay rate of the gradient average.
        beta_2: decay rate of the squared-gradient average.
        epsilon: small constant for numerical stability.
        amsgrad: use the running maximum of the squared-gradient average (AMSGrad).
    """

    def init_fn(params):
        return KerasAdamState(
            count=jnp.zeros([], jnp.int32),
            momentum=optax.tree.zeros_like(params),
            velocity=optax.tree.zeros_like(params),
            velocity_hat=optax.tree.zeros_like(params) if amsgrad else None,
        )

    def update_fn(updates, state, params=None):
        del params
        momentum = jax.tree.map(lambda m, g: m + (g - m) * (1 - beta_1), state.momentum, updates)
        velocity = jax.tree.map(lambda v, g: v + (jnp.square(g) - v) * (1 - beta_2), state.velocity, updates)
        velocity_hat = jax.tree.map(jnp.maximum, state.velocity_hat, velocity) if amsgrad else None

        def direction(m, v):
            step = (state.count + 1).astype(m.dtype)
            alpha = jnp.sqrt(1 - jnp.power(jnp.asarray(beta_2, m.dtype), step)) / (
                1 - jnp.power(jnp.asarray(beta_1, m.dtype), step)
            )
            return m * alpha / (jnp.sqrt(v) + epsilon)

        updates = jax.tree.map(direction, momentum, velocity_hat if amsgrad else velocity)
        return updates, KerasAdamState(optax.safe_increment(state.count), momentum, velocity, velocity_hat)

    return optax.GradientTransformation(init_fn, update_fn)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014), as Keras computes it.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable; default 0.001.
        beta_1: exponential decay rate of the first-moment estimates.
        beta_2: exponential decay rate of the second-moment estimates.
        epsilon: small constant for numerical stability (Keras's "epsilon hat";
            1e-7, not optax's 1e-8).
        amsgrad: whether to use the AMSGrad variant.
        **kwargs: the base ``Optimizer`` arguments (``weight_decay``, ``clipnorm``, ``name``, ...).

    Example:

    >>> import loom
    >>> w = loom.Variable([1.0, 2.0], name="w")
    >>> Adam(learning_rate=0.1).apply([[1.0, -1.0]], [w])
    >>> [round(float(v), 4) for v in w.numpy()]
    [0.9, 2.1]
    """

    _slot_groups = (("momentum", "velocity"), ("velocity_hat",))

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def _update_rule(self, learning_rate):
        return optax.chain(
            scale_by_keras_adam(self.beta_1, self.beta_2, self.epsilon, self.amsgrad),
            optax.scale_by_learning_rate(learning_rate),
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as Keras computes it.

    Each step first shrinks the weights, ``w -= w * weight_decay * learning_rate``,
    then takes Adam's step.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable; default 0.001.
        weight_decay: the decay per unit of learning rate; required (default 0.004).
        beta_1, beta_2, epsilon, amsgrad: as in ``Adam``.
        **kwargs: the base ``Optimizer`` arguments.
    """

    def __init__(
        self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs
    ):
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            **kwargs,
        )
        if self.weight_decay is None:
            raise ValueError("AdamW: `weight_decay` must be a float; received weight_decay=None. Use Adam for none.")
