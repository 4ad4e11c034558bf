"""Ftrl: Follow The Regularized Leader, with L1/L2 and shrinkage regularization."""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from loom.optimizers.optimizer import Optimizer


class KerasFtrlState(NamedTuple):
    accumulator: Any
    linear: Any


def keras_ftrl(
    learning_rate,
    learning_rate_power: float = -0.5,
    initial_accumulator_value: float = 0.1,
    l1_regularization_strength: float = 0.0,
    l2_regularization_strength: float = 0.0,
    l2_shrinkage_regularization_strength: float = 0.0,
    beta: float = 0.0,
) -> optax.GradientTransformation:
    """The FTRL-proximal rule as Keras computes it; its updates move the weights to the new solution.

    FTRL solves for the weights from its accumulators rather than stepping
    along a direction, so the learning rate is part of the rule (not a final
    scale) and the rule reads the weights. optax has no FTRL.
    """
    lr_power = learning_rate_power
    l1 = l1_regularization_strength

    def init_fn(params):
        return KerasFtrlState(
            accumulator=optax.tree.full_like(params, initial_accumulator_value),
            linear=optax.tree.zeros_like(params),
        )

    def solve(g, w, accumulator, linear):
        lr = jnp.asarray(learning_rate, w.dtype)
        l2 = l2_regularization_strength + beta / (2.0 * lr)
        grad_to_use = g + 2 * l2_shrinkage_regularization_strength * w
        new_accumulator = accumulator + jnp.square(g)
        linear = linear + (
            grad_to_use - (jnp.power(new_accumulator, -lr_power) - jnp.power(accumulator, -lr_power)) / lr * w
        )
        quadratic = jnp.power(new_accumulator, -lr_power) / lr + 2 * l2
        new_w = (jnp.clip(linear, -l1, l1) - linear) / quadratic
        return new_w - w, new_accumulator, linear

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("keras_ftrl needs `params`; pass them to update(updates, state, params).")
        solved = jax.tree.map(solve, updates, params, state.accumulator, state.linear)
        deltas, accumulators, linears = jax.tree.transpose(
            jax.tree.structure(updates), jax.tree.structure((0, 0, 0)), solved
        )
        return deltas, KerasFtrlState(accumulators, linears)

    return optax.GradientTransformation(init_fn, update_fn)


class Ftrl(Optimizer):
    """Ftrl (McMahan et al., 2013), as Keras computes it; suited to wide, sparse linear models.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable; default 0.001.
        learning_rate_power: how the rate falls during training; <= 0 (-0.5 is Adagrad-like).
        initial_accumulator_value: starting value of the accumulators; >= 0.
        l1_regularization_strength: L1 penalty, >= 0 (drives weights to exactly 0).
        l2_regularization_strength: L2 penalty (stabilization), >= 0.
        l2_shrinkage_regularization_strength: L2 penalty on the magnitude of the weights, >= 0.
        beta: as in the paper; adds ``beta / (2 * learning_rate)`` to the L2 penalty.
        **kwargs: the base ``Optimizer`` arguments.
    """

    _slot_groups = (("accumulator", "linear"),)

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        for argument, value in (
            ("initial_accumulator_value", initial_accumulator_value),
            ("l1_regularization_strength", l1_regularization_strength),
            ("l2_regularization_strength", l2_regularization_strength),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength),
        ):
            if value < 0.0:
                raise ValueError(f"Ftrl: `{argument}` needs to be positive or zero; received {argument}={value!r}.")
        if learning_rate_power > 0.0:
            raise ValueError(
                f"Ftrl: `learning_rate_power` needs to be negative or zero; received "
                f"learning_rate_power={learning_rate_power!r}."
            )
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _update_rule(self, learning_rate):
        return keras_ftrl(
            learning_rate,
            self.learning_rate_power,
            self.initial_accumulator_value,
            self.l1_regularization_strength,
            self.l2_regularization_strength,
            self.l2_shrinkage_regularization_strength,
            self.beta,
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }
