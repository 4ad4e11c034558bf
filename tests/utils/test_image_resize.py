import jax
import numpy as np
import pytest

from loom.utils.image_resize import INTERPOLATIONS, resize_image

# One shape that shrinks one axis and grows the other: each new shape costs jax a compile.
SHAPES = [((7, 5, 2), (4, 9))]


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_resize_equals_jax_image_resize_without_antialiasing(interpolation):
    rng = np.random.default_rng(0)
    for shape, size in SHAPES:
        image = (rng.random(shape) * 255).astype("float32")
        expected = np.asarray(jax.image.resize(image, size + shape[2:], interpolation, antialias=False))
        result = resize_image(image, size, interpolation)
        assert result.shape == expected.shape and result.dtype == np.float32
        np.testing.assert_allclose(result, expected, atol=2e-3)  # values 0..255


def test_crop_and_pad_to_aspect_ratio_keep_the_centre():
    image = np.arange(4 * 8, dtype="float32").reshape(4, 8, 1)
    cropped = resize_image(image, (2, 2), "nearest", crop_to_aspect_ratio=True)  # crop: all rows, columns 2-5
    np.testing.assert_array_equal(cropped[..., 0], image[[1, 3]][:, [3, 5], 0])
    padded = resize_image(image, (8, 8), "nearest", pad_to_aspect_ratio=True)  # 2 zero rows above and below
    np.testing.assert_array_equal(padded[:2], 0)
    np.testing.assert_array_equal(padded[2:6, :, 0], image[..., 0])


def test_unknown_interpolation_is_refused():
    with pytest.raises(ValueError, match="`interpolation` must be one of"):
        resize_image(np.zeros((2, 2, 1)), (1, 1), "area")
