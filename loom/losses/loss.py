"""Loss: per-sample values from ``call``, weighted by sample weights and reduced to a scalar."""

import math
from collections.abc import Callable

import jax.numpy as jnp

from loom.graph.symbolic_tensor import SymbolicTensor
from loom.utils import naming
from loom.utils.dtypes import floatx, standardize_dtype

# Keras's spellings, in the order its docstrings list them; None means "none".
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def standardize_reduction(reduction, owner: str = "Loss"):
    """``reduction`` unchanged if Keras accepts it, else a ValueError naming ``owner``."""
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"{owner}: `reduction` must be one of 'sum_over_batch_size', 'sum', 'mean', "
            f"'mean_with_sample_weight', 'none' or None; received reduction={reduction!r}. "
            "Use 'sum_over_batch_size' (the default) to average the loss over the batch."
        )
    return reduction


def _compute_dtype(dtype) -> str:
    """The dtype a loss computes in: a dtype name, a mixed policy name or a policy object."""
    if dtype is None:
        return floatx()
    if hasattr(dtype, "compute_dtype"):
        return standardize_dtype(dtype.compute_dtype)
    if dtype in ("mixed_float16", "mixed_bfloat16"):
        return dtype.split("_")[1]
    return standardize_dtype(dtype)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1: bool = True):
    """Drop (or, for rank 1, add) a trailing size-1 axis where the ranks differ by exactly one.

    This is Keras's rule for lining up ``(batch,)`` against ``(batch, 1)``:
    the higher-rank array loses its trailing 1, except that a rank-1 partner is
    expanded instead when ``expand_rank_1`` is set.
    """
    rank1, rank2 = len(x1.shape), len(x2.shape)
    if rank1 == rank2 + 1 and x1.shape[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = jnp.expand_dims(x2, -1)
        else:
            x1 = jnp.squeeze(x1, -1)
    if rank2 == rank1 + 1 and x2.shape[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = jnp.expand_dims(x1, -1)
        else:
            x2 = jnp.squeeze(x2, -1)
    return x1, x2


def _divide_no_nan(numerator, denominator):
    """``numerator / denominator``, or 0 where the denominator is 0 (Keras's ``divide_no_nan``)."""
    is_zero = denominator == 0
    return jnp.where(is_zero, jnp.zeros_like(numerator), numerator / jnp.where(is_zero, 1, denominator))


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Reduces already-weighted per-sample ``values`` to a scalar, as ``reduction`` says.

    Args:
        values: the weighted per-sample losses.
        sample_weight: the weights that were applied (the divisor of
            "mean_with_sample_weight"), or None.
        reduction: one of ``REDUCTIONS``.

    Returns:
        ``values`` unchanged for "none"/None, for a scalar and for an empty
        batch of shape ``(0,)`` (as Keras); otherwise a scalar.
    """
    if reduction is None or reduction == "none" or tuple(values.shape) in ((), (0,)):
        return values
    loss = jnp.sum(values)
    if reduction == "sum":
        return loss
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = jnp.sum(sample_weight).astype(loss.dtype)
    else:
        # The element count is static; Keras computes the same number from ops.shape.
        divisor = jnp.asarray(math.prod(values.shape), dtype=loss.dtype)
    return _divide_no_nan(loss, divisor)


def apply_mask(sample_weight, mask, dtype, reduction):
    """Folds a boolean ``mask`` of valid entries into ``sample_weight``.

    For the averaging reductions valid entries get weight ``total / valid``, so
    that dividing by the number of entries afterwards averages over the valid
    ones only (Keras's rule); for the others the mask weighs 1 or 0.
    """
    if mask is None:
        return sample_weight
    if reduction in ("mean", "sum_over_batch_size"):
        total = jnp.asarray(math.prod(mask.shape), dtype=dtype)
        valid = jnp.sum(mask.astype(dtype))  # may be 0: divide_no_nan
        float_mask = jnp.where(mask.astype(bool), _divide_no_nan(total, valid), jnp.zeros((), dtype))
    else:
        float_mask = mask.astype(dtype)
    if sample_weight is None:
        return float_mask
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight.astype(dtype))
    return sample_weight * float_mask


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size", dtype=None):
    """Weights per-sample ``values`` by ``sample_weight`` and ``mask``, then reduces them.

    Args:
        values: per-sample losses, e.g. shape ``(batch,)``.
        sample_weight: None, a scalar, or weights whose shape lines up with
            ``values`` after Keras's trailing-axis squeeze/expand (``(batch,)``
            and ``(batch, 1)`` both work for ``(batch,)`` losses).
        mask: None or booleans marking the entries that count.
        reduction: one of ``REDUCTIONS``.
        dtype: the dtype to compute in; None keeps ``values``' dtype.

    Returns:
        The reduced loss (a scalar unless the reduction is "none").
    """
    reduction = standardize_reduction(reduction)
    values = jnp.asarray(values, dtype=dtype)
    if sample_weight is not None:
        sample_weight = jnp.asarray(sample_weight, dtype=dtype)
    if mask is not None:
        mask = jnp.asarray(mask)
    sample_weight = apply_mask(sample_weight, mask, dtype=values.dtype, reduction=reduction)
    if sample_weight is not None:
        sample_weight = sample_weight.astype(values.dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        _check_weight_shape(values.shape, sample_weight.shape)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


def _check_weight_shape(values_shape, weight_shape) -> None:
    values_shape, weight_shape = tuple(values_shape), tuple(weight_shape)
    try:
        jnp.broadcast_shapes(values_shape, weight_shape)
    except ValueError:
        per_sample = values_shape[:1] + (1,) * (len(values_shape) - 1)
        alternative = f", or shape {per_sample} to weight whole samples" if per_sample != values_shape else ""
        raise ValueError(
            f"sample_weight of shape {weight_shape} does not broadcast against the per-sample losses of "
            f"shape {values_shape}. Give one weight per loss value, shape {values_shape}{alternative}."
        ) from None


def _check_not_symbolic(owner: str, *tensors) -> None:
    if any(isinstance(t, SymbolicTensor) for t in tensors):
        raise TypeError(
            f"{owner} was called on a symbolic tensor; a Loss object computes on arrays. "
            "Pass the loss to compile(), or, inside a model graph, use the function form "
            "such as loom.losses.mean_squared_error(y_true, y_pred), which records a graph node."
        )


def _serialization():
    """loom.losses.serialization, imported on use: it imports every loss, and so this module."""
    from loom.losses import serialization

    return serialization


class Loss:
    """Base class of losses: ``call`` gives per-sample values, ``__call__`` weights and reduces them.

    Subclass it and implement ``call(y_true, y_pred)``, returning one value per
    sample (or per timestep), in ``jax.numpy``/``loom.ops`` code that is safe to
    trace: the loss runs inside the compiled training step.

    Args:
        name: the loss's name; defaults to the snake_case class name, made unique.
        reduction: how per-sample values become the loss: "sum_over_batch_size"
            (the default; sum divided by the number of values), "sum", "mean"
            (same as "sum_over_batch_size"), "mean_with_sample_weight" (sum
            divided by the sum of the sample weights), or "none"/None (no
            reduction).
        dtype: the dtype the loss computes in; None means ``floatx()``.

    Example:

    >>> class MeanSquared(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return jnp.mean(jnp.square(y_pred - y_true), axis=-1)
    >>> float(MeanSquared()(jnp.ones((2, 3)), jnp.zeros((2, 3))))
    1.0
    """

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size", dtype=None):
        self.name = name or naming.auto_name(self)
        self.reduction = standardize_reduction(reduction, owner=f"{type(self).__name__} '{self.name}'")
        self._dtype_argument = dtype
        self._dtype = _compute_dtype(dtype)

    @property
    def dtype(self) -> str:
        """The dtype the loss computes in."""
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None, *, mask=None):
        """The reduced loss of ``y_pred`` against ``y_true``.

        Args:
            y_true: the targets; converted to the loss's dtype, as Keras does
                (integer labels become floats, and back where a loss needs them).
            y_pred: the predictions.
            sample_weight: None, a scalar, or per-sample (or per-value) weights.
            mask: booleans marking the values that count. loom addition: Keras
                reads this mask from ``y_pred._keras_mask``, which JAX arrays
                cannot carry, so the training engine passes it here.

        Returns:
            A scalar, or the weighted per-sample values for reduction "none".
        """
        _check_not_symbolic(f"{type(self).__name__} '{self.name}'", y_true, y_pred, sample_weight)
        y_pred = jnp.asarray(y_pred, dtype=self.dtype)
        y_true = jnp.asarray(y_true, dtype=self.dtype)
        values, values_mask = self.call_with_mask(y_true, y_pred)
        if mask is not None and values_mask is not None:
            mask = jnp.logical_and(jnp.asarray(mask, bool), values_mask)
        elif values_mask is not None:
            mask = values_mask
        return reduce_weighted_values(values, sample_weight, mask, self.reduction, self.dtype)

    def call(self, y_true, y_pred):
        """Per-sample loss values; subclasses implement it."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement call(y_true, y_pred), returning the per-sample losses."
        )

    def call_with_mask(self, y_true, y_pred):
        """``(call(y_true, y_pred), mask)``, where the mask (or None) marks values that count.

        Losses that leave some entries out (``ignore_class``) override this;
        Keras attaches that mask to the returned array instead.
        """
        return self.call(y_true, y_pred), None

    def get_config(self) -> dict:
        """The constructor arguments, JSON-serializable.

        loom adds ``dtype``, which Keras leaves out, so a float16 loss reloads as one.
        """
        return {"name": self.name, "reduction": self.reduction, "dtype": self._dtype_argument}

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        """Builds a loss from the output of ``get_config``."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}, reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a function ``fn(y_true, y_pred, **kwargs)`` returning per-sample values.

    Before calling ``fn`` it lines up targets of shape ``(batch,)`` with
    predictions of shape ``(batch, 1)`` (and the reverse), as Keras does; this
    is how ``compile(loss="mse")`` uses a function.

    Args:
        fn: the loss function.
        reduction: see ``Loss``.
        name: see ``Loss``.
        dtype: see ``Loss``.
        **kwargs: keyword arguments passed to ``fn`` on every call.

    Example:

    >>> from loom.losses import huber
    >>> loss = LossFunctionWrapper(huber, delta=0.5)
    >>> float(loss(jnp.zeros((2, 1)), jnp.ones((2, 1))))
    0.375
    """

    def __init__(
        self,
        fn: Callable,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype=None,
        **kwargs,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if not callable(fn):
            raise TypeError(
                f"{type(self).__name__} '{self.name}': `fn` must be a function (y_true, y_pred) -> "
                f"per-sample losses; received fn={fn!r}."
            )
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.call_with_mask(y_true, y_pred)[0]

    def call_with_mask(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        # A function that can leave entries out exposes a (values, mask) twin.
        with_mask = getattr(self.fn, "values_and_mask", None)
        if with_mask is not None:
            return with_mask(y_true, y_pred, **self._fn_kwargs)
        return self.fn(y_true, y_pred, **self._fn_kwargs), None

    def get_config(self) -> dict:
        return {**super().get_config(), "fn": _serialization().serialize(self.fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict) -> "LossFunctionWrapper":
        config = dict(config)
        if "fn" in config:
            config["fn"] = _serialization().deserialize(config["fn"])
        return cls(**config)

    def __repr__(self):
        name = getattr(self.fn, "__name__", repr(self.fn))
        return f"<{type(self).__name__}({name}, kwargs={self._fn_kwargs})>"


class BuiltinLoss(LossFunctionWrapper):
    """A ``LossFunctionWrapper`` whose constructor arguments are the function's keyword arguments.

    Each keyword argument becomes an attribute (``loss.from_logits``), as in
    Keras, and ``get_config`` returns them all; Keras leaves some out
    (``Huber.delta``, ``CosineSimilarity.axis``), so its configs reload with
    defaults there.
    """

    def __init__(self, fn, reduction, name, dtype, **kwargs):
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype, **kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def get_config(self) -> dict:
        return {**Loss.get_config(self), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict) -> "BuiltinLoss":
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"
