import numpy as np
import pytest

from loom.datasets import boston_housing, california_housing
from tests.datasets.dataset_files import assert_same_data


def _write_xy(path, count, features, seed=0):
    rng = np.random.default_rng(seed)
    x, y = rng.random((count, features)).astype("float32"), rng.random(count).astype("float32")
    np.savez(path, x=x, y=y)
    return x, y


def test_boston_housing_shuffles_with_the_seed_and_splits(server, cache, publish):
    x, y = _write_xy(server / "boston_housing.npz", 10, 13)
    publish(boston_housing, server / "boston_housing.npz")
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data(test_split=0.3, seed=5)
    order = np.arange(10)
    np.random.RandomState(5).shuffle(order)
    np.testing.assert_array_equal(x_train, x[order[:7]])
    np.testing.assert_array_equal(y_test, y[order[7:]])


def test_california_small_version_keeps_the_first_600(server, cache, publish):
    x, _ = _write_xy(server / "california_housing.npz", 620, 8)
    publish(california_housing, server / "california_housing.npz")
    (x_train, _), (x_test, _) = california_housing.load_data(version="small", test_split=0.5)
    assert len(x_train) == len(x_test) == 300
    np.testing.assert_array_equal(np.sort(np.concatenate([x_train, x_test]), axis=0), np.sort(x[:600], axis=0))


@pytest.mark.parametrize(
    "module, kwargs, match",
    [
        (boston_housing, dict(test_split=1.0), "Invalid `test_split` argument: 1.0"),
        (california_housing, dict(test_split=-0.1), "Invalid `test_split` argument"),
        (california_housing, dict(version="medium"), "must be one of 'small', 'large'. Received: version=medium"),
    ],
)
def test_bad_arguments_raise_before_downloading(module, kwargs, match, cache):
    with pytest.raises(ValueError, match=match):
        module.load_data(**kwargs)


@pytest.mark.parametrize(
    "name, features, kwargs", [("boston_housing", 13, {}), ("california_housing", 8, dict(seed=3, test_split=0.25))]
)
def test_load_data_matches_keras(name, features, kwargs, cached, keras_cache):
    keras, keras_folder = keras_cache
    _write_xy(keras_folder / f"{name}.npz", 40, features, seed=6)
    module = {"boston_housing": boston_housing, "california_housing": california_housing}[name]
    cached(module, f"{name}.npz", keras_folder / f"{name}.npz")
    assert_same_data(module.load_data(**kwargs), getattr(keras.datasets, name).load_data(**kwargs))
