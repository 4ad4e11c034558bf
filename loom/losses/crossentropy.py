"""Crossentropy losses: binary, categorical and sparse categorical, and their focal forms."""

import numbers
import warnings

import jax
import jax.numpy as jnp

from loom.losses.loss import BuiltinLoss
from loom.losses.shapes import as_pair, check_one_hot_targets, check_same_shape, check_sparse_targets
from loom.ops.operation import symbolic_op

# Keras's backend.epsilon(): probabilities are clipped to [1e-7, 1 - 1e-7] before the log.
_EPSILON = 1e-7


def _check_axis(loss_name: str, axis) -> None:
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise ValueError(f"{loss_name}: `axis` must be an int; received axis={axis!r} of type {type(axis).__name__}.")


def _check_label_smoothing(owner: str, label_smoothing) -> float:
    is_number = isinstance(label_smoothing, numbers.Real) and not isinstance(label_smoothing, bool)
    if not is_number or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"{owner}: `label_smoothing` must be a float in [0, 1]; received label_smoothing={label_smoothing!r}."
        )
    return label_smoothing


def _warn_single_class(loss_name: str, y_pred) -> None:
    if y_pred.shape[-1] == 1:
        # A softmax over one class is always 1, so this loss is always ~0 and nothing trains.
        warnings.warn(
            f"{loss_name} expects predictions of shape (batch_size, num_classes) with num_classes > 1; "
            f"received predictions of shape {tuple(y_pred.shape)}, for which the loss is always ~0. "
            "Use binary_crossentropy for two classes with one output unit.",
            SyntaxWarning,  # Keras's category, so filters written for Keras apply
            stacklevel=4,  # the caller of the public function, past symbolic_op
        )


def _binary_values(y_true, y_pred, from_logits: bool):
    """Elementwise binary crossentropy, as Keras's JAX backend computes it."""
    if from_logits:
        return -y_true * jax.nn.log_sigmoid(y_pred) - (1.0 - y_true) * jax.nn.log_sigmoid(-y_pred)
    y_pred = jnp.clip(y_pred, _EPSILON, 1.0 - _EPSILON)
    return -(y_true * jnp.log(y_pred) + (1.0 - y_true) * jnp.log(1.0 - y_pred))


def _log_probabilities(y_pred, from_logits: bool, axis: int):
    """``log(p)`` along ``axis``: log-softmax of logits, or log of renormalized, clipped probabilities."""
    if from_logits:
        return jax.nn.log_softmax(y_pred, axis=axis)
    y_pred = y_pred / jnp.sum(y_pred, axis=axis, keepdims=True)
    return jnp.log(jnp.clip(y_pred, _EPSILON, 1.0 - _EPSILON))


def _smooth_categorical(y_true, label_smoothing: float, axis: int):
    if not label_smoothing:
        return y_true
    # Keras divides by y_true.shape[-1] whatever `axis` is; loom uses the class axis.
    num_classes = jnp.asarray(y_true.shape[axis], dtype=y_true.dtype)
    return y_true * (1.0 - label_smoothing) + label_smoothing / num_classes


@symbolic_op
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy, averaged over ``axis``.

    Args:
        y_true: targets in {0, 1}, shape ``(batch, d0, ..., dN)``.
        y_pred: probabilities (or logits with ``from_logits=True``), same shape.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: float in [0, 1]; squeezes targets towards 0.5:
            ``y_true * (1 - label_smoothing) + 0.5 * label_smoothing``.
        axis: the axis the mean is taken over.

    Returns:
        Per-sample losses, shape ``(batch, d0, ..., dN-1)``.

    Example:

    >>> binary_crossentropy(jnp.array([[0.0, 1.0]]), jnp.array([[0.0, 0.0]]), from_logits=True)
    Array([0.6931472], dtype=float32)
    """
    y_true, y_pred = as_pair(y_true, y_pred)
    check_same_shape("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return jnp.mean(_binary_values(y_true, y_pred, from_logits), axis=axis)


@symbolic_op
def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    """Binary crossentropy scaled by ``(1 - p_t) ** gamma``, which down-weights easy examples.

    Args:
        y_true: targets in {0, 1}, shape ``(batch, d0, ..., dN)``.
        y_pred: probabilities (or logits with ``from_logits=True``), same shape.
        apply_class_balancing: whether to weight class 1 by ``alpha`` and class 0 by ``1 - alpha``.
        alpha: the class-1 weight used with ``apply_class_balancing``.
        gamma: the focusing exponent; 0 gives plain binary crossentropy.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: float in [0, 1]; squeezes targets towards 0.5.
        axis: the axis the mean is taken over.

    Returns:
        Per-sample losses, shape ``(batch, d0, ..., dN-1)``.
    """
    y_true, y_pred = as_pair(y_true, y_pred)
    check_same_shape("binary_focal_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = jax.nn.sigmoid(y_pred)
    bce = _binary_values(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal_bce = jnp.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal_bce = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal_bce
    return jnp.mean(focal_bce, axis=axis)


@symbolic_op
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Categorical crossentropy between one-hot (or soft) targets and predicted distributions.

    Probabilities are renormalized to sum to 1 along ``axis`` and clipped to
    ``[1e-7, 1 - 1e-7]``; logits go through ``log_softmax``.

    Args:
        y_true: one-hot targets, the shape of ``y_pred``.
        y_pred: probabilities (or logits with ``from_logits=True``), shape ``(batch, ..., num_classes)``.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: float in [0, 1]; targets become
            ``y_true * (1 - label_smoothing) + label_smoothing / num_classes``.
        axis: the class axis.

    Returns:
        Per-sample losses, ``y_pred``'s shape without ``axis``.

    Example:

    >>> categorical_crossentropy(jnp.array([[0.0, 1.0]]), jnp.array([[0.5, 0.5]]))
    Array([0.6931472], dtype=float32)
    """
    _check_axis("categorical_crossentropy", axis)
    y_true, y_pred = as_pair(y_true, y_pred)
    check_one_hot_targets("categorical_crossentropy", y_true, y_pred, axis)
    _warn_single_class("categorical_crossentropy", y_pred)
    y_true = _smooth_categorical(y_true, label_smoothing, axis)
    return -jnp.sum(y_true * _log_probabilities(y_pred, from_logits, axis), axis=axis)


