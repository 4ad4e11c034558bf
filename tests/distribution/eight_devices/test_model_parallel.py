"""ModelParallel on a (2, 4) mesh: the LayoutMap's variables really are split, and training
gives the single-device numbers (see RTOL)."""

import re

import numpy as np
import pytest

import loom
from loom import distribution
from tests.distribution.eight_devices.sharded_runs import (
    assert_same_training,
    compiled_step_text,
    spec,
    train,
)


def _mesh():
    return distribution.DeviceMesh((2, 4), ("batch", "model"))


def _model_parallel():
    layout_map = distribution.LayoutMap(_mesh())
    layout_map["hidden/kernel"] = (None, "model")
    layout_map["hidden/bias"] = ("model",)
    layout_map[".*embedding.*"] = (None, "model")
    return distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch")


def _build():
    tokens = loom.Input((5,), dtype="int32")
    embedded = loom.layers.Embedding(50, 8, name="embedding")(tokens)
    flat = loom.layers.Flatten()(embedded)
    hidden = loom.layers.Dense(16, activation="relu", name="hidden")(flat)
    output = loom.layers.Dense(3, activation="softmax", name="out")(hidden)
    model = loom.Model(tokens, output)
    model.compile(loom.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _data():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 50, size=(96, 5)).astype("int32")
    return x, (x[:, 0] % 3).astype("int32")


def test_layout_map_variables_are_sharded_and_the_rest_replicated():
    model, _ = train(_build, _data(), _model_parallel())
    by_path = {v.path: v for v in model.variables}
    assert spec(by_path["hidden/kernel"].value) == (None, "model")
    assert spec(by_path["hidden/bias"].value) == ("model",)
    assert spec(by_path["embedding/embeddings"].value) == (None, "model")
    assert all(axis is None for axis in spec(by_path["out/kernel"].value))
    # Each device holds a quarter of the kernel's columns.
    shard = by_path["hidden/kernel"].value.addressable_shards[0]
    assert shard.data.shape == (40, 4)
    # Adam's moments follow their variable's layout.
    moments = [
        v for v in model.optimizer.variables if v.path.endswith(("hidden_kernel_momentum", "hidden_kernel_velocity"))
    ]
    assert len(moments) == 2 and all(spec(v.value) == (None, "model") for v in moments)


def test_training_matches_one_device_and_the_program_communicates():
    reference = train(_build, _data())
    sharded = train(_build, _data(), _model_parallel())
    assert_same_training(reference, sharded)
    with _model_parallel().scope():
        text = compiled_step_text(sharded[0], *_data())
    assert "all-reduce" in text or "reduce-scatter" in text or "all-gather" in text


def test_predict_and_evaluate_match_one_device():
    x, y = _data()
    reference, _ = train(_build, (x, y))
    dist = _model_parallel()
    sharded, _ = train(_build, (x, y), dist)
    with dist.scope():
        np.testing.assert_allclose(sharded.predict(x, verbose=0), reference.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(sharded.evaluate(x, y, verbose=0), reference.evaluate(x, y, verbose=0), rtol=1e-5)


def test_a_layout_that_does_not_divide_the_variable_names_it():
    layout_map = distribution.LayoutMap(_mesh())
    layout_map["out/kernel"] = (None, "model")  # 3 units over 4 devices
    with pytest.raises(ValueError, match=r"'out/kernel' of shape \(16, 3\).*3 does not divide over the 4 devices"):
        train(_build, _data(), distribution.ModelParallel(layout_map=layout_map))


def test_a_layout_of_the_wrong_rank_names_the_variable():
    layout_map = distribution.LayoutMap(_mesh())
    layout_map["hidden/bias"] = (None, "model")
    with pytest.raises(ValueError, match=r"'hidden/bias' has 2 entries but the variable has shape \(16,\)"):
        train(_build, _data(), distribution.ModelParallel(layout_map=layout_map))


def test_layout_summary_shows_each_variables_layout_and_device_share():
    model, _ = train(_build, _data(), _model_parallel())
    lines = []
    text = distribution.layout_summary(model, print_fn=lines.append)
    assert lines == [text]
    assert re.search(r"^hidden/kernel +\(40, 16\) +\(-, model\) +\(40, 4\) +8$", text, re.MULTILINE)
    assert re.search(r"^out/kernel +\(16, 3\) +replicated +\(16, 3\) +8$", text, re.MULTILINE)
    assert re.search(r"^adam/hidden_kernel_momentum +\(40, 16\) +\(-, model\) +\(40, 4\) +8$", text, re.MULTILINE)
    # Per device: the hidden kernel, its bias, the embedding table and their Adam moments are split 4 ways.
    split = 40 * 16 + 16 + 50 * 8
    whole = sum(v.value.size for v in model.variables) - split
    optimizer_whole = sum(v.value.size for v in model.optimizer.variables) - 2 * split
    expected = 4 * (split // 4 + whole + 2 * split // 4 + optimizer_whole)
    assert text.splitlines()[-1] == f"bytes held by each device: {expected:,}"
