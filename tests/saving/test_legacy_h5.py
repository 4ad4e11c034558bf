"""tf.keras 2 ``.h5`` files, built byte by byte here in the layout tf.keras 2 wrote, loaded into loom models
and checked against the same maths in NumPy."""

import json

import h5py
import numpy as np
import pytest

import loom
from loom.saving import errors
from loom.saving.hdf5_safety import Hdf5FileError, NotHdf5Error
from loom.saving.legacy_h5 import load_legacy_h5_weights, read_legacy_h5_model_config, read_legacy_h5_training_config

RNG = np.random.default_rng(0)


def _array(*shape):
    return RNG.normal(size=shape).astype("float32") * 0.5


def _write_layers(group, layers, chunk_names: bool = False):
    """tf.keras 2's ``save_weights_to_hdf5_group``: names as byte strings, one group per layer, weights
    at their TensorFlow names (``dense/kernel:0``) inside it."""
    names = np.array([name.encode("utf8") for name, _ in layers])
    if chunk_names:  # what tf.keras 2 did when the list passed HDF5's 64 KB attribute limit
        for index, part in enumerate(np.array_split(names, 2)):
            group.attrs[f"layer_names{index}"] = part
    else:
        group.attrs["layer_names"] = names
    group.attrs["backend"] = b"tensorflow"
    group.attrs["keras_version"] = b"2.12.0"
    for name, weights in sorted(layers, key=lambda item: item[0]):
        layer_group = group.create_group(name)
        layer_group.attrs["weight_names"] = np.array([w.encode("utf8") for w, _ in weights], dtype="S")
        for weight_name, value in weights:
            dataset = layer_group.create_dataset(weight_name, value.shape, dtype=value.dtype)
            dataset[()] = value


def weights_file(path, layers, **kwargs):
    with h5py.File(path, "w") as f:
        _write_layers(f, layers, **kwargs)
    return path


def full_model_file(path, layers, model_config, training_config=None):
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.12.0"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(model_config).encode("utf8")
        if training_config is not None:
            f.attrs["training_config"] = json.dumps(training_config).encode("utf8")
        _write_layers(f.create_group("model_weights"), layers)
    return path


# --- NumPy references -----------------------------------------------------------------------------------
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm(x, kernel, recurrent, bias, reverse=False):
    """Keras's LSTM: gates i, f, c, o; tanh activation, sigmoid recurrent activation; the last state."""
    units = recurrent.shape[0]
    h, c = np.zeros((x.shape[0], units)), np.zeros((x.shape[0], units))
    steps = range(x.shape[1] - 1, -1, -1) if reverse else range(x.shape[1])
    for t in steps:
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = (z[:, k * units : (k + 1) * units] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
    return h


def batch_norm(x, gamma, beta, mean, variance, epsilon=1e-3):
    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta


# --- loading --------------------------------------------------------------------------------------------
def test_weights_only_mlp(tmp_path):
    w1, b1, w2, b2 = _array(4, 3), _array(3), _array(3, 2), _array(2)
    path = weights_file(
        tmp_path / "mlp.h5",
        [("dense", [("dense/kernel:0", w1), ("dense/bias:0", b1)]), ("dense_1", [("dense_1/kernel:0", w2), ("dense_1/bias:0", b2)])],
    )  # fmt: skip
    x = loom.Input((4,))
    model = loom.Model(x, loom.layers.Dense(2)(loom.layers.Dense(3, activation="relu")(x)))
    load_legacy_h5_weights(model, path)
    data = _array(5, 4)
    np.testing.assert_allclose(model.predict(data, verbose=0), np.maximum(data @ w1 + b1, 0) @ w2 + b2, rtol=1e-5)


def lstm_batchnorm_weights():
    return {
        "lstm": [("lstm/lstm_cell/kernel:0", _array(3, 16)), ("lstm/lstm_cell/recurrent_kernel:0", _array(4, 16)),
                 ("lstm/lstm_cell/bias:0", _array(16))],
        "batch_normalization": [("batch_normalization/gamma:0", _array(4)), ("batch_normalization/beta:0", _array(4)),
                                ("batch_normalization/moving_mean:0", _array(4)),
                                ("batch_normalization/moving_variance:0", np.abs(_array(4)) + 0.5)],
        "dense": [("dense/kernel:0", _array(4, 1)), ("dense/bias:0", _array(1))],
    }  # fmt: skip


def lstm_batchnorm_model():
    x = loom.Input((5, 3))
    h = loom.layers.BatchNormalization()(loom.layers.LSTM(4)(x))
    return loom.Model(x, loom.layers.Dense(1)(h))


KERAS2_CONFIG = {
    "class_name": "Functional",
    "config": {
        "name": "model",
        "layers": [
            {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 5, 3], "dtype": "float32",
             "name": "input_1"}, "name": "input_1", "inbound_nodes": []},
            {"class_name": "LSTM", "config": {"name": "lstm", "units": 4}, "name": "lstm",
             "inbound_nodes": [[["input_1", 0, 0, {}]]]},
        ],
        "input_layers": [["input_1", 0, 0]],
        "output_layers": [["lstm", 0, 0]],
    },
    "keras_version": "2.12.0",
    "backend": "tensorflow",
}  # fmt: skip


def test_full_model_file_with_lstm_and_batchnorm(tmp_path):
    weights = lstm_batchnorm_weights()
    training = {"loss": "mse", "optimizer_config": {"class_name": "Adam", "config": {"learning_rate": 0.001}}}
    path = full_model_file(tmp_path / "full.h5", list(weights.items()), KERAS2_CONFIG, training)
    model = lstm_batchnorm_model()
    load_legacy_h5_weights(model, path)
    data = _array(2, 5, 3)
    values = {name: [v for _, v in items] for name, items in weights.items()}
    expected = batch_norm(lstm(data, *values["lstm"]), *values["batch_normalization"])
    expected = expected @ values["dense"][0] + values["dense"][1]
    np.testing.assert_allclose(model.predict(data, verbose=0), expected, rtol=1e-4, atol=1e-6)
    assert read_legacy_h5_model_config(path) == KERAS2_CONFIG
    assert read_legacy_h5_training_config(path) == training


def test_bidirectional_forward_then_backward(tmp_path):
    forward = [_array(3, 8), _array(2, 8), _array(8)]
    backward = [_array(3, 8), _array(2, 8), _array(8)]
    names = ["kernel", "recurrent_kernel", "bias"]
    saved = [(f"bidirectional/forward_lstm/lstm_cell_1/{n}:0", v) for n, v in zip(names, forward, strict=True)]
    saved += [(f"bidirectional/backward_lstm/lstm_cell_2/{n}:0", v) for n, v in zip(names, backward, strict=True)]
    path = weights_file(tmp_path / "bi.h5", [("bidirectional", saved)])
    x = loom.Input((4, 3))
    model = loom.Model(x, loom.layers.Bidirectional(loom.layers.LSTM(2))(x))
    load_legacy_h5_weights(model, path)
    data = _array(2, 4, 3)
    expected = np.concatenate([lstm(data, *forward), lstm(data, *backward, reverse=True)], axis=-1)
    np.testing.assert_allclose(model.predict(data, verbose=0), expected, rtol=1e-4, atol=1e-6)


