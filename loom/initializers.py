"""Initializers: objects that make a layer's starting weights from a shape and dtype."""

import inspect
import math
from collections.abc import Callable
from typing import Any, Union

import jax
import jax.numpy as jnp
import numpy as np

from loom.state.seed_generator import SeedGenerator, global_numpy_rng
from loom.utils.dtypes import standardize_dtype
from loom.utils.lookup import ClassFamily
from loom.utils.naming import to_snake_case

InitializerLike = Union["Initializer", str, dict, Callable, np.ndarray, None]

# VarianceScaling draws from a normal truncated at 2 stddev, which shrinks the
# stddev by this factor (the std of a standard normal truncated to [-2, 2]);
# dividing by it makes the truncated draw's stddev the one asked for.
_TRUNCATION_STDDEV_FACTOR = 0.87962566103423978


class Initializer:
    """Base class: ``initializer(shape, dtype=None)`` returns an array of that shape.

    Subclasses implement ``__call__`` and, if they take arguments,
    ``get_config`` returning them, so ``from_config(get_config())`` rebuilds an
    equal initializer.

    Example:

    >>> class Halves(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return 0.5 * Ones()(shape, dtype)
    >>> Halves()((2,)).tolist()
    [0.5, 0.5]
    """

    def __call__(self, shape, dtype=None):
        """Returns an array of ``shape`` and ``dtype`` (default floatx)."""
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype=None).")

    def get_config(self) -> dict:
        """The constructor arguments, as a JSON-serializable dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Initializer":
        """Builds an initializer from the output of ``get_config``."""
        return cls(**config)

    def clone(self) -> "Initializer":
        """A new initializer with the same configuration."""
        return self.__class__.from_config(self.get_config())

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


def _standardize_shape(initializer, shape) -> tuple:
    """``shape`` as a tuple of ints, or a ValueError naming the initializer."""
    try:
        dims = tuple(shape)
    except TypeError:
        dims = None
    if dims is None or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 for d in dims):
        raise ValueError(
            f"{type(initializer).__name__}: `shape` must be a tuple of non-negative ints; "
            f"received shape={shape!r}. Weights need fully known shapes: build the layer "
            "from an input shape without None in the dimensions its weights depend on."
        )
    return tuple(int(d) for d in dims)


class Constant(Initializer):
    """Fills the array with ``value``.

    Args:
        value: a Python scalar (or an array broadcastable to the requested shape).

    Example:

    >>> Constant(3.0)((2, 2)).tolist()
    [[3.0, 3.0], [3.0, 3.0]]
    """

    def __init__(self, value=0.0):
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"Constant: `value` must be a number or an array of numbers; received value={value!r}.")
        self.value = value

    def __call__(self, shape, dtype=None):
        shape = _standardize_shape(self, shape)
        value = jnp.asarray(self.value, dtype=standardize_dtype(dtype))
        try:
            return jnp.broadcast_to(value, shape)
        except ValueError as err:
            raise ValueError(
                f"Constant: `value` of shape {value.shape} cannot fill a weight of shape {shape}. "
                "Pass a scalar, or an array broadcastable to the weight's shape."
            ) from err

    def get_config(self) -> dict:
        value = self.value
        if hasattr(value, "tolist"):
            value = np.asarray(value).tolist()  # JSON has no arrays or NumPy scalars
        return {"value": value}


class Zeros(Initializer):
    """Fills the array with 0.

    Example:

    >>> Zeros()((2,)).tolist()
    [0.0, 0.0]
    """

    def __call__(self, shape, dtype=None):
        return jnp.zeros(_standardize_shape(self, shape), dtype=standardize_dtype(dtype))


class Ones(Initializer):
    """Fills the array with 1.

    Example:

    >>> Ones()((2,)).tolist()
    [1.0, 1.0]
    """

    def __call__(self, shape, dtype=None):
        return jnp.ones(_standardize_shape(self, shape), dtype=standardize_dtype(dtype))


class Identity(Initializer):
    """The identity matrix times ``gain``; 2-D shapes only (rectangular allowed).

    Args:
        gain: multiplicative factor applied to the identity matrix.

    Example:

    >>> Identity(gain=2.0)((2, 3)).tolist()
    [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _standardize_shape(self, shape)
        if len(shape) != 2:
            raise ValueError(
                f"Identity: only 2-D weights can be identity matrices; received shape={shape} of rank "
                f"{len(shape)}. Use Identity for Dense kernels, or Orthogonal for higher ranks."
            )
        return jnp.asarray(self.gain * np.eye(*shape), dtype=standardize_dtype(dtype))

    def get_config(self) -> dict:
        return {"gain": self.gain}


class STFT(Initializer):
    """Conv kernels that compute one side (real or imaginary) of a short-time Fourier transform.

    For a kernel of shape ``(frame_length, 1, fft_length // 2 + 1)``, entry
    ``(t, 0, f)`` is ``cos(-2 pi t f / fft_length)`` (``side="real"``) or its
    sine (``side="imag"``), times the window and divided by its norm. Only the
    first half of the frequencies is made: the rest are their conjugates.

    Args:
        side: "real" or "imag": which part of the transform the kernel computes.
        window: the name of a ``scipy.signal.windows`` window ("hann",
            "hamming", ...), the window's values (length ``frame_length``), or
            None for no window.
        scaling: "density" (divide by the window's L2 norm), "spectrum" (by
            its L1 norm) or None.
        periodic: whether a named window is periodic (for spectral analysis)
            rather than symmetric.

    Example:

    >>> STFT("real", window=None)((4, 1, 3))[:, 0, 1].round(4).tolist()
    [1.0, 0.0, -1.0, -0.0]
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"STFT: `side` must be 'real' or 'imag'; received side={side!r}.")
        if isinstance(window, str):
            _stft_window(window, 1, periodic)  # an unknown name fails now, not at build time
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(f"STFT: `scaling` must be None, 'density' or 'spectrum'; received scaling={scaling!r}.")
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape, dtype=None):
        shape = _standardize_shape(self, shape)
        if len(shape) != 3:
            raise ValueError(
                f"STFT: kernels have shape (frame_length, 1, fft_length // 2 + 1); received shape={shape}."
            )
        dtype = standardize_dtype(dtype)
        frame_length, _, frequencies = shape
        time = np.arange(frame_length, dtype=np.float64).reshape(frame_length, 1, 1)
        frequency = np.arange(frequencies, dtype=np.float64).reshape(1, 1, frequencies) / ((frequencies - 1) * 2)
        angle = -2 * time * frequency * np.pi
        kernel = jnp.asarray(np.cos(angle) if self.side == "real" else np.sin(angle), dtype)
        if self.window is None:
            return kernel
        window = self.window
        if isinstance(window, str):
            window = _stft_window(window, frame_length, self.periodic)
        window = jnp.asarray(window, dtype)
        if window.shape != (frame_length,):
            raise ValueError(
                f"STFT: the window must have shape ({frame_length},), the kernel's frame length; "
                f"received a window of shape {tuple(window.shape)}."
            )
        window = window.reshape(frame_length, 1, 1)
        if self.scaling == "density":
            return kernel * window / jnp.sqrt(jnp.sum(jnp.square(window)))
        if self.scaling == "spectrum":
            return kernel * window / jnp.sum(jnp.abs(window))
        return kernel * window

    def get_config(self) -> dict:
        window = self.window
        if hasattr(window, "tolist"):
            window = np.asarray(window).tolist()  # JSON has no arrays
        return {"side": self.side, "window": window, "periodic": self.periodic, "scaling": self.scaling}


def _stft_window(name: str, length: int, periodic: bool) -> np.ndarray:
    """``scipy.signal.get_window``, imported on use: scipy is slow to import and only STFT needs it."""
    from scipy import signal

    try:
        return signal.get_window(name, length, fftbins=periodic)
    except ValueError as err:
        raise ValueError(
            f"STFT: unknown window {name!r}; use a name from scipy.signal.windows such as 'hann' or "
            "'hamming', the window's values, or None."
        ) from err


# Random values are drawn with NumPy on the host, not jax.random: a weight is made
# once, at build time, and jax.random would compile a sampler for every new shape
# (about a second each on a CPU, for threefry).
class RandomInitializer(Initializer):
    """Base of the random initializers: seed handling and host-side sampling.

    Args:
        seed: an int gives the same values on every call; None draws fresh
            values from loom's global stream on every call (reproducible after
            ``set_global_seed``); a ``SeedGenerator`` gives fresh, reproducible
            values on every call.
    """

    def __init__(self, seed=None):
        if isinstance(seed, dict) and seed.get("class_name") == "SeedGenerator":
            seed = SeedGenerator(**{k: v for k, v in seed.get("config", {}).items() if k in ("seed", "name")})
        valid_int = isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)
        if not (seed is None or valid_int or isinstance(seed, SeedGenerator)):
            raise ValueError(
                f"{type(self).__name__}: `seed` must be an int, a SeedGenerator or None; received seed={seed!r}."
            )
        self.seed = int(seed) if valid_int else seed

    def _rng(self) -> np.random.Generator:
        """The NumPy generator for one call: global stream, fixed seed, or the SeedGenerator's next key."""
        if self.seed is None:
            return global_numpy_rng()
        if isinstance(self.seed, SeedGenerator):
            return np.random.default_rng(np.asarray(self.seed.next()))
        return np.random.default_rng(self.seed)

    def _float_dtype(self, dtype) -> str:
        """``dtype`` standardized, or a ValueError if it is not a floating type."""
        dtype = standardize_dtype(dtype)
        if not jnp.issubdtype(dtype, jnp.floating):  # utils.dtypes.is_float misses bfloat16
            raise ValueError(
                f"{type(self).__name__}: random weights need a floating dtype; received dtype={dtype!r}. "
                "Use Zeros/Ones/Constant for integer weights."
            )
        return dtype

    def _sample_dtype(self, dtype: str):
        """The dtype NumPy samples in: float32 and float64 natively, narrower floats via float32."""
        return np.float64 if dtype == "float64" else np.float32

    def _normal(self, shape, dtype, mean, stddev, truncated):
        """Normal samples, optionally truncated at 2 stddev, as a JAX array of ``dtype``."""
        shape, dtype = _standardize_shape(self, shape), self._float_dtype(dtype)
        rng, sample_dtype = self._rng(), self._sample_dtype(dtype)
        values = rng.standard_normal(shape, dtype=sample_dtype)
        if truncated:
            # Keras's truncation: redraw every value 2 or more stddev from the mean.
            outside = np.abs(values) >= 2.0
            while outside.any():
                values[outside] = rng.standard_normal(int(outside.sum()), dtype=sample_dtype)
                outside = np.abs(values) >= 2.0
        return jnp.asarray(values * stddev + mean, dtype=dtype)

    def _uniform(self, shape, dtype, minval, maxval):
        """Uniform samples in ``[minval, maxval)`` as a JAX array of ``dtype``."""
        shape, dtype = _standardize_shape(self, shape), self._float_dtype(dtype)
        values = self._rng().random(shape, dtype=self._sample_dtype(dtype))
        return jnp.asarray(minval + (maxval - minval) * values, dtype=dtype)

    def get_config(self) -> dict:
        seed = self.seed
        if isinstance(seed, SeedGenerator):
            seed = {"module": "loom.random", "class_name": "SeedGenerator", "config": seed.get_config()}
        return {"seed": seed}


