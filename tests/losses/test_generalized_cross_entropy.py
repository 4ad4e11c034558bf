import jax
import jax.numpy as jnp
import numpy as np
import pytest

from loom import losses
from loom.layers import Input

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
keras = pytest.importorskip("keras")

LABELS = np.array([0, 1, 2, 1])
PROBABILITIES = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8], [0.5, 0.4, 0.1]], "float32")


@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
def test_function_matches_keras_and_the_formula(q):
    expected = keras.losses.categorical_generalized_cross_entropy(LABELS, PROBABILITIES, q=q)
    actual = losses.categorical_generalized_cross_entropy(LABELS, PROBABILITIES, q=q)
    np.testing.assert_allclose(actual, expected, rtol=1e-6)
    p = PROBABILITIES[np.arange(4), LABELS]
    np.testing.assert_allclose(actual, (1 - p**q) / q, rtol=1e-6)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", None])
def test_class_matches_keras(reduction):
    weights = np.array([1.0, 0.0, 2.0, 0.5], "float32")
    expected = keras.losses.CategoricalGeneralizedCrossEntropy(q=0.3, reduction=reduction)(
        LABELS, PROBABILITIES, sample_weight=weights
    )
    actual = losses.CategoricalGeneralizedCrossEntropy(q=0.3, reduction=reduction)(
        LABELS, PROBABILITIES, sample_weight=weights
    )
    np.testing.assert_allclose(actual, expected, rtol=1e-6)


def test_labels_with_a_trailing_axis_give_one_loss_per_sample():
    # Keras broadcasts (batch, 1) labels to a (batch, batch) loss; loom squeezes them.
    column = losses.categorical_generalized_cross_entropy(LABELS[:, None], PROBABILITIES, q=0.5)
    np.testing.assert_allclose(column, losses.categorical_generalized_cross_entropy(LABELS, PROBABILITIES, q=0.5))


def test_config_matches_keras_and_names_resolve():
    config = losses.CategoricalGeneralizedCrossEntropy(q=0.7).get_config()
    assert {k: v for k, v in config.items() if k != "dtype"} == keras.losses.CategoricalGeneralizedCrossEntropy(
        q=0.7
    ).get_config()
    assert losses.deserialize(losses.serialize(losses.CategoricalGeneralizedCrossEntropy(q=0.7))).q == 0.7
    assert type(losses.get("CategoricalGeneralizedCrossEntropy")) is losses.CategoricalGeneralizedCrossEntropy


def test_gradient_under_jit_and_symbolic_node():
    loss = losses.CategoricalGeneralizedCrossEntropy()
    gradient = jax.jit(jax.grad(lambda p: loss(LABELS, p)))(jnp.asarray(PROBABILITIES))
    assert bool(jnp.all(jnp.isfinite(gradient)))
    out = losses.categorical_generalized_cross_entropy(Input((), dtype="int32"), Input((3,)), q=0.5)
    assert out.shape == (None,) and out.node is not None


@pytest.mark.parametrize("q", [0.0, 1.0, -0.5])
def test_q_outside_the_open_interval_is_rejected(q):
    with pytest.raises(ValueError, match=r"`q` must be in the open interval \(0, 1\)"):
        losses.CategoricalGeneralizedCrossEntropy(q=q)
