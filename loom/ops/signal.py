"""Short-time Fourier transforms: ``stft`` and its inverse ``istft``, with Keras's window and centring rules.

Frames are ``fft_length`` long and start every ``sequence_stride`` samples; the
``sequence_length``-long window sits centred in each frame (zeros around it).
With ``center=True`` the signal is first reflect-padded by ``fft_length // 2``
on both sides, so frame ``t`` is centred on sample ``t * sequence_stride``.
Complex values travel as ``(real, imag)`` pairs, as in Keras.
"""

import jax.numpy as jnp
import numpy as np

from loom.ops.core import convert_to_tensor
from loom.ops.math import _complex_from_pair
from loom.ops.operation import symbolic_op

_WINDOWS = ("hann", "hamming")


def _window(window, sequence_length: int, fft_length: int, dtype, op: str):
    """The analysis window, zero-padded to ``fft_length`` and centred."""
    if window is None:
        return jnp.ones((fft_length,), dtype)  # rectangular over the whole frame, as Keras
    if isinstance(window, str):
        if window not in _WINDOWS:
            raise ValueError(
                f"ops.{op}: a string `window` must be 'hann' or 'hamming' (or pass the window values, or None); "
                f"received window={window!r}."
            )
        # Periodic (not symmetric) windows, as scipy.signal.get_window's default, so hops sum evenly.
        phase = 2 * np.pi * np.arange(sequence_length) / sequence_length
        a = 0.5 if window == "hann" else 0.54
        values = jnp.asarray(a - (1 - a) * np.cos(phase), dtype)
    else:
        values = convert_to_tensor(window).astype(dtype)
        if values.shape != (sequence_length,):
            raise ValueError(
                f"ops.{op}: `window` must have shape ({sequence_length},), one value per sample of a sequence; "
                f"received shape {tuple(values.shape)}."
            )
    left = (fft_length - sequence_length) // 2
    return jnp.pad(values, (left, fft_length - sequence_length - left))


def _check_lengths(sequence_length, sequence_stride, fft_length, op: str) -> None:
    for name, value in (
        ("sequence_length", sequence_length),
        ("sequence_stride", sequence_stride),
        ("fft_length", fft_length),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"ops.{op}: `{name}` must be a positive int; received {name}={value!r}.")
    if fft_length < sequence_length:
        raise ValueError(
            f"ops.{op}: `fft_length` must be >= `sequence_length`; received fft_length={fft_length} and "
            f"sequence_length={sequence_length}."
        )


def _frame_starts(num_frames: int, stride: int, fft_length: int):
    return np.arange(num_frames)[:, None] * stride + np.arange(fft_length)[None, :]  # (frames, fft_length)


@symbolic_op
def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """The short-time Fourier transform of real signals along the last axis.

    Args:
        x: float32 or float64 signals, shape ``(..., samples)``.
        sequence_length: the window length.
        sequence_stride: the hop between frames.
        fft_length: the frame (FFT) length, >= ``sequence_length``.
        window: "hann" (default), "hamming", ``sequence_length`` values, or None
            (rectangular over the whole ``fft_length`` frame).
        center: reflect-pad by ``fft_length // 2`` so frames centre on multiples of the hop.

    Returns:
        ``(real, imag)``, each ``(..., frames, fft_length // 2 + 1)``.
    """
    _check_lengths(sequence_length, sequence_stride, fft_length, "stft")
    x = convert_to_tensor(x)
    if x.dtype not in (jnp.float32, jnp.float64):
        raise TypeError(f"ops.stft needs float32 or float64 signals; received dtype {x.dtype}. Cast first.")
    if center:
        x = jnp.pad(x, [(0, 0)] * (x.ndim - 1) + [(fft_length // 2, fft_length // 2)], mode="reflect")
    num_frames = (x.shape[-1] - fft_length) // sequence_stride + 1
    if num_frames < 1:
        raise ValueError(
            f"ops.stft: a signal of {x.shape[-1]} samples (after centring) is shorter than one frame of "
            f"fft_length={fft_length}; use a shorter fft_length or center=True."
        )
    frames = x[..., _frame_starts(num_frames, sequence_stride, fft_length)]  # (..., frames, fft_length)
    spectrum = jnp.fft.rfft(frames * _window(window, sequence_length, fft_length, x.dtype, "stft"), axis=-1)
    return jnp.real(spectrum), jnp.imag(spectrum)


def _overlap_add(frames, stride: int):
    """Frames ``(..., F, L)`` summed at offsets ``0, stride, 2 stride, ...``: ``(..., L + (F - 1) stride)``."""
    num_frames, length = frames.shape[-2:]
    out = jnp.zeros(frames.shape[:-2] + (length + (num_frames - 1) * stride,), frames.dtype)
    return out.at[..., _frame_starts(num_frames, stride, length)].add(frames)


@symbolic_op
def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    """The inverse of ``stft``: signals rebuilt by windowed overlap-add.

    Args:
        x: ``(real, imag)``, each ``(..., frames, fft_length // 2 + 1)``.
        sequence_length, sequence_stride, fft_length, window, center: as given to ``stft``.
        length: the number of samples to return; None returns all that the frames cover.

    Returns:
        Signals of shape ``(..., samples)``.
    """
    _check_lengths(sequence_length, sequence_stride, fft_length, "istft")
    spectrum = _complex_from_pair("istft", x)
    if spectrum.ndim < 2:
        raise ValueError(f"ops.istft needs (..., frames, bins) spectra; received shape {tuple(spectrum.shape)}.")
    dtype = jnp.real(spectrum).dtype
    win = _window(window, sequence_length, fft_length, dtype, "istft")
    frames = jnp.fft.irfft(spectrum, n=fft_length, axis=-1)
    signal = _overlap_add(frames * win, sequence_stride)
    norm = _overlap_add(jnp.broadcast_to(win * win, frames.shape[-2:]), sequence_stride)
    signal = signal / jnp.where(norm > 1e-10, norm, 1.0)
    if window is None:
        # Keras rescales a rectangular window's result by fft_length / stride.
        signal = signal * (fft_length / sequence_stride)
    start = fft_length // 2 if center else 0
    if length is not None:
        return signal[..., start : start + length]
    return signal[..., start : signal.shape[-1] - (fft_length // 2 if center else 0)]
