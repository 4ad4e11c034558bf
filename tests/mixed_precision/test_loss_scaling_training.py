"""fit under mixed_float16: compile wraps the optimizer, the step scales the loss, overflow steps are skipped.

These need two hooks in loom.training (compile: ``loss_scale_optimizer_for``; the
train step: ``optimizer.stateless_scale_loss`` before differentiating); until
then they are expected to fail.
"""

import numpy as np

import loom
from loom import layers, mixed_precision, optimizers



def _float16_model(kernel_value: float):
    """x -> Dense(1) in float16 compute, with float32 weights all equal to ``kernel_value``."""
    mixed_precision.set_dtype_policy("mixed_float16")
    inputs = loom.Input((4,))
    outputs = layers.Dense(1, use_bias=False, kernel_initializer=loom.initializers.Constant(kernel_value))(inputs)
    return loom.Model(inputs, outputs)


def test_compile_wraps_the_optimizer_under_mixed_float16_as_keras():
    model = _float16_model(1.0)
    model.compile(optimizer="sgd", loss="mse")
    assert isinstance(model.optimizer, optimizers.LossScaleOptimizer)
    assert isinstance(model.optimizer.inner_optimizer, optimizers.SGD)
    model.compile(optimizer="sgd", loss="mse", auto_scale_loss=False)
    assert isinstance(model.optimizer, optimizers.SGD)


def test_loss_scaling_trains_where_float16_gradients_underflow():
    # Predictions of 1e-6 against targets of 0: d(mse)/d(prediction) = 2e-6 / 128 ~ 1.6e-8, below
    # float16's smallest step (6e-8), so unscaled float16 gradients are exactly 0.
    x, y = np.full((128, 4), 1e-3, "float32"), np.zeros((128, 1), "float32")
    initial = 2.5e-4
    plain = _float16_model(initial)
    plain.compile(optimizer=optimizers.SGD(1.0), loss="mse", auto_scale_loss=False)
    plain.fit(x, y, batch_size=128, epochs=1, verbose=0)
    np.testing.assert_array_equal(plain.get_weights()[0], np.full((4, 1), initial, "float32"))

    scaled = _float16_model(initial)
    scaled.compile(optimizer=optimizers.SGD(1.0), loss="mse")
    scaled.fit(x, y, batch_size=128, epochs=1, verbose=0)
    assert isinstance(scaled.optimizer, optimizers.LossScaleOptimizer)
    kernel = scaled.get_weights()[0]
    assert np.all(kernel < initial) and np.all(np.isfinite(kernel))


def test_an_overflowing_step_is_skipped_and_the_scale_halved():
    # Scaled by 2**15, d(loss)/d(prediction) ~ 2 * 400 / 8 * 32768 overflows float16 (max 65504).
    x, y = np.full((8, 4), 100.0, "float32"), np.zeros((8, 1), "float32")
    model = _float16_model(1.0)
    model.compile(optimizer=optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    np.testing.assert_array_equal(model.get_weights()[0], np.ones((4, 1), "float32"))
    assert float(model.optimizer.dynamic_scale.numpy()) == 2.0**14
    assert int(model.optimizer.iterations.numpy()) == 0


def test_predict_returns_the_compute_dtype_and_a_float32_head_float32():
    model = _float16_model(1.0)
    assert model.predict(np.ones((2, 4), "float32"), verbose=0).dtype == np.float16
    head = loom.Model(model.inputs, layers.Activation("sigmoid", dtype="float32")(model.outputs[0]))
    assert head.predict(np.ones((2, 4), "float32"), verbose=0).dtype == np.float32
