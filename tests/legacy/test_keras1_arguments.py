"""loom.legacy.Dense and the lower-case constraints: Keras 1's argument names on loom's layers."""

import numpy as np
import pytest

import loom
from loom import constraints, layers, regularizers
from loom.legacy import Dense, maxnorm, nonneg, unitnorm


def test_dense_translates_keras_1_arguments_to_loom_dense():
    layer = Dense(
        output_dim=4,
        init="zeros",
        W_regularizer=regularizers.l2(0.01),
        b_regularizer=regularizers.l1(0.1),
        W_constraint=unitnorm(),
        b_constraint=nonneg(),
        bias=True,
        input_dim=3,
    )
    assert type(layer) is layers.Dense and layer.units == 4
    assert isinstance(layer.kernel_regularizer, regularizers.L2) and layer.kernel_regularizer.l2 == pytest.approx(0.01)
    assert isinstance(layer.bias_regularizer, regularizers.L1)
    assert isinstance(layer.kernel_constraint, constraints.UnitNorm)
    assert isinstance(layer.bias_constraint, constraints.NonNeg)
    model = loom.Sequential([layer])
    assert model.input_shape == (None, 3)
    np.testing.assert_array_equal(layer.get_weights()[0], np.zeros((3, 4)))


def test_dense_without_bias_and_with_keras_3_names_still_works():
    layer = Dense(2, bias=False, kernel_initializer="ones")
    out = layer(np.ones((1, 3), "float32"))
    assert not layer.use_bias and len(layer.get_weights()) == 1
    np.testing.assert_allclose(out, [[3.0, 3.0]])


def test_dense_refuses_the_same_argument_under_both_names():
    with pytest.raises(TypeError, match=r"received both 'W_regularizer' \(Keras 1\) and 'kernel_regularizer'"):
        Dense(2, W_regularizer="l2", kernel_regularizer="l1")


def test_lower_case_constraints_are_loom_classes():
    assert maxnorm is constraints.MaxNorm and nonneg is constraints.NonNeg and unitnorm is constraints.UnitNorm
    kernel = np.array([[3.0, 0.0], [4.0, 2.0]], "float32")
    np.testing.assert_allclose(unitnorm()(kernel), [[0.6, 0.0], [0.8, 1.0]], rtol=1e-6)


def test_the_conflict_is_named_whichever_spelling_comes_first():
    with pytest.raises(TypeError, match=r"received both 'init' \(Keras 1\) and 'kernel_initializer' \(Keras 3\)"):
        Dense(2, kernel_initializer="ones", init="zeros")
