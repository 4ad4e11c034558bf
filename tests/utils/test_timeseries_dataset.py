import numpy as np
import pytest

import loom
from loom.utils import timeseries_dataset_from_array


def _windows(data, targets, sequence_length, sequence_stride=1, sampling_rate=1, start_index=None, end_index=None):
    """The windows and targets written out with loops, from the definition."""
    start, end = start_index or 0, end_index or len(data)
    windows, window_targets = [], []
    first = start
    while first + (sequence_length - 1) * sampling_rate < end and (targets is None or first < len(targets)):
        windows.append([data[first + k * sampling_rate] for k in range(sequence_length)])
        if targets is not None:
            window_targets.append(targets[first])
        first += sequence_stride
    return np.array(windows), (None if targets is None else np.array(window_targets))


def _all(dataset):
    batches = list(dataset)
    if isinstance(batches[0], tuple):
        return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])
    return np.concatenate(batches), None


CASES = [
    dict(sequence_length=10, sequence_stride=3, sampling_rate=2, batch_size=5),  # Keras's docstring example
    dict(sequence_length=4, batch_size=7),
    dict(sequence_length=3, sampling_rate=3, start_index=5, end_index=60, batch_size=4),
    dict(sequence_length=5, sequence_stride=7, start_index=20),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_windows_and_targets_match_the_definition(case):
    data = np.arange(99 * 2).reshape(99, 2)
    targets = np.arange(99) * 10
    windows, window_targets = _all(timeseries_dataset_from_array(data, targets, **case))
    expected_windows, expected_targets = _windows(data, targets, **{k: v for k, v in case.items() if k != "batch_size"})
    np.testing.assert_array_equal(windows, expected_windows)
    np.testing.assert_array_equal(window_targets, expected_targets)


def test_keras_docstring_example_indices():
    dataset = timeseries_dataset_from_array(np.arange(99), None, sequence_length=10, sequence_stride=3, sampling_rate=2)
    windows, _ = _all(dataset)
    assert windows[0].tolist() == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]
    assert windows[1].tolist() == [3, 5, 7, 9, 11, 13, 15, 17, 19, 21]
    assert windows[-1].tolist() == [78, 80, 82, 84, 86, 88, 90, 92, 94, 96]


def test_next_step_regression_example_and_shorter_targets():
    data = np.arange(30.0)
    windows, targets = _all(timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10, batch_size=4))
    np.testing.assert_array_equal(windows[0], data[:10])
    assert targets[0] == data[10] and len(windows) == 11


def test_unbatched_and_shuffled():
    data = np.arange(20)
    single = timeseries_dataset_from_array(data, None, sequence_length=3, batch_size=None)
    assert len(single) == 18 and single[4].tolist() == [4, 5, 6]
    shuffled = timeseries_dataset_from_array(data, data, sequence_length=3, batch_size=4, shuffle=True, seed=3)
    windows, targets = _all(shuffled)
    assert sorted(targets.tolist()) == list(range(18)) and targets.tolist() != list(range(18))
    np.testing.assert_array_equal(windows[:, 0], targets)  # each window stays with its own target


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(start_index=-1), "`start_index` must be 0 or greater"),
        (dict(start_index=20), "`start_index` must be lower than the length of the data"),
        (dict(start_index=5, end_index=4), "`end_index` must be higher than `start_index`"),
        (dict(end_index=20), "`end_index` must be lower than the length of the data"),
        (dict(sampling_rate=0), "`sampling_rate` must be higher than 0"),
        (dict(sequence_stride=20), "`sequence_stride` must be lower than the length of the data"),
        (dict(sequence_length=0), "`sequence_length` must be a positive int"),
        (dict(format="numpy"), '`format` should be either "tf" or "grain"'),
    ],
)
def test_argument_errors(kwargs, match):
    arguments = dict(data=np.arange(20), targets=None, sequence_length=3) | kwargs
    with pytest.raises(ValueError, match=match):
        timeseries_dataset_from_array(**arguments)


def test_fit_and_predict_take_the_dataset():
    rng = np.random.default_rng(0)
    series = (np.sin(np.arange(300) / 8.0)[:, None] + 0.01 * rng.normal(size=(300, 1))).astype("float32")
    train = timeseries_dataset_from_array(
        series[:-8], series[8:, 0], sequence_length=8, batch_size=32, shuffle=True, seed=0
    )
    model = loom.Sequential([loom.Input((8, 1)), loom.layers.Flatten(), loom.layers.Dense(1)])
    model.compile(optimizer=loom.optimizers.Adam(0.02), loss="mse")
    history = model.fit(train, epochs=8, verbose=0)
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]
    windows = timeseries_dataset_from_array(series[:-8], None, sequence_length=8, batch_size=64)
    predictions = model.predict(windows, verbose=0)
    assert predictions.shape == (len(series) - 15, 1)
    np.testing.assert_allclose(predictions[:, 0], series[8:-7, 0], atol=0.1)
