"""stft / istft against keras.ops and against a numpy short-time Fourier transform."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import loom
from loom import ops

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

rng = np.random.default_rng(4)
SIGNAL = rng.standard_normal((2, 50)).astype("float32")
SETTINGS = [
    ((16, 4, 16), {}),
    ((10, 3, 16), {"window": "hamming"}),
    ((10, 5, 16), {"window": None, "center": False}),
    ((10, 5, 16), {"window": None}),
    ((8, 4, 8), {"window": rng.uniform(0.5, 1, 8).astype("float32"), "center": False}),
]
IDS = ["hann", "hamming-padded-window", "rectangular-uncentred", "rectangular", "custom-window"]


def close(actual, expected, atol=1e-5):
    for a, e in zip(jax.tree_util.tree_leaves(actual), jax.tree_util.tree_leaves(expected)):
        assert np.shape(a) == np.shape(e)
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=1e-5, atol=atol)


@pytest.mark.parametrize("args, kwargs", SETTINGS, ids=IDS)
def test_stft_matches_keras(args, kwargs):
    close(ops.stft(SIGNAL, *args, **kwargs), keras.ops.stft(SIGNAL, *args, **kwargs))


@pytest.mark.parametrize("args, kwargs", SETTINGS, ids=IDS)
@pytest.mark.parametrize("length", [None, pytest.param(40, marks=pytest.mark.slow)])
def test_istft_matches_keras(args, kwargs, length):
    spectrum = keras.ops.stft(SIGNAL, *args, **kwargs)
    close(
        ops.istft(spectrum, *args, length=length, **kwargs), keras.ops.istft(spectrum, *args, length=length, **kwargs)
    )


def test_stft_equals_numpy_rfft_of_centred_hann_frames():
    length, stride, fft_length = 10, 3, 16
    padded = np.pad(SIGNAL, ((0, 0), (8, 8)), mode="reflect")
    window = np.zeros(fft_length)
    window[3:13] = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(length) / length)
    starts = range(0, padded.shape[1] - fft_length + 1, stride)
    expected = np.stack([np.fft.rfft(padded[:, s : s + fft_length] * window) for s in starts], axis=1)
    real, imag = ops.stft(SIGNAL, length, stride, fft_length)
    close((real, imag), (expected.real.astype("float32"), expected.imag.astype("float32")), atol=1e-4)


def test_istft_inverts_stft():
    spectrum = ops.stft(SIGNAL, 16, 4, 16)
    close(ops.istft(spectrum, 16, 4, 16, length=50), SIGNAL, atol=1e-5)


def test_stft_gradient_and_jit():
    def energy(x):
        real, imag = ops.stft(x, 16, 4, 16)
        return jnp.sum(real**2 + imag**2)

    def keras_energy(x):
        real, imag = keras.ops.stft(x, 16, 4, 16)
        return jnp.sum(real**2 + imag**2)

    close(jax.grad(energy)(SIGNAL), jax.grad(keras_energy)(SIGNAL), atol=1e-3)
    close(jax.jit(lambda x: ops.stft(x, 16, 4, 16))(SIGNAL), ops.stft(SIGNAL, 16, 4, 16))


def test_stft_and_istft_in_a_functional_model():
    inputs = loom.Input((50,))
    real, imag = ops.stft(inputs, 16, 4, 16)
    assert real.shape == (None, 13, 9) and imag.shape == (None, 13, 9)
    rebuilt = ops.istft((real, imag), 16, 4, 16, length=50)
    assert rebuilt.shape == (None, 50)
    model = loom.Model(inputs, rebuilt)
    close(model.predict(SIGNAL, verbose=0), SIGNAL, atol=1e-5)


def test_signal_ops_reject_bad_arguments_in_words():
    with pytest.raises(ValueError, match="`fft_length` must be >= `sequence_length`"):
        ops.stft(SIGNAL, 16, 4, 8)
    with pytest.raises(ValueError, match="'hann' or 'hamming'"):
        ops.stft(SIGNAL, 16, 4, 16, window="blackman")
    with pytest.raises(ValueError, match=r"shape \(16,\)"):
        ops.stft(SIGNAL, 16, 4, 16, window=np.ones(8, "float32"))
    with pytest.raises(TypeError, match="float32 or float64"):
        ops.stft(SIGNAL.astype("int32"), 16, 4, 16)
    with pytest.raises(ValueError, match="positive int"):
        ops.istft(ops.stft(SIGNAL, 16, 4, 16), 16, 0, 16)
