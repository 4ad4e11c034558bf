"""Adadelta: steps scaled by the ratio of running RMS of updates to running RMS of gradients."""

import optax

from loom.optimizers.optimizer import Optimizer


class Adadelta(Optimizer):
    """Adadelta, as Keras computes it (the learning rate multiplies Zeiler's step).

    ``E[g²] = rho E[g²] + (1-rho) g²``; ``d = -sqrt(E[d²] + eps) / sqrt(E[g²] + eps) * g``;
    ``E[d²] = rho E[d²] + (1-rho) d²``; ``w += learning_rate * d``. This is
    ``optax.scale_by_adadelta`` followed by the learning rate.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable; default 0.001.
        rho: the decay rate of both running averages.
        epsilon: small constant for numerical stability.
        **kwargs: the base ``Optimizer`` arguments.
    """

    _slot_names = {"e_g": "accumulated_grad", "e_x": "accumulated_delta_var"}
    _slot_groups = (("accumulated_grad", "accumulated_delta_var"),)

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def _update_rule(self, learning_rate):
        return optax.chain(
            optax.scale_by_adadelta(rho=self.rho, eps=self.epsilon),
            optax.scale_by_learning_rate(learning_rate),
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
