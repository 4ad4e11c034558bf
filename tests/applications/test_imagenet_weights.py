"""``weights="imagenet"`` fetches Keras's published weight file through ``loom.utils.get_file`` and
loads it; with the same file, loom's model computes what Keras's computes.

There is no network here: each test writes a weight file in the published files' layout (tf.keras 2
``.h5``, written by Keras's own legacy writer) from a Keras model with random weights, under the
published file's name in a temporary cache, and records its digest where the published one is
(the cache keeps a file only when its digest matches). Keras loads the same file."""

import hashlib
import warnings

import h5py
import jax
import keras
import numpy as np
import pytest
from keras.src.legacy.saving import legacy_h5_format
from keras.src.utils import file_utils as keras_file_utils

import loom
import loom.applications  # loom.__init__ does not import it yet

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def _randomize(model, rng, images):
    """Random weights everywhere, then batch-norm statistics measured on ``images`` (as training
    would leave them), so that the images stay distinguishable through a deep random network."""
    for layer in model.layers:
        values = []
        for weight in layer.weights:
            shape, name = tuple(weight.shape), weight.path.split("/")[-1]
            if "int" in str(weight.dtype):
                values.append(np.asarray(weight))
            elif name in ("gamma", "moving_variance", "variance"):
                values.append(rng.uniform(0.5, 1.5, shape))
            elif name in ("beta", "bias", "moving_mean", "mean"):
                values.append(rng.normal(0.0, 0.1, shape))
            else:  # kernels: the initializer's scale, fresh values
                values.append(np.asarray(weight) * rng.choice([-1.0, 1.0], shape))
        if values:
            layer.set_weights([np.asarray(v, dtype=w.dtype) for v, w in zip(values, layer.weights)])
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [layer.momentum for layer in norms]
    for layer in norms:
        layer.momentum = 0.0  # one training call sets the moving statistics to the batch's

    def train_call(trainable, non_trainable, x):
        return model.stateless_call(trainable, non_trainable, x, training=True)[1]

    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    for variable, value in zip(model.non_trainable_variables, jax.jit(train_call)(trainable, non_trainable, images)):
        variable.assign(value)
    for layer, momentum in zip(norms, momenta):
        layer.momentum = momentum


def _publish(keras_model, folder, file_name):
    """Write ``keras_model``'s weights as a published application file would be; its path and md5."""
    path = folder / "models" / file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, keras_model)
    return path, hashlib.md5(path.read_bytes()).hexdigest()


CASES = {
    # id: (Keras constructor, loom module, kwargs, published file name, hash table key or None)
    "MobileNetV2": (
        "MobileNetV2",
        "mobilenet_v2",
        {"input_shape": (96, 96, 3), "include_top": True},
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96.h5",
        None,
    ),
    "ResNet50": (
        "ResNet50",
        "resnet",
        {"input_shape": (64, 64, 3), "include_top": False, "pooling": "avg"},
        "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
        ("resnet50", 1),
    ),
    "EfficientNetB0": (
        "EfficientNetB0",
        "efficientnet",
        {"input_shape": (64, 64, 3), "include_top": False},
        "efficientnetb0_notop.h5",
        ("b0", 1),
    ),
    "MobileNetV3Small": (
        "MobileNetV3Small",
        "mobilenet_v3",
        {"input_shape": (64, 64, 3), "include_top": False, "pooling": "avg"},
        "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5",
        ("small_224_1.0_float", 1),
    ),
    "DenseNet121": (
        "DenseNet121",
        "densenet",
        {"input_shape": (64, 64, 3), "include_top": False, "pooling": "max"},
        "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
        None,  # DenseNet keeps its hashes in _VARIANTS; patched below
    ),
    "ConvNeXtTiny": (
        "ConvNeXtTiny",
        "convnext",
        {"input_shape": (64, 64, 3), "include_top": False, "pooling": "avg"},
        "convnext_tiny_notop.h5",
        ("convnext_tiny", 1),
    ),
}


