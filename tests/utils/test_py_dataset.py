"""PyDataset: batches by index, epoch hooks, shuffled batch order in fit, Keras's warnings."""

import numpy as np
import pytest

import loom


class Batches(loom.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.epochs_ended, self.served = 0, []

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        self.served.append(index)
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[rows], self.y[rows]

    def on_epoch_end(self):
        self.epochs_ended += 1


def _data(rows=40):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], "float32"))


def _model():
    inputs = loom.Input((3,))
    model = loom.Model(inputs, loom.layers.Dense(1)(inputs))
    model.compile("sgd", "mse")
    return model


def test_iteration_serves_every_batch_in_order_then_ends_the_epoch():
    data = Batches(*_data(), batch_size=16)
    assert [len(x) for x, _ in data] == [16, 16, 8]
    assert data.served == [0, 1, 2] and data.epochs_ended == 1
    assert loom.utils.Sequence is loom.utils.PyDataset


def test_fit_shuffles_the_batch_order_each_epoch_and_trains_on_every_batch():
    data = Batches(*_data(rows=160), batch_size=16)
    history = _model().fit(data, epochs=3, verbose=0)
    epochs = [data.served[i * 10 : (i + 1) * 10] for i in range(3)]
    assert all(sorted(order) == list(range(10)) for order in epochs)
    assert len({tuple(order) for order in epochs}) > 1  # a new order per epoch
    assert data.epochs_ended == 3
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_fit_without_shuffle_and_evaluate_keep_the_order():
    x, y = _data()
    data = Batches(x, y, batch_size=16)
    model = _model()
    model.fit(data, epochs=1, shuffle=False, verbose=0)
    assert data.served == [0, 1, 2]
    np.testing.assert_allclose(model.evaluate(data, verbose=0), model.evaluate(x, y, batch_size=16, verbose=0), rtol=1e-6)


def test_an_endless_dataset_runs_steps_per_epoch_batches():
    class Endless(Batches):
        @property
        def num_batches(self):
            return None

        def __getitem__(self, index):
            return super().__getitem__(index % 3)

    data = Endless(*_data(), batch_size=16)
    _model().fit(data, epochs=2, steps_per_epoch=5, verbose=0)
    assert len(data.served) >= 10


def test_forgetting_super_init_warns_as_keras_does():
    class NoSuper(loom.utils.PyDataset):
        def __init__(self):
            pass

    with pytest.warns(UserWarning, match=r"should call `super\(\).__init__\(\*\*kwargs\)`"):
        assert NoSuper().workers == 1


def test_missing_getitem_and_length_are_named():
    class Empty(loom.utils.PyDataset):
        pass

    with pytest.raises(NotImplementedError, match="must implement __len__ or the num_batches property"):
        list(Empty())
