import io

import numpy as np
import pytest

from loom.utils import array_to_img, img_to_array, load_img, save_img

Image = pytest.importorskip("PIL.Image")


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("scale", [True, False])
def test_array_to_img_and_back_match_keras(channels, scale, keras, rng):
    array = rng.random((5, 7, channels)).astype("float32") * (1.0 if scale else 255.0)
    ours, theirs = array_to_img(array, scale=scale), keras.utils.array_to_img(array, scale=scale)
    assert ours.mode == theirs.mode and ours.size == theirs.size == (7, 5)
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    for data_format in ("channels_last", "channels_first"):
        back = img_to_array(ours, data_format=data_format)
        np.testing.assert_array_equal(back, keras.utils.img_to_array(theirs, data_format=data_format))
        assert back.dtype == np.float32


def test_channels_first_and_32_bit_grayscale(keras, rng):
    array = rng.random((3, 4, 6)).astype("float32")
    np.testing.assert_array_equal(
        np.asarray(array_to_img(array, data_format="channels_first")),
        np.asarray(keras.utils.array_to_img(array, data_format="channels_first")),
    )
    assert array_to_img(np.full((2, 2, 1), 1000.0), scale=False).mode == "I"


@pytest.mark.parametrize("kwargs", [
    {}, dict(color_mode="grayscale"), dict(color_mode="rgba"), dict(target_size=(6, 4)),
    dict(target_size=(3, 9), interpolation="bilinear"),
    dict(target_size=(4, 4), keep_aspect_ratio=True, interpolation="bicubic"),
], ids=str)  # fmt: skip
def test_load_img_matches_keras(kwargs, keras, rng, tmp_path):
    path = tmp_path / "image.png"
    Image.fromarray(rng.integers(0, 256, (8, 10, 3), dtype=np.uint8), "RGB").save(path)
    ours, theirs = load_img(path, **kwargs), keras.utils.load_img(str(path), **kwargs)
    assert ours.mode == theirs.mode and ours.size == theirs.size
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


def test_load_img_reads_bytes_io_and_rejects_other_objects(rng):
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (3, 3), dtype=np.uint8), "L").save(buffer, format="png")
    buffer.seek(0)
    assert load_img(buffer, color_mode="grayscale").mode == "L"
    with pytest.raises(TypeError, match="path should be path-like or io.BytesIO, not <class 'int'>"):
        load_img(3)


@pytest.mark.parametrize("kwargs, match", [
    (dict(color_mode="cmyk"), 'color_mode must be "grayscale", "rgb", or "rgba"'),
    (dict(target_size=(2, 2), interpolation="cubic"), "Invalid interpolation method cubic"),
])  # fmt: skip
def test_load_img_argument_errors(kwargs, match, rng, tmp_path):
    path = tmp_path / "i.png"
    Image.fromarray(rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)).save(path)
    with pytest.raises(ValueError, match=match):
        load_img(path, **kwargs)


def test_save_img_round_trip_and_jpeg_of_rgba(rng, tmp_path):
    array = rng.integers(0, 256, (6, 5, 3)).astype("float32")
    save_img(tmp_path / "a.png", array, scale=False)
    np.testing.assert_array_equal(img_to_array(load_img(tmp_path / "a.png")), array)
    with pytest.warns(UserWarning, match="JPEG format does not support RGBA"):
        save_img(tmp_path / "b.jpg", rng.random((4, 4, 4)))
    assert load_img(tmp_path / "b.jpg").size == (4, 4)


def test_array_to_img_errors():
    with pytest.raises(ValueError, match="Expected image array to have rank 3"):
        array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="Unsupported channel number: 2"):
        array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="`data_format` must be one of"):
        img_to_array(np.zeros((2, 2, 3)), data_format="NHWC")


def test_missing_pillow_says_how_to_install_it(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r'pip install "loom\[image\]"'):
        array_to_img(np.zeros((2, 2, 3)))


def test_data_format_none_follows_loom_config(rng):
    import loom

    img = array_to_img(rng.random((4, 5, 3)))
    loom.config.set_image_data_format("channels_first")
    try:
        assert img_to_array(img).shape == (3, 4, 5)
    finally:
        loom.config.set_image_data_format("channels_last")
    assert img_to_array(img).shape == (4, 5, 3)
