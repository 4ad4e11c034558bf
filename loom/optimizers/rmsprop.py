"""RMSprop: gradients divided by a moving root-mean-square of their history."""

import optax

from loom.optimizers.optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop, as Keras computes it.

    ``v = rho * v + (1 - rho) * g**2``; the step is ``learning_rate * g /
    sqrt(v + epsilon)`` (centered: ``sqrt(v - mean_g**2 + epsilon)``), fed
    through a momentum accumulator when ``momentum > 0``. Keras puts epsilon
    inside the square root, as ``optax.scale_by_rms`` / ``optax.scale_by_stddev``
    do, so this is the optax chain ``scale_by_rms`` (or ``scale_by_stddev``) ->
    ``scale_by_learning_rate`` -> ``trace(momentum)``.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable; default 0.001.
        rho: discounting factor of the squared-gradient average.
        momentum: momentum of the step; 0 for none.
        epsilon: small constant for numerical stability.
        centered: normalize by the estimated variance of the gradient instead
            of its second moment (more stable, a little slower).
        **kwargs: the base ``Optimizer`` arguments.
    """

    _slot_names = {"nu": "velocity", "trace": "momentum", "mu": "average_gradient"}
    _slot_groups = (("velocity",), ("momentum",), ("average_gradient",))

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def _update_rule(self, learning_rate):
        scale = optax.scale_by_stddev if self.centered else optax.scale_by_rms
        if self.momentum <= 0:
            return optax.chain(
                scale(decay=self.rho, eps=self.epsilon, initial_scale=0.0),
                optax.scale_by_learning_rate(learning_rate),
            )
        # Keras's momentum slot accumulates the positive step and subtracts it, so the
        # sign flips after the trace (a checkpoint's slot then means what it means in Keras).
        return optax.chain(
            scale(decay=self.rho, eps=self.epsilon, initial_scale=0.0),
            optax.scale_by_learning_rate(learning_rate, flip_sign=False),
            optax.trace(decay=self.momentum),
            optax.scale(-1.0),
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
