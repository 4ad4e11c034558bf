"""Keras 3 ``.weights.h5`` files exchanged both ways with real Keras: same architecture, same predictions."""

import io
import os

import h5py
import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import loom
from loom.saving import errors
from loom.saving.hdf5_safety import Hdf5FileError, NotHdf5Error
from loom.saving.keras_weights_h5 import (
    keras_weights_h5_bytes,
    load_h5_weights,
    load_keras_weights_h5,
    save_keras_weights_h5,
)

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


# --- the same architectures, built with either library ------------------------------------------------
def mlp(k):
    x = k.Input((4,))
    hidden = k.layers.Dense(8, activation="relu")(x)
    return k.Model(x, k.layers.Dense(2)(hidden))


def cnn_batchnorm(k):
    x = k.Input((8, 8, 3))
    h = k.layers.Conv2D(4, 3)(x)
    h = k.layers.BatchNormalization()(h)
    h = k.layers.MaxPooling2D()(h)
    h = k.layers.Flatten()(h)
    return k.Model(x, k.layers.Dense(2)(h))


def shared_lstm(k):
    a, b = k.Input((5, 3)), k.Input((5, 3))
    lstm = k.layers.LSTM(4)
    merged = k.layers.Concatenate()([lstm(a), lstm(b)])
    return k.Model([a, b], k.layers.Dense(1)(merged))


def nested_sequential(k):
    inner = k.Sequential([k.layers.Dense(3), k.layers.BatchNormalization(), k.layers.Dense(2)])
    x = k.Input((4,))
    return k.Model(x, k.layers.Dense(1)(inner(x)))


def embedding_attention(k):
    tokens = k.Input((6,), dtype="int32")
    embedded = k.layers.Embedding(10, 8)(tokens)
    attended = k.layers.MultiHeadAttention(2, 4)(embedded, embedded)
    return k.Model(tokens, k.layers.LayerNormalization()(attended))


def recurrent_wrappers(k):
    x = k.Input((5, 3))
    h = k.layers.Bidirectional(k.layers.GRU(2, return_sequences=True))(x)
    h = k.layers.RNN([k.layers.LSTMCell(4), k.layers.SimpleRNNCell(3)], return_sequences=True)(h)
    return k.Model(x, k.layers.TimeDistributed(k.layers.Dense(2))(h))


def convolutions(k):
    x = k.Input((8, 8, 3))
    h = k.layers.SeparableConv2D(5, 2)(x)
    h = k.layers.DepthwiseConv2D(2)(h)
    h = k.layers.PReLU()(h)
    return k.Model(x, k.layers.GroupNormalization(5)(h))


def _inputs(model, rng):
    arrays = []
    for tensor in model.inputs:
        shape = (3, *tensor.shape[1:])
        if "int" in str(tensor.dtype):
            arrays.append(rng.integers(0, 10, shape).astype("int32"))
        else:
            arrays.append(rng.normal(size=shape).astype("float32"))
    return arrays


def _randomize(model, rng):
    for variable in model.weights:
        value = rng.normal(size=variable.shape).astype("float32") * 0.5
        if "variance" in variable.path:
            value = np.abs(value) + 0.5
        variable.assign(value)


def _predict(model, inputs):
    return np.asarray(model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0))


ARCHITECTURES = [mlp, cnn_batchnorm, shared_lstm, nested_sequential, embedding_attention, recurrent_wrappers]


