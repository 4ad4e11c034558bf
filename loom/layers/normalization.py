"""Normalization layers: batch, layer, group, RMS and unit normalization."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np

from loom import constraints, initializers, regularizers
from loom.layers.input_spec import InputSpec
from loom.layers.layer import Layer
from loom.ops.config import epsilon as backend_epsilon
from loom.ops.core import convert_to_tensor
from loom.ops.nn import normalize

_RMS_SCALING_WARNING = (
    "LayerNormalization: rms_scaling=True is deprecated (as in Keras 3): it scales the input by "
    "the variance, not the root mean square. Use RMSNormalization for RMS normalization."
)


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_epsilon(layer, epsilon) -> float:
    if not _is_number(epsilon) or not epsilon >= 0:
        raise ValueError(f"{layer.describe()}: `epsilon` must be a non-negative float; received epsilon={epsilon!r}.")
    return float(epsilon)


def _check_axis_list(layer, axis):
    """An int or a list of ints, as Keras stores ``axis`` for per-sample normalizations."""
    if isinstance(axis, (list, tuple)) and axis and all(_is_int(a) for a in axis):
        return [int(a) for a in axis]
    if _is_int(axis):
        return int(axis)
    raise TypeError(f"{layer.describe()}: `axis` must be an int or a list of ints; received axis={axis!r}.")


def _normalized_axes(layer, axis, input_shape) -> list:
    """``axis`` (int or list) as sorted non-negative axes of ``input_shape``, checked."""
    rank = len(input_shape)
    axes = axis if isinstance(axis, list) else [axis]
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(
                f"{layer.describe()}: axis {a} is out of bounds for inputs of shape {tuple(input_shape)} "
                f"(rank {rank}); received axis={axis}."
            )
    axes = sorted(a % rank for a in axes)
    for a in axes:
        if input_shape[a] is None:
            raise ValueError(
                f"{layer.describe()} needs the size of axis {a} to be known to create its weights; received "
                f"input shape {tuple(input_shape)}. Give the Input a concrete size on that axis."
            )
    return axes


def _compute_dtype(x):
    # Statistics are computed in at least float32, as Keras does for half precision.
    return jnp.promote_types(x.dtype, jnp.float32)


class BatchNormalization(Layer):
    """Normalizes each feature by the batch's statistics in training, by moving averages otherwise.

    Training (``training=True``) returns ``gamma * (x - mean(x)) / sqrt(var(x) + epsilon) + beta``
    with statistics over every axis but ``axis``, and updates the non-trainable
    ``moving_mean`` / ``moving_variance`` as ``moving * momentum + batch * (1 - momentum)``.
    Inference uses the moving statistics. As in Keras 3, a layer with
    ``trainable=False`` is frozen: it runs in inference mode even when
    ``training=True`` and never updates its statistics.

    Args:
        axis: the features axis (e.g. 1 after a channels-first convolution).
        momentum: momentum of the moving averages.
        epsilon: added to the variance to avoid dividing by zero.
        center: whether to add the learned offset ``beta``.
        scale: whether to multiply by the learned scale ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
            moving_variance_initializer: initializers of the four weights.
        beta_regularizer, gamma_regularizer: penalties on ``beta``/``gamma``.
        beta_constraint, gamma_constraint: projections after each update.
        renorm: use batch renormalization (extra non-trainable statistics).
        renorm_clipping: ``{"rmax", "rmin", "dmax"}`` clipping of the renorm
            correction.
        renorm_momentum: momentum of the renorm statistics.
        synchronized: accepted for Keras compatibility. loom computes the
            statistics over the whole (global) batch seen by a compiled step,
            so sharded batches are already synchronized.

    Call arguments:
        inputs: a tensor of any rank.
        training: use (and update) the batch statistics when True.
        mask: optional boolean tensor of the input's shape without ``axis``
            (rank one less); masked positions do not count in the statistics.

    Example:
        >>> layer = BatchNormalization()
        >>> layer(np.ones((4, 3)), training=True).shape
        (4, 3)
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        renorm=False,
        renorm_clipping=None,
        renorm_momentum=0.99,
        synchronized=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not _is_int(axis):
            raise TypeError(f"{self.describe()}: `axis` must be an int; received axis={axis!r}.")
        for name, value in (("momentum", momentum), ("renorm_momentum", renorm_momentum)):
            if not _is_number(value) or not 0 <= value <= 1:
                raise ValueError(f"{self.describe()}: `{name}` must be a float in [0, 1]; received {name}={value!r}.")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = _check_epsilon(self, epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.renorm = bool(renorm)
        self.renorm_clipping = self._check_renorm_clipping(renorm_clipping) if renorm else renorm_clipping
        self.renorm_momentum = float(renorm_momentum)
        self.synchronized = bool(synchronized)
        self.supports_masking = True
        self.gamma = self.beta = None

    def _check_renorm_clipping(self, clipping):
        clipping = dict(clipping or {})
        unknown = sorted(set(clipping) - {"rmax", "rmin", "dmax"})
        if unknown:
            raise ValueError(
                f"{self.describe()}: `renorm_clipping` accepts the keys 'rmax', 'rmin' and 'dmax'; "
                f"received unknown keys {unknown}."
            )
        rmax, rmin, dmax = clipping.get("rmax"), clipping.get("rmin"), clipping.get("dmax")
        if rmax is not None and rmin is not None and rmax < rmin:
            raise ValueError(
                f"{self.describe()}: `renorm_clipping` needs rmax >= rmin; received rmax={rmax}, rmin={rmin}."
            )
        if dmax is not None and dmax < 0:
            raise ValueError(f"{self.describe()}: `renorm_clipping` needs dmax >= 0; received dmax={dmax}.")
        return clipping

    def build(self, input_shape):
        (axis,) = _normalized_axes(self, self.axis, input_shape)
        shape = (input_shape[axis],)
        if self.scale:
            self.gamma = self.add_weight(
                name="gamma", shape=shape, initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint, autocast=False,
            )
        if self.center:
            self.beta = self.add_weight(
                name="beta", shape=shape, initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint, autocast=False,
            )
        self.moving_mean = self.add_weight(
            name="moving_mean", shape=shape, initializer=self.moving_mean_initializer, trainable=False, autocast=False
        )
        self.moving_variance = self.add_weight(
            name="moving_variance", shape=shape, initializer=self.moving_variance_initializer,
            trainable=False, autocast=False,
        )
        if self.renorm:
            variance_initializer = self.moving_variance_initializer

            def stddev_initializer(shape, dtype=None):
                return jnp.sqrt(variance_initializer.clone()(shape, dtype))

            self.moving_stddev = self.add_weight(
                name="moving_stddev", shape=shape, initializer=stddev_initializer, trainable=False, autocast=False
            )
            self.renorm_mean = self.add_weight(
                name="renorm_mean", shape=shape, initializer=self.moving_mean_initializer.clone(),
                trainable=False, autocast=False,
            )
            self.renorm_stddev = self.add_weight(
                name="renorm_stddev", shape=shape, initializer=stddev_initializer, trainable=False, autocast=False
            )
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: input_shape[axis]})
        self._reduction_axes = tuple(a for a in range(len(input_shape)) if a != axis)

    def call(self, inputs, training=None, mask=None):
        if mask is not None and jnp.ndim(mask) != inputs.ndim - 1:
            raise ValueError(
                f"{self.describe()} needs a mask with one dimension less than its inputs; received mask shape "
                f"{tuple(jnp.shape(mask))} for inputs of shape {tuple(inputs.shape)}."
            )
        x = inputs.astype(_compute_dtype(inputs))

        def read(variable):
            return None if variable is None else convert_to_tensor(variable).astype(x.dtype)

        gamma, beta = read(self.gamma), read(self.beta)
        moving_mean, moving_variance = read(self.moving_mean), read(self.moving_variance)
        if training and self.trainable:
            mean, variance = self._moments(x, mask)
            if self.renorm:
                gamma, beta = self._renormalized_transform(mean, variance, gamma, beta, x.dtype)
                self._update_renorm_statistics(mean, variance)
            else:
                self.moving_mean.assign(moving_mean * self.momentum + mean * (1.0 - self.momentum))
                self.moving_variance.assign(moving_variance * self.momentum + variance * (1.0 - self.momentum))
        else:
            mean, variance = moving_mean, moving_variance
        outputs = _batch_normalization(x, mean, variance, self.axis, beta, gamma, self.epsilon)
        return outputs.astype(self.compute_dtype)

    def _moments(self, x, mask):
        axes = self._reduction_axes
        if mask is None:
            return jnp.mean(x, axis=axes), jnp.var(x, axis=axes)
        # Weighted moments over the unmasked positions (Keras's formula, epsilon included).
        weights = jnp.broadcast_to(jnp.expand_dims(jnp.asarray(mask).astype(bool), -1), x.shape)
        count = jnp.sum(weights.astype(x.dtype), axis=axes) + backend_epsilon()
        mean = jnp.sum(jnp.where(weights, x, 0), axis=axes) / count
        mean_b = jnp.expand_dims(mean, axes)
        variance = jnp.sum(jnp.square(jnp.where(weights, x - mean_b, 0)), axis=axes) / count
        return mean, variance

    def _renormalized_transform(self, mean, variance, gamma, beta, dtype):
        """``gamma``/``beta`` composed with the renorm correction ``(x * r + d)``."""
        stddev = jnp.sqrt(variance + self.epsilon)
        renorm_mean = convert_to_tensor(self.renorm_mean).astype(dtype)
        renorm_stddev = jnp.maximum(
            convert_to_tensor(self.renorm_stddev).astype(dtype), jnp.sqrt(jnp.asarray(self.epsilon, dtype))
        )
        r, d = stddev / renorm_stddev, (mean - renorm_mean) / renorm_stddev
        clipping = self.renorm_clipping
        if clipping.get("rmin") is not None:
            r = jnp.maximum(r, clipping["rmin"])
        if clipping.get("rmax") is not None:
            r = jnp.minimum(r, clipping["rmax"])
        if clipping.get("dmax") is not None:
            d = jnp.clip(d, -clipping["dmax"], clipping["dmax"])
        r, d = jax.lax.stop_gradient(r), jax.lax.stop_gradient(d)
        new_gamma = r if gamma is None else r * gamma
        new_beta = d if gamma is None else d * gamma
        if beta is not None:
            new_beta = new_beta + beta
        return new_gamma, new_beta

    def _update_renorm_statistics(self, mean, variance):
        stddev = jnp.sqrt(variance + self.epsilon)
        renorm_mean = convert_to_tensor(self.renorm_mean).astype(mean.dtype)
        renorm_stddev = convert_to_tensor(self.renorm_stddev).astype(mean.dtype)
        self.renorm_mean.assign(renorm_mean * self.renorm_momentum + mean * (1.0 - self.renorm_momentum))
        self.renorm_stddev.assign(renorm_stddev * self.renorm_momentum + stddev * (1.0 - self.renorm_momentum))
        moving_mean = convert_to_tensor(self.moving_mean).astype(mean.dtype)
        moving_stddev = convert_to_tensor(self.moving_stddev).astype(mean.dtype)
        self.moving_mean.assign(moving_mean * self.momentum + mean * (1.0 - self.momentum))
        new_stddev = moving_stddev * self.momentum + stddev * (1.0 - self.momentum)
        self.moving_stddev.assign(new_stddev)
        self.moving_variance.assign(jax.nn.relu(new_stddev * new_stddev - self.epsilon))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }


