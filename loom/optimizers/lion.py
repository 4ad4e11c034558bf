"""Lion: sign of an interpolated momentum (Chen et al., 2023)."""

import optax

from loom.optimizers.optimizer import Optimizer


class Lion(Optimizer):
    """Lion, as Keras computes it.

    ``w -= learning_rate * sign(beta_1 * m + (1 - beta_1) * g)``, then
    ``m = beta_2 * m + (1 - beta_2) * g``: ``optax.scale_by_lion`` followed by
    the learning rate. Its steps are larger than Adam's, so the usual rate is
    3-10x smaller.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable; default 0.001.
        beta_1: interpolation between momentum and gradient for the step; in (0, 1].
        beta_2: decay rate of the momentum.
        **kwargs: the base ``Optimizer`` arguments.
    """

    _slot_names = {"mu": "momentum"}
    _slot_groups = (("momentum",),)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not 0 < beta_1 <= 1:
            raise ValueError(
                "Lion: `beta_1` must be in (0, 1]; otherwise the optimizer degenerates to SignSGD. "
                f"Received beta_1={beta_1!r}."
            )
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def _update_rule(self, learning_rate):
        return optax.chain(
            optax.scale_by_lion(b1=self.beta_1, b2=self.beta_2),
            optax.scale_by_learning_rate(learning_rate),
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
