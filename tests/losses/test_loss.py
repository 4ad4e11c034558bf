"""Tests for the Loss base class: subclassing, reductions by hand, masks, names and configs."""

import os

os.environ["KERAS_BACKEND"] = "jax"  # Keras defaults to TensorFlow, which is not installed

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

from loom import losses
from loom.losses.loss import reduce_weighted_values, squeeze_or_expand_to_same_rank

VALUES = np.array([1.0, 2.0, 3.0, 6.0], dtype="float32")
WEIGHTS = np.array([0.5, 0.0, 2.0, 1.0], dtype="float32")


class AbsoluteDifference(losses.Loss):
    def call(self, y_true, y_pred):
        return jnp.sum(jnp.abs(y_pred - y_true), axis=-1)


def test_subclass_call_is_weighted_and_reduced():
    loss = AbsoluteDifference()
    y_pred = VALUES[:, None]
    assert float(loss(np.zeros((4, 1)), y_pred)) == pytest.approx(3.0)
    assert float(loss(np.zeros((4, 1)), y_pred, sample_weight=WEIGHTS)) == pytest.approx((0.5 + 6 + 6) / 4)
    assert loss.name == "absolute_difference"
    assert AbsoluteDifference().name == "absolute_difference_1"


@pytest.mark.parametrize(
    ("reduction", "expected"),
    [
        ("sum_over_batch_size", (0.5 + 0 + 6 + 6) / 4),
        ("mean", (0.5 + 0 + 6 + 6) / 4),
        ("sum", 0.5 + 0 + 6 + 6),
        ("mean_with_sample_weight", (0.5 + 0 + 6 + 6) / 3.5),
    ],
)
def test_reductions_by_hand(reduction, expected):
    got = reduce_weighted_values(VALUES, sample_weight=WEIGHTS, reduction=reduction)
    assert float(got) == pytest.approx(expected)


@pytest.mark.parametrize("reduction", ["none", None])
def test_no_reduction_returns_the_weighted_values(reduction):
    got = reduce_weighted_values(VALUES, sample_weight=WEIGHTS, reduction=reduction)
    np.testing.assert_allclose(got, VALUES * WEIGHTS)


def test_mean_with_sample_weight_of_all_zero_weights_is_zero_not_nan():
    got = reduce_weighted_values(VALUES, sample_weight=np.zeros(4), reduction="mean_with_sample_weight")
    assert float(got) == 0.0


def test_mask_averages_over_the_valid_entries_only():
    mask = np.array([True, True, False, False])
    assert float(reduce_weighted_values(VALUES, mask=mask)) == pytest.approx(1.5)
    assert float(reduce_weighted_values(VALUES, mask=mask, reduction="sum")) == pytest.approx(3.0)
    all_masked = reduce_weighted_values(VALUES, mask=np.zeros(4, bool))
    assert float(all_masked) == 0.0


def test_mask_argument_of_call_combines_with_ignore_class():
    loss = losses.SparseCategoricalCrossentropy(ignore_class=0, reduction="sum")
    probs = np.full((4, 3), 1 / 3, dtype="float32")
    labels = np.array([0, 1, 2, 1])
    per_label = -np.log(1 / 3)
    assert float(loss(labels, probs)) == pytest.approx(3 * per_label, rel=1e-6)
    assert float(loss(labels, probs, mask=[True, True, True, False])) == pytest.approx(2 * per_label, rel=1e-6)


def test_scalar_and_empty_losses_are_returned_unreduced_as_in_keras():
    assert reduce_weighted_values(jnp.float32(2.0)).shape == ()
    assert reduce_weighted_values(jnp.zeros((0,))).shape == (0,)
    assert losses.MeanSquaredError()(np.zeros((0, 3)), np.zeros((0, 3))).shape == (0,)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ((4,), (4, 1), ((4, 1), (4, 1))),
        ((4, 1), (4,), ((4, 1), (4, 1))),
        ((4, 2, 1), (4, 2), ((4, 2), (4, 2))),
        ((4, 3), (4,), ((4, 3), (4,))),
    ],
)
def test_squeeze_or_expand_to_same_rank_follows_keras(first, second, expected):
    a, b = squeeze_or_expand_to_same_rank(jnp.zeros(first), jnp.zeros(second))
    assert (a.shape, b.shape) == expected


def test_integer_targets_are_cast_to_the_loss_dtype():
    loss = losses.MeanSquaredError()
    assert float(loss(np.array([[1, 2]]), np.array([[1.5, 2.0]], dtype="float32"))) == pytest.approx(0.125)


def test_mixed_policy_name_computes_in_its_compute_dtype():
    assert losses.BinaryCrossentropy(dtype="mixed_bfloat16").dtype == "bfloat16"


