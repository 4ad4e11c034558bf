import jax
import jax.numpy as jnp
import numpy as np
import pytest

from loom import losses
from loom.layers import Input

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
keras = pytest.importorskip("keras")

RNG = np.random.default_rng(0)
EMBEDDINGS = RNG.normal(size=(6, 5)).astype("float32")
EMBEDDINGS /= np.linalg.norm(EMBEDDINGS, axis=1, keepdims=True)
LABELS = np.array([0, 1, 0, 2, 1, 2])
REFERENCES = RNG.normal(size=(4, 5)).astype("float32")
REFERENCES /= np.linalg.norm(REFERENCES, axis=1, keepdims=True)
REFERENCE_LABELS = np.array([0, 1, 2, 2])


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"gamma": 10.0, "margin": 0.25, "remove_diagonal": False},
        {"ref_labels": REFERENCE_LABELS, "ref_embeddings": REFERENCES, "remove_diagonal": False},
    ],
    ids=["defaults", "gamma-margin", "references"],
)
def test_function_matches_keras(kwargs):
    expected = keras.losses.circle(LABELS, EMBEDDINGS, **kwargs)
    np.testing.assert_allclose(losses.circle(LABELS, EMBEDDINGS, **kwargs), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight", None])
def test_class_matches_keras_including_the_positive_loss_mask(reduction):
    # Two identical pairs give zero losses, which Keras's mask leaves out of the average.
    embeddings = np.concatenate([EMBEDDINGS[:4], EMBEDDINGS[:1], EMBEDDINGS[1:2]])
    labels = np.array([0, 1, 2, 3, 0, 1])
    weights = np.linspace(0.5, 2.0, 6).astype("float32")
    kwargs = {"gamma": 8.0, "reduction": reduction}
    expected = keras.losses.Circle(**kwargs)(labels, embeddings, sample_weight=weights)
    actual = losses.Circle(**kwargs)(labels, embeddings, sample_weight=weights)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def test_config_matches_keras_and_round_trips():
    config = losses.Circle(gamma=3.0, margin=0.1, remove_diagonal=False).get_config()
    keras_config = keras.losses.Circle(gamma=3.0, margin=0.1, remove_diagonal=False).get_config()
    assert {key: value for key, value in config.items() if key != "dtype"} == keras_config
    restored = losses.deserialize(losses.serialize(losses.Circle(gamma=3.0)))
    assert type(restored) is losses.Circle and restored.gamma == 3.0
    assert losses.get("circle") is losses.circle


def test_gradient_is_finite_under_jit():
    loss = losses.Circle()
    gradient = jax.jit(jax.grad(lambda e: loss(LABELS, e)))(jnp.asarray(EMBEDDINGS))
    assert bool(jnp.all(jnp.isfinite(gradient)))


def test_function_form_on_symbolic_tensors_records_a_graph_node():
    out = losses.circle(Input((), dtype="int32"), Input((5,)))
    assert out.shape == (None,) and out.node is not None


def test_embeddings_must_be_a_matrix():
    with pytest.raises(ValueError, match=r"embeddings of shape \(batch_size, embedding_dim\)"):
        losses.circle(LABELS, EMBEDDINGS[:, :, None])
