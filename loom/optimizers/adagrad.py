"""Adagrad: per-coordinate rates shrinking with the sum of squared gradients."""

import optax

from loom.optimizers.optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad, as Keras computes it: ``a += g**2; w -= learning_rate * g / sqrt(a + epsilon)``.

    This is ``optax.scale_by_rss`` (the same formula) followed by the learning rate.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable; default 0.001.
        initial_accumulator_value: starting value of the accumulators; >= 0.
        epsilon: small constant for numerical stability.
        **kwargs: the base ``Optimizer`` arguments.
    """

    _slot_names = {"sum_of_squares": "accumulator"}
    _slot_groups = (("accumulator",),)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _update_rule(self, learning_rate):
        return optax.chain(
            optax.scale_by_rss(initial_accumulator_value=self.initial_accumulator_value, eps=self.epsilon),
            optax.scale_by_learning_rate(learning_rate),
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }
