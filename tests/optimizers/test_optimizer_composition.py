"""Each Keras-named optimizer equals the optax chain it is built from (one step, same arrays)."""

import jax.numpy as jnp
import numpy as np
import optax
import pytest

import loom
from loom import optimizers
from loom.optimizers.adam import scale_by_keras_adam
from loom.optimizers.adamax import scale_by_keras_adamax
from loom.optimizers.ftrl import keras_ftrl
from loom.optimizers.nadam import scale_by_keras_nadam
from loom.optimizers.transforms import clip_by_norm, decoupled_weight_decay

LR = 0.05


def params():
    return [jnp.array([[1.0, -2.0], [0.5, 3.0]]), jnp.array([0.25, -0.75])]


def grads():
    return [jnp.array([[3.0, -1.0], [0.2, 0.7]]), jnp.array([-0.4, 2.0])]


def loom_step(optimizer):
    variables = [loom.Variable(p, name=f"w{i}") for i, p in enumerate(params())]
    optimizer.apply(grads(), variables)
    return [v.numpy() for v in variables]


def optax_step(transformation):
    state = transformation.init(params())
    updates, _ = transformation.update(grads(), state, params())
    return optax.apply_updates(params(), updates)


def lr_rule(*transformations):
    return optax.chain(*transformations, optax.scale_by_learning_rate(jnp.float32(LR)))


CASES = {
    "sgd": (optimizers.SGD(LR), optax.scale_by_learning_rate(jnp.float32(LR))),
    "sgd-nesterov": (
        optimizers.SGD(LR, momentum=0.9, nesterov=True),
        optax.chain(optax.scale_by_learning_rate(jnp.float32(LR)), optax.trace(0.9, nesterov=True)),
    ),
    "rmsprop": (optimizers.RMSprop(LR), lr_rule(optax.scale_by_rms(0.9, 1e-7, initial_scale=0.0))),
    "rmsprop-centered-momentum": (
        optimizers.RMSprop(LR, momentum=0.5, centered=True),
        optax.chain(
            optax.scale_by_stddev(0.9, 1e-7, initial_scale=0.0),
            optax.scale_by_learning_rate(jnp.float32(LR), flip_sign=False),
            optax.trace(0.5),
            optax.scale(-1.0),
        ),
    ),
    "adam": (optimizers.Adam(LR), lr_rule(scale_by_keras_adam())),
    "adam-amsgrad": (optimizers.Adam(LR, amsgrad=True), lr_rule(scale_by_keras_adam(amsgrad=True))),
    "adamw-clipnorm": (
        optimizers.AdamW(LR, weight_decay=0.1, clipnorm=1.0),
        optax.chain(clip_by_norm(1.0), decoupled_weight_decay(lr_rule(scale_by_keras_adam()), jnp.float32(LR), 0.1)),
    ),
    "adagrad": (optimizers.Adagrad(LR), lr_rule(optax.scale_by_rss(0.1, 1e-7))),
    "adadelta": (optimizers.Adadelta(LR), lr_rule(optax.scale_by_adadelta(0.95, 1e-7))),
    "adamax-global-clip": (
        optimizers.Adamax(LR, global_clipnorm=1.0),
        optax.chain(optax.clip_by_global_norm(1.0), lr_rule(scale_by_keras_adamax())),
    ),
    "nadam-clipvalue": (
        optimizers.Nadam(LR, clipvalue=0.5),
        optax.chain(optax.clip(0.5), lr_rule(scale_by_keras_nadam())),
    ),
    "lion": (optimizers.Lion(LR), lr_rule(optax.scale_by_lion(0.9, 0.99))),
    "ftrl-decay": (
        optimizers.Ftrl(LR, l1_regularization_strength=0.01, beta=0.1, weight_decay=0.2),
        decoupled_weight_decay(keras_ftrl(jnp.float32(LR), l1_regularization_strength=0.01, beta=0.1), LR, 0.2),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_optimizer_equals_its_optax_chain(case):
    optimizer, chain = CASES[case]
    for actual, expected in zip(loom_step(optimizer), optax_step(chain)):
        np.testing.assert_allclose(actual, expected, rtol=1e-7, atol=0)


def test_decoupled_weight_decay_equals_add_decayed_weights_for_rules_that_ignore_weights():
    rule = lr_rule(scale_by_keras_adam())
    decoupled = decoupled_weight_decay(rule, jnp.float32(LR), 0.1)
    added = optax.chain(rule, optax.add_decayed_weights(-LR * 0.1))
    for a, b in zip(optax_step(decoupled), optax_step(added)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_clip_by_norm_clips_each_gradient_by_its_own_norm():
    clipped, _ = clip_by_norm(1.0).update([jnp.array([3.0, 4.0]), jnp.array([0.3, 0.4]), jnp.zeros(2)], None)
    np.testing.assert_allclose(clipped[0], [0.6, 0.8], rtol=1e-6)
    np.testing.assert_allclose(clipped[1], [0.3, 0.4], rtol=1e-6)
    np.testing.assert_array_equal(clipped[2], [0.0, 0.0])


def test_rules_that_read_weights_need_params():
    with pytest.raises(ValueError, match="keras_ftrl needs `params`"):
        keras_ftrl(0.1).update(grads(), keras_ftrl(0.1).init(params()))
    rule = decoupled_weight_decay(optax.identity(), 0.1, 0.1)
    with pytest.raises(ValueError, match="decoupled_weight_decay needs `params`"):
        rule.update(grads(), rule.init(params()))
