"""STFTSpectrogram and MelSpectrogram: parity with Keras 3 and NumPy's FFT, shapes, training, configs, errors."""

import keras
import numpy as np
import pytest

import loom
from loom import layers as L
from loom.layers.mel_spectrogram import linear_to_mel_weight_matrix

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

RNG = np.random.default_rng(0)
SIGNALS = RNG.normal(size=(2, 200, 3)).astype("float32")  # (batch, time, channels)
AUDIO = RNG.normal(size=(2, 4000)).astype("float32")


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"mode": "magnitude", "padding": "same"},
        {"mode": "psd", "scaling": "spectrum"},
        {"mode": "stft", "expand_dims": True},
        {"mode": "real", "window": "hamming", "periodic": True, "frame_step": 7},
        {"mode": "imag", "expand_dims": True, "data_format": "channels_first", "window": None},
        {"mode": "log", "data_format": "channels_first", "fft_length": 64},
    ],
)
def test_stft_spectrogram_matches_keras(options):
    x = np.swapaxes(SIGNALS, 1, 2).copy() if options.get("data_format") == "channels_first" else SIGNALS
    expected = np.asarray(keras.layers.STFTSpectrogram(frame_length=32, **options)(x))
    ours = L.STFTSpectrogram(frame_length=32, **options)
    np.testing.assert_allclose(np.asarray(ours(x)), expected, rtol=1e-4, atol=1e-4)
    assert ours(loom.Input(x.shape[1:])).shape == (None,) + expected.shape[1:]


def test_stft_spectrogram_angle_matches_keras_up_to_the_branch_cut():
    expected = np.asarray(keras.layers.STFTSpectrogram(mode="angle", frame_length=32)(SIGNALS))
    ours = np.asarray(L.STFTSpectrogram(mode="angle", frame_length=32)(SIGNALS))
    np.testing.assert_allclose(np.angle(np.exp(1j * (ours - expected))), 0.0, atol=1e-3)  # -pi and pi agree


def test_stft_spectrogram_equals_numpy_rfft_of_windowed_frames():
    layer = L.STFTSpectrogram(mode="stft", frame_length=16, frame_step=8, window=None, scaling=None)
    out = np.asarray(layer(SIGNALS[:, :, :1]))  # (batch, frames, 2 * 9)
    frames = np.stack([SIGNALS[:, t : t + 16, 0] for t in range(0, 200 - 16 + 1, 8)], axis=1)
    spectrum = np.fft.rfft(frames, axis=-1)
    np.testing.assert_allclose(out[..., :9], spectrum.real, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out[..., 9:], spectrum.imag, rtol=1e-4, atol=1e-4)


def test_stft_spectrogram_kernels_are_trainable_weights_and_survive_save_load(tmp_path):
    inputs = loom.Input((200, 1))
    spectra = L.STFTSpectrogram(mode="magnitude", frame_length=16, frame_step=16)(inputs)
    model = loom.Model(inputs, L.Dense(1)(L.Flatten()(spectra)))
    assert [w.name for w in model.layers[1].trainable_weights] == ["real_kernel", "imag_kernel"]
    before = model.layers[1].get_weights()[0].copy()
    model.compile(loom.optimizers.Adam(0.01), "mse")
    model.fit(SIGNALS[:, :, :1], np.ones((2, 1), "float32"), epochs=2, verbose=0)
    assert not np.allclose(model.layers[1].get_weights()[0], before)
    model.save(tmp_path / "stft.keras")
    restored = loom.models.load_model(tmp_path / "stft.keras")
    x = SIGNALS[:, :, :1]
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_stft_spectrogram_config_and_errors():
    layer = L.STFTSpectrogram(mode="psd", frame_length=20, frame_step=5, window="hamming", expand_dims=True)
    config = layer.get_config()
    assert L.STFTSpectrogram.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="`mode` must be one of"):
        L.STFTSpectrogram(mode="power")
    with pytest.raises(ValueError, match="`frame_step` must be a positive int no larger than frame_length=8"):
        L.STFTSpectrogram(frame_length=8, frame_step=9)
    with pytest.raises(ValueError, match="`fft_length` must be an int >= frame_length=8"):
        L.STFTSpectrogram(frame_length=8, fft_length=4)
    with pytest.raises(ValueError, match="unknown window 'square'"):
        L.STFTSpectrogram(window="square")
    with pytest.warns(UserWarning, match="`fft_length` is best a power of two"):
        L.STFTSpectrogram(frame_length=8, fft_length=12)
    with pytest.raises(TypeError, match="needs float16, float32 or float64 signals"):
        L.STFTSpectrogram(frame_length=8)(np.ones((1, 16, 1), "int32"))


