"""STFTSpectrogram: short-time Fourier spectrograms of multi-channel signals, as a trainable convolution."""

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from loom import initializers
from loom.layers.convolutional import arguments
from loom.layers.input_spec import InputSpec
from loom.layers.layer import Layer

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")
_EPSILON = 1e-7  # Keras's backend.epsilon(): the floor under magnitudes before sqrt and log


def _positive_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0


class STFTSpectrogram(Layer):
    """Spectrograms of ``(batch, time, channels)`` signals, computed by convolving with Fourier kernels.

    Each channel is cut into frames of ``frame_length`` samples every
    ``frame_step`` samples; each frame is windowed and Fourier-transformed to
    ``fft_length // 2 + 1`` frequencies. The transform is two convolution
    kernels of shape ``(frame_length, 1, fft_length // 2 + 1)``,
    ``real_kernel`` and ``imag_kernel`` (initialized by
    ``initializers.STFT``), which are trainable weights, as in Keras.

    Args:
        mode: what to return: "log" (log magnitude, default), "magnitude",
            "psd" (one-sided power spectral density), "real", "imag",
            "angle" (phase), or "stft" (real and imaginary parts, concatenated
            along the frequencies).
        frame_length: samples per frame (the window length).
        frame_step: samples between frames; default ``frame_length // 2``.
        fft_length: FFT size, >= ``frame_length``; default the next power of two.
        window: a ``scipy.signal.windows`` name, the window's values, or None.
        periodic: whether a named window is periodic rather than symmetric.
        scaling: "density", "spectrum" or None (see ``initializers.STFT``).
        padding: "valid" (only whole frames) or "same" (zero-pad the ends).
        expand_dims: keep channels and frequencies on separate axes.
        data_format: "channels_last" ``(batch, time, channels)`` or
            "channels_first" ``(batch, channels, time)``; None uses the configured default.

    Output shape: channels_last ``(batch, frames, channels * freqs)``, or
    ``(batch, frames, freqs, channels)`` with ``expand_dims``; channels_first
    ``(batch, channels * freqs, frames)``, or ``(batch, channels, frames, freqs)``.

    Example:
        >>> STFTSpectrogram(frame_length=64)(np.zeros((2, 1024, 1), "float32")).shape
        (2, 31, 33)
    """

    def __init__(
        self,
        mode="log",
        frame_length=256,
        frame_step=None,
        fft_length=None,
        window="hann",
        periodic=False,
        scaling="density",
        padding="valid",
        expand_dims=False,
        data_format=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if mode not in _MODES:
            raise ValueError(f"{self.describe()}: `mode` must be one of {_MODES}; received mode={mode!r}.")
        if not _positive_int(frame_length):
            raise ValueError(
                f"{self.describe()}: `frame_length` must be a positive int; received frame_length={frame_length!r}."
            )
        if frame_step is not None and (not _positive_int(frame_step) or frame_step > frame_length):
            raise ValueError(
                f"{self.describe()}: `frame_step` must be a positive int no larger than frame_length="
                f"{frame_length}; received frame_step={frame_step!r}."
            )
        if fft_length is not None and (not _positive_int(fft_length) or fft_length < frame_length):
            raise ValueError(
                f"{self.describe()}: `fft_length` must be an int >= frame_length={frame_length}; "
                f"received fft_length={fft_length!r}."
            )
        if fft_length is not None and fft_length & (fft_length - 1):
            warnings.warn(
                f"{self.describe()}: `fft_length` is best a power of two (the FFT is fastest there); "
                f"received fft_length={fft_length}.",
                stacklevel=2,
            )
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(
                f"{self.describe()}: `scaling` must be None, 'density' or 'spectrum'; received scaling={scaling!r}."
            )
        self.mode = mode
        self.frame_length = int(frame_length)
        self.frame_step = frame_step
        self.fft_length = fft_length
        self.window = window
        self.periodic = bool(periodic)
        self.scaling = scaling
        self.padding = arguments.padding(self, padding)
        self.expand_dims = bool(expand_dims)
        self.data_format = arguments.data_format(self, data_format)
        self._frame_step = int(frame_step) if frame_step is not None else self.frame_length // 2
        self._fft_length = int(fft_length) if fft_length is not None else 2 ** math.ceil(math.log2(frame_length))
        initializers.STFT("real", window, scaling, periodic)  # an unknown window name fails now
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        self.real_kernel = self.imag_kernel = None
        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                name="real_kernel",
                shape=shape,
                initializer=initializers.STFT("real", self.window, self.scaling, self.periodic),
            )
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                name="imag_kernel",
                shape=shape,
                initializer=initializers.STFT("imag", self.window, self.scaling, self.periodic),
            )

    def _transform(self, inputs, kernel):
        """``(batch, channels, freqs, frames)``: one kernel convolved over every channel alone."""
        if self.data_format == "channels_last":
            inputs = jnp.swapaxes(inputs, 1, 2)  # (B, C, T)
        batch, channels, steps = inputs.shape
        signals = jnp.reshape(inputs, (batch * channels, steps, 1))
        outputs = jax.lax.conv_general_dilated(
            signals,
            kernel.value.astype(inputs.dtype),
            window_strides=(self._frame_step,),
            padding=self.padding.upper(),
            dimension_numbers=("NWC", "WIO", "NWC"),
        )  # (B * C, frames, freqs)
        return jnp.swapaxes(jnp.reshape(outputs, (batch, channels) + outputs.shape[1:]), 2, 3)

    def _layout(self, outputs):
        """``(batch, channels, freqs, frames)`` in the layout ``data_format`` and ``expand_dims`` ask for."""
        batch, channels, freqs, frames = outputs.shape
        if self.expand_dims:
            return jnp.transpose(outputs, (0, 3, 2, 1) if self.data_format == "channels_last" else (0, 1, 3, 2))
        outputs = jnp.reshape(outputs, (batch, channels * freqs, frames))  # channel-major, as Keras
        return jnp.swapaxes(outputs, 1, 2) if self.data_format == "channels_last" else outputs

    def call(self, inputs):
        if inputs.dtype not in (jnp.float16, jnp.float32, jnp.float64):
            raise TypeError(
                f"{self.describe()} needs float16, float32 or float64 signals; received dtype {inputs.dtype}. "
                "Cast first."
            )
        real = self._transform(inputs, self.real_kernel) if self.real_kernel is not None else None
        imag = self._transform(inputs, self.imag_kernel) if self.imag_kernel is not None else None
        if self.mode == "real":
            return self._layout(real)
        if self.mode == "imag":
            return self._layout(imag)
        if self.mode == "angle":
            return self._layout(jnp.arctan2(imag, real))
        if self.mode == "stft":
            return self._layout(jnp.concatenate([real, imag], axis=2))
        power = jnp.square(real) + jnp.square(imag)
        if self.mode == "psd":
            # One-sided density: every frequency but DC and Nyquist also stands for its negative twin.
            return self._layout(power + jnp.pad(power[:, :, 1:-1, :], [(0, 0), (0, 0), (1, 1), (0, 0)]))
        epsilon = jnp.asarray(_EPSILON, power.dtype)
        magnitude = self._layout(jnp.sqrt(jnp.maximum(power, epsilon)))
        return magnitude if self.mode == "magnitude" else jnp.log(jnp.maximum(magnitude, epsilon))

    def get_config(self) -> dict:
        window = np.asarray(self.window).tolist() if hasattr(self.window, "shape") else self.window
        return {
            **super().get_config(),
            "mode": self.mode,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "fft_length": self.fft_length,
            "window": window,
            "periodic": self.periodic,
            "scaling": self.scaling,
            "padding": self.padding,
            "data_format": self.data_format,
            "expand_dims": self.expand_dims,
        }
