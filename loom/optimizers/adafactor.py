"""Adafactor: Adam-like steps whose second moments of a matrix are kept as row and column averages."""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from loom.optimizers.optimizer import Optimizer


class KerasAdafactorState(NamedTuple):
    count: jax.Array
    row_velocity: Any  # per variable: shape[:-1], or an int32 placeholder scalar below rank 2
    column_velocity: Any  # per variable: shape[:-2] + shape[-1:], or an int32 placeholder scalar
    velocity: Any


def _rms(x):
    return jnp.sqrt(jnp.mean(jnp.square(x)))


def _is_factored(x) -> bool:
    return x.ndim >= 2


def keras_adafactor(
    learning_rate,
    beta_2_decay: float = -0.8,
    epsilon_1: float = 1e-30,
    epsilon_2: float = 1e-3,
    clip_threshold: float = 1.0,
) -> optax.GradientTransformation:
    """Adafactor's update as Keras computes it, learning rate included (the step size is relative).

    The step is ``max(epsilon_2, rms(w)) * min(learning_rate, 1 / sqrt(t))``
    times ``g / sqrt(v)`` clipped to RMS ``clip_threshold``. For variables of
    rank >= 2, ``v`` is rebuilt from running averages over the last axis
    (``row_velocity``) and the second-last (``column_velocity``): memory
    ``O(n + m)`` instead of ``O(n * m)``. ``optax.adafactor`` factors only
    large dimensions and scales differently, so the Keras rule is written out.
    The rule reads the weights (for ``rms(w)``).
    """

    def init_fn(params):
        # Keras keeps unused int32 scalars for unfactored variables; loom does too, so
        # the optimizer's variables line up one to one with a Keras checkpoint's.
        def row(p):
            return jnp.zeros(p.shape[:-1], p.dtype) if _is_factored(p) else jnp.zeros((), jnp.int32)

        def column(p):
            return jnp.zeros(p.shape[:-2] + p.shape[-1:], p.dtype) if _is_factored(p) else jnp.zeros((), jnp.int32)

        return KerasAdafactorState(
            count=jnp.zeros([], jnp.int32),
            row_velocity=jax.tree.map(row, params),
            column_velocity=jax.tree.map(column, params),
            velocity=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("keras_adafactor needs `params`; pass them to update(updates, state, params).")

        def one_variable(g, w, r, c, v):
            step = (state.count + 1).astype(w.dtype)
            relative_rate = jnp.minimum(jnp.asarray(learning_rate, w.dtype), 1 / jnp.sqrt(step))
            step_size = jnp.maximum(jnp.asarray(epsilon_2, w.dtype), _rms(w)) * relative_rate
            squared = jnp.square(g) + epsilon_1
            decay = 1 - jnp.power(step, beta_2_decay)  # rises towards 1: a lengthening average
            if _is_factored(w):
                r = decay * r + (1 - decay) * jnp.mean(squared, axis=-1)
                c = decay * c + (1 - decay) * jnp.mean(squared, axis=-2)
                v = jnp.expand_dims(r / jnp.mean(r, axis=-1, keepdims=True), -1) * jnp.expand_dims(c, -2)
            else:
                v = decay * v + (1 - decay) * squared
            u = g / jnp.sqrt(v)
            u = u / jnp.maximum(1.0, _rms(u) / clip_threshold)
            return -step_size * u, r, c, v

        results = jax.tree.map(
            one_variable, updates, params, state.row_velocity, state.column_velocity, state.velocity
        )
        deltas, rows, columns, velocities = jax.tree.transpose(
            jax.tree.structure(updates), jax.tree.structure((0, 0, 0, 0)), results
        )
        return deltas, KerasAdafactorState(optax.safe_increment(state.count), rows, columns, velocities)

    return optax.GradientTransformation(init_fn, update_fn)


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018), as Keras computes it: Adam-like, with factored second moments.

    For a weight matrix it keeps one second-moment average per row and per
    column instead of one per entry, which saves most of Adam's memory on
    large models; steps are relative to the weights' RMS.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable; default
            0.001. The step uses ``min(learning_rate, 1 / sqrt(step))``.
        beta_2_decay: the second-moment decay at step t is ``1 - t ** beta_2_decay``.
        epsilon_1: added to squared gradients, keeping ``v`` above 0.
        epsilon_2: the smallest weight RMS the step is proportional to.
        clip_threshold: updates are scaled down to this RMS at most.
        relative_step: kept for Keras compatibility; as in Keras, the step is
            ``min(learning_rate, 1 / sqrt(step))`` either way.
        **kwargs: the base ``Optimizer`` arguments (``weight_decay``, ``clipnorm``, ``name``, ...).

    Example:

    >>> import loom
    >>> w = loom.Variable([[1.0, 1.0], [1.0, 1.0]], name="w")
    >>> Adafactor(learning_rate=0.5).apply([[[1.0, 1.0], [1.0, 1.0]]], [w])
    >>> round(float(w.numpy()[0, 0]), 4)
    0.5
    """

    _slot_groups = (("row_velocity", "column_velocity", "velocity"),)

    def __init__(
        self,
        learning_rate=0.001,
        beta_2_decay=-0.8,
        epsilon_1=1e-30,
        epsilon_2=1e-3,
        clip_threshold=1.0,
        relative_step=True,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def _update_rule(self, learning_rate):
        return keras_adafactor(learning_rate, self.beta_2_decay, self.epsilon_1, self.epsilon_2, self.clip_threshold)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_2_decay": self.beta_2_decay,
            "epsilon_1": self.epsilon_1,
            "epsilon_2": self.epsilon_2,
            "clip_threshold": self.clip_threshold,
            "relative_step": self.relative_step,
        }
