"""Every application constructor builds Keras's network: the same layers (names, order, classes),
the same parameter count and output shape, with the top on or off, each pooling, and the
constructor's own options (alpha, minimalistic, preprocessing)."""

import keras
import numpy as np
import pytest

import loom
import loom.applications  # loom.__init__ does not import it yet
from tests.applications.parity import build_both, structure

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

_slow = pytest.mark.slow

SMALL = (32, 32, 3)
HEAD = {"include_top": True, "classes": 7, "weights": None}
FEATURES = {"include_top": False, "weights": None}

CASES = [
    ("mobilenet.MobileNet", {**HEAD, "input_shape": SMALL}),
    ("mobilenet.MobileNet", {**FEATURES, "input_shape": (64, 48, 3), "alpha": 0.5, "pooling": "max"}),
    ("mobilenet_v2.MobileNetV2", {**HEAD, "input_shape": SMALL}),
    ("mobilenet_v2.MobileNetV2", {**FEATURES, "input_shape": (96, 96, 3), "alpha": 1.4, "pooling": "avg"}),
    ("mobilenet_v2.MobileNetV2", {**FEATURES, "alpha": 0.35}),
    ("mobilenet_v3.MobileNetV3Small", {**HEAD, "input_shape": SMALL}),
    ("mobilenet_v3.MobileNetV3Small", {**FEATURES, "minimalistic": True, "pooling": "max"}),
    ("mobilenet_v3.MobileNetV3Large", {**HEAD, "input_shape": SMALL, "include_preprocessing": False}),
    ("mobilenet_v3.MobileNetV3Large", {**FEATURES, "alpha": 0.75, "pooling": "avg"}),
    ("resnet.ResNet50", {**HEAD, "input_shape": SMALL, "classifier_activation": None}),
    ("resnet.ResNet50", {**FEATURES, "pooling": "max"}),
    ("resnet.ResNet101", {**FEATURES, "input_shape": SMALL}),
    pytest.param("resnet.ResNet152", {**FEATURES, "input_shape": SMALL}, marks=_slow),
    ("resnet_v2.ResNet50V2", {**HEAD, "input_shape": SMALL}),
    ("resnet_v2.ResNet101V2", {**FEATURES, "input_shape": SMALL, "pooling": "avg"}),
    pytest.param("resnet_v2.ResNet152V2", {**FEATURES, "input_shape": SMALL}, marks=_slow),
    ("vgg16.VGG16", {**HEAD, "input_shape": SMALL}),
    ("vgg16.VGG16", {**FEATURES, "pooling": "avg"}),
    ("vgg19.VGG19", {**FEATURES, "input_shape": SMALL, "pooling": "max"}),
    ("efficientnet.EfficientNetB0", {**HEAD, "input_shape": SMALL}),
    ("efficientnet.EfficientNetB0", {**FEATURES, "pooling": "max"}),
    ("efficientnet.EfficientNetB1", {**FEATURES, "input_shape": SMALL}),
    ("efficientnet.EfficientNetB2", {**FEATURES, "input_shape": SMALL, "pooling": "avg"}),
    ("efficientnet.EfficientNetB3", {**FEATURES, "input_shape": SMALL}),
    pytest.param("efficientnet.EfficientNetB4", {**FEATURES, "input_shape": SMALL}, marks=_slow),
    pytest.param("efficientnet.EfficientNetB5", {**FEATURES, "input_shape": SMALL}, marks=_slow),
    pytest.param("efficientnet.EfficientNetB6", {**FEATURES, "input_shape": SMALL}, marks=_slow),
    pytest.param("efficientnet.EfficientNetB7", {**HEAD, "input_shape": SMALL}, marks=_slow),
    ("efficientnet_v2.EfficientNetV2B0", {**HEAD, "input_shape": SMALL}),
    ("efficientnet_v2.EfficientNetV2B1", {**FEATURES, "input_shape": SMALL, "pooling": "max"}),
    ("efficientnet_v2.EfficientNetV2B2", {**FEATURES, "input_shape": SMALL}),
    ("efficientnet_v2.EfficientNetV2B3", {**FEATURES, "input_shape": SMALL, "include_preprocessing": False}),
    ("efficientnet_v2.EfficientNetV2S", {**FEATURES, "input_shape": SMALL, "pooling": "avg"}),
    pytest.param("efficientnet_v2.EfficientNetV2M", {**FEATURES, "input_shape": SMALL}, marks=_slow),
    pytest.param("efficientnet_v2.EfficientNetV2L", {**HEAD, "input_shape": SMALL}, marks=_slow),
    ("densenet.DenseNet121", {**HEAD, "input_shape": SMALL}),
    pytest.param("densenet.DenseNet169", {**FEATURES, "input_shape": SMALL, "pooling": "max"}, marks=_slow),
    pytest.param("densenet.DenseNet201", {**FEATURES, "input_shape": SMALL}, marks=_slow),
    ("xception.Xception", {**HEAD, "input_shape": (71, 71, 3)}),
    ("xception.Xception", {**FEATURES, "pooling": "max"}),
    ("inception_v3.InceptionV3", {**HEAD, "input_shape": (75, 75, 3)}),
    ("inception_v3.InceptionV3", {**FEATURES, "pooling": "avg"}),
    ("inception_resnet_v2.InceptionResNetV2", {**HEAD, "input_shape": (75, 75, 3)}),
    ("inception_resnet_v2.InceptionResNetV2", {**FEATURES, "pooling": "max"}),
    ("nasnet.NASNetMobile", {**HEAD, "input_shape": SMALL}),
    pytest.param("nasnet.NASNetLarge", {**FEATURES, "input_shape": SMALL, "pooling": "avg"}, marks=_slow),
    ("convnext.ConvNeXtTiny", {**HEAD, "input_shape": SMALL}),
    ("convnext.ConvNeXtTiny", {**FEATURES, "pooling": "max", "include_preprocessing": False}),
    ("convnext.ConvNeXtSmall", {**FEATURES, "input_shape": SMALL}),
    pytest.param("convnext.ConvNeXtBase", {**FEATURES, "input_shape": SMALL, "pooling": "avg"}, marks=_slow),
    pytest.param("convnext.ConvNeXtLarge", {**FEATURES, "input_shape": SMALL}, marks=_slow),
    pytest.param("convnext.ConvNeXtXLarge", {**HEAD, "input_shape": SMALL}, marks=_slow),
]


