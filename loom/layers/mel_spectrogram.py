"""MelSpectrogram: audio signals to (decibel) power on the mel frequency scale."""

import jax.numpy as jnp
import numpy as np

from loom.layers.layer import Layer
from loom.ops.signal import stft

# The HTK mel scale: mel(f) = 1127 * ln(1 + f / 700).
_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(frequencies):
    return _MEL_HIGH_FREQUENCY_Q * np.log(1.0 + frequencies / _MEL_BREAK_FREQUENCY_HERTZ)


def linear_to_mel_weight_matrix(num_mel_bins, num_spectrogram_bins, sampling_rate, lower_edge_hertz, upper_edge_hertz):
    """``(num_spectrogram_bins, num_mel_bins)`` triangular filters (peak 1) from linear to mel frequencies.

    Filter ``m`` rises from mel edge ``m`` to ``m + 1`` and falls to ``m + 2``, the
    ``num_mel_bins + 2`` edges evenly spaced in mels between the two edge
    frequencies. The DC bin gets no weight.
    """
    frequencies = np.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins)[1:]
    bins_mel = _hertz_to_mel(frequencies)[:, None]  # (bins - 1, 1)
    edges = np.linspace(_hertz_to_mel(lower_edge_hertz), _hertz_to_mel(upper_edge_hertz), num_mel_bins + 2)
    lower, center, upper = edges[None, :-2], edges[None, 1:-1], edges[None, 2:]  # each (1, mels)
    rising = (bins_mel - lower) / (center - lower)
    falling = (upper - bins_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.pad(weights, [(1, 0), (0, 0)]).astype("float32")


def _positive_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0


class MelSpectrogram(Layer):
    """Mel spectrograms of ``(batch, samples)`` audio (or one ``(samples,)`` signal).

    Each signal is framed (centred, reflect-padded), windowed and
    Fourier-transformed; magnitudes are raised to ``mag_exp``, mapped onto
    ``num_mel_bins`` triangular mel filters, and (with ``power_to_db``) turned
    into decibels relative to ``ref_power``, floored at ``top_db`` below the
    maximum. As Keras, that maximum is taken over the whole batch.

    Args:
        fft_length: FFT size.
        sequence_stride: samples between frames.
        sequence_length: window length; default ``fft_length``.
        window: "hann", "hamming" or None.
        sampling_rate: samples per second of the input.
        num_mel_bins: number of mel filters.
        min_freq, max_freq: the filters' frequency range in Hz (default max: Nyquist).
        power_to_db: return decibels instead of power.
        top_db: dynamic range kept below the maximum, in dB.
        mag_exp: exponent of the magnitudes (2 for power).
        min_power: floor under the power before the logarithm.
        ref_power: the power that is 0 dB.

    Output shape: ``(batch, num_mel_bins, frames)`` with ``frames = 1 + samples // sequence_stride``.

    Example:
        >>> MelSpectrogram(num_mel_bins=40)(np.zeros((2, 16000), "float32")).shape
        (2, 40, 32)
    """

    def __init__(
        self,
        fft_length=2048,
        sequence_stride=512,
        sequence_length=None,
        window="hann",
        sampling_rate=16000,
        num_mel_bins=128,
        min_freq=20.0,
        max_freq=None,
        power_to_db=True,
        top_db=80.0,
        mag_exp=2.0,
        min_power=1e-10,
        ref_power=1.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (
            ("fft_length", fft_length),
            ("sequence_stride", sequence_stride),
            ("num_mel_bins", num_mel_bins),
        ):
            if not _positive_int(value):
                raise ValueError(f"{self.describe()}: `{name}` must be a positive int; received {name}={value!r}.")
        sequence_length = sequence_length or fft_length
        if not _positive_int(sequence_length) or fft_length < sequence_length:
            raise ValueError(
                f"{self.describe()}: `fft_length` must be >= `sequence_length`; received "
                f"sequence_length={sequence_length!r} and fft_length={fft_length}."
            )
        max_freq = max_freq or int(sampling_rate / 2)
        if not 0 <= min_freq < max_freq <= sampling_rate / 2:
            raise ValueError(
                f"{self.describe()}: need 0 <= min_freq < max_freq <= sampling_rate / 2 = {sampling_rate / 2}; "
                f"received min_freq={min_freq} and max_freq={max_freq}."
            )
        self.fft_length = int(fft_length)
        self.sequence_stride = int(sequence_stride)
        self.sequence_length = int(sequence_length)
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = int(num_mel_bins)
        self.min_freq = min_freq
        self.max_freq = max_freq
        self.power_to_db = bool(power_to_db)
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        self._mel_weights = linear_to_mel_weight_matrix(
            self.num_mel_bins, self.fft_length // 2 + 1, sampling_rate, min_freq, max_freq
        )

    def call(self, inputs):
        # The FFT runs in float32 or float64 only; half-precision inputs are computed in float32.
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") else "float32"
        real, imag = stft(
            inputs.astype(dtype),
            sequence_length=self.sequence_length,
            sequence_stride=self.sequence_stride,
            fft_length=self.fft_length,
            window=self.window,
            center=True,
        )
        spectrum = jnp.power(jnp.sqrt(jnp.square(real) + jnp.square(imag)), self.mag_exp)  # (..., frames, bins)
        mel = jnp.tensordot(spectrum, jnp.asarray(self._mel_weights, dtype), axes=1)  # (..., frames, mels)
        if self.power_to_db:
            mel = self._decibels(mel)
        return jnp.swapaxes(mel, -1, -2).astype(self.compute_dtype)

    def _decibels(self, power):
        floor = jnp.asarray(self.min_power, power.dtype)
        decibels = 10.0 * jnp.log10(jnp.maximum(power, floor))
        decibels = decibels - 10.0 * jnp.log10(jnp.maximum(jnp.abs(jnp.asarray(self.ref_power, power.dtype)), floor))
        return jnp.maximum(decibels, jnp.max(decibels) - self.top_db)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "fft_length": self.fft_length,
            "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length,
            "window": self.window,
            "sampling_rate": self.sampling_rate,
            "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq,
            "max_freq": self.max_freq,
            "power_to_db": self.power_to_db,
            "top_db": self.top_db,
            "mag_exp": self.mag_exp,
            "min_power": self.min_power,
            "ref_power": self.ref_power,
        }