def test_nested_model_weights_are_trainable_then_non_trainable(tmp_path):
    kernel, bias = _array(3, 2), _array(2)
    gamma, beta, mean, variance = _array(2), _array(2), _array(2), np.abs(_array(2)) + 0.5
    head_kernel, head_bias = _array(2, 1), _array(1)
    inner = [("dense/kernel:0", kernel), ("dense/bias:0", bias), ("batch_normalization/gamma:0", gamma),
             ("batch_normalization/beta:0", beta), ("batch_normalization/moving_mean:0", mean),
             ("batch_normalization/moving_variance:0", variance)]  # fmt: skip
    head = [("dense_1/kernel:0", head_kernel), ("dense_1/bias:0", head_bias)]
    path = weights_file(tmp_path / "nested.h5", [("sequential", inner), ("dense_1", head)], chunk_names=True)
    x = loom.Input((3,))
    block = loom.Sequential([loom.layers.Dense(2), loom.layers.BatchNormalization()])
    model = loom.Model(x, loom.layers.Dense(1)(block(x)))
    load_legacy_h5_weights(model, path)
    data = _array(4, 3)
    expected = batch_norm(data @ kernel + bias, gamma, beta, mean, variance) @ head_kernel + head_bias
    np.testing.assert_allclose(model.predict(data, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_by_name_loads_matching_layers_only(tmp_path):
    w, b = _array(4, 3), _array(3)
    path = weights_file(
        tmp_path / "named.h5",
        [("encoder", [("encoder/kernel:0", w), ("encoder/bias:0", b)]), ("gone", [("gone/kernel:0", _array(9, 9))])],
    )
    x = loom.Input((4,))
    model = loom.Model(x, loom.layers.Dense(5, name="new_head")(loom.layers.Dense(3, name="encoder")(x)))
    head = np.array(model.get_layer("new_head").kernel.value)
    load_legacy_h5_weights(model, path, by_name=True)
    np.testing.assert_array_equal(np.asarray(model.get_layer("encoder").kernel.value), w)
    np.testing.assert_array_equal(np.asarray(model.get_layer("new_head").kernel.value), head)


# --- mismatches and bad files ---------------------------------------------------------------------------
def test_layer_count_mismatch_is_named(tmp_path):
    path = weights_file(
        tmp_path / "one.h5", [("dense", [("dense/kernel:0", _array(4, 3)), ("dense/bias:0", _array(3))])]
    )
    with pytest.raises(errors.WeightsMismatchError, match="has 2 layers with weights.*the file 1.*by_name=True"):
        load_legacy_h5_weights(loom.Model(*_two_dense()), path)


def _two_dense():
    x = loom.Input((4,))
    return x, loom.layers.Dense(2)(loom.layers.Dense(3)(x))


def test_shape_mismatch_names_both_shapes_and_skip_mismatch_warns(tmp_path):
    kernel = _array(4, 3)
    path = weights_file(
        tmp_path / "shape.h5",
        [("dense", [("dense/kernel:0", kernel), ("dense/bias:0", _array(3))]),
         ("dense_1", [("dense_1/kernel:0", _array(3, 7)), ("dense_1/bias:0", _array(7))])],
    )  # fmt: skip
    model = loom.Model(*_two_dense())
    before = np.array(model.weights[2].value)
    with pytest.raises(errors.WeightsMismatchError, match=r"expects \(3, 2\) float32, the file's /dense_1/dense_1/kernel:0 is \(3, 7\)"):  # fmt: skip
        load_legacy_h5_weights(model, path)
    np.testing.assert_array_equal(np.asarray(model.weights[2].value), before)
    with pytest.warns(UserWarning, match="skip_mismatch=True left out"):
        load_legacy_h5_weights(model, path, skip_mismatch=True)
    np.testing.assert_array_equal(np.asarray(model.weights[2].value), before)
    np.testing.assert_array_equal(np.asarray(model.weights[0].value), kernel)  # the layer that fits loaded


def test_weight_count_mismatch(tmp_path):
    path = weights_file(tmp_path / "count.h5", [("dense", [("dense/kernel:0", _array(4, 3))]), ("dense_1", [("dense_1/kernel:0", _array(3, 2))])])  # fmt: skip
    with pytest.raises(errors.WeightsMismatchError, match="expects 2 weight\\(s\\), the file holds 1"):
        load_legacy_h5_weights(loom.Model(*_two_dense()), path)


def test_a_listed_weight_that_is_not_a_dataset_is_refused(tmp_path):
    path = weights_file(tmp_path / "x.h5", [("dense", [("dense/kernel:0", _array(4, 3)), ("dense/bias:0", _array(3))])])
    with h5py.File(path, "a") as f:
        f["dense"].attrs["weight_names"] = np.array([b"dense/kernel:0", b"../elsewhere:0"])
    with pytest.raises(Hdf5FileError, match="lists the weight '/dense/../elsewhere:0', which is not a dataset"):
        load_legacy_h5_weights(loom.Model(*_two_dense()), path)


def test_soft_link_in_a_legacy_file_is_refused(tmp_path):
    path = weights_file(tmp_path / "x.h5", [("dense", [("dense/kernel:0", _array(4, 3)), ("dense/bias:0", _array(3))])])
    with h5py.File(path, "a") as f:
        f["dense_1"] = h5py.SoftLink("/dense")
    with pytest.raises(Hdf5FileError, match="soft link"):
        load_legacy_h5_weights(loom.Model(*_two_dense()), path)


def test_weights_only_file_has_no_model_config(tmp_path):
    path = weights_file(tmp_path / "w.h5", [("dense", [("dense/kernel:0", _array(2, 2))])])
    assert read_legacy_h5_model_config(path) is None
    assert read_legacy_h5_training_config(path) is None


def test_malformed_model_config_is_a_config_error(tmp_path):
    path = weights_file(tmp_path / "w.h5", [])
    with h5py.File(path, "a") as f:
        f.attrs["model_config"] = b'{"class_name": "Functional", "class_name": "x"}'
    with pytest.raises(errors.ConfigError, match="class_name"):
        read_legacy_h5_model_config(path)


def test_a_text_file_named_h5_is_not_hdf5(tmp_path):
    path = tmp_path / "model.h5"
    path.write_text("Not Found")
    with pytest.raises(NotHdf5Error, match="it is a text file"):
        read_legacy_h5_model_config(path)


def test_model_load_weights_passes_by_name_to_tf_keras_files_only(tmp_path):
    w, b = _array(4, 3), _array(3)
    path = weights_file(tmp_path / "named.h5", [("encoder", [("encoder/kernel:0", w), ("encoder/bias:0", b)])])
    x = loom.Input((4,))
    model = loom.Model(x, loom.layers.Dense(5, name="new_head")(loom.layers.Dense(3, name="encoder")(x)))
    with pytest.raises(errors.WeightsMismatchError):
        model.load_weights(path)  # by order: 2 layers against the file's 1
    model.load_weights(path, by_name=True)
    np.testing.assert_array_equal(model.get_layer("encoder").kernel.numpy(), w)
    model.save_weights(tmp_path / "own.weights.h5")
    with pytest.raises(ValueError, match="by_name=True.*tf.keras 2 .h5 files"):
        model.load_weights(tmp_path / "own.weights.h5", by_name=True)
