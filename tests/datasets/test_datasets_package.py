import pytest

import loom


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def test_loom_datasets_has_every_keras_dataset(keras):
    names = {n for n in dir(keras.datasets) if not n.startswith("_")}
    assert names == {"boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist", "imdb", "mnist",
                     "reuters"}  # fmt: skip
    for name in names:
        assert callable(getattr(loom.datasets, name).load_data)
