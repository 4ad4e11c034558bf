"""Muon: momentum steps orthogonalized by Newton-Schulz iterations for 2-D weights, AdamW for the rest."""

import re
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from loom.optimizers.optimizer import Optimizer


class KerasMuonState(NamedTuple):
    count: jax.Array
    momentum: list  # one per variable
    velocity: list  # one per AdamW variable, None for Muon variables


def orthogonalize(x, steps: int, coefficients: tuple[float, float, float]):
    """Approximately ``U V^T`` of ``x = U S V^T``, by ``steps`` quintic Newton-Schulz iterations.

    The coefficients maximize the slope at 0, so few steps suffice; the result
    is ``U S' V^T`` with ``S'`` near 1 rather than exactly ``U V^T``, which
    trains as well (Jordan et al., 2024).
    """
    a, b, c = coefficients
    tall = x.shape[-2] > x.shape[-1]
    if tall:  # iterate on the smaller Gram matrix
        x = jnp.swapaxes(x, -1, -2)
    x = x / (jnp.linalg.norm(x, axis=(-2, -1), keepdims=True) + 1e-7)  # spectral norm <= 1
    for _ in range(steps):
        gram = x @ jnp.swapaxes(x, -1, -2)
        x = a * x + (b * gram + c * gram @ gram) @ x
    return jnp.swapaxes(x, -1, -2) if tall else x


def keras_muon(
    learning_rate,
    uses_adam: list,
    adam_beta_1: float = 0.9,
    adam_beta_2: float = 0.999,
    epsilon: float = 1e-7,
    adam_lr_ratio: float = 1,
    momentum: float = 0.95,
    ns_steps: int = 5,
    nesterov: bool = True,
    coefficients: tuple = (3.4445, -4.7750, 2.0315),
    rms_rate: float | None = 0.2,
    adam_weight_decay: float | None = None,
    adam_decay_mask: list | None = None,
) -> optax.GradientTransformation:
    """Muon's update as Keras computes it, learning rate included; params and updates are lists.

    Variables with ``uses_adam[i]`` take Keras's AdamW step at
    ``learning_rate * adam_lr_ratio``, decayed first by ``adam_weight_decay``
    where ``adam_decay_mask[i]``; the others take the orthogonalized momentum
    step, scaled by ``sqrt(max(rows, columns)) * rms_rate`` (Moonlight's rule,
    so Adam's rate and decay carry over) unless ``rms_rate`` is None.
    ``optax.contrib.muon`` differs in epsilon and scaling, so the Keras rule is written out.
    """

    def init_fn(params):
        return KerasMuonState(
            count=jnp.zeros([], jnp.int32),
            momentum=[jnp.zeros_like(p) for p in params],
            velocity=[jnp.zeros_like(p) if adam else None for p, adam in zip(params, uses_adam)],
        )

    def adam_step(g, w, m, v, step, decays):
        lr = jnp.asarray(learning_rate * adam_lr_ratio, w.dtype)
        alpha = lr * jnp.sqrt(1 - jnp.power(jnp.asarray(adam_beta_2, w.dtype), step)) / (
            1 - jnp.power(jnp.asarray(adam_beta_1, w.dtype), step)
        )
        m = m + (g - m) * (1 - adam_beta_1)
        v = v + (jnp.square(g) - v) * (1 - adam_beta_2)
        delta = -(m * alpha) / (jnp.sqrt(v) + epsilon)
        if decays:
            # Keras decays by the base learning rate, not the Adam one.
            delta = delta - w * adam_weight_decay * jnp.asarray(learning_rate, w.dtype)
        return delta, m, v

    def muon_step(g, m):
        m = m + g + m * (momentum - 1)
        direction = orthogonalize(g + momentum * m if nesterov else m, ns_steps, coefficients)
        delta = jnp.asarray(learning_rate, g.dtype) * direction
        if rms_rate is not None:
            delta = delta * jnp.sqrt(float(max(delta.shape[0], delta.shape[1]))) * rms_rate
        return -delta, m

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("keras_muon needs `params`; pass them to update(updates, state, params).")
        step = (state.count + 1).astype(jnp.float32)
        masks = adam_decay_mask or [True] * len(params)
        deltas, momenta, velocities = [], [], []
        for g, w, m, v, adam, decays in zip(updates, params, state.momentum, state.velocity, uses_adam, masks):
            if adam:
                decays = decays and adam_weight_decay is not None
                delta, m, v = adam_step(g, w, m, v, step.astype(w.dtype), decays)
            else:
                delta, m = muon_step(g, m)
            deltas.append(delta)
            momenta.append(m)
            velocities.append(v)
        return deltas, KerasMuonState(optax.safe_increment(state.count), momenta, velocities)

    return optax.GradientTransformation(init_fn, update_fn)


