import jax
import jax.numpy as jnp
import numpy as np
import pytest

from loom import losses
from loom.layers import Input

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
keras = pytest.importorskip("keras")

RNG = np.random.default_rng(0)
# Labels padded with 0 (the blank) after each sequence; one has a repeated label.
LABELS = np.array([[1, 2, 2, 0], [3, 1, 0, 0], [1, 0, 0, 0]], dtype="int32")
LOGITS = RNG.normal(size=(3, 6, 4)).astype("float32")


def test_function_matches_keras():
    np.testing.assert_allclose(losses.ctc(LABELS, LOGITS), keras.losses.ctc(LABELS, LOGITS), rtol=1e-5)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", None])
def test_class_matches_keras(reduction):
    weights = np.array([1.0, 0.5, 2.0], "float32")
    expected = keras.losses.CTC(reduction=reduction)(LABELS, LOGITS, sample_weight=weights)
    actual = losses.CTC(reduction=reduction)(LABELS, LOGITS, sample_weight=weights)
    np.testing.assert_allclose(actual, expected, rtol=1e-5)


def test_single_label_against_enumerated_alignments():
    # Label [1] over 2 steps: the alignments "11", "1-" and "-1" (blank "-").
    probabilities = np.array([[[0.3, 0.7], [0.6, 0.4]]], "float32")
    expected = -np.log(0.7 * 0.4 + 0.7 * 0.6 + 0.3 * 0.4)
    np.testing.assert_allclose(losses.ctc(np.array([[1, 0]]), np.log(probabilities)), [expected], rtol=1e-5)


def test_half_precision_logits_are_computed_in_float32():
    assert losses.ctc(LABELS, LOGITS.astype("float16")).dtype == jnp.float32


def test_gradient_is_finite_under_jit():
    gradient = jax.jit(jax.grad(lambda x: jnp.sum(losses.ctc(LABELS, x))))(LOGITS)
    assert gradient.shape == LOGITS.shape and bool(jnp.all(jnp.isfinite(gradient)))


def test_config_round_trips_and_names_resolve():
    config = losses.serialize(losses.CTC(name="c"))
    assert config["config"] == {"name": "c", "reduction": "sum_over_batch_size", "dtype": None}
    assert type(losses.deserialize(config)) is losses.CTC
    assert losses.get("ctc") is losses.ctc and type(losses.get("CTC")) is losses.CTC


def test_function_form_on_symbolic_tensors_records_a_graph_node():
    out = losses.ctc(Input((4,), dtype="int32"), Input((6, 4)))
    assert out.shape == (None,) and out.node is not None


def test_wrong_ranks_are_named():
    with pytest.raises(ValueError, match=r"targets of shape \(batch_size, max_length\).*received targets of shape"):
        losses.ctc(LABELS[:, 0], LOGITS)
    with pytest.raises(ValueError, match=r"logits of shape \(batch_size, max_length, num_classes\)"):
        losses.ctc(LABELS, LOGITS[:, 0])