# The default run keeps one case of each architecture (two where an option changes the graph);
# the other sizes and options of the same builders run with -m slow (the suite stays ~10 minutes).
_DEFAULT_RUN = {
    ("mobilenet.MobileNet", 0), ("mobilenet_v2.MobileNetV2", 0), ("mobilenet_v2.MobileNetV2", 1),
    ("mobilenet_v3.MobileNetV3Small", 0), ("mobilenet_v3.MobileNetV3Large", 1), ("resnet.ResNet50", 0),
    ("resnet.ResNet50", 1), ("resnet_v2.ResNet50V2", 0), ("vgg16.VGG16", 0), ("efficientnet.EfficientNetB0", 0),
    ("efficientnet_v2.EfficientNetV2B0", 0), ("densenet.DenseNet121", 0), ("xception.Xception", 0),
    ("inception_v3.InceptionV3", 0), ("inception_resnet_v2.InceptionResNetV2", 0), ("nasnet.NASNetMobile", 0),
    ("convnext.ConvNeXtTiny", 0),
}  # fmt: skip


def _mark_default_run(cases):
    seen, marked = {}, []
    for case in cases:
        if hasattr(case, "values"):  # already a pytest.param (slow)
            marked.append(case)
            continue
        index = seen.get(case[0], 0)
        seen[case[0]] = index + 1
        marked.append(case if (case[0], index) in _DEFAULT_RUN else pytest.param(*case, marks=_slow))
    return marked


CASES = _mark_default_run(CASES)


def _case_id(case):
    path, kwargs = case.values if hasattr(case, "values") else case
    options = "-".join(f"{k}={v}" for k, v in kwargs.items() if k not in ("weights", "classes"))
    return f"{path.split('.')[1]}[{options}]"


@pytest.mark.parametrize(("path", "kwargs"), CASES, ids=[_case_id(case) for case in CASES])
def test_structure_and_parameter_count_match_keras(path, kwargs):
    ours, theirs = build_both(path, **kwargs)
    our_layers, our_count, our_shape = structure(ours)
    their_layers, their_count, their_shape = structure(theirs)
    assert our_layers == their_layers
    assert our_count == their_count
    assert our_shape == their_shape
    assert ours.name == theirs.name
    assert len(ours.trainable_weights) == len(theirs.trainable_weights)
    assert len(ours.non_trainable_weights) == len(theirs.non_trainable_weights)


