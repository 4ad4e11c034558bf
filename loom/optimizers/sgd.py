"""SGD: gradient descent with optional (Nesterov) momentum."""

import numbers

import optax

from loom.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent with momentum, as Keras computes it.

    With ``momentum == 0``: ``w -= learning_rate * g``. Otherwise the velocity
    ``m = momentum * m - learning_rate * g`` moves the weights, ``w += m``, or with
    ``nesterov=True``, ``w += momentum * m - learning_rate * g``. This is
    ``optax.chain(optax.scale_by_learning_rate(lr), optax.trace(momentum, nesterov))``:
    the trace runs over rate-scaled gradients, so changing the rate mid-run
    affects only new steps, as in Keras.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable; default 0.01.
        momentum: a float in [0, 1] accelerating descent along consistent directions.
        nesterov: whether to apply Nesterov momentum.
        **kwargs: the base ``Optimizer`` arguments (``weight_decay``, ``clipnorm``, ``name``, ...).

    Example:

    >>> import loom
    >>> w = loom.Variable([1.0, 2.0], name="w")
    >>> SGD(learning_rate=0.1).apply([[1.0, 1.0]], [w])
    >>> [round(float(v), 6) for v in w.numpy()]
    [0.9, 1.9]
    """

    _slot_names = {"trace": "momentum"}
    _slot_groups = (("momentum",),)

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1:
            raise ValueError(f"SGD: `momentum` must be a float in [0, 1]; received momentum={momentum!r}.")
        self.momentum = momentum
        self.nesterov = nesterov

    def _update_rule(self, learning_rate):
        if self.momentum == 0:
            return optax.scale_by_learning_rate(learning_rate)
        return optax.chain(
            optax.scale_by_learning_rate(learning_rate),
            optax.trace(decay=self.momentum, nesterov=self.nesterov),
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
