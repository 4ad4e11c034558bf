"""fit from iterables: generators, re-iterable datasets, loader-like objects."""

import numpy as np
import pytest

import loom
from loom.layers import Dense, Input


def model_and_data(seed=0):
    loom.utils.set_random_seed(seed)
    x = Input((3,))
    model = loom.Model(x, Dense(1)(x))
    model.compile(loom.optimizers.SGD(0.1), "mse", metrics=["mae"])
    rng = np.random.default_rng(0)
    data = rng.normal(size=(48, 3)).astype("float32")
    return model, data, (data @ np.array([[1.0], [2.0], [-1.0]])).astype("float32")


class Batches:
    """A re-iterable dataset (like tf.data or a torch DataLoader), yielding (x, y)."""

    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size = x, y, batch_size

    def __iter__(self):
        for start in range(0, len(self.x), self.batch_size):
            yield self.x[start : start + self.batch_size], self.y[start : start + self.batch_size]


def test_iterable_matches_arrays_without_shuffle():
    model, x, y = model_and_data()
    model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    from_arrays = model.get_weights()
    model, x, y = model_and_data()
    history = model.fit(Batches(x, y, 16), epochs=3, verbose=0)
    for a, b in zip(from_arrays, model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert len(history.history["loss"]) == 3


def test_generator_with_steps_per_epoch_and_sample_weights():
    model, x, y = model_and_data()

    def forever():
        while True:
            for start in range(0, 48, 12):
                yield x[start : start + 12], y[start : start + 12], np.ones(12, "float32")

    history = model.fit(forever(), steps_per_epoch=4, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_one_shot_generator_without_steps_explains():
    model, x, y = model_and_data()
    batches = ((x[i : i + 16], y[i : i + 16]) for i in range(0, 48, 16))
    with pytest.raises(ValueError, match="produced no batches in epoch 2"):
        model.fit(batches, epochs=2, verbose=0)


def test_bad_batches_and_y_with_iterable():
    model, x, y = model_and_data()
    with pytest.raises(ValueError, match=r"must be \(x, y\) or \(x, y, sample_weight\)"):
        model.fit(iter([x[:4]]), verbose=0)
    with pytest.raises(ValueError, match="y must be None"):
        model.fit(Batches(x, y, 16), y, verbose=0)


def test_evaluate_and_predict_on_iterables_and_iterable_validation():
    model, x, y = model_and_data()
    model.fit(x, y, epochs=2, verbose=0, validation_data=Batches(x, y, 8))
    np.testing.assert_allclose(
        model.evaluate(Batches(x, y, 8), verbose=0), model.evaluate(x, y, batch_size=8, verbose=0), rtol=1e-5
    )
    predictions = model.predict((x[i : i + 10] for i in range(0, 48, 10)))
    np.testing.assert_allclose(predictions, model.predict(x), rtol=1e-5, atol=1e-6)


def test_torch_like_loader_of_array_like_batches():
    class Tensor:
        """Stands in for torch.Tensor: converts through __array__ only."""

        def __init__(self, array):
            self.array = array

        def __array__(self, dtype=None, copy=None):
            return self.array if dtype is None else self.array.astype(dtype)

    model, x, y = model_and_data()
    loader = [(Tensor(x[i : i + 16]), Tensor(y[i : i + 16])) for i in range(0, 48, 16)]
    history = model.fit(loader, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
