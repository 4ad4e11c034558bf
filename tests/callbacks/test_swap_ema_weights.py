import numpy as np
import pytest

import loom
from loom.callbacks import SwapEMAWeights
from loom.optimizers import SGD, LossScaleOptimizer, MultiOptimizer, OptimizerMap

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(32, 3)).astype("float32")
Y = (X @ RNG.normal(size=(3, 2))).astype("float32")
X_VAL, Y_VAL = X[:8] + 0.1, Y[:8]


def _model(module, optimizer, weights=None):
    inputs = module.Input((3,))
    model = module.Model(inputs, module.layers.Dense(2)(inputs))
    if weights is not None:
        model.set_weights(weights)
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _fit(module, callbacks, weights, epochs=2, **optimizer_kwargs):
    model = _model(module, module.optimizers.SGD(0.1, use_ema=True, **optimizer_kwargs), weights)
    history = model.fit(
        X, Y, batch_size=8, epochs=epochs, validation_data=(X_VAL, Y_VAL), callbacks=callbacks, verbose=0, shuffle=False
    )
    return model, history.history


def test_validation_uses_the_averages_and_training_its_own_weights():
    weights = _model(loom, "sgd").get_weights()
    _, plain = _fit(loom, [], weights)
    model, swapped = _fit(loom, [SwapEMAWeights()], weights)
    np.testing.assert_allclose(swapped["loss"], plain["loss"], rtol=1e-6)  # training is untouched
    assert abs(swapped["val_loss"][-1] - plain["val_loss"][-1]) > 1e-3
    # The validation loss is the averaged weights' loss.
    averages = [a.numpy() for a in model.optimizer._averages]
    with_averages = _model(loom, "sgd", averages)
    np.testing.assert_allclose(with_averages.evaluate(X_VAL, Y_VAL, verbose=0), swapped["val_loss"][-1], rtol=1e-5)


@pytest.mark.parametrize("swap_on_epoch", [False, True])
def test_validation_losses_match_keras(swap_on_epoch):
    keras = pytest.importorskip("keras")
    weights = _model(loom, "sgd").get_weights()
    model, ours = _fit(loom, [SwapEMAWeights(swap_on_epoch=swap_on_epoch)], weights)
    keras_model, theirs = _fit(keras, [keras.callbacks.SwapEMAWeights(swap_on_epoch=swap_on_epoch)], weights)
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, err_msg=key)
    if swap_on_epoch:
        # After the last epoch both leave the averages in the model. (Without the swap,
        # Keras's fit ends with finalize_variable_values, which loom's fit does not call.)
        for ours_weight, theirs_weight in zip(model.get_weights(), keras_model.get_weights()):
            np.testing.assert_allclose(ours_weight, theirs_weight, rtol=1e-5, atol=1e-6)


def _trained_model():
    model, _ = _fit(loom, [], _model(loom, "sgd").get_weights(), epochs=1)
    return model, model.get_weights(), [a.numpy() for a in model.optimizer._averages]


def test_evaluate_uses_the_averages_and_restores_the_weights():
    model, trained, averages = _trained_model()
    loss = model.evaluate(X_VAL, Y_VAL, verbose=0, callbacks=[SwapEMAWeights()])
    np.testing.assert_allclose(loss, np.mean(np.square(X_VAL @ averages[0] + averages[1] - Y_VAL)), rtol=1e-5)
    for before, after in zip(trained, model.get_weights()):
        np.testing.assert_array_equal(after, before)


def test_predict_restores_the_weights():
    # Keras 3.15 leaves the averages in the model after predict; loom swaps back.
    model, trained, _ = _trained_model()
    model.predict(X_VAL, verbose=0, callbacks=[SwapEMAWeights()])
    for before, after in zip(trained, model.get_weights()):
        np.testing.assert_array_equal(after, before)


def test_predict_uses_the_averages():
    model, _, averages = _trained_model()
    predictions = model.predict(X_VAL, verbose=0, callbacks=[SwapEMAWeights()])
    np.testing.assert_allclose(predictions, X_VAL @ averages[0] + averages[1], rtol=1e-5, atol=1e-6)


def test_inner_optimizers_of_wrappers_are_swapped():
    for optimizer in (
        LossScaleOptimizer(SGD(0.1, use_ema=True)),
        MultiOptimizer(OptimizerMap(SGD(0.1), {".*kernel": SGD(0.1, use_ema=True)})),
    ):
        model = _model(loom, optimizer)
        model.fit(X, Y, batch_size=8, epochs=1, verbose=0)  # ends with the averages in the model, as Keras
        model.train_on_batch(X[:8], Y[:8])  # now the weights and their averages differ
        kernel, bias = (w.copy() for w in model.get_weights())
        callback = SwapEMAWeights()
        callback.set_model(model)
        callback.on_test_begin()
        assert not np.array_equal(model.get_weights()[0], kernel)
        callback.on_test_end()
        np.testing.assert_array_equal(model.get_weights()[0], kernel)
        np.testing.assert_array_equal(model.get_weights()[1], bias)


def test_an_optimizer_without_averages_is_an_error():
    callback = SwapEMAWeights()
    callback.set_model(_model(loom, SGD(0.1)))
    with pytest.raises(ValueError, match="needs an optimizer created with `use_ema=True`"):
        callback.on_test_begin()
    callback.set_model(_model(loom, MultiOptimizer(OptimizerMap(SGD(0.1)))))
    with pytest.raises(ValueError, match="at least one inner optimizer"):
        callback.on_test_begin()


def test_fit_ends_with_the_averaged_weights_as_keras():
    pytest.importorskip("keras")
    import keras

    results = []
    for library in (keras, loom):
        model = _model(library, library.optimizers.SGD(0.1, use_ema=True))
        model.set_weights([np.full((3, 2), 0.5, "float32"), np.zeros(2, "float32")])
        model.fit(X, Y, batch_size=8, epochs=2, verbose=0, shuffle=False)
        results.append([np.asarray(w) for w in model.get_weights()])
    for keras_weight, loom_weight in zip(*results):
        np.testing.assert_allclose(loom_weight, keras_weight, rtol=1e-5, atol=1e-6)