class RandomNormal(RandomInitializer):
    """Samples from a normal distribution.

    Args:
        mean: mean of the values.
        stddev: standard deviation of the values.
        seed: an int for the same values on every call, None for fresh values
            from the global stream, or a ``SeedGenerator``.

    Example:

    >>> RandomNormal(stddev=1.0, seed=0)((2, 3)).shape
    (2, 3)
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return self._normal(shape, dtype, self.mean, self.stddev, truncated=False)

    def get_config(self) -> dict:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomInitializer):
    """Samples from a normal distribution, redrawing values beyond 2 stddev of the mean.

    Args:
        mean: mean of the (untruncated) distribution.
        stddev: standard deviation of the (untruncated) distribution.
        seed: an int for the same values on every call, None for fresh values
            from the global stream, or a ``SeedGenerator``.

    Example:

    >>> bool((abs(TruncatedNormal(stddev=1.0, seed=0)((100,))) < 2).all())
    True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return self._normal(shape, dtype, self.mean, self.stddev, truncated=True)

    def get_config(self) -> dict:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Samples uniformly from ``[minval, maxval)``.

    Args:
        minval: lower bound (inclusive).
        maxval: upper bound (exclusive).
        seed: an int for the same values on every call, None for fresh values
            from the global stream, or a ``SeedGenerator``.

    Example:

    >>> bool((RandomUniform(0.0, 1.0, seed=0)((100,)) >= 0).all())
    True
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return self._uniform(shape, dtype, self.minval, self.maxval)

    def get_config(self) -> dict:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