def test_every_keras_constructor_that_loom_builds_is_exported_at_the_top():
    names = [
        "MobileNet", "MobileNetV2", "MobileNetV3Small", "MobileNetV3Large", "ResNet50", "ResNet101", "ResNet152",
        "ResNet50V2", "ResNet101V2", "ResNet152V2", "VGG16", "VGG19", "DenseNet121", "DenseNet169", "DenseNet201",
        "Xception", "InceptionV3", "InceptionResNetV2", "NASNetMobile", "NASNetLarge", "ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge",
        "ConvNeXtXLarge", *(f"EfficientNetB{i}" for i in range(8)),
        *(f"EfficientNetV2{v}" for v in ("B0", "B1", "B2", "B3", "S", "M", "L")),
    ]  # fmt: skip
    for name in names:
        assert callable(getattr(loom.applications, name)), name
        assert hasattr(keras.applications, name), name


def test_input_tensor_starts_the_model_from_its_source_inputs():
    loom.backend.clear_session()
    image = loom.Input((40, 40, 3))
    scaled = loom.layers.Rescaling(2.0)(image)
    model = loom.applications.MobileNetV2(input_tensor=scaled, include_top=False, weights=None, pooling="avg")
    assert model.inputs[0] is image
    assert model.output_shape == (None, 1280)
    assert model.get_layer("Conv1").input is scaled


def test_name_argument_names_the_model():
    model = loom.applications.ResNet50V2(include_top=False, weights=None, input_shape=SMALL, name="backbone")
    assert model.name == "backbone"


def test_unknown_weights_value_is_refused():
    with pytest.raises(ValueError, match="weights"):
        loom.applications.VGG16(weights="no/such/file.h5")


def test_imagenet_classifier_needs_1000_classes():
    with pytest.raises(ValueError, match="classes must be 1000"):
        loom.applications.ResNet50(weights="imagenet", classes=10)


def test_classifier_with_static_shape_only():
    with pytest.raises(ValueError, match="static input_shape"):
        loom.applications.ResNet50(weights=None, input_shape=(None, None, 3))


def test_too_small_images_are_refused():
    with pytest.raises(ValueError, match="at least 71x71"):
        loom.applications.Xception(weights=None, include_top=False, input_shape=(64, 64, 3))


def test_pretrained_weights_refuse_other_classifier_activations():
    with pytest.raises(ValueError, match="classifier_activation"):
        loom.applications.imagenet_utils.validate_activation("sigmoid", "imagenet")
    loom.applications.imagenet_utils.validate_activation("sigmoid", None)  # no weights: anything goes


def test_mobilenet_v2_refuses_unpublished_alpha_with_imagenet_weights():
    with pytest.raises(ValueError, match="alpha"):
        loom.applications.MobileNetV2(weights="imagenet", alpha=0.6, include_top=False)


def test_convnext_stochastic_depth_drops_whole_samples_only_in_training():
    from loom.applications.convnext import StochasticDepth

    layer = StochasticDepth(0.5)
    x = np.ones((64, 2, 2, 3), "float32")
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    out = np.asarray(layer(x, training=True))
    per_sample = out.reshape(64, -1)
    assert set(np.unique(per_sample)) <= {0.0, 2.0}  # dropped, or kept and scaled by 1 / 0.5
    assert np.all(per_sample.min(axis=1) == per_sample.max(axis=1))  # one decision per sample
    assert 10 < (per_sample[:, 0] == 0).sum() < 54


@pytest.mark.parametrize("constructor", ["DenseNet121", "ConvNeXtTiny", "NASNetMobile"])
def test_channels_last_only_models_refuse_channels_first(constructor, monkeypatch):
    monkeypatch.setattr(loom.config.defaults, "_image_data_format", "channels_first")
    with pytest.raises(ValueError, match="channels_last"):
        getattr(loom.applications, constructor)(weights=None)


def test_nasnet_checks_penultimate_filters():
    with pytest.raises(ValueError, match="multiple of 24"):
        loom.applications.nasnet.NASNet(penultimate_filters=100, weights=None, include_top=False)


def test_efficientnet_checks_stage_repeats():
    stages = [dict(loom.applications.efficientnet.DEFAULT_BLOCKS_ARGS[0], repeats=0)]
    with pytest.raises(ValueError, match="repeats > 0"):
        loom.applications.efficientnet.EfficientNet(1.0, 1.0, 224, blocks_args=stages, weights=None)


def test_convnext_imagenet_weights_need_the_published_configuration():
    with pytest.raises(ValueError, match="depths"):
        loom.applications.convnext.ConvNeXt(
            [1, 1, 1, 1], [8, 16, 32, 64], weights="imagenet", weights_name="convnext_tiny", include_top=False
        )


def test_input_tensor_and_input_shape_must_agree():
    with pytest.raises(ValueError, match="does not match input_tensor"):
        loom.applications.MobileNetV2(input_tensor=loom.Input((64, 64, 3)), input_shape=(96, 96, 3), weights=None)
