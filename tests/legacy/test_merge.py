"""loom.legacy.Merge and merge: Keras 1's modes as loom's merge layers, both Merge forms, errors."""

import numpy as np
import pytest

import loom
from loom import layers as L
from loom.legacy import BranchMerge, Merge, merge
from loom.models import Sequential

RNG = np.random.default_rng(11)
X = RNG.normal(size=(5, 3)).astype("float32")
Y = RNG.normal(size=(5, 3)).astype("float32")

MODES = {
    "sum": (L.Add, X + Y),
    "mul": (L.Multiply, X * Y),
    "ave": (L.Average, (X + Y) / 2),
    "max": (L.Maximum, np.maximum(X, Y)),
    "concat": (L.Concatenate, np.concatenate([X, Y], -1)),
    "dot": (L.Dot, np.sum(X * Y, -1, keepdims=True)),
    "cos": (
        L.Dot,
        np.sum(X * Y, -1, keepdims=True) / (np.linalg.norm(X, axis=-1) * np.linalg.norm(Y, axis=-1))[:, None],
    ),
}


@pytest.mark.parametrize("mode", sorted(MODES))
def test_each_mode_is_the_modern_layer_and_computes_like_numpy(mode):
    layer_class, expected = MODES[mode]
    layer = Merge(mode=mode, name=f"m_{mode}")
    assert type(layer) is layer_class and layer.name == f"m_{mode}"
    x, y = loom.Input((3,)), loom.Input((3,))
    model = loom.Model([x, y], layer([x, y]))
    np.testing.assert_allclose(model.predict([X, Y], verbose=0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(merge([X, Y], mode=mode), expected, rtol=1e-5, atol=1e-6)


def test_cos_is_dot_with_normalize_and_dot_axes_pairs_are_read_as_keras_1():
    assert Merge(mode="cos", dot_axes=1).normalize is True
    assert Merge(mode="dot", dot_axes=1).normalize is False
    assert Merge(mode="dot", dot_axes=(1, 2)).axes == [1, 2]
    assert Merge(mode="dot", dot_axes=[[2], [1]]).axes == [2, 1]  # Keras 0.x's nested form
    a = RNG.normal(size=(2, 4, 3)).astype("float32")
    b = RNG.normal(size=(2, 5, 4)).astype("float32")
    np.testing.assert_allclose(
        merge([a, b], mode="dot", dot_axes=(1, 2)), np.einsum("bij,bki->bjk", a, b), rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(merge([a, a], mode="concat", concat_axis=1), np.concatenate([a, a], 1))


def test_a_function_mode_is_a_lambda_with_its_output_shape_and_arguments():
    layer = Merge(mode=lambda t, scale=1.0: scale * (t[0] - t[1]), output_shape=(3,), arguments={"scale": 2.0})
    assert isinstance(layer, L.Lambda)
    x, y = loom.Input((3,)), loom.Input((3,))
    out = layer([x, y])
    assert out.shape == (None, 3)
    np.testing.assert_allclose(loom.Model([x, y], out).predict([X, Y], verbose=0), 2 * (X - Y), rtol=1e-6)


def test_unknown_mode_and_bad_dot_axes_are_explained():
    with pytest.raises(ValueError) as info:
        Merge(mode="avg")
    message = str(info.value)
    assert (
        "Merge: unknown merge mode 'avg'; expected one of ['sum', 'mul', 'concat', 'ave', 'dot', 'cos', 'max']"
        in message
    )
    assert "'sum' is Add()" in message and "'max' is Maximum()" in message
    with pytest.raises(ValueError, match=r"merge: unknown merge mode 'join'"):
        merge([X, Y], mode="join")
    with pytest.raises(
        ValueError, match=r"dot_axes must be an int or a pair of ints.*received dot_axes=\[\[1, 2\], \[1, 2\]\]"
    ):
        Merge(mode="dot", dot_axes=[[1, 2], [1, 2]])


def _branches():
    left = Sequential([loom.Input((4,)), L.Dense(3)])
    right = Sequential([loom.Input((6,)), L.Dense(3)])
    return left, right


def test_merge_of_models_holds_the_merged_graph_as_a_functional_model():
    left, right = _branches()
    merged = Merge([left, right], mode="concat")
    assert isinstance(merged, BranchMerge) and isinstance(merged.merging, L.Concatenate)
    assert merged.inputs == [left.input, right.input]
    model = loom.Model(merged.inputs, L.Dense(2)(merged.output))
    xl = RNG.normal(size=(3, 4)).astype("float32")
    xr = RNG.normal(size=(3, 6)).astype("float32")
    head = model.layers[-1]
    expected = np.concatenate([left.predict(xl, verbose=0), right.predict(xr, verbose=0)], -1)
    expected = expected @ head.get_weights()[0] + head.get_weights()[1]
    np.testing.assert_allclose(model.predict([xl, xr], verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_merge_of_models_in_a_sequential_names_the_functional_replacement():
    left, right = _branches()
    model = Sequential()
    with pytest.raises(TypeError) as info:
        model.add(Merge([left, right], mode="cos", dot_axes=1))
    message = str(info.value)
    assert f"Merge(['{left.name}', '{right.name}'], mode='cos') joins models that have their own inputs" in message
    assert f"merged = Dot(axes=1, normalize=True)([{left.name}.output, {right.name}.output])" in message
    assert f"model = Model(inputs=[{left.name}.input, {right.name}.input], outputs=y)" in message
    with pytest.raises(TypeError, match=r"Merge\(layers=...\) takes layers or models; received ndarray"):
        Merge([X, Y], mode="sum")
    with pytest.raises(ValueError, match=r"merges 2 or more layers or models"):
        Merge([left], mode="sum")
