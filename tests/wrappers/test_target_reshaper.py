"""TargetReshaper: 1-D targets become one column, and predictions of that column 1-D again."""

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.exceptions import NotFittedError

from loom.wrappers.target_reshaper import TargetReshaper


def test_one_dimensional_targets_round_trip():
    y = np.arange(4.0)
    reshaper = TargetReshaper().fit(y)
    assert reshaper.ndim_ == 1 and reshaper.transform(y).shape == (4, 1)
    np.testing.assert_array_equal(reshaper.inverse_transform(reshaper.transform(y)), y)


def test_two_dimensional_targets_are_left_alone():
    y = np.ones((4, 2))
    reshaper = TargetReshaper().fit(y)
    assert reshaper.transform(y) is y and reshaper.inverse_transform(y) is y


def test_inverse_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        TargetReshaper().inverse_transform(np.ones((2, 1)))