@pytest.mark.parametrize(
    "options",
    [
        {},
        pytest.param(
            {"fft_length": 512, "sequence_stride": 128, "num_mel_bins": 40, "power_to_db": False},
            marks=pytest.mark.slow,
        ),
        {
            "fft_length": 256,
            "sequence_length": 200,
            "window": "hamming",
            "mag_exp": 1.0,
            "ref_power": 2.0,
            "top_db": 20.0,
            "min_freq": 100.0,
            "max_freq": 6000,
        },
    ],
)
def test_mel_spectrogram_matches_keras(options):
    expected = np.asarray(keras.layers.MelSpectrogram(**options)(AUDIO))
    ours = L.MelSpectrogram(**options)
    np.testing.assert_allclose(np.asarray(ours(AUDIO)), expected, rtol=1e-4, atol=2e-3)
    assert ours(loom.Input((4000,))).shape == (None,) + expected.shape[1:]


def test_mel_filters_are_htk_triangles_peaking_at_one():
    weights = linear_to_mel_weight_matrix(10, 257, 16000, 20.0, 8000.0)
    assert weights.shape == (257, 10) and np.all(weights[0] == 0)  # no weight on DC
    assert np.all(weights >= 0) and np.all(weights.max(axis=0) <= 1.0) and np.all(weights.max(axis=0) > 0.8)
    peaks = np.argmax(weights, axis=0)
    assert np.all(np.diff(peaks) > 0)  # filters climb in frequency
    mel = lambda f: 1127.0 * np.log(1 + f / 700.0)
    centers_hz = 700.0 * (np.exp(np.linspace(mel(20.0), mel(8000.0), 12)[1:-1] / 1127.0) - 1)
    np.testing.assert_allclose(peaks * 8000.0 / 256, centers_hz, atol=8000.0 / 256)


def test_mel_spectrogram_of_a_tone_peaks_at_its_frequency_and_takes_one_signal():
    t = np.arange(16000) / 16000.0
    tone = np.sin(2 * np.pi * 1000.0 * t).astype("float32")
    layer = L.MelSpectrogram(num_mel_bins=64, power_to_db=False)
    single = np.asarray(layer(tone))  # (mels, frames)
    assert single.shape == (64, 1 + 16000 // 512)
    filters = linear_to_mel_weight_matrix(64, 1025, 16000, 20.0, 8000)
    assert np.argmax(single[:, 10]) == np.argmax(filters[round(1000.0 * 2048 / 16000)])
    np.testing.assert_allclose(np.asarray(layer(tone[None]))[0], single, rtol=1e-5)


def test_mel_spectrogram_config_and_errors(tmp_path):
    layer = L.MelSpectrogram(fft_length=256, sequence_stride=64, num_mel_bins=20, top_db=60.0)
    config = layer.get_config()
    assert L.MelSpectrogram.from_config(config).get_config() == config
    inputs = loom.Input((1000,))
    model = loom.Model(inputs, layer(inputs))
    model.save(tmp_path / "mel.keras")
    restored = loom.models.load_model(tmp_path / "mel.keras")
    np.testing.assert_array_equal(
        restored.predict(AUDIO[:, :1000], verbose=0), model.predict(AUDIO[:, :1000], verbose=0)
    )
    with pytest.raises(ValueError, match="`fft_length` must be >= `sequence_length`"):
        L.MelSpectrogram(fft_length=256, sequence_length=512)
    with pytest.raises(ValueError, match="min_freq < max_freq"):
        L.MelSpectrogram(min_freq=9000.0)
    with pytest.raises(ValueError, match="`num_mel_bins` must be a positive int"):
        L.MelSpectrogram(num_mel_bins=0)
