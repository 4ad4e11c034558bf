import numpy as np
import pytest

import loom
from loom.layers import Dense, Input


def summary_of(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return lines[0]


def test_functional_summary_shows_shapes_params_and_shared_nodes():
    a, b = Input((10,), name="a"), Input((10,), name="b")
    shared = Dense(4, name="shared")
    out = loom.ops.add(shared(a), shared(b))
    model = loom.Model([a, b], out, name="siamese")
    text = summary_of(model)
    assert 'Model: "siamese"' in text
    assert "shared (Dense)" in text and "(None, 4)" in text and "44" in text
    assert "a[0][0]" in text and "b[0][0]" in text
    assert "shared[0][0], shared[1][0]" in text
    assert "Total params: 44 (176.00 B)" in text
    assert "Trainable params: 44" in text and "Non-trainable params: 0" in text


def test_summary_counts_frozen_weights_as_non_trainable():
    x = Input((3,))
    frozen = Dense(2, name="frozen", trainable=False)
    model = loom.Model(x, Dense(1)(frozen(x)))
    text = summary_of(model, show_trainable=True)
    assert "Trainable params: 3 " in text and "Non-trainable params: 8 " in text
    assert "Trainable" in text.splitlines()[1] or "Trainable" in text


def test_sequential_summary_has_no_connection_column():
    model = loom.Sequential([Input((4,)), Dense(3)], name="seq")
    text = summary_of(model)
    assert "Connected to" not in text and "dense (Dense)" in text and "input_layer" not in text


def test_expand_nested_and_constants():
    inner_in = Input((3,))
    inner = loom.Model(inner_in, Dense(2, name="inner_dense")(inner_in), name="inner")
    x = Input((3,))
    model = loom.Model(x, inner(x) * np.ones((1, 2), "float32"))
    text = summary_of(model, expand_nested=True)
    assert "inner (Functional)" in text and "└ inner_dense (Dense)" in text
    assert "constant (1, 2)" in text


def test_summary_default_prints(capsys):
    model = loom.Sequential([Input((2,)), Dense(1)])
    model.summary()
    assert "Total params: 3" in capsys.readouterr().out


def test_layer_range():
    model = loom.Sequential([Input((2,)), Dense(3, name="a"), Dense(2, name="b"), Dense(1, name="c")])
    text = summary_of(model, layer_range=["b", "c"])
    assert "a (Dense)" not in text and "b (Dense)" in text
    with pytest.raises(ValueError, match="names a layer not in the summary"):
        summary_of(model, layer_range=["x", "c"])