class Muon(Optimizer):
    """Muon (Jordan et al., 2024), as Keras computes it: orthogonalized momentum for 2-D weights.

    2-D weights take the Muon step: Nesterov momentum whose matrix is replaced
    by the nearest semi-orthogonal one (Newton-Schulz iterations). Every other
    variable takes an AdamW step: those not 2-D, those whose path contains
    "embedding" (with ``exclude_embeddings``), and those whose path matches a
    pattern in ``exclude_layers`` (typically the output layer).

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable; default 0.001.
        adam_beta_1: first-moment decay of the AdamW step.
        adam_beta_2: second-moment decay of the AdamW step.
        adam_weight_decay: the weight decay of AdamW variables (``weight_decay`` is the Muon variables').
        epsilon: small constant of the AdamW step.
        weight_decay: the weight decay of Muon variables.
        clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
        ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps,
        name: the base ``Optimizer`` arguments.
        exclude_layers: regular expressions; variables whose path matches one take the AdamW step.
        exclude_embeddings: whether variables with "embedding" in their path take the AdamW step.
        muon_a, muon_b, muon_c: the Newton-Schulz coefficients.
        adam_lr_ratio: the AdamW learning rate as a fraction of ``learning_rate``.
        momentum: the momentum of the Muon step.
        ns_steps: the number of Newton-Schulz iterations.
        nesterov: whether the Muon step uses Nesterov momentum.
        rms_rate: scales Muon steps by ``sqrt(max(rows, columns)) * rms_rate``
            (Liu et al., 2025), so Adam's learning rate and weight decay carry
            over; None leaves them unscaled.

    Example:

    >>> import loom
    >>> w = loom.Variable([[1.0, 0.0], [0.0, 1.0]], name="kernel")
    >>> Muon(learning_rate=0.1, weight_decay=None, rms_rate=None).apply([[[1.0, 0.0], [0.0, 1.0]]], [w])
    >>> [round(float(v), 2) for v in w.numpy().diagonal()]
    [0.89, 0.89]
    """

    _slot_groups = (("momentum", "velocity"),)

    def __init__(
        self,
        learning_rate=0.001,
        adam_beta_1=0.9,
        adam_beta_2=0.999,
        adam_weight_decay=0.004,
        epsilon=1e-7,
        weight_decay=0.004,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        exclude_layers=None,
        exclude_embeddings=True,
        muon_a=3.4445,
        muon_b=-4.7750,
        muon_c=2.0315,
        adam_lr_ratio=1,
        momentum=0.95,
        ns_steps=5,
        nesterov=True,
        rms_rate=0.2,
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.adam_weight_decay = adam_weight_decay
        self.epsilon = epsilon
        self.exclude_layers = list(exclude_layers or [])
        self.exclude_embeddings = exclude_embeddings
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.rms_rate = rms_rate

    def _should_use_adamw(self, variable) -> bool:
        """Whether ``variable`` takes the AdamW step rather than the Muon step."""
        if len(variable.shape) != 2:
            return True
        if self.exclude_embeddings and "embedding" in variable.path.lower():
            return True
        return any(re.search(pattern, variable.path) for pattern in self.exclude_layers)

    def _decay_mask(self) -> list:
        # The base class decays by `weight_decay`: Muon variables only. The rule
        # decays the AdamW variables by `adam_weight_decay`.
        uses_adam = [self._should_use_adamw(v) for v in self._trainable_variables]
        return [decays and not adam for decays, adam in zip(super()._decay_mask(), uses_adam)]

    def _update_rule(self, learning_rate):
        uses_adam = [self._should_use_adamw(v) for v in self._trainable_variables]
        return keras_muon(
            learning_rate,
            uses_adam,
            adam_beta_1=self.adam_beta_1,
            adam_beta_2=self.adam_beta_2,
            epsilon=self.epsilon,
            adam_lr_ratio=self.adam_lr_ratio,
            momentum=self.momentum,
            ns_steps=self.ns_steps,
            nesterov=self.nesterov,
            coefficients=(self.muon_a, self.muon_b, self.muon_c),
            rms_rate=self.rms_rate,
            adam_weight_decay=self.adam_weight_decay,
            adam_decay_mask=super()._decay_mask(),
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "adam_beta_1": self.adam_beta_1,
            "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon,
            "exclude_layers": self.exclude_layers,
            "muon_a": self.muon_a,
            "muon_b": self.muon_b,
            "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio,
            "momentum": self.momentum,
            "ns_steps": self.ns_steps,
            "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay,
            "rms_rate": self.rms_rate,
        }
