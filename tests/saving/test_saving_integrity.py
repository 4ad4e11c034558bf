"""Each stored tensor's SHA-256 is recorded and checked on loading; NaN and Inf in loaded weights
are named in a warning, or refused with allow_nonfinite=False."""

import hashlib
import json
import zipfile

import numpy as np
import pytest

import loom
from loom import layers
from loom.saving import IntegrityError, NonFiniteWeightsError, archive, integrity
from tests.saving.saving_helpers import (
    assert_bitwise_equal,
    assert_same_weights,
    rewrite_members,
    rewrite_metadata,
    tensor_span,
)


def _two_dense(units=3):
    """Two Dense layers whose kernels have one shape, so they can be swapped unnoticed but for digests."""
    inputs = loom.Input((units,), name="x")
    hidden = layers.Dense(units, name="first")(inputs)
    return loom.Model(inputs, layers.Dense(units, name="second")(hidden), name="pair")


def _saved(tmp_path, model=None, name="m.loom"):
    path = tmp_path / name
    (model or _two_dense()).save(path)
    return path


def _edit_weights(path, edit) -> None:
    """Apply ``edit(bytearray of model.safetensors)`` in place, keeping the zip itself sound."""

    def apply(members):
        data = bytearray(members["model.safetensors"])
        edit(data)
        members["model.safetensors"] = bytes(data)

    rewrite_members(path, apply)


def test_a_model_file_records_the_sha256_of_every_stored_tensor(tmp_path):
    model = _two_dense()
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)
    path = _saved(tmp_path, model)
    with zipfile.ZipFile(path) as handle:
        metadata = json.loads(handle.read("metadata.json"))
        stored = handle.read("model.safetensors")
    digests = metadata["weights_sha256"]
    assert metadata["format_version"] == archive.FORMAT_VERSION == 2
    assert set(digests) == set(archive.read_archive(path).weights.specs)  # weights and optimizer state
    expected = hashlib.sha256(np.asarray(model.get_layer("first").kernel.value).tobytes()).hexdigest()
    assert digests["first/kernel"] == expected
    assert expected == hashlib.sha256(stored[tensor_span(stored, "first/kernel")]).hexdigest()


def test_a_flipped_byte_is_reported_by_tensor_name(tmp_path):
    path = _saved(tmp_path)

    def flip(data):
        data[tensor_span(bytes(data), "second/bias").start] ^= 0x01

    _edit_weights(path, flip)
    message = r"bytes of 1 tensor\(s\) differ .*: second/bias\. .*damaged or edited"
    with pytest.raises(IntegrityError, match=message) as caught:
        loom.models.load_model(path)
    assert caught.value.tensors == ["second/bias"]


def test_two_swapped_tensors_of_one_shape_are_both_named(tmp_path):
    path = _saved(tmp_path)

    def swap(data):
        first, second = tensor_span(bytes(data), "first/kernel"), tensor_span(bytes(data), "second/kernel")
        data[first], data[second] = bytes(data[second]), bytes(data[first])

    _edit_weights(path, swap)
    with pytest.raises(IntegrityError, match="first/kernel, second/kernel") as caught:
        loom.models.load_model(path)
    assert sorted(caught.value.tensors) == ["first/kernel", "second/kernel"]
    with pytest.raises(IntegrityError):
        _two_dense().load_weights(path)  # the weights inside a model file are checked too


def test_digests_must_cover_exactly_the_stored_tensors(tmp_path):
    path = _saved(tmp_path)
    rewrite_metadata(path, lambda m: m["weights_sha256"].update({"ghost/kernel": "0" * 64}))
    with pytest.raises(IntegrityError, match="digests are recorded for 1 tensor.* it lacks: ghost/kernel"):
        loom.models.load_model(path)
    rewrite_metadata(path, lambda m: m["weights_sha256"].pop("ghost/kernel") and m["weights_sha256"].pop("first/bias"))
    with pytest.raises(IntegrityError, match="have no recorded digest: first/bias"):
        loom.models.load_model(path)


