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
    # A batch of x alone is read as Keras reads it; a model with a loss then lacks targets.
    with pytest.raises(ValueError, match="has a loss but fit received no target"):
        model.fit(iter([x[:4]]), verbose=0)
    with pytest.raises(ValueError, match=r"must be x, \(x,\), \(x, y\) or \(x, y, sample_weight\)"):
        model.fit(iter([(x[:4], y[:4], y[:4], y[:4])]), verbose=0)
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


def image_model(shape, seed=0):
    loom.utils.set_random_seed(seed)
    inputs = Input(shape)
    model = loom.Model(inputs, Dense(2)(loom.layers.Flatten()(inputs)))
    model.compile(loom.optimizers.SGD(0.1), "mse")
    return model


def test_fit_evaluate_predict_add_a_missing_trailing_size_one_axis_like_keras():
    rng = np.random.default_rng(3)
    images, y = rng.normal(size=(8, 4, 4)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
    reference = image_model((4, 4, 1))
    reference.fit(images[..., None], y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    model = image_model((4, 4, 1))
    model.fit(images, y, batch_size=4, epochs=2, shuffle=False, verbose=0)  # (8, 4, 4) for Input((4, 4, 1))
    for ours, theirs in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert model.evaluate(images, y, verbose=0) == pytest.approx(reference.evaluate(images[..., None], y, verbose=0))
    np.testing.assert_allclose(model.predict(images, verbose=0), reference.predict(images[..., None], verbose=0))
    batched = model.predict(iter([images[:4], images[4:]]), verbose=0)
    np.testing.assert_allclose(batched, model.predict(images, verbose=0), rtol=1e-6)
    from_batches = image_model((4, 4, 1))
    from_batches.fit(Batches(images, y, 4), epochs=2, verbose=0)
    for ours, theirs in zip(from_batches.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def test_fit_and_predict_drop_an_extra_trailing_size_one_axis_like_keras():
    rng = np.random.default_rng(4)
    images, y = rng.normal(size=(8, 4, 4)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
    reference = image_model((4, 4))
    reference.fit(images, y, batch_size=8, shuffle=False, verbose=0)
    model = image_model((4, 4))
    model.fit(images[..., None], y, batch_size=8, shuffle=False, verbose=0)
    for ours, theirs in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    np.testing.assert_allclose(model.predict(images[..., None], verbose=0), reference.predict(images, verbose=0))


def test_fit_rejects_data_whose_rank_no_trailing_axis_fixes():
    model = image_model((4, 4, 1))
    with pytest.raises(ValueError, match=r"of shape \(None, 4, 4, 1\); received shape \(8, 4, 4, 3\)"):
        model.fit(np.ones((8, 4, 4, 3), "float32"), np.ones((8, 2), "float32"), verbose=0)
    with pytest.raises(ValueError, match=r"received shape \(8, 16\)"):
        model.predict(np.ones((8, 16), "float32"), verbose=0)


def test_convert_inputs_fits_the_rank_once_on_the_host_before_batching():
    from loom.training import data_adapters

    model = image_model((4, 4, 1))
    images = np.ones((8, 4, 4), "float32")
    converted = data_adapters.convert_inputs(model, images, "fit")
    assert isinstance(converted, np.ndarray) and converted.shape == (8, 4, 4, 1)
    assert np.shares_memory(converted, images)  # a view: no copy of the dataset
    assert data_adapters.validate_inputs(model, converted, "fit") == 8
    p, q = Input((3, 1), name="p"), Input((2,), name="q")
    pair = loom.Model([p, q], [loom.layers.Flatten()(p), q])
    as_list = data_adapters.convert_inputs(pair, [np.ones((8, 3)), np.ones((8, 2))], "fit")
    assert [a.shape for a in as_list] == [(8, 3, 1), (8, 2)]
    as_dict = data_adapters.convert_inputs(pair, {"q": np.ones((8, 2, 1)), "p": np.ones((8, 3))}, "fit")
    assert {k: a.shape for k, a in as_dict.items()} == {"p": (8, 3, 1), "q": (8, 2)}
