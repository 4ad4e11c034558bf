"""loom.distribution's objects on this session's one device: Keras 3's names, arguments,
lookups and errors (the sharded runs are in eight_devices/ and test_two_processes.py)."""

import re

import jax
import numpy as np
import pytest

import loom
from loom import distribution

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


@pytest.fixture(autouse=True)
def _no_distribution_left_behind():
    yield
    distribution.set_distribution(None)


def test_public_names_are_keras_3s():
    import keras

    assert {n for n in dir(keras.distribution) if not n.startswith("_")} <= set(dir(distribution))


def test_list_devices_and_count_name_this_machines_devices():
    assert distribution.list_devices() == [f"{d.platform}:{d.id}" for d in jax.devices()]
    assert distribution.list_devices("cpu") == [f"cpu:{d.id}" for d in jax.devices("cpu")]
    assert distribution.get_device_count() == jax.device_count()


def test_device_mesh_holds_a_named_grid_and_its_jax_mesh():
    mesh = distribution.DeviceMesh((1,), ("batch",))
    assert mesh.shape == (1,) and mesh.axis_names == ("batch",)
    assert mesh.devices.shape == (1,)
    assert isinstance(mesh.backend_mesh, jax.sharding.Mesh)
    assert mesh.backend_mesh.axis_names == ("batch",)
    assert repr(mesh) == "<DeviceMesh shape=(1,), axis_names=('batch',)>"


@pytest.mark.parametrize(
    "shape, names, devices, message",
    [
        ((), ("batch",), None, "needs a shape and axis names"),
        ((1,), ("batch", "model"), None, r"shape \(1,\) has 1 axes but axis_names"),
        ((2,), ("batch",), ["cpu:0"], r"holds 2 devices but 1 were given"),
        ((1, 1), ("x", "x"), None, "repeat a name"),
        ((1,), ("batch",), ["cpu:99"], r"No device named 'cpu:99'"),
    ],
)
def test_device_mesh_mistakes_are_explained(shape, names, devices, message):
    with pytest.raises(ValueError, match=message):
        _ = distribution.DeviceMesh(shape, names, devices).backend_mesh


def test_tensor_layout_checks_axis_names_against_its_mesh():
    mesh = distribution.DeviceMesh((1,), ("batch",))
    layout = distribution.TensorLayout(("batch", None), mesh)
    assert layout.backend_layout.spec == jax.sharding.PartitionSpec("batch", None)
    with pytest.raises(ValueError, match=r"name \['model'\], which the mesh does not have"):
        distribution.TensorLayout((None, "model"), mesh)
    with pytest.raises(ValueError, match="has no device mesh yet"):
        _ = distribution.TensorLayout((None,)).backend_layout
    with pytest.raises(ValueError, match="mesh is set once"):
        layout.device_mesh = mesh


def test_layout_map_looks_up_exact_keys_then_regular_expressions_as_keras_does():
    import keras

    answers = []
    for library in (keras, loom):
        mesh = library.distribution.DeviceMesh((1,), ("model",), library.distribution.list_devices()[:1])
        layout_map = library.distribution.LayoutMap(mesh)
        layout_map[".*dense.*kernel"] = (None, "model")
        layout_map[".*dense.*bias"] = ("model",)
        layout_map["exact/kernel"] = ("model", None)
        lookups = ["dense_1/kernel", "dense_2/bias", "my_model/conv2d/kernel", "exact/kernel", "dense/kernel_x"]
        answers.append([None if layout_map[k] is None else tuple(layout_map[k].axes) for k in lookups])
        assert layout_map["dense_1/kernel"].device_mesh is mesh
        assert len(layout_map) == 3 and list(layout_map) == [".*dense.*kernel", ".*dense.*bias", "exact/kernel"]
    assert answers[0] == answers[1] == [(None, "model"), ("model",), None, ("model", None), None]


def test_layout_map_mistakes_are_explained():
    layout_map = distribution.LayoutMap(distribution.DeviceMesh((1,), ("model",)))
    layout_map[".*kernel"] = (None, "model")
    layout_map["dense.*"] = ("model", None)
    with pytest.raises(ValueError, match=r"'dense/kernel' matches 2 LayoutMap keys"):
        layout_map["dense/kernel"]
    with pytest.raises(ValueError, match="already has the key"):
        layout_map[".*kernel"] = (None, None)
    with pytest.raises(ValueError, match="TensorLayouts or tuples"):
        layout_map["bias"] = "model"
    del layout_map["dense.*"]
    assert layout_map["dense/kernel"].axes == (None, "model")


def test_variable_paths_are_the_keys_keras_users_write():
    """LayoutMap keys match ``variable.path``; loom's paths are Keras's for a functional model."""
    import keras

    def build(library):
        inputs = library.Input((5, 8))
        hidden = library.layers.Dense(8, name="d1")(inputs)
        hidden = library.layers.MultiHeadAttention(2, 4, name="mha")(hidden, hidden)
        hidden = library.layers.LSTM(4, name="lstm")(hidden)
        return library.Model(inputs, library.layers.Dense(2, name="out")(hidden))

    keras_paths = [v.path for v in build(keras).variables if "seed_generator" not in v.path]
    assert [v.path for v in build(loom).variables] == keras_paths


def test_set_distribution_and_scope_make_one_current_and_restore_the_previous():
    assert distribution.distribution() is None
    data_parallel = distribution.DataParallel()
    distribution.set_distribution(data_parallel)
    assert distribution.distribution() is data_parallel
    other = distribution.DataParallel(devices=distribution.list_devices()[:1])
    with other.scope() as entered:
        assert entered is other and distribution.distribution() is other
    assert distribution.distribution() is data_parallel
    with pytest.raises(ValueError, match="expects a Distribution"):
        distribution.set_distribution("data_parallel")


def test_data_parallel_arguments_as_keras():
    default = distribution.DataParallel()
    assert default.batch_dim_name == "batch" and default.device_mesh.shape == (jax.device_count(),)
    assert default.num_model_replicas == jax.device_count() and default.num_processes == 1
    mesh = distribution.DeviceMesh((1,), ("data",))
    assert distribution.DataParallel(device_mesh=mesh).batch_dim_name == "data"
    with pytest.raises(ValueError, match="expects a DeviceMesh"):
        distribution.DataParallel(device_mesh=[1])
    layout = default.get_data_layout((32, 5))
    assert layout.axes == ("batch", None)


def test_model_parallel_needs_a_layout_map_and_a_real_batch_axis():
    with pytest.raises(ValueError, match="needs layout_map"):
        distribution.ModelParallel()
    with pytest.raises(ValueError, match="expects a LayoutMap"):
        distribution.ModelParallel(layout_map={})
    layout_map = distribution.LayoutMap(distribution.DeviceMesh((1, 1), ("batch", "model")))
    with pytest.raises(ValueError, match=r"batch_dim_name='data' is not an axis"):
        distribution.ModelParallel(layout_map=layout_map, batch_dim_name="data")
    parallel = distribution.ModelParallel(layout_map=layout_map)
    assert parallel.batch_dim_name == "batch" and parallel.num_model_replicas == 1


def test_fit_under_a_one_device_distribution_equals_no_distribution():
    def run(dist):
        distribution.set_distribution(dist)
        loom.utils.set_random_seed(3)
        inputs = loom.Input((4,))
        model = loom.Model(inputs, loom.layers.Dense(2, name="out")(inputs))
        model.compile("adam", "mse")
        x = np.arange(40, dtype="float32").reshape(10, 4) / 40
        model.fit(x, x[:, :2], batch_size=4, epochs=2, verbose=0)
        kernel = model.get_layer("out").kernel
        distribution.set_distribution(None)
        return model.get_weights(), kernel.value.sharding

    plain, _ = run(None)
    layout_map = distribution.LayoutMap(distribution.DeviceMesh((1, 1), ("batch", "model")))
    layout_map["out/kernel"] = (None, "model")
    sharded, sharding = run(distribution.ModelParallel(layout_map=layout_map))
    # On a 1 x 1 mesh "split over model" and "replicated" are the same layout (JAX may print either).
    assert sharding.mesh.axis_names == ("batch", "model")
    assert sharding.is_equivalent_to(layout_map["out/kernel"].backend_layout, 2)
    for a, b in zip(plain, sharded):
        np.testing.assert_array_equal(a, b)


def test_distribute_tensor_places_values_and_constrains_traced_ones():
    mesh = distribution.DeviceMesh((1,), ("batch",))
    layout = distribution.TensorLayout(("batch", None), mesh)
    value = distribution.distribute_tensor(np.ones((2, 3), "float32"), layout)
    assert tuple(value.sharding.spec) == ("batch", None)
    assert distribution.distribute_tensor(value, layout) is value
    doubled = jax.jit(lambda v: distribution.distribute_tensor(v * 2, layout))(value)
    np.testing.assert_array_equal(doubled, 2.0)


def test_initialize_checks_its_addresses_before_connecting():
    with pytest.raises(ValueError, match=r"lists 2 processes .* but num_processes=3"):
        distribution.initialize("10.0.0.1:1234,10.0.0.2:2345", num_processes=3, process_id=0)


def test_only_process_zero_writes_files(tmp_path, monkeypatch):
    """With several processes every one saves the same gathered state; the others' writes
    go nowhere, so a file is written once (process 0) and never raced."""
    from loom.saving.atomic_write import atomic_write_bytes

    monkeypatch.setattr(jax, "process_index", lambda: 1)
    atomic_write_bytes(tmp_path / "from_process_1.bin", b"data")
    inputs = loom.Input((2,))
    loom.Model(inputs, loom.layers.Dense(1)(inputs)).save(tmp_path / "model.loom")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(jax, "process_index", lambda: 0)
    atomic_write_bytes(tmp_path / "from_process_0.bin", b"data")
    assert [p.name for p in tmp_path.iterdir()] == ["from_process_0.bin"]


def test_layout_summary_without_a_distribution_lists_single_device_variables():
    inputs = loom.Input((3,))
    model = loom.Model(inputs, loom.layers.Dense(2, name="out")(inputs))
    text = distribution.layout_summary(model, print_fn=lambda _: None)
    assert re.search(r"^out/kernel +\(3, 2\) +replicated +\(3, 2\) +1$", text, re.MULTILINE), text