@symbolic_op
def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Categorical crossentropy scaled by ``alpha * (1 - p) ** gamma`` per class.

    Args:
        y_true: one-hot targets, the shape of ``y_pred``.
        y_pred: probabilities (or logits with ``from_logits=True``).
        alpha: a weight for all classes, a float or one float per class.
        gamma: the focusing exponent; 0 gives ``alpha`` times categorical crossentropy.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: float in [0, 1], as in ``categorical_crossentropy``.
        axis: the class axis.

    Returns:
        Per-sample losses, ``y_pred``'s shape without ``axis``.
    """
    _check_axis("categorical_focal_crossentropy", axis)
    y_true, y_pred = as_pair(y_true, y_pred)
    check_one_hot_targets("categorical_focal_crossentropy", y_true, y_pred, axis)
    _warn_single_class("categorical_focal_crossentropy", y_pred)
    y_true = _smooth_categorical(y_true, label_smoothing, axis)
    if from_logits:
        y_pred = jax.nn.softmax(y_pred, axis=axis)
    output = y_pred / jnp.sum(y_pred, axis=axis, keepdims=True)
    output = jnp.clip(output, _EPSILON, 1.0 - _EPSILON)
    crossentropy = -y_true * jnp.log(output)
    weighting = jnp.power(1.0 - output, gamma) * jnp.asarray(alpha, dtype=output.dtype)
    return jnp.sum(weighting * crossentropy, axis=axis)


def _sparse_values_and_mask(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Sparse categorical crossentropy per sample, and the mask of non-ignored labels (or None)."""
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true)
    if y_pred.ndim and y_true.ndim == y_pred.ndim and y_true.shape[axis] == 1:
        y_true = jnp.squeeze(y_true, axis)
    if y_pred.ndim and y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = jnp.squeeze(y_true, -1)  # Keras's backend squeezes the last axis too
    check_sparse_targets("sparse_categorical_crossentropy", y_true, y_pred, axis)
    class_axis = axis % y_pred.ndim
    valid = None
    if ignore_class is not None:
        valid = y_true != ignore_class  # a Python scalar: no dtype promotion against int labels
        y_true = jnp.where(valid, y_true, 0)
        # Keras fills ignored rows with 0, which is 0/0 = NaN on the probability path
        # (masked out later); 1 gives the same loss without a NaN in the graph.
        y_pred = jnp.where(jnp.expand_dims(valid, class_axis), y_pred, jnp.ones((), y_pred.dtype))
    log_prob = _log_probabilities(y_pred, from_logits, class_axis)
    # Out-of-range labels one-hot to all zeros, so they cost 0 as in Keras.
    one_hot = jax.nn.one_hot(y_true.astype(jnp.int32), y_pred.shape[class_axis], axis=class_axis, dtype=log_prob.dtype)
    values = -jnp.sum(one_hot * log_prob, axis=class_axis)
    if valid is not None:
        values = jnp.where(valid, values, jnp.zeros((), values.dtype))
    return values, valid


