"""Models trained on 8 devices save full arrays and load on one, and the reverse."""

import numpy as np

import loom
from loom import distribution
from tests.distribution.eight_devices.sharded_runs import spec, train


def _build():
    inputs = loom.Input((6,))
    hidden = loom.layers.Dense(8, activation="relu", name="hidden")(inputs)
    model = loom.Model(inputs, loom.layers.Dense(2, name="out")(hidden))
    model.compile(loom.optimizers.Adam(0.01), "mse")
    return model


def _data():
    rng = np.random.default_rng(1)
    return rng.normal(size=(64, 6)).astype("float32"), rng.normal(size=(64, 2)).astype("float32")


def _model_parallel():
    layout_map = distribution.LayoutMap(distribution.DeviceMesh((2, 4), ("batch", "model")))
    layout_map["hidden/kernel"] = (None, "model")
    return distribution.ModelParallel(layout_map=layout_map)


def test_a_sharded_model_saves_and_loads_on_one_device(tmp_path):
    x, y = _data()
    model, _ = train(_build, (x, y), _model_parallel())
    path = tmp_path / "sharded.loom"
    model.save(path)
    loaded = loom.models.load_model(path)  # no distribution: one device
    assert len(loaded.get_layer("hidden").kernel.value.sharding.device_set) == 1
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    # Optimizer state came too: one more step from both gives the same weights.
    with _model_parallel().scope():
        model.train_on_batch(x[:16], y[:16])
    loaded.train_on_batch(x[:16], y[:16])
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_a_one_device_model_loads_into_a_distribution_with_its_layouts(tmp_path):
    x, y = _data()
    model, _ = train(_build, (x, y))
    path = tmp_path / "single.loom"
    model.save(path)
    with _model_parallel().scope():
        loaded = loom.models.load_model(path)
        assert spec(loaded.get_layer("hidden").kernel.value) == (None, "model")
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_weights_set_on_a_sharded_model_keep_its_layout():
    model, _ = train(_build, _data(), _model_parallel())
    with _model_parallel().scope():
        model.set_weights([np.ones_like(w) for w in model.get_weights()])
    kernel = model.get_layer("hidden").kernel
    assert spec(kernel.value) == (None, "model")
    np.testing.assert_array_equal(kernel.numpy(), 1.0)