@pytest.mark.parametrize("build", ARCHITECTURES, ids=lambda b: b.__name__)
def test_keras_writes_loom_reads(tmp_path, build):
    rng = np.random.default_rng(0)
    keras_model, loom_model = build(keras), build(loom)
    _randomize(keras_model, rng)
    path = tmp_path / "k.weights.h5"
    keras_model.save_weights(path)
    load_keras_weights_h5(loom_model, path)
    inputs = _inputs(keras_model, rng)
    np.testing.assert_allclose(_predict(loom_model, inputs), _predict(keras_model, inputs), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("build", ARCHITECTURES, ids=lambda b: b.__name__)
def test_loom_writes_keras_reads(tmp_path, build):
    rng = np.random.default_rng(1)
    keras_model, loom_model = build(keras), build(loom)
    _randomize(loom_model, rng)
    path = tmp_path / "l.weights.h5"
    save_keras_weights_h5(loom_model, path)
    keras_model.load_weights(path)
    inputs = _inputs(keras_model, rng)
    np.testing.assert_allclose(_predict(keras_model, inputs), _predict(loom_model, inputs), rtol=1e-5, atol=1e-6)
    assert os.listdir(tmp_path) == ["l.weights.h5"]  # the atomic write left no temporary file


def _datasets(source) -> dict:
    found = {}
    with h5py.File(source, "r") as file:
        file.visititems(lambda name, obj: found.__setitem__(name, obj.shape) if isinstance(obj, h5py.Dataset) else None)
    return found


@pytest.mark.parametrize("build", [*ARCHITECTURES, convolutions], ids=lambda b: b.__name__)
def test_loom_writes_exactly_the_datasets_keras_writes(tmp_path, build):
    keras_model = build(keras)
    keras_model.save_weights(tmp_path / "k.weights.h5")
    assert _datasets(io.BytesIO(keras_weights_h5_bytes(build(loom)))) == _datasets(tmp_path / "k.weights.h5")


def test_groups_carry_the_layer_names_as_keras_writes_them():
    x = loom.Input((2,), name="x")
    model = loom.Model(x, loom.layers.Dense(1, name="head")(x), name="tiny")
    with h5py.File(io.BytesIO(keras_weights_h5_bytes(model)), "r") as file:
        assert file["vars"].attrs["name"] == "tiny"
        assert file["layers/dense/vars"].attrs["name"] == "head"
        assert file["layers/input_layer/vars"].attrs["name"] == "x"


def test_writes_to_and_reads_from_file_objects():
    rng = np.random.default_rng(2)
    source, target = mlp(loom), mlp(loom)
    _randomize(source, rng)
    buffer = io.BytesIO()
    save_keras_weights_h5(source, buffer)
    buffer.seek(0)
    load_keras_weights_h5(target, buffer)
    for a, b in zip(source.weights, target.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a.value), np.asarray(b.value))


def test_unbuilt_model_cannot_be_saved(tmp_path):
    model = loom.Sequential([loom.layers.Dense(2)])
    with pytest.raises(errors.SerializationError, match="is not built"):
        save_keras_weights_h5(model, tmp_path / "x.weights.h5")


# --- optimizer state ------------------------------------------------------------------------------------
def _adam_model(k):
    model = mlp(k)
    model.compile(optimizer=k.optimizers.Adam(learning_rate=0.01), loss="mse")
    model.optimizer.build(model.trainable_variables)
    return model


def _slots(optimizer) -> list:
    return [np.asarray(v.value if hasattr(v, "value") else v) for v in optimizer.variables]


