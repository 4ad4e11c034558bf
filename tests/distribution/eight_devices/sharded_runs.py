"""Shared helpers: run a model with and without a distribution and compare."""

import numpy as np

import loom
from loom import distribution

# DataParallel splits each batch's loss and gradient sums over 8 devices and adds the
# parts with an all-reduce: the same numbers summed in another order. After a few
# steps the results agree with one device to float32 rounding, not bitwise.
RTOL, ATOL = 2e-5, 2e-6


def train(build, data, dist=None, epochs=2, batch_size=16, **fit):
    """(model, history) of ``build()`` trained under ``dist`` (None: one device)."""
    distribution.set_distribution(dist)
    try:
        loom.utils.set_random_seed(0)
        model = build()
        x, y = data
        history = model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, **fit)
        return model, history.history
    finally:
        distribution.set_distribution(None)


def assert_same_training(reference, candidate):
    (ref_model, ref_history), (model, history) = reference, candidate
    assert ref_history.keys() == history.keys()
    for key in ref_history:
        np.testing.assert_allclose(history[key], ref_history[key], rtol=RTOL, atol=ATOL, err_msg=key)
    for a, b in zip(ref_model.get_weights(), model.get_weights()):
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL)


def compiled_step_text(model, x, y) -> str:
    """The optimized HLO of the model's compiled training step on one batch."""
    x, y, sample_weight, _ = model._prepare_arrays(x, y, None, "hlo")
    training = model._training
    lowered = training.steps.train_batch.lower(training.binding.read(), (x, y, sample_weight), model._run_key(), True)
    return lowered.compile().as_text()


def spec(array):
    return tuple(array.sharding.spec)
