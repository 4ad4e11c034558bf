"""Tests for the errors and warnings losses raise: each message, triggered from shapes alone."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from loom import losses
from loom.layers import Input

PROBS = np.full((4, 10), 0.1, dtype="float32")
LABELS = np.arange(4, dtype="int32")


@pytest.mark.parametrize("labels", [LABELS, LABELS[:, None]], ids=["batch", "batch_by_1"])
def test_categorical_crossentropy_names_integer_labels_and_points_to_the_sparse_loss(labels):
    message = (
        r"categorical_crossentropy expects one-hot targets of shape \(4, 10\) like the predictions; "
        rf"received targets of shape {re.escape(str(labels.shape))}\. Use sparse_categorical_crossentropy "
        r"for integer labels, or one-hot encode them\."
    )
    with pytest.raises(ValueError, match=message):
        losses.categorical_crossentropy(labels, PROBS)
    with pytest.raises(ValueError, match=message):
        losses.CategoricalCrossentropy()(labels, PROBS)


def test_categorical_crossentropy_error_is_raised_while_tracing_under_jit():
    loss = losses.CategoricalCrossentropy(from_logits=True)
    with pytest.raises(ValueError, match="expects one-hot targets"):
        jax.jit(loss)(LABELS[:, None], PROBS)


def test_categorical_crossentropy_rejects_a_wrong_number_of_classes():
    with pytest.raises(
        ValueError,
        match=r"targets of the predictions' shape \(4, 10\); received targets of shape \(4, 5\)\. "
        "Check that the model's last layer has one unit per class",
    ):
        losses.categorical_focal_crossentropy(np.zeros((4, 5)), PROBS)


def test_categorical_crossentropy_rejects_scalar_predictions():
    with pytest.raises(ValueError, match=r"expects predictions with a class axis.*received predictions of shape \(\)"):
        losses.categorical_crossentropy(np.float32(1.0), np.float32(1.0))


def test_categorical_crossentropy_rejects_a_boolean_axis():
    with pytest.raises(ValueError, match="categorical_crossentropy: `axis` must be an int; received axis=True"):
        losses.categorical_crossentropy(PROBS, PROBS, axis=True)


def test_categorical_crossentropy_warns_about_a_single_class():
    with pytest.warns(SyntaxWarning, match=r"received predictions of shape \(4, 1\), for which the loss is always ~0"):
        losses.categorical_crossentropy(np.ones((4, 1)), np.ones((4, 1)))


def test_sparse_categorical_crossentropy_names_one_hot_targets():
    with pytest.raises(
        ValueError,
        match=r"expects integer labels of shape \(4,\) or \(4, 1\); received targets of shape \(4, 10\), "
        r"the predictions' shape, which look one-hot\. Use categorical_crossentropy",
    ):
        losses.SparseCategoricalCrossentropy()(PROBS, PROBS)


def test_sparse_categorical_crossentropy_rejects_labels_for_another_batch():
    with pytest.raises(ValueError, match=r"for predictions of shape \(4, 10\); received targets of shape \(3,\)"):
        losses.sparse_categorical_crossentropy(LABELS[:3], PROBS)


def test_sparse_categorical_crossentropy_rejects_scalar_predictions():
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy expects predictions with a class axis"):
        losses.sparse_categorical_crossentropy(np.int32(1), np.float32(1.0))


def test_binary_crossentropy_points_integer_labels_to_the_sparse_loss():
    with pytest.raises(
        ValueError,
        match=r"received targets of shape \(4, 1\)\. For integer class labels over 10 classes use "
        "sparse_categorical_crossentropy; for one binary label per sample give the model one output unit",
    ):
        losses.BinaryCrossentropy()(LABELS[:, None], PROBS)


def test_binary_crossentropy_function_asks_to_reshape_column_targets():
    with pytest.raises(ValueError, match=r"Reshape the targets to \(4, 1\), or use the loss class"):
        losses.binary_focal_crossentropy(np.zeros(4), np.zeros((4, 1)))


def test_binary_crossentropy_rejects_other_shapes():
    with pytest.raises(
        ValueError,
        match=r"binary_crossentropy expects targets of the predictions' shape \(4, 10\); "
        r"received targets of shape \(4, 3\)\.$",
    ):
        losses.binary_crossentropy(np.zeros((4, 3)), PROBS)


@pytest.mark.parametrize(
    "name",
    [
        "mean_squared_error",
        "huber",
        "poisson",
        "kl_divergence",
        "hinge",
        "categorical_hinge",
        "dice",
        "cosine_similarity",
    ],
)
def test_elementwise_losses_reject_targets_that_do_not_broadcast(name):
    with pytest.raises(
        ValueError,
        match=rf"{name} expects targets that broadcast against the predictions of shape \(4, 10\); "
        r"received targets of shape \(4, 3\)\. Give the targets the predictions' shape",
    ):
        getattr(losses, name)(np.zeros((4, 3)), PROBS)


def test_sample_weight_that_does_not_broadcast_is_named_with_a_fix():
    with pytest.raises(
        ValueError,
        match=r"sample_weight of shape \(2,\) does not broadcast against the per-sample losses of shape "
        r"\(2, 3\)\. Give one weight per loss value, shape \(2, 3\), or shape \(2, 1\) to weight whole samples\.",
    ):
        losses.MeanSquaredError()(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)), sample_weight=np.ones(2))
    with pytest.raises(ValueError, match=r"losses of shape \(2,\)\. Give one weight per loss value, shape \(2,\)\.$"):
        losses.MeanSquaredError()(np.zeros((2, 4)), np.zeros((2, 4)), sample_weight=np.ones((2, 3)))


def test_unknown_reduction_is_rejected_at_construction():
    message = r"MeanSquaredError 'mse_loss': `reduction` must be one of .*received reduction='avg'"
    with pytest.raises(ValueError, match=message):
        losses.MeanSquaredError(reduction="avg", name="mse_loss")


@pytest.mark.parametrize("value", [1.5, -0.1, "0.1", True])
def test_label_smoothing_outside_zero_one_is_rejected_at_construction(value):
    message = rf"BinaryCrossentropy: `label_smoothing` must be a float in \[0, 1\]; received label_smoothing={value!r}"
    with pytest.raises(ValueError, match=message):
        losses.BinaryCrossentropy(label_smoothing=value)


def test_loss_without_call_says_what_to_implement():
    with pytest.raises(NotImplementedError, match=r"Loss must implement call\(y_true, y_pred\)"):
        losses.Loss()(np.zeros(2), np.zeros(2))


def test_loss_object_called_on_symbolic_tensors_points_to_the_function_form():
    message = r"MeanSquaredError 'mean_squared_error' was called on a symbolic tensor.*loom\.losses\.mean_squared_error"
    with pytest.raises(TypeError, match=message):
        losses.MeanSquaredError()(Input((3,)), jnp.zeros((2, 3)))


def test_loss_function_wrapper_needs_a_function():
    message = r"LossFunctionWrapper 'loss_function_wrapper': `fn` must be a function .*received fn='mse'"
    with pytest.raises(TypeError, match=message):
        losses.LossFunctionWrapper("mse")


def test_function_form_on_mismatched_symbolic_tensors_fails_at_graph_construction():
    message = r"(?s)expects one-hot targets.*called on inputs of shape \(None, 1\), \(None, 10\)"
    with pytest.raises(ValueError, match=message):
        losses.categorical_crossentropy(Input((1,)), Input((10,)))
