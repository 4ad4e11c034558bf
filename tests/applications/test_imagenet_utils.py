"""``preprocess_input`` of every family equals Keras's on the same images (NumPy arrays, written in
place as in Keras; JAX arrays; symbolic tensors; both data formats), and ``decode_predictions``
reads the ImageNet class index through ``get_file``'s cache as Keras's does."""

import hashlib
import json

import jax.numpy as jnp
import keras
import numpy as np
import pytest
from keras.src.applications import imagenet_utils as keras_imagenet_utils
from keras.src.utils import file_utils as keras_file_utils

import loom
import loom.applications  # loom.__init__ does not import it yet
from loom.applications import imagenet_utils

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

FAMILIES = [
    "convnext", "densenet", "efficientnet", "efficientnet_v2", "inception_resnet_v2", "inception_v3", "mobilenet", "mobilenet_v2",
    "mobilenet_v3", "nasnet", "resnet", "resnet50", "resnet_v2", "vgg16", "vgg19", "xception",
]  # fmt: skip


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


@pytest.mark.parametrize("family", FAMILIES)
def test_preprocess_input_matches_keras_on_arrays(family):
    ours, theirs = getattr(loom.applications, family), getattr(keras.applications, family)
    for shape in ((2, 5, 4, 3), (5, 4, 3)):
        images = _images(shape)
        expected = theirs.preprocess_input(images.copy())
        np.testing.assert_allclose(ours.preprocess_input(images.copy()), expected, rtol=1e-6)
        got = ours.preprocess_input(jnp.asarray(images))
        np.testing.assert_allclose(np.asarray(got), np.asarray(theirs.preprocess_input(jnp.asarray(images))), rtol=1e-6)


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_imagenet_modes_match_keras_in_both_data_formats(mode, data_format):
    for shape in ((2, 3, 4, 5), (3, 4, 5)) if data_format == "channels_first" else ((2, 4, 5, 3), (4, 5, 3)):
        images = _images(shape, seed=1)
        expected = keras_imagenet_utils.preprocess_input(images.copy(), data_format=data_format, mode=mode)
        got = imagenet_utils.preprocess_input(images.copy(), data_format=data_format, mode=mode)
        np.testing.assert_allclose(got, expected, rtol=1e-6)
        tensor = imagenet_utils.preprocess_input(jnp.asarray(images), data_format=data_format, mode=mode)
        their_tensor = keras_imagenet_utils.preprocess_input(jnp.asarray(images), data_format=data_format, mode=mode)
        np.testing.assert_allclose(np.asarray(tensor), np.asarray(their_tensor), rtol=1e-6, atol=1e-6)


def test_caffe_mode_by_hand():
    image = np.array([[[10.0, 20.0, 30.0]]], "float32")  # one RGB pixel
    got = imagenet_utils.preprocess_input(image.copy(), mode="caffe")
    np.testing.assert_allclose(got[0, 0], [30.0 - 103.939, 20.0 - 116.779, 10.0 - 123.68], rtol=1e-6)


def test_float_arrays_are_written_in_place_as_in_keras():
    images = _images((1, 2, 2, 3))
    theirs = images.copy()
    keras.applications.resnet.preprocess_input(theirs)
    loom.applications.resnet.preprocess_input(images)
    np.testing.assert_allclose(images, theirs, rtol=1e-6)  # both changed the caller's array alike


def test_integer_images_are_converted_to_floats():
    images = np.random.default_rng(2).integers(0, 256, (2, 3, 3, 3)).astype("uint8")
    got = loom.applications.mobilenet_v2.preprocess_input(images)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, keras.applications.mobilenet_v2.preprocess_input(images), rtol=1e-6)


def test_preprocess_input_inside_a_model():
    inputs = loom.Input((4, 4, 3))
    model = loom.Model(inputs, loom.applications.vgg16.preprocess_input(inputs))
    images = _images((2, 4, 4, 3))
    expected = keras.applications.vgg16.preprocess_input(images.copy())
    np.testing.assert_allclose(np.asarray(model.predict(images, verbose=0)), expected, rtol=1e-5)


def test_unknown_mode_and_data_format_are_refused():
    with pytest.raises(ValueError, match="mode"):
        imagenet_utils.preprocess_input(_images((1, 2, 2, 3)), mode="keras")
    with pytest.raises(ValueError, match="data_format"):
        imagenet_utils.preprocess_input(_images((1, 2, 2, 3)), data_format="channels_middle")


@pytest.fixture
def class_index(tmp_path, monkeypatch):
    """A made-up ImageNet class index, cached where get_file looks for the real one."""
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    path = tmp_path / "models" / "imagenet_class_index.json"
    path.parent.mkdir()
    path.write_text(json.dumps(index))
    monkeypatch.setenv("LOOM_HOME", str(tmp_path))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH", hashlib.md5(path.read_bytes()).hexdigest())
    monkeypatch.setattr(imagenet_utils, "_class_index", None)
    monkeypatch.setattr(loom.utils.file_download, "_download", lambda *args: pytest.fail("downloaded"))
    return path


def test_decode_predictions_matches_keras(class_index, monkeypatch):
    scores = np.random.default_rng(3).uniform(size=(3, 1000)).astype("float32")
    got = loom.applications.resnet.decode_predictions(scores, top=4)
    monkeypatch.setattr(keras_file_utils, "get_file", lambda *args, **kwargs: str(class_index))
    monkeypatch.setattr(keras_imagenet_utils, "CLASS_INDEX", None)
    expected = keras.applications.resnet.decode_predictions(scores, top=4)
    assert got == expected
    best = int(np.argmax(scores[0]))
    assert got[0][0] == (f"n{best:08d}", f"class_{best}", scores[0, best])
    assert [len(row) for row in got] == [4, 4, 4]


def test_decode_predictions_accepts_jax_arrays(class_index):
    scores = jnp.zeros((1, 1000)).at[0, 17].set(1.0)
    assert loom.applications.mobilenet_v2.decode_predictions(scores, top=1) == [[("n00000017", "class_17", 1.0)]]


def test_decode_predictions_refuses_other_shapes():
    with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))


def test_correct_pad_matches_keras():
    for size in (32, 33, None):
        ours = imagenet_utils.correct_pad(loom.Input((size, size, 3)), 3)
        theirs = keras_imagenet_utils.correct_pad(keras.Input((size, size, 3)), 3)
        assert ours == theirs


def test_obtain_input_shape_matches_keras():
    for args in [
        ((None, None, 3), 224, 32, "channels_last", False, None),
        (None, 224, 32, "channels_last", True, "imagenet"),
        (None, 299, 71, "channels_first", False, None),
        ((96, 96, 3), 96, 32, "channels_last", True, None),
    ]:
        assert imagenet_utils.obtain_input_shape(*args) == keras_imagenet_utils.obtain_input_shape(*args)
