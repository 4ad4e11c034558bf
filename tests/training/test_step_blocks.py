"""Block mode: CPU models that convolve run straight-line blocks of steps instead of a
fori_loop (XLA:CPU convolves slowly inside loops), with the same data order, keys and
results as the fused loop."""

import jax
import numpy as np
import pytest

import loom
from loom import layers
from loom.training import step as step_module


def conv_model(dropout=0.0):
    inputs = loom.Input((6, 6, 1))
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Dropout(dropout)(x)
    x = layers.GlobalAveragePooling2D()(x)
    return loom.Model(inputs, layers.Dense(3, activation="softmax")(x))


def dense_model():
    inputs = loom.Input((5,))
    return loom.Model(inputs, layers.Dense(3, activation="softmax")(layers.Dense(8, activation="relu")(inputs)))


def data(samples=45, shape=(6, 6, 1)):
    rng = np.random.default_rng(0)
    return rng.normal(size=(samples, *shape)).astype("float32"), rng.integers(0, 3, samples)


def trained(loop, model_fn=conv_model, epochs=2, validate=True, **fit_kwargs):
    loom.utils.set_random_seed(7)
    model = model_fn(dropout=0.3) if model_fn is conv_model else model_fn()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model._step_loop = loop
    x, y = data(shape=model.inputs[0].shape[1:])
    validation = (x[:13], y[:13]) if validate else None
    history = model.fit(x, y, batch_size=8, epochs=epochs, verbose=0, validation_data=validation, **fit_kwargs)
    return model, history


def test_auto_picks_blocks_for_convolutions_on_the_cpu_and_the_fused_loop_otherwise():
    assert jax.default_backend() == "cpu"
    conv, _ = trained("auto", epochs=1, validate=False)
    dense, _ = trained("auto", model_fn=dense_model, epochs=1, validate=False)
    assert conv._training.steps.uses_blocks(None, None, 8) is True
    assert dense._training.steps.uses_blocks(None, None, 8) is False


def test_convolution_found_in_nested_jaxprs():
    def convolve_in_a_loop(x, kernel):
        return jax.lax.fori_loop(0, 2, lambda i, v: jax.lax.conv(v, kernel, (1, 1), "SAME"), x)

    x, kernel = np.ones((1, 1, 4, 4), "float32"), np.ones((1, 1, 3, 3), "float32")
    assert step_module.uses_primitives(jax.make_jaxpr(convolve_in_a_loop)(x, kernel).jaxpr, {"conv_general_dilated"})
    assert not step_module.uses_primitives(jax.make_jaxpr(lambda a: a @ a.T)(x[0, 0]).jaxpr, {"conv_general_dilated"})


class EveryBatch(loom.callbacks.Callback):
    """Forces small chunks (batch-level hooks), so blocks of 4 and single steps mix."""

    def on_train_batch_end(self, batch, logs=None):
        pass


def test_blocks_train_like_the_fused_loop():
    # whole-epoch chunks against one-step chunks (a batch-level callback): metric
    # accumulators must carry across the blocks' calls and restart each epoch
    fused, fused_history = trained("fused")
    blocks, blocks_history = trained("blocks", callbacks=[EveryBatch()])
    assert blocks._training.steps.uses_blocks(None, None, 8) is True
    for a, b in zip(fused.get_weights(), blocks.get_weights()):  # BN statistics included
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
    assert fused.optimizer.iterations.numpy() == blocks.optimizer.iterations.numpy() == 2 * 6
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(fused_history.history[name], blocks_history.history[name], rtol=2e-5)
    x, y = data()
    np.testing.assert_allclose(
        fused.evaluate(x, y, batch_size=8, verbose=0), blocks.evaluate(x, y, batch_size=8, verbose=0), rtol=2e-5
    )


def test_blocks_with_fewer_samples_than_a_batch_and_no_full_batch():
    model = conv_model()
    model.compile("sgd", "sparse_categorical_crossentropy")
    model._step_loop = "blocks"
    x, y = data(samples=5)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert model.optimizer.iterations.numpy() == 2 and len(history.history["loss"]) == 2
    assert np.isfinite(model.evaluate(x, y, batch_size=8, verbose=0))


def test_unknown_loop_mode_is_refused():
    with pytest.raises(ValueError, match=r"`loop` must be 'auto', 'fused' or 'blocks'; received loop='scan'"):
        step_module.Steps(None, None, None, None, [], loop="scan")