def _batch_normalization(x, mean, variance, axis, offset, scale, epsilon):
    """Keras's ``x * inv + (offset - mean * inv)`` with ``inv = scale / sqrt(variance + epsilon)``."""
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    inv = jax.lax.rsqrt(jnp.reshape(variance, shape) + epsilon)
    if scale is not None:
        inv = inv * jnp.reshape(scale, shape)
    res = -jnp.reshape(mean, shape) * inv
    if offset is not None:
        res = res + jnp.reshape(offset, shape)
    return x * inv + res


class _PerSampleNormalization(Layer):
    """Shared arguments of LayerNormalization and GroupNormalization (gamma and beta)."""

    def _store_affine_arguments(
        self, epsilon, center, scale, beta_initializer, gamma_initializer,
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
    ):
        self.epsilon = _check_epsilon(self, epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        # As Keras: statistics are computed in float32 whatever the compute dtype.
        self.autocast = False

    def _add_affine_weights(self, shape, with_gamma, with_beta):
        self.gamma = self.beta = None
        if with_gamma:
            self.gamma = self.add_weight(
                name="gamma", shape=shape, initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint, autocast=False,
            )
        if with_beta:
            self.beta = self.add_weight(
                name="beta", shape=shape, initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint, autocast=False,
            )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def _affine_config(self) -> dict:
        return {
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }


class LayerNormalization(_PerSampleNormalization):
    """Normalizes each sample over ``axis``: ``(x - mean) / sqrt(var + epsilon) * gamma + beta``.

    Args:
        axis: the axis or list of axes to normalize over (the weights have
            their sizes).
        epsilon: added to the variance to avoid dividing by zero.
        center: whether to add the learned offset ``beta``.
        scale: whether to multiply by the learned scale ``gamma``.
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
            beta_constraint, gamma_constraint: as for any weight.
        rms_scaling: deprecated in Keras 3 (warns): ``x / sqrt(var + epsilon) * gamma``
            without centering or ``beta``; use ``RMSNormalization`` instead.

    Input shape: any. Output shape: the input's.

    Example:
        >>> LayerNormalization()(np.arange(6.0).reshape(2, 3)).shape
        (2, 3)
    """

    def __init__(
        self,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        rms_scaling=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if rms_scaling:
            warnings.warn(_RMS_SCALING_WARNING, UserWarning, stacklevel=2)
        self.axis = _check_axis_list(self, axis)
        self.rms_scaling = bool(rms_scaling)
        self._store_affine_arguments(
            epsilon, center, scale, beta_initializer, gamma_initializer,
            beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
        )

    def build(self, input_shape):
        self._axes = _normalized_axes(self, self.axis, input_shape)
        shape = tuple(input_shape[a] for a in self._axes)
        self._add_affine_weights(shape, self.scale or self.rms_scaling, self.center and not self.rms_scaling)

    def call(self, inputs):
        x = inputs.astype(_compute_dtype(inputs))
        axes = tuple(self._axes)
        broadcast_shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]

        def read(variable):
            if variable is None:
                return None
            return jnp.reshape(convert_to_tensor(variable).astype(x.dtype), broadcast_shape)

        gamma, beta = read(self.gamma), read(self.beta)
        if self.rms_scaling:
            outputs = x * jax.lax.rsqrt(jnp.var(x, axis=axes, keepdims=True) + self.epsilon)
            outputs = outputs if gamma is None else outputs * gamma
        else:
            mean, variance = jnp.mean(x, axis=axes, keepdims=True), jnp.var(x, axis=axes, keepdims=True)
            inv = jax.lax.rsqrt(variance + self.epsilon)
            inv = inv if gamma is None else inv * gamma
            res = -mean * inv
            outputs = x * inv + (res if beta is None else res + beta)
        return outputs.astype(self.compute_dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis, "rms_scaling": self.rms_scaling, **self._affine_config()}


class GroupNormalization(_PerSampleNormalization):
    """Normalizes each sample within groups of channels along ``axis``.

    The ``axis`` dimension is split into ``groups`` groups of equal size; each
    sample is normalized by the mean and variance of each group (over every
    other non-batch axis), then scaled by ``gamma`` and shifted by ``beta``
    per channel. ``groups=1`` is layer normalization over all features,
    ``groups=-1`` (one group per channel) is instance normalization.

    Args:
        groups: number of groups; must divide the size of ``axis``.
        axis: the channels axis.
        epsilon, center, scale, and the initializers, regularizers and
            constraints of ``beta`` and ``gamma``: as LayerNormalization.

    Input shape: ``(batch, ..., channels, ...)``. Output shape: the input's.
    """

    def __init__(
        self,
        groups=32,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not _is_int(groups) or (groups <= 0 and groups != -1):
            raise ValueError(
                f"{self.describe()}: `groups` must be a positive int (or -1 for one group per channel); "
                f"received groups={groups!r}."
            )
        if not _is_int(axis):
            raise TypeError(f"{self.describe()}: `axis` must be an int; received axis={axis!r}.")
        self.groups = int(groups)
        self.axis = int(axis)
        self._store_affine_arguments(
            epsilon, center, scale, beta_initializer, gamma_initializer,
            beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
        )

    def build(self, input_shape):
        (axis,) = _normalized_axes(self, self.axis, input_shape)
        dim = input_shape[axis]
        groups = dim if self.groups == -1 else self.groups
        if dim % groups != 0:
            raise ValueError(
                f"{self.describe()}: `groups`={groups} must divide the {dim} channels of axis {self.axis}; "
                f"received input shape {tuple(input_shape)}. Choose a divisor of {dim}."
            )
        self._axis, self._groups = axis, groups
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        self._add_affine_weights((dim,), self.scale, self.center)

    def call(self, inputs):
        axis, groups = self._axis, self._groups
        x = inputs.astype(_compute_dtype(inputs))
        size = x.shape[axis] // groups
        grouped = jnp.reshape(x, x.shape[:axis] + (groups, size) + x.shape[axis + 1 :])  # (B, ..., G, C/G, ...)
        reduction_axes = tuple(a for a in range(1, grouped.ndim) if a != axis)
        broadcast_shape = [1] * grouped.ndim
        broadcast_shape[axis : axis + 2] = [groups, size]
        mean = jnp.mean(grouped, reduction_axes, keepdims=True)
        variance = jnp.var(grouped, reduction_axes, keepdims=True)
        inv = jax.lax.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            inv = inv * jnp.reshape(convert_to_tensor(self.gamma).astype(x.dtype), broadcast_shape)
        res = -mean * inv
        if self.beta is not None:
            res = res + jnp.reshape(convert_to_tensor(self.beta).astype(x.dtype), broadcast_shape)
        outputs = jnp.reshape(grouped * inv + res, x.shape)
        return outputs.astype(self.compute_dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "groups": self.groups, "axis": self.axis, **self._affine_config()}


class RMSNormalization(Layer):
    """Scales each sample by its root mean square over ``axis``: ``x / sqrt(mean(x**2) + epsilon) * scale``.

    Args:
        axis: the axis or list of axes to normalize over.
        epsilon: added to the mean square to avoid dividing by zero.
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = _check_axis_list(self, axis)
        self.epsilon = _check_epsilon(self, epsilon)

    def build(self, input_shape):
        self._axes = _normalized_axes(self, self.axis, input_shape)
        self.scale = self.add_weight(
            name="scale", shape=tuple(input_shape[a] for a in self._axes), initializer="ones"
        )

    def call(self, inputs):
        x = inputs.astype(_compute_dtype(inputs))
        axes = tuple(self._axes)
        scale = jnp.reshape(
            convert_to_tensor(self.scale).astype(x.dtype), [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
        )
        outputs = x * jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=axes, keepdims=True) + self.epsilon) * scale
        return outputs.astype(inputs.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over ``axis`` (no weights).

    Args:
        axis: the axis or list of axes whose joint norm becomes 1.

    Example:
        >>> UnitNormalization()(np.array([[3.0, 4.0]]))
        Array([[0.6, 0.8]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _check_axis_list(self, axis)
        self.supports_masking = True

    def build(self, input_shape):
        rank = len(input_shape)
        for a in self.axis if isinstance(self.axis, list) else [self.axis]:
            if not -rank <= a < rank:
                raise ValueError(
                    f"{self.describe()}: axis {a} is out of bounds for inputs of shape {tuple(input_shape)} "
                    f"(rank {rank}); received axis={self.axis}."
                )

    def call(self, inputs):
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        return normalize(inputs, axis=axis, order=2, epsilon=1e-12)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