def test_adam_state_keras_to_loom(tmp_path):
    rng = np.random.default_rng(3)
    keras_model, loom_model = _adam_model(keras), _adam_model(loom)
    x, y = rng.normal(size=(8, 4)), rng.normal(size=(8, 2))
    keras_model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    keras_model.save_weights(tmp_path / "k.weights.h5")
    load_keras_weights_h5(loom_model, tmp_path / "k.weights.h5")
    expected = _slots(keras_model.optimizer)
    assert int(expected[0]) == 4  # iterations, then the learning rate, then the slots
    for got, want in zip(_slots(loom_model.optimizer), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    # The same next step: loom and Keras continue training alike.
    keras_model.fit(x[:4], y[:4], batch_size=4, verbose=0)
    loom_model.fit(x[:4], y[:4], batch_size=4, verbose=0)
    for got, want in zip(loom_model.weights, keras_model.weights, strict=True):
        np.testing.assert_allclose(np.asarray(got.value), np.asarray(want.value), rtol=1e-4, atol=1e-5)


def test_adam_state_loom_to_keras(tmp_path):
    rng = np.random.default_rng(4)
    keras_model, loom_model = _adam_model(keras), _adam_model(loom)
    loom_model.fit(rng.normal(size=(8, 4)), rng.normal(size=(8, 2)), epochs=3, batch_size=4, verbose=0)
    save_keras_weights_h5(loom_model, tmp_path / "l.weights.h5", include_optimizer=True)
    keras_model.load_weights(tmp_path / "l.weights.h5")
    loom_slots = _slots(loom_model.optimizer)
    assert int(loom_slots[0]) == 6
    for got, want in zip(_slots(keras_model.optimizer), loom_slots, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_optimizer_state_is_left_out_unless_asked(tmp_path):
    model = _adam_model(loom)
    assert not any(p.startswith("optimizer") for p in _datasets(io.BytesIO(keras_weights_h5_bytes(model))))
    with_state = _datasets(io.BytesIO(keras_weights_h5_bytes(model, include_optimizer=True)))
    assert (
        with_state["optimizer/vars/0"] == () and len([p for p in with_state if p.startswith("optimizer")]) == 2 + 2 * 4
    )


def test_include_optimizer_false_keeps_the_optimizer_as_it_was(tmp_path):
    keras_model, loom_model = _adam_model(keras), _adam_model(loom)
    keras_model.optimizer.iterations.assign(7)
    keras_model.save_weights(tmp_path / "k.weights.h5")
    load_keras_weights_h5(loom_model, tmp_path / "k.weights.h5", include_optimizer=False)
    assert int(loom_model.optimizer.iterations.value) == 0
    load_keras_weights_h5(loom_model, tmp_path / "k.weights.h5")
    assert int(loom_model.optimizer.iterations.value) == 7


# --- mismatches -----------------------------------------------------------------------------------------
@pytest.fixture
def keras_mlp_file(tmp_path):
    model = mlp(keras)
    _randomize(model, np.random.default_rng(5))
    path = tmp_path / "k.weights.h5"
    model.save_weights(path)
    return path, model


def _weights_of(model):
    return [np.array(v.value) for v in model.weights]


def test_missing_dataset_names_its_path(keras_mlp_file):
    path, _ = keras_mlp_file
    with h5py.File(path, "a") as file:
        del file["layers/dense_1/vars/1"]
    model = mlp(loom)
    before = _weights_of(model)
    with pytest.raises(errors.WeightsMismatchError, match=r"/layers/dense_1/vars/1 \(bias\) is missing") as caught:
        load_keras_weights_h5(model, path)
    assert caught.value.missing == ["/layers/dense_1/vars/1"]
    for old, new in zip(before, _weights_of(model), strict=True):  # nothing was assigned
        np.testing.assert_array_equal(old, new)


def test_extra_dataset_in_a_layer_is_refused(keras_mlp_file):
    path, _ = keras_mlp_file
    with h5py.File(path, "a") as file:
        file["layers/dense/vars/2"] = np.zeros(8, "float32")
    with pytest.raises(errors.WeightsMismatchError, match=r"holds 3 weights for 2 in the model \(extra: 2\)") as caught:
        load_keras_weights_h5(mlp(loom), path)
    assert caught.value.unexpected == ["/layers/dense/vars/2"]


def test_other_shape_names_saved_and_expected_shapes(keras_mlp_file):
    path, _ = keras_mlp_file
    x = loom.Input((4,))
    wider = loom.Model(x, loom.layers.Dense(2)(loom.layers.Dense(5, activation="relu")(x)))
    with pytest.raises(
        errors.WeightsMismatchError,
        match=r"/layers/dense/vars/0 \(kernel\) is saved as \(4, 8\) float32, the model has",
    ) as caught:
        load_keras_weights_h5(wider, path)
    assert ("/layers/dense/vars/0", ((4, 8), "float32"), ((4, 5), "float32")) in caught.value.mismatched


def test_skip_mismatch_loads_the_layers_that_fit(keras_mlp_file):
    path, keras_model = keras_mlp_file
    x = loom.Input((4,))
    model = loom.Model(x, loom.layers.Dense(3)(loom.layers.Dense(8, activation="relu")(x)))
    head = np.array(model.weights[2].value)
    with pytest.warns(UserWarning, match=r"skip_mismatch=True left out.*/layers/dense_1/vars/0"):
        load_keras_weights_h5(model, path, skip_mismatch=True)
    np.testing.assert_array_equal(np.asarray(model.weights[0].value), np.asarray(keras_model.weights[0].value))
    np.testing.assert_array_equal(np.asarray(model.weights[2].value), head)


def test_float16_kernel_for_float32_is_refused_unless_converted(keras_mlp_file):
    path, _ = keras_mlp_file
    with h5py.File(path, "a") as file:
        kernel = file["layers/dense/vars/0"][()]
        del file["layers/dense/vars/0"]
        file["layers/dense/vars/0"] = kernel.astype("float16")
    model = mlp(loom)
    with pytest.raises(errors.WeightsMismatchError, match=r"saved as \(4, 8\) float16, the model has \(4, 8\) float32.*"
                       "convert_dtypes=True"):  # fmt: skip
        load_keras_weights_h5(model, path)
    load_keras_weights_h5(model, path, convert_dtypes=True)
    # The values are converted (float16 rounding), never the bytes reinterpreted.
    np.testing.assert_array_equal(np.asarray(model.weights[0].value), kernel.astype("float16").astype("float32"))
    assert model.weights[0].dtype == "float32"


def test_weights_of_layers_the_model_lacks_are_reported_unused(keras_mlp_file):
    path, _ = keras_mlp_file
    with h5py.File(path, "a") as file:
        file["layers/dense_9/vars/0"] = np.zeros(3, "float32")
    with pytest.warns(UserWarning, match="no place for; they are unused: /layers/dense_9/vars/0"):
        load_keras_weights_h5(mlp(loom), path)


def test_nonfinite_weights_can_be_refused(keras_mlp_file):
    path, _ = keras_mlp_file
    with h5py.File(path, "a") as file:
        file["layers/dense/vars/1"][0] = np.nan
    with pytest.raises(errors.NonFiniteWeightsError, match="NaN or Inf"):
        load_keras_weights_h5(mlp(loom), path, allow_nonfinite=False)


@pytest.mark.parametrize("data", [b"", b"PK\x05\x06" + b"\0" * 18, b"<html>gateway timeout</html>"])
def test_files_that_are_not_hdf5_are_named(tmp_path, data):
    path = tmp_path / "x.weights.h5"
    path.write_bytes(data)
    with pytest.raises(NotHdf5Error, match="should be an HDF5 file"):
        load_keras_weights_h5(mlp(loom), path)


def test_a_dataset_larger_than_any_variable_is_refused_before_reading(keras_mlp_file):
    path, _ = keras_mlp_file
    with h5py.File(path, "a") as file:
        file.create_dataset("layers/dense_1/vars/5", (10**9,), "float32", chunks=(2**16,), compression="gzip")
    with pytest.raises(Hdf5FileError, match=r"declares shape \(1000000000,\)"):
        load_keras_weights_h5(mlp(loom), path)


def test_load_h5_weights_tells_keras3_and_tf_keras2_files_apart(tmp_path, keras_mlp_file):
    path, keras_model = keras_mlp_file
    model = mlp(loom)
    load_h5_weights(model, path)
    np.testing.assert_array_equal(np.asarray(model.weights[0].value), np.asarray(keras_model.weights[0].value))
    with pytest.raises(ValueError, match="by_name=True matches layers of tf.keras 2"):
        load_h5_weights(model, path, by_name=True)
    kernel = np.full((4, 8), 0.25, "float32")
    legacy = tmp_path / "legacy.h5"
    with h5py.File(legacy, "w") as f:  # tf.keras 2's layout, one layer
        f.attrs["layer_names"] = np.array([b"dense"])
        f.create_group("dense").attrs["weight_names"] = np.array([b"dense/kernel:0", b"dense/bias:0"])
        f["dense/dense/kernel:0"] = kernel
        f["dense/dense/bias:0"] = np.zeros(8, "float32")
    x = loom.Input((4,))
    single = loom.Model(x, loom.layers.Dense(8, name="dense")(x))
    load_h5_weights(single, legacy, by_name=True)
    np.testing.assert_array_equal(np.asarray(single.weights[0].value), kernel)


# --- fuzzing --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def valid_weights() -> bytes:
    x = loom.Input((3,))
    model = loom.Model(x, loom.layers.Dense(2)(loom.layers.BatchNormalization()(loom.layers.Dense(4)(x))))
    return keras_weights_h5_bytes(model)


@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8))
def test_corrupted_files_raise_only_documented_errors(valid_weights, edits):
    data = bytearray(valid_weights)
    # Most of a small HDF5 file is metadata in its first 2 KB; aim half the edits there.
    for position, value in edits:
        limit = 2048 if value % 2 else len(data)
        data[int(position * limit)] = value
    x = loom.Input((3,))
    model = loom.Model(x, loom.layers.Dense(2)(loom.layers.BatchNormalization()(loom.layers.Dense(4)(x))))
    try:
        load_keras_weights_h5(model, io.BytesIO(bytes(data)), allow_nonfinite=False)
    except errors.SavingError:
        return


def test_a_compiled_keras_model_that_never_trained_loads_with_a_fresh_optimizer(tmp_path):
    """Keras saves only iterations and learning_rate for an optimizer that never ran."""
    keras_model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    keras_model.compile(keras.optimizers.Adam(0.005), "mse")
    path = tmp_path / "untrained.weights.h5"
    keras_model.save_weights(path)
    model = loom.Sequential([loom.Input((3,)), loom.layers.Dense(2)])
    model.compile(loom.optimizers.Adam(0.1), "mse")
    load_keras_weights_h5(model, path)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), keras_model.layers[0].kernel.numpy())
    assert float(model.optimizer.learning_rate) == pytest.approx(0.005)
    assert all(not np.any(v.numpy()) for v in model.optimizer.variables[2:])


def test_every_nested_sequential_is_written_whatever_ids_python_reuses(tmp_path):
    """The walk builds a fresh list of each Sequential's layers; once freed, its id may come back
    for the next one's list, which an id-keyed 'seen' set would then skip (weights lost)."""
    inputs = loom.Input((3,))
    x = inputs
    for index in range(6):
        x = loom.Sequential([loom.layers.Dense(3), loom.layers.LayerNormalization()], name=f"block_{index}")(x)
    model = loom.Model(inputs, x)
    for attempt in range(5):
        path = tmp_path / f"nested_{attempt}.weights.h5"
        save_keras_weights_h5(model, path)
        with h5py.File(path, "r") as stored:
            datasets = []
            stored.visititems(lambda name, item: datasets.append(name) if isinstance(item, h5py.Dataset) else None)
        assert len(datasets) == len(model.weights) == 24
    # What makes it hold: the walk keeps every container it marks as seen alive, so no later list
    # can be given a seen container's id (a ConvNeXt save lost whole stages before this).
    from loom.saving.keras_weights_layout import _Walker

    walker = _Walker()
    walker.layer(model, "")
    assert all(id(kept) == key for key, kept in walker._containers.items())
    assert sum(len(slot.variables) for slot in walker.slots) == 24