def test_class_constructor_arguments_become_attributes_and_config():
    loss = losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.4, gamma=1.0, from_logits=True)
    assert (loss.apply_class_balancing, loss.alpha, loss.gamma, loss.from_logits) == (True, 0.4, 1.0, True)
    assert loss.get_config() == {
        "name": "binary_focal_crossentropy",
        "reduction": "sum_over_batch_size",
        "dtype": None,
        "apply_class_balancing": True,
        "alpha": 0.4,
        "gamma": 1.0,
        "from_logits": True,
        "label_smoothing": 0.0,
        "axis": -1,
    }


CLASS_NAMES = [
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "CosineSimilarity",
    "Huber",
    "LogCosh",
    "KLDivergence",
    "Poisson",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "SparseCategoricalCrossentropy",
    "Dice",
    "Tversky",
]


@pytest.mark.parametrize("name", CLASS_NAMES)
def test_default_config_holds_keras_config_and_round_trips(name):
    ours = getattr(losses, name)()
    theirs = getattr(keras.losses, name)().get_config()
    config = ours.get_config()
    # Keras's keys and values, plus the arguments Keras leaves out (dtype; Huber's delta, ...).
    assert {key: config[key] for key in theirs} == theirs
    rebuilt = type(ours).from_config(config)
    assert rebuilt.get_config() == config


@pytest.mark.parametrize("name", CLASS_NAMES)
def test_constructor_signature_matches_keras(name):
    import inspect

    ours = inspect.signature(getattr(losses, name))
    theirs = inspect.signature(getattr(keras.losses, name))
    assert list(ours.parameters) == list(theirs.parameters)
    assert {k: p.default for k, p in ours.parameters.items()} == {k: p.default for k, p in theirs.parameters.items()}


FUNCTION_NAMES = [
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "cosine_similarity",
    "huber",
    "log_cosh",
    "kl_divergence",
    "poisson",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "sparse_categorical_crossentropy",
    "dice",
    "tversky",
]


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_function_signature_matches_keras(name):
    import inspect

    ours = inspect.signature(getattr(losses, name))
    theirs = inspect.signature(getattr(keras.losses, name))
    assert str(ours) == str(theirs)


def test_huber_config_keeps_delta_which_keras_drops():
    rebuilt = losses.Huber.from_config(losses.Huber(delta=2.5).get_config())
    assert rebuilt.delta == 2.5
    assert float(rebuilt(np.zeros((1, 1)), np.full((1, 1), 4.0))) == pytest.approx(2.5 * 4 - 0.5 * 2.5**2)


def test_loss_function_wrapper_config_round_trips_its_function_and_arguments():
    loss = losses.LossFunctionWrapper(losses.huber, reduction="sum", name="h", delta=0.5)
    config = loss.get_config()
    assert config["fn"] == {
        "module": "builtins",
        "class_name": "function",
        "config": "huber",
        "registered_name": "function",
    }
    rebuilt = losses.LossFunctionWrapper.from_config(config)
    assert rebuilt.fn is losses.huber and rebuilt._fn_kwargs == {"delta": 0.5}
    y_true, y_pred = np.zeros((2, 1)), np.ones((2, 1))
    assert float(rebuilt(y_true, y_pred)) == float(loss(y_true, y_pred)) == pytest.approx(0.75)


def test_loss_function_wrapper_around_sparse_crossentropy_keeps_the_ignore_class_mask():
    wrapper = losses.LossFunctionWrapper(losses.sparse_categorical_crossentropy, ignore_class=0)
    probs = np.full((4, 3), 1 / 3, dtype="float32")
    # Averaged over the 2 kept labels, not the 4 samples.
    assert float(wrapper(np.array([0, 1, 2, 0]), probs)) == pytest.approx(-np.log(1 / 3), rel=1e-6)


def test_loss_repr_names_class_and_arguments():
    expected = "Huber(name='huber_loss', reduction='sum_over_batch_size', dtype=None, delta=2.0)"
    assert repr(losses.Huber(delta=2.0)) == expected
    assert repr(losses.LossFunctionWrapper(losses.huber)).startswith("<LossFunctionWrapper(huber")


def test_loss_under_jit_runs_without_recompiling_for_new_values():
    loss = losses.MeanSquaredError()
    traces = []

    def step(y_true, y_pred):
        traces.append(1)
        return loss(y_true, y_pred)

    compiled = jax.jit(step)
    compiled(np.zeros((2, 3), "float32"), np.ones((2, 3), "float32"))
    assert float(compiled(np.ones((2, 3), "float32"), np.ones((2, 3), "float32"))) == 0.0
    assert len(traces) == 1