@pytest.mark.parametrize(
    # The three models in the default run; the others with -m slow (about 8 s each).
    "case",
    [case if case in ("MobileNetV2", "ResNet50", "EfficientNetB0") else pytest.param(case, marks=pytest.mark.slow)
     for case in CASES],
)
def test_imagenet_weights_load_and_compute_what_keras_computes(case, tmp_path, monkeypatch):
    constructor, module_name, kwargs, file_name, hash_key = CASES[case]
    module = getattr(loom.applications, module_name)
    rng = np.random.default_rng(7)
    images = rng.uniform(0, 255, (4, *kwargs["input_shape"])).astype("float32")
    images = getattr(keras.applications, module_name).preprocess_input(images)

    keras.backend.clear_session()
    source = getattr(keras.applications, constructor)(weights=None, **kwargs)
    _randomize(source, rng, images)
    path, md5 = _publish(source, tmp_path / "cache", file_name)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()

    monkeypatch.setenv("LOOM_HOME", str(tmp_path / "cache"))
    if hash_key is not None:
        name, index = hash_key
        digests = list(module.WEIGHTS_HASHES[name])
        digests[index] = sha256 if len(digests[index]) == 64 else md5
        monkeypatch.setitem(module.WEIGHTS_HASHES, name, tuple(digests))
    if case == "DenseNet121":
        blocks, top, _ = module._VARIANTS["densenet121"]
        monkeypatch.setitem(module._VARIANTS, "densenet121", (blocks, top, md5))

    downloads = []
    monkeypatch.setattr(loom.utils.file_download, "_download", lambda *args: downloads.append(args))
    with warnings.catch_warnings(record=True) as our_warnings:
        warnings.simplefilter("always")
        ours = getattr(module, constructor)(weights="imagenet", **kwargs)
    assert downloads == []  # served from the cache, under the published name and digest

    # Keras loads the same file (its get_file is pointed at it) into its own "imagenet" model.
    monkeypatch.setattr(keras_file_utils, "get_file", lambda *args, **kw: str(path))
    keras.backend.clear_session()
    with warnings.catch_warnings(record=True) as their_warnings:
        warnings.simplefilter("always")
        theirs = getattr(keras.applications, constructor)(weights="imagenet", **kwargs)
    # Both warn alike when the input size is not the one the weights were trained at.
    assert len(our_warnings) == len([w for w in their_warnings if "weights" in str(w.message).lower()])

    expected = np.asarray(theirs.predict(images, verbose=0))
    got = np.asarray(ours.predict(images, verbose=0))
    assert np.abs(expected[0] - expected[1]).max() > 1e-3 * np.abs(expected).max()  # tells images apart
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())


def test_a_cached_file_with_another_digest_is_fetched_again(tmp_path, monkeypatch):
    """The published digest guards the cache: a file that does not match it is not loaded."""
    path = tmp_path / "models" / "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    path.parent.mkdir()
    path.write_bytes(b"not the published file")
    monkeypatch.setenv("LOOM_HOME", str(tmp_path))
    fetched = []

    def refuse(origin, target, file_hash, hash_algorithm):
        fetched.append(origin)
        raise OSError("no network in this test")

    monkeypatch.setattr(loom.utils.file_download, "_download", refuse)
    with pytest.raises(OSError, match="no network"):
        loom.applications.ResNet50(weights="imagenet", include_top=False, input_shape=(32, 32, 3))
    origin = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
    assert fetched == [origin + "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"]


def test_weights_from_a_path_load_too(tmp_path):
    """``weights=<path>`` loads that file (here one loom saved) into the new model."""
    first = loom.applications.MobileNetV3Small(weights=None, include_top=False, input_shape=(32, 32, 3))
    first.save_weights(tmp_path / "w.weights.h5")
    second = loom.applications.MobileNetV3Small(
        weights=str(tmp_path / "w.weights.h5"), include_top=False, input_shape=(32, 32, 3)
    )
    for a, b in zip(first.weights, second.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