@symbolic_op
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Categorical crossentropy with integer labels instead of one-hot targets.

    Args:
        y_true: integer labels, shape ``(batch,)`` or ``(batch, 1)`` for
            predictions of shape ``(batch, num_classes)`` (in general
            ``y_pred``'s shape without ``axis``, optionally with a trailing 1).
        y_pred: probabilities (or logits with ``from_logits=True``).
        from_logits: whether ``y_pred`` holds logits.
        ignore_class: a label whose entries cost 0 (e.g. a "void" class in
            segmentation); the ``SparseCategoricalCrossentropy`` class also
            leaves them out of the average.
        axis: the class axis.

    Returns:
        Per-sample losses, ``y_pred``'s shape without ``axis``.

    Example:

    >>> sparse_categorical_crossentropy(jnp.array([1]), jnp.array([[0.5, 0.5]]))
    Array([0.6931472], dtype=float32)
    """
    return _sparse_values_and_mask(y_true, y_pred, from_logits, ignore_class, axis)[0]


# LossFunctionWrapper looks for this twin to learn which entries `ignore_class` dropped.
sparse_categorical_crossentropy.values_and_mask = _sparse_values_and_mask


class BinaryCrossentropy(BuiltinLoss):
    """Crossentropy for binary (0 or 1) targets, one prediction per target.

    Args:
        from_logits: whether predictions are logits (more stable) rather than probabilities.
        label_smoothing: float in [0, 1]; squeezes targets towards 0.5.
        axis: the axis the mean is taken over.
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> loss = BinaryCrossentropy(from_logits=True)
    >>> round(float(loss(jnp.array([[0.0, 1.0]]), jnp.array([[-18.6, 0.51]]))), 4)
    0.2352
    """

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
        dtype=None,
    ):
        label_smoothing = _check_label_smoothing("BinaryCrossentropy", label_smoothing)
        super().__init__(
            binary_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class BinaryFocalCrossentropy(BuiltinLoss):
    """Binary crossentropy with a focal factor ``(1 - p_t) ** gamma`` that down-weights easy examples.

    Args:
        apply_class_balancing: whether to weight class 1 by ``alpha`` and class 0 by ``1 - alpha``.
        alpha: the class-1 weight used with ``apply_class_balancing``.
        gamma: the focusing exponent.
        from_logits: whether predictions are logits.
        label_smoothing: float in [0, 1]; squeezes targets towards 0.5.
        axis: the axis the mean is taken over.
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> loss = BinaryFocalCrossentropy(gamma=0.0)
    >>> round(float(loss(jnp.array([[1.0]]), jnp.array([[0.5]]))), 4)
    0.6931
    """

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_focal_crossentropy",
        dtype=None,
    ):
        label_smoothing = _check_label_smoothing("BinaryFocalCrossentropy", label_smoothing)
        super().__init__(
            binary_focal_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalCrossentropy(BuiltinLoss):
    """Crossentropy for one-hot targets over two or more classes.

    For integer labels use ``SparseCategoricalCrossentropy``.

    Args:
        from_logits: whether predictions are logits rather than probabilities.
        label_smoothing: float in [0, 1]; targets become
            ``y_true * (1 - label_smoothing) + label_smoothing / num_classes``.
        axis: the class axis.
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> loss = CategoricalCrossentropy()
    >>> round(float(loss(jnp.array([[0.0, 1.0, 0.0]]), jnp.array([[0.05, 0.95, 0.0]]))), 4)
    0.0513
    """

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
        dtype=None,
    ):
        label_smoothing = _check_label_smoothing("CategoricalCrossentropy", label_smoothing)
        super().__init__(
            categorical_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalFocalCrossentropy(BuiltinLoss):
    """Categorical crossentropy with a focal factor ``alpha * (1 - p) ** gamma`` per class.

    Args:
        alpha: a weight for all classes, a float or one float per class.
        gamma: the focusing exponent.
        from_logits: whether predictions are logits.
        label_smoothing: float in [0, 1], as in ``CategoricalCrossentropy``.
        axis: the class axis.
        reduction: how per-sample losses become the loss (see ``Loss``).
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> loss = CategoricalFocalCrossentropy(alpha=1.0, gamma=0.0)
    >>> round(float(loss(jnp.array([[0.0, 1.0]]), jnp.array([[0.5, 0.5]]))), 4)
    0.6931
    """

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_focal_crossentropy",
        dtype=None,
    ):
        label_smoothing = _check_label_smoothing("CategoricalFocalCrossentropy", label_smoothing)
        super().__init__(
            categorical_focal_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(BuiltinLoss):
    """Crossentropy for integer labels, ``(batch,)`` or ``(batch, 1)``, against ``(batch, num_classes)`` predictions.

    Args:
        from_logits: whether predictions are logits rather than probabilities.
        ignore_class: a label left out of the loss, and out of the average
            for the "sum_over_batch_size"/"mean" reductions (e.g. a "void"
            class of -1 or 255 in segmentation maps).
        reduction: how per-sample losses become the loss (see ``Loss``).
        axis: the class axis.
        name: the loss's name.
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> loss = SparseCategoricalCrossentropy()
    >>> round(float(loss(jnp.array([1, 2]), jnp.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]))), 3)
    1.177
    """

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        axis=-1,
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            sparse_categorical_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )
