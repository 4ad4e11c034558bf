"""Application models save and load like any loom model, their private layers (ConvNeXt's
LayerScale) and graph operations (MobileNetV3's hard sigmoid) included."""

import numpy as np
import pytest

import loom
import loom.applications  # loom.__init__ does not import it yet

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


@pytest.mark.parametrize(
    "build",
    [
        lambda: loom.applications.ConvNeXtTiny(weights=None, include_top=False, input_shape=(32, 32, 3)),
        lambda: loom.applications.MobileNetV3Small(weights=None, input_shape=(32, 32, 3), classes=5),
    ],
    ids=["ConvNeXtTiny", "MobileNetV3Small"],
)
def test_application_model_round_trips_through_a_model_file(build, tmp_path):
    model = build()
    images = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    expected = np.asarray(model.predict(images, verbose=0))
    model.save(tmp_path / "model.keras")
    loaded = loom.saving.load_model(tmp_path / "model.keras")
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    np.testing.assert_allclose(np.asarray(loaded.predict(images, verbose=0)), expected, rtol=1e-5, atol=1e-6)


def test_layer_scale_config_round_trip():
    from loom.applications.convnext import LayerScale

    layer = LayerScale(0.5, 4, name="scale")
    again = LayerScale.from_config(layer.get_config())
    assert (again.init_values, again.projection_dim, again.name) == (0.5, 4, "scale")
    x = np.ones((2, 4), "float32")
    np.testing.assert_allclose(np.asarray(again(x)), 0.5 * x)
