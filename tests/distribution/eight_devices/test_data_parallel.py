"""DataParallel on 8 simulated devices gives the single-device run's numbers (see RTOL)."""

import jax
import numpy as np
import pytest

import loom
from loom import distribution
from loom.demo import seeds
from tests.distribution.eight_devices.sharded_runs import (
    assert_same_training,
    compiled_step_text,
    spec,
    train,
)


def test_the_session_has_eight_devices():
    assert jax.device_count() == 8
    assert distribution.list_devices() == [f"cpu:{i}" for i in range(8)]


def _mixture():
    model = seeds.mixture_model(branches=3, features=20, hidden=8, outputs=4)
    model.compile(loom.optimizers.Adam(0.01), "mse", metrics=["mae"])
    return model


MIXTURE_DATA = seeds.mixture_data(samples=200, branches=3, features=20, outputs=4)


def test_mixture_of_mlps_trains_as_on_one_device():
    reference = train(_mixture, MIXTURE_DATA)
    sharded = train(_mixture, MIXTURE_DATA, distribution.DataParallel())
    assert_same_training(reference, sharded)
    # (200 rows in batches of 16: the partial last batch of 8 runs too.)


def test_shuffled_epochs_with_validation_match_one_device():
    reference = train(_mixture, MIXTURE_DATA, epochs=3, shuffle=True, validation_split=0.2)
    sharded = train(_mixture, MIXTURE_DATA, distribution.DataParallel(), epochs=3, shuffle=True, validation_split=0.2)
    assert_same_training(reference, sharded)
    assert "val_loss" in sharded[1]


def test_variables_are_replicated_and_the_step_all_reduces_gradients():
    model, _ = train(_mixture, MIXTURE_DATA, distribution.DataParallel())
    for variable in model.variables + model.optimizer.variables:
        sharding = variable.value.sharding
        assert len(sharding.device_set) == 8, variable.path
        assert all(axis is None for axis in spec(variable.value)), variable.path
    with distribution.DataParallel().scope():
        text = compiled_step_text(model, MIXTURE_DATA[0], MIXTURE_DATA[1])
    assert "all-reduce" in text


def _siamese_lstm():
    model, _, _, _ = seeds.siamese_lstm_model(timesteps=6, features=5, units=4)
    model.compile(loom.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    return model


def test_shared_lstm_trains_as_on_one_device():
    x, y = seeds.siamese_sequence_data(samples=64, timesteps=6, features=5)
    reference = train(_siamese_lstm, (x, y))
    sharded = train(_siamese_lstm, (x, y), distribution.DataParallel())
    assert_same_training(reference, sharded)


def _constant_subset():
    x_pk, coefficients, _, _ = seeds.constant_subset_data(samples=96)
    model = seeds.constant_subset_model(x_pk, coefficients)
    model.compile(loom.optimizers.Adam(0.05), "categorical_crossentropy", metrics=["accuracy"])
    return model


def test_constant_input_model_trains_as_on_one_device():
    _, _, x, y = seeds.constant_subset_data(samples=96)
    reference = train(_constant_subset, (x, y))
    sharded = train(_constant_subset, (x, y), distribution.DataParallel())
    assert_same_training(reference, sharded)


def test_evaluate_predict_and_single_batch_methods_match_one_device():
    (xs, y) = MIXTURE_DATA
    reference, _ = train(_mixture, MIXTURE_DATA)
    sharded, _ = train(_mixture, MIXTURE_DATA, distribution.DataParallel())
    with distribution.DataParallel().scope():
        np.testing.assert_allclose(
            sharded.evaluate(xs, y, batch_size=16, verbose=0),
            reference.evaluate(xs, y, batch_size=16, verbose=0),
            rtol=1e-5,
        )
        np.testing.assert_allclose(
            sharded.predict(xs, batch_size=40, verbose=0),
            reference.predict(xs, batch_size=40, verbose=0),
            rtol=1e-5,
            atol=1e-6,
        )
        batch = [a[:16] for a in xs]
        np.testing.assert_allclose(
            sharded.predict_on_batch(batch), reference.predict_on_batch(batch), rtol=1e-5, atol=1e-6
        )
        np.testing.assert_allclose(
            sharded.train_on_batch(batch, y[:16]), reference.train_on_batch(batch, y[:16]), rtol=1e-5
        )
    for a, b in zip(reference.get_weights(), sharded.get_weights()):
        np.testing.assert_allclose(b, a, rtol=2e-5, atol=2e-6)


def test_a_batch_size_that_does_not_split_over_the_devices_is_refused_with_both_numbers():
    with pytest.raises(ValueError, match=r"batch_size=12 does not split over the 8 devices.*batch_size=8"):
        train(_mixture, MIXTURE_DATA, distribution.DataParallel(), batch_size=12)


def test_a_mesh_of_some_devices_uses_only_those():
    dist = distribution.DataParallel(devices=distribution.list_devices()[:4])
    model, history = train(_mixture, MIXTURE_DATA, dist)
    assert {d.id for d in model.variables[0].value.sharding.device_set} == {0, 1, 2, 3}
    assert_same_training(train(_mixture, MIXTURE_DATA), (model, history))