def compute_fans(shape, input_axes=None, output_axes=None) -> tuple[int, int]:
    """The number of input and output units of a weight of ``shape``, as Keras counts them.

    Args:
        shape: the weight's shape. A rank-1 shape has ``fan_in = fan_out =
            shape[0]``; a 2-D kernel is ``(fan_in, fan_out)``; a convolution
            kernel ``(*spatial, in, out)`` multiplies both by the receptive
            field ``prod(spatial)``.
        input_axes: axes whose sizes multiply to ``fan_in`` (with ``output_axes``).
        output_axes: axes whose sizes multiply to ``fan_out`` (with ``input_axes``).

    Returns:
        ``(fan_in, fan_out)`` as ints.
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[axis] for axis in input_axes), math.prod(shape[axis] for axis in output_axes)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    receptive_field = math.prod(shape[:-2])
    return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)


class VarianceScaling(RandomInitializer):
    """Samples with a variance scaled to the weight's fan-in, fan-out or their average.

    With ``n`` the fan chosen by ``mode``, normal distributions have stddev
    ``sqrt(scale / n)`` (after truncation at 2 stddev for "truncated_normal"),
    and "uniform" samples ``[-limit, limit)`` with ``limit = sqrt(3 * scale / n)``.

    Args:
        scale: positive scaling factor.
        mode: one of "fan_in", "fan_out", "fan_avg".
        distribution: one of "truncated_normal", "untruncated_normal",
            "uniform" ("normal" means "truncated_normal", as in Keras).
        seed: an int for the same values on every call, None for fresh values
            from the global stream, or a ``SeedGenerator``.
        input_axes: optional axes that make up ``fan_in`` (see ``compute_fans``).
        output_axes: optional axes that make up ``fan_out``.

    Example:

    >>> VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform", seed=0)((3, 4)).shape
    (3, 4)
    """

    def __init__(
        self,
        scale=1.0,
        mode="fan_in",
        distribution="truncated_normal",
        seed=None,
        input_axes=None,
        output_axes=None,
    ):
        if isinstance(scale, bool) or not isinstance(scale, (int, float, np.number)) or not scale > 0:
            raise ValueError(f"VarianceScaling: `scale` must be a positive float; received scale={scale!r}.")
        modes = ("fan_in", "fan_out", "fan_avg")
        if mode not in modes:
            raise ValueError(f"VarianceScaling: `mode` must be one of {modes}; received mode={mode!r}.")
        distributions = ("truncated_normal", "untruncated_normal", "uniform")
        distribution = distribution.lower() if isinstance(distribution, str) else distribution
        distribution = "truncated_normal" if distribution == "normal" else distribution
        if distribution not in distributions:
            raise ValueError(
                f"VarianceScaling: `distribution` must be one of {distributions}; "
                f"received distribution={distribution!r}."
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = _standardize_shape(self, shape)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return self._uniform(shape, dtype, -limit, limit)
        truncated = self.distribution == "truncated_normal"
        stddev = math.sqrt(variance) / (_TRUNCATION_STDDEV_FACTOR if truncated else 1.0)
        return self._normal(shape, dtype, 0.0, stddev, truncated=truncated)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _FixedVarianceScaling(VarianceScaling):
    """A VarianceScaling whose scale, mode and distribution are fixed by the class."""

    _scale, _mode, _distribution = 1.0, "fan_in", "truncated_normal"

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(self._scale, self._mode, self._distribution, seed, input_axes, output_axes)

    def get_config(self) -> dict:
        config = super().get_config()
        return {"seed": config["seed"], "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: ``[-limit, limit)`` with ``limit = sqrt(6 / (fan_in + fan_out))``.

    Args:
        seed: an int for the same values on every call, None for fresh values
            from the global stream, or a ``SeedGenerator``.
        input_axes: optional axes that make up ``fan_in``.
        output_axes: optional axes that make up ``fan_out``.
    """

    _scale, _mode, _distribution = 1.0, "fan_avg", "uniform"


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal with stddev ``sqrt(2 / (fan_in + fan_out))``.

    Args:
        seed: an int for the same values on every call, None for fresh values
            from the global stream, or a ``SeedGenerator``.
        input_axes: optional axes that make up ``fan_in``.
        output_axes: optional axes that make up ``fan_out``.
    """

    _scale, _mode, _distribution = 1.0, "fan_avg", "truncated_normal"


class HeUniform(_FixedVarianceScaling):
    """He uniform: ``[-limit, limit)`` with ``limit = sqrt(6 / fan_in)``.

    Args:
        seed: an int for the same values on every call, None for fresh values
            from the global stream, or a ``SeedGenerator``.
        input_axes: optional axes that make up ``fan_in``.
        output_axes: optional axes that make up ``fan_out``.
    """

    _scale, _mode, _distribution = 2.0, "fan_in", "uniform"


class HeNormal(_FixedVarianceScaling):
    """He normal: truncated normal with stddev ``sqrt(2 / fan_in)``.

    Args:
        seed: an int for the same values on every call, None for fresh values
            from the global stream, or a ``SeedGenerator``.
        input_axes: optional axes that make up ``fan_in``.
        output_axes: optional axes that make up ``fan_out``.
    """

    _scale, _mode, _distribution = 2.0, "fan_in", "truncated_normal"


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: ``[-limit, limit)`` with ``limit = sqrt(3 / fan_in)``.

    Args:
        seed: an int for the same values on every call, None for fresh values
            from the global stream, or a ``SeedGenerator``.
        input_axes: optional axes that make up ``fan_in``.
        output_axes: optional axes that make up ``fan_out``.
    """

    _scale, _mode, _distribution = 1.0, "fan_in", "uniform"


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated normal with stddev ``sqrt(1 / fan_in)`` (pairs with selu).

    Args:
        seed: an int for the same values on every call, None for fresh values
            from the global stream, or a ``SeedGenerator``.
        input_axes: optional axes that make up ``fan_in``.
        output_axes: optional axes that make up ``fan_out``.
    """

    _scale, _mode, _distribution = 1.0, "fan_in", "truncated_normal"


class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix times ``gain``, from the QR decomposition of a normal draw.

    For shapes of rank above 2, a ``(prod(shape[:-1]), shape[-1])`` matrix is
    made and reshaped. With fewer rows than columns the rows are orthonormal,
    otherwise the columns are.

    Args:
        gain: multiplicative factor applied to the matrix.
        seed: an int for the same values on every call, None for fresh values
            from the global stream, or a ``SeedGenerator``.

    Example:

    >>> q = Orthogonal(seed=0)((4, 4))
    >>> bool(jnp.allclose(q.T @ q, jnp.eye(4), atol=1e-5))
    True
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape, dtype = _standardize_shape(self, shape), self._float_dtype(dtype)
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal: the weight must be at least 2-D; received shape={shape} of rank {len(shape)}. "
                "Use RandomNormal or GlorotUniform for vectors."
            )
        num_rows, num_cols = math.prod(shape[:-1]), shape[-1]
        # QR in float64 on the host: orthogonality to float32 precision even for large matrices.
        a = self._rng().standard_normal((max(num_rows, num_cols), min(num_rows, num_cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))  # a unique Q, so the distribution is uniform (Haar)
        if num_rows < num_cols:
            q = q.T
        return jnp.asarray(self.gain * q.reshape(shape), dtype=dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "gain": self.gain}


# Keras exports every initializer under a snake_case name too; they are the classes.
constant = Constant
zeros = Zeros
ones = Ones
identity = Identity
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_uniform = HeUniform
he_normal = HeNormal
lecun_uniform = LecunUniform
lecun_normal = LecunNormal
orthogonal = Orthogonal
stft = STFT
# Keras 3 exports these compatibility names as the same classes.
IdentityInitializer = Identity
OrthogonalInitializer = Orthogonal
STFTInitializer = STFT

_CLASSES = (
    Constant, Zeros, Ones, Identity, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
    GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal, STFT,
)  # fmt: skip
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
# Names Keras 3 also resolves: Keras-2 spellings and compatibility class names.
_BY_NAME.update(
    {
        "uniform": RandomUniform,
        "normal": RandomNormal,
        "one": Ones,
        "zero": Zeros,
        "IdentityInitializer": Identity,
        "OrthogonalInitializer": Orthogonal,
        "STFTInitializer": STFT,
    }
)


_FAMILY = ClassFamily("initializer", "loom.initializers", "loom.initializers.Initializer", _BY_NAME)
_lookup = _FAMILY.lookup


def serialize(initializer) -> dict | None:
    """The initializer's config as a dict: ``module``, ``class_name``, ``config``, ``registered_name``.

    Args:
        initializer: an ``Initializer`` (or any object with ``get_config``), or None.

    Returns:
        A JSON-serializable dict that ``deserialize`` turns back into an equal
        initializer; None for None.
    """
    return _FAMILY.serialize(initializer)


def deserialize(config, custom_objects: dict | None = None) -> Initializer:
    """Builds an initializer from ``serialize``'s dict (or from a name).

    Args:
        config: a dict with ``class_name`` and ``config`` (Keras's files work
            too), or a name such as "glorot_uniform".
        custom_objects: ``{name: class}`` for initializers loom does not define.

    Returns:
        A new initializer.
    """
    return _FAMILY.deserialize(config, custom_objects)


def _array_initializer(array):
    """An initializer returning ``array`` (Keras's ``get(array)``), checking the weight's shape."""

    def initialize(shape, dtype=None):
        if tuple(shape) != tuple(array.shape):
            raise ValueError(
                f"The array given as initializer has shape {tuple(array.shape)}; the weight needs shape "
                f"{tuple(shape)}. Pass an array of the weight's shape."
            )
        return jnp.asarray(array, dtype=standardize_dtype(dtype))

    return initialize


def get(identifier: InitializerLike) -> Any:
    """Resolves an initializer from a name, config dict, class, array or callable.

    Args:
        identifier: None (returns None); a name ("glorot_uniform",
            "GlorotUniform", "uniform", ...); a ``serialize`` dict; an
            ``Initializer`` class (instantiated with defaults); an array
            (returned as is when the weight has its shape); or any callable
            ``(shape, dtype=None)``, returned unchanged.

    Returns:
        A callable ``(shape, dtype=None) -> array``, or None.

    Example:

    >>> get("glorot_uniform")
    GlorotUniform(seed=None, input_axes=None, output_axes=None)
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, (np.ndarray, np.generic, jax.Array)):
        return _array_initializer(identifier)
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret initializer identifier: {identifier!r}. Pass a name such as "
        "'glorot_uniform', an Initializer, a config dict, or a callable (shape, dtype=None)."
    )
