"""Static checks that targets fit the predictions, raised as named errors while a loss is traced.

Every check reads shapes only (known while ``jax.jit`` traces), never values,
so it costs nothing in the compiled step and never forces a host sync.
"""

import jax.numpy as jnp


def _shape(x) -> tuple:
    return tuple(x.shape)


def _without_axis(shape: tuple, axis: int) -> tuple:
    axis = axis % len(shape)
    return shape[:axis] + shape[axis + 1 :]


def as_pair(y_true, y_pred):
    """``(y_true, y_pred)`` as arrays, the targets cast to the predictions' dtype (Keras's rule)."""
    y_pred = jnp.asarray(y_pred)
    return jnp.asarray(y_true).astype(y_pred.dtype), y_pred


def check_broadcastable(loss_name: str, y_true, y_pred) -> None:
    """Elementwise losses: the targets must broadcast against the predictions."""
    try:
        jnp.broadcast_shapes(_shape(y_true), _shape(y_pred))
    except ValueError:
        raise ValueError(
            f"{loss_name} expects targets that broadcast against the predictions of shape "
            f"{_shape(y_pred)}; received targets of shape {_shape(y_true)}. Give the targets "
            "the predictions' shape (check the number of units of the model's last layer)."
        ) from None


def check_same_shape(loss_name: str, y_true, y_pred) -> None:
    """Binary crossentropies: one target per prediction, same shape."""
    true_shape, pred_shape = _shape(y_true), _shape(y_pred)
    if true_shape == pred_shape:
        return
    message = (
        f"{loss_name} expects targets of the predictions' shape {pred_shape}; "
        f"received targets of shape {true_shape}."
    )
    if pred_shape and pred_shape[-1] == 1 and true_shape == pred_shape[:-1]:
        message += (
            f" Reshape the targets to {pred_shape}, or use the loss class (e.g. BinaryCrossentropy), "
            "which lines the two up."
        )
    elif pred_shape and pred_shape[-1] != 1 and true_shape in (pred_shape[:-1], (*pred_shape[:-1], 1)):
        message += (
            f" For integer class labels over {pred_shape[-1]} classes use "
            "sparse_categorical_crossentropy; for one binary label per sample give the model one output unit."
        )
    raise ValueError(message)


def check_one_hot_targets(loss_name: str, y_true, y_pred, axis: int) -> None:
    """Categorical crossentropies: one-hot (or soft) targets shaped like the predictions."""
    true_shape, pred_shape = _shape(y_true), _shape(y_pred)
    if not pred_shape:
        raise ValueError(
            f"{loss_name} expects predictions with a class axis, e.g. shape (batch, num_classes); "
            f"received predictions of shape {pred_shape}."
        )
    if true_shape == pred_shape:
        return
    batch_shape = _without_axis(pred_shape, axis)
    looks_sparse = true_shape == batch_shape or (
        len(true_shape) == len(pred_shape) and _without_axis(true_shape, axis) == batch_shape and true_shape[axis] == 1
    )
    if looks_sparse:
        raise ValueError(
            f"{loss_name} expects one-hot targets of shape {pred_shape} like the predictions; "
            f"received targets of shape {true_shape}. Use sparse_categorical_crossentropy for "
            "integer labels, or one-hot encode them."
        )
    raise ValueError(
        f"{loss_name} expects targets of the predictions' shape {pred_shape}; received targets of "
        f"shape {true_shape}. Check that the model's last layer has one unit per class."
    )


def check_sparse_targets(loss_name: str, y_true, y_pred, axis: int) -> None:
    """Sparse categorical crossentropy: integer labels shaped like the predictions minus the class axis.

    Call it after squeezing a size-1 class axis off the labels.
    """
    true_shape, pred_shape = _shape(y_true), _shape(y_pred)
    if not pred_shape:
        raise ValueError(
            f"{loss_name} expects predictions with a class axis, e.g. shape (batch, num_classes); "
            f"received predictions of shape {pred_shape}."
        )
    batch_shape = _without_axis(pred_shape, axis)
    if true_shape == batch_shape:
        return
    with_one = (*batch_shape, 1)
    if true_shape == pred_shape:
        raise ValueError(
            f"{loss_name} expects integer labels of shape {batch_shape} or {with_one}; received "
            f"targets of shape {true_shape}, the predictions' shape, which look one-hot. Use "
            "categorical_crossentropy for one-hot targets, or pass the labels as integers (their argmax)."
        )
    raise ValueError(
        f"{loss_name} expects integer labels of shape {batch_shape} or {with_one} for predictions of "
        f"shape {pred_shape}; received targets of shape {true_shape}."
    )