@pytest.mark.parametrize("table", [["0" * 64], {"first/bias": "F" * 64}, {"first/bias": "0" * 63}, {"first/bias": 7}])
def test_a_malformed_digest_table_is_refused(table, tmp_path):
    path = _saved(tmp_path)
    rewrite_metadata(path, lambda m: m.update(weights_sha256=table))
    with pytest.raises(IntegrityError, match="'weights_sha256' must map each tensor name to its SHA-256"):
        loom.models.load_model(path)


def test_files_written_before_digests_load_and_newer_files_must_have_them(tmp_path):
    model = _two_dense()
    path = _saved(tmp_path, model)
    rewrite_metadata(path, lambda m: m.pop("weights_sha256"))
    with pytest.raises(IntegrityError, match="declares format version 2 but records no 'weights_sha256'"):
        loom.models.load_model(path)
    rewrite_metadata(path, lambda m: m.update(format_version=1))  # what loom wrote before digests
    assert_same_weights(model, loom.models.load_model(path))
    rewrite_members(path, lambda members: members.pop("metadata.json") and None)  # nor any metadata at all
    assert_same_weights(model, loom.models.load_model(path))


def test_weights_files_record_and_check_digests(tmp_path):
    model = _two_dense()
    path = tmp_path / "w.weights.safetensors"
    model.save_weights(path)
    stored = bytearray(path.read_bytes())
    table = json.loads(loom.saving.load_safetensors(path).metadata[integrity.SAFETENSORS_DIGESTS])
    assert table["first/kernel"] == hashlib.sha256(stored[tensor_span(bytes(stored), "first/kernel")]).hexdigest()
    stored[tensor_span(bytes(stored), "first/kernel").stop - 1] ^= 0x80
    path.write_bytes(bytes(stored))
    with pytest.raises(IntegrityError, match="Weights file .*first/kernel"):
        _two_dense().load_weights(path)
    loom.saving.save_safetensors(path, loom.saving.get_model_state(model))  # no digests: loads as before
    other = _two_dense()
    other.load_weights(path)
    assert_same_weights(model, other)


def _diverged_model():
    model = _two_dense()
    kernel = np.asarray(model.get_layer("first").kernel.value).copy()
    kernel[0, 1] = np.nan
    model.get_layer("first").kernel.assign(kernel)
    model.get_layer("second").bias.assign(np.array([np.inf, -np.inf, 0.0], "float32"))
    return model


def test_nonfinite_weights_load_with_a_warning_naming_them(tmp_path):
    model = _diverged_model()
    path = _saved(tmp_path, model)
    message = r"2 weight tensor\(s\) hold NaN or Inf.*first/kernel \(1 NaN\), second/bias \(2 Inf\).*"
    message += "allow_nonfinite=False"
    with pytest.warns(UserWarning, match=message) as caught:
        loaded = loom.models.load_model(path)
    assert caught[0].filename == __file__  # pointed at the caller's line
    assert_bitwise_equal(loaded.get_weights(), model.get_weights())
    model.save_weights(tmp_path / "w.weights.safetensors")
    with pytest.warns(UserWarning, match="Weights file .*first/kernel"):
        _two_dense().load_weights(tmp_path / "w.weights.safetensors")


def test_allow_nonfinite_false_refuses_them_and_leaves_the_model_as_it_was(tmp_path):
    path = _saved(tmp_path, _diverged_model())
    with pytest.raises(NonFiniteWeightsError, match="first/kernel.*Refused because allow_nonfinite=False") as caught:
        loom.models.load_model(path, allow_nonfinite=False)
    assert caught.value.tensors == ["first/kernel", "second/bias"]
    target = _two_dense()
    before = target.get_weights()
    with pytest.raises(NonFiniteWeightsError):
        loom.saving.load_weights(target, path, allow_nonfinite=False)
    assert_bitwise_equal(target.get_weights(), before)


def test_infinite_graph_constants_are_not_weights_and_do_not_warn(tmp_path):
    inputs = loom.Input((2,), name="x")
    masked = inputs + np.array([0.0, -np.inf], "float32")  # a mask constant, stored under __arrays__/
    model = loom.Model(inputs, layers.Dense(1, name="out")(layers.ReLU()(masked)))
    loaded = loom.models.load_model(_saved(tmp_path, model), allow_nonfinite=False)
    assert_same_weights(model, loaded)
