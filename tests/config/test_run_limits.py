"""max_epochs / max_steps_per_epoch: recorded as Keras records them, applied with Keras's rule and warning."""

import keras
import numpy as np
import pytest

import loom
from loom import config
from loom.config import run_limits


def test_limits_read_back_as_in_keras():
    assert config.max_epochs() is None is keras.config.max_epochs()
    assert config.max_steps_per_epoch() is None is keras.config.max_steps_per_epoch()
    for module in (config, keras.config):
        module.set_max_epochs(3)
        module.set_max_steps_per_epoch(5)
    assert config.max_epochs() == 3 == keras.config.max_epochs()
    assert config.max_steps_per_epoch() == 5 == keras.config.max_steps_per_epoch()
    config.set_max_epochs(None)
    assert config.max_epochs() is None


@pytest.mark.parametrize("value", [0, -2, 1.5, "3", True])
def test_limits_must_be_positive_ints_or_none(value):
    with pytest.raises(ValueError, match="must be a positive int or None"):
        config.set_max_epochs(value)
    with pytest.raises(ValueError, match="must be a positive int or None"):
        config.set_max_steps_per_epoch(value)


def test_capped_epochs_and_steps_follow_keras_rule():
    assert run_limits.capped_epochs(10) == 10 and run_limits.capped_steps(None) is None
    config.set_max_epochs(3)
    config.set_max_steps_per_epoch(4)
    with pytest.warns(UserWarning, match="Limiting epochs to 3"):
        assert run_limits.capped_epochs(10) == 3
    assert run_limits.capped_epochs(2) == 2
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 4"):
        assert run_limits.capped_steps(None) == 4  # a whole pass over the data counts as unlimited
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 4"):
        assert run_limits.capped_steps(9) == 4
    assert run_limits.capped_steps(2) == 2


def test_environment_variables_are_read_with_keras_names(monkeypatch):
    monkeypatch.setenv("KERAS_MAX_EPOCHS", "7")
    assert run_limits._from_environment("KERAS_MAX_EPOCHS") == 7
    monkeypatch.setenv("KERAS_MAX_EPOCHS", "seven")
    with pytest.raises(ValueError, match="KERAS_MAX_EPOCHS must be a positive integer; received 'seven'"):
        run_limits._from_environment("KERAS_MAX_EPOCHS")
    monkeypatch.delenv("KERAS_MAX_STEPS_PER_EPOCH", raising=False)
    assert run_limits._from_environment("KERAS_MAX_STEPS_PER_EPOCH") is None


def _small_model():
    model = loom.Sequential([loom.Input((2,)), loom.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def test_fit_stops_at_max_epochs():
    config.set_max_epochs(2)
    x, y = np.zeros((8, 2), "float32"), np.zeros((8, 1), "float32")
    with pytest.warns(UserWarning, match="Limiting epochs to 2"):
        history = _small_model().fit(x, y, epochs=5, verbose=0)
    assert len(history.history["loss"]) == 2


def test_fit_stops_each_epoch_at_max_steps_per_epoch():
    config.set_max_steps_per_epoch(2)
    model = _small_model()
    x, y = np.zeros((64, 2), "float32"), np.zeros((64, 1), "float32")
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 2"):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 2
