"""The optax transformations Keras's base optimizer wraps around every update rule.

Keras clips gradients (``clipnorm`` per variable, ``global_clipnorm`` over all,
or ``clipvalue`` elementwise) before its rule, and decays the weights
(``w -= w * weight_decay * learning_rate``) before its rule reads them. These
are those two steps as optax transformations, composed with each rule by
``optax.chain``.
"""

import jax
import jax.numpy as jnp
import optax


def clip_by_norm(clipnorm: float) -> optax.GradientTransformation:
    """Scales each gradient down so its own L2 norm is at most ``clipnorm`` (Keras's ``clipnorm``).

    optax has global-norm and block-RMS clipping but not this per-variable
    norm, so it is written out with Keras's arithmetic.

    Example:

    >>> grads, _ = clip_by_norm(1.0).update([jnp.array([3.0, 4.0])], optax.EmptyState())
    >>> [round(float(g), 6) for g in grads[0]]
    [0.6, 0.8]
    """

    def clip(gradient, params=None):
        del params
        l2sum = jnp.sum(jnp.square(gradient), keepdims=True)
        nonzero = l2sum > 0
        # Two-sided where keeps the gradient of sqrt finite at a zero gradient.
        l2norm = jnp.where(nonzero, jnp.sqrt(jnp.where(nonzero, l2sum, jnp.ones_like(l2sum))), l2sum)
        return gradient * clipnorm / jnp.maximum(l2norm, clipnorm)

    return optax.stateless_with_tree_map(clip)


def gradient_clipping(
    clipnorm: float | None = None,
    clipvalue: float | None = None,
    global_clipnorm: float | None = None,
) -> optax.GradientTransformation:
    """The clipping Keras's optimizer arguments ask for (at most one is set), or the identity.

    As in Keras, a value of 0 or None means no clipping.
    """
    if clipnorm and clipnorm > 0:
        return clip_by_norm(clipnorm)
    if global_clipnorm and global_clipnorm > 0:
        return optax.clip_by_global_norm(global_clipnorm)
    if clipvalue and clipvalue > 0:
        return optax.clip(clipvalue)
    return optax.identity()


def decoupled_weight_decay(
    rule: optax.GradientTransformation,
    learning_rate,
    weight_decay: float,
    mask=None,
) -> optax.GradientTransformation:
    """Keras's decoupled weight decay around ``rule``: ``w -= w * weight_decay * learning_rate`` first.

    The rule then sees the decayed weights, as in Keras. For rules that do not
    read the weights this equals ``optax.add_decayed_weights(-learning_rate *
    weight_decay)`` after the rule; Ftrl reads them, so the order matters.

    Args:
        rule: the update rule (its updates are added to the weights).
        learning_rate: the current learning rate (a scalar, may be traced).
        weight_decay: the decay per unit of learning rate.
        mask: optional pytree of bools like the params; False leaves a weight undecayed.
    """

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("decoupled_weight_decay needs `params`; pass them to update(updates, state, params).")
        masks = mask if mask is not None else jax.tree.map(lambda _: True, params)
        decayed = jax.tree.map(lambda p, m: p - p * weight_decay * learning_rate if m else p, params, masks)
        updates, state = rule.update(updates, state, decayed)
        # The returned update moves the original weights to decayed + rule's update.
        updates = jax.tree.map(lambda u, d, p: u + (d - p), updates, decayed, params)
        return updates, state

    return optax.GradientTransformation(rule.init, update_fn)
