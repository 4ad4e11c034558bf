"""loom.legacy.Graph: merge modes against NumPy and the functional API, the Keras 1 training API, saving."""

import numpy as np
import pytest

import loom
from loom import layers as L
from loom.legacy import Graph

RNG = np.random.default_rng(7)
A = RNG.normal(size=(6, 4)).astype("float32")
B = RNG.normal(size=(6, 4)).astype("float32")


def shared_graph(merge_mode, **merge_args):
    """inputs a, b -> one Dense(3) shared by both, merged by ``merge_mode`` -> output 'out'."""
    graph = Graph()
    graph.add_input("a", input_shape=(4,))
    graph.add_input("b", input_shape=(4,))
    graph.add_shared_node(L.Dense(3), name="shared", inputs=["a", "b"], merge_mode=merge_mode, **merge_args)
    graph.add_output("out", input="shared")
    return graph


def _cosine(x, y):
    return np.sum(x * y, -1, keepdims=True) / (
        np.linalg.norm(x, axis=-1, keepdims=True) * np.linalg.norm(y, axis=-1, keepdims=True)
    )


NUMPY_MERGES = {
    "sum": (lambda x, y: x + y, L.Add),
    "mul": (lambda x, y: x * y, L.Multiply),
    "ave": (lambda x, y: (x + y) / 2, L.Average),
    "max": (np.maximum, L.Maximum),
    "concat": (lambda x, y: np.concatenate([x, y], -1), L.Concatenate),
    "dot": (lambda x, y: np.sum(x * y, -1, keepdims=True), lambda: L.Dot(axes=1)),
    "cos": (_cosine, lambda: L.Dot(axes=1, normalize=True)),
}


@pytest.mark.parametrize("mode", sorted(NUMPY_MERGES))
def test_shared_node_merge_matches_numpy_and_the_functional_api(mode):
    graph = shared_graph(mode)
    predicted = graph.predict({"a": A, "b": B})
    assert list(predicted) == ["out"]
    kernel, bias = graph.get_layer("shared").get_weights()
    numpy_merge, modern_layer = NUMPY_MERGES[mode]
    expected = numpy_merge(A @ kernel + bias, B @ kernel + bias)
    np.testing.assert_allclose(predicted["out"], expected, rtol=1e-5, atol=1e-6)
    # The same model in the functional API, with a fresh Dense given the graph's weights.
    a, b = loom.Input((4,)), loom.Input((4,))
    dense = L.Dense(3)
    model = loom.Model([a, b], modern_layer()([dense(a), dense(b)]))
    dense.set_weights([kernel, bias])
    np.testing.assert_allclose(predicted["out"], model.predict([A, B], verbose=0), rtol=1e-6, atol=1e-6)


def test_add_node_merges_its_inputs_before_calling_the_layer():
    graph = Graph()
    graph.add_input("a", input_shape=(4,))
    graph.add_input("b", input_shape=(4,))
    graph.add_node(L.Dense(2), name="h", inputs=["a", "b"])  # merge_mode='concat' by default, as Keras 1
    graph.add_node(L.Dense(2), name="m", inputs=["a", "b"], merge_mode="mul")
    graph.add_output("out", inputs=["h", "m"], merge_mode="sum")
    kh, bh = graph.get_layer("h").get_weights()
    km, bm = graph.get_layer("m").get_weights()
    expected = np.concatenate([A, B], -1) @ kh + bh + (A * B) @ km + bm
    np.testing.assert_allclose(graph.predict({"a": A, "b": B})["out"], expected, rtol=1e-5, atol=1e-6)


def test_dot_axes_pair_and_concat_axis_follow_keras_1():
    graph = Graph()
    graph.add_input("x", input_shape=(3, 4))
    graph.add_input("y", input_shape=(4, 5))
    graph.add_node(L.Identity(), name="xy", inputs=["x", "y"], merge_mode="dot", dot_axes=(2, 1))
    graph.add_node(L.Identity(), name="xx", inputs=["x", "x"], merge_mode="concat", concat_axis=1)
    graph.add_output("xy_out", input="xy")
    graph.add_output("xx_out", input="xx")
    x = RNG.normal(size=(2, 3, 4)).astype("float32")
    y = RNG.normal(size=(2, 4, 5)).astype("float32")
    predicted = graph.predict({"x": x, "y": y})
    np.testing.assert_allclose(predicted["xy_out"], np.einsum("bij,bjk->bik", x, y), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(predicted["xx_out"], np.concatenate([x, x], 1))


def test_shared_node_without_merge_mode_names_each_result_and_can_be_listed_whole():
    graph = Graph()
    graph.add_input("a", input_shape=(4,))
    graph.add_input("b", input_shape=(4,))
    graph.add_shared_node(L.Dense(3), name="s", inputs=["a", "b"], outputs=["sa", "sb"], create_output=True)
    graph.add_node(L.Identity(), name="both", inputs=["s"], merge_mode="sum")  # 's' gives both results
    graph.add_output("total", input="both")
    kernel, bias = graph.get_layer("s").get_weights()
    predicted = graph.predict({"a": A, "b": B})
    assert sorted(predicted) == ["sa", "sb", "total"]
    np.testing.assert_allclose(predicted["sa"], A @ kernel + bias, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predicted["sb"], B @ kernel + bias, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predicted["total"], predicted["sa"] + predicted["sb"], rtol=1e-5, atol=1e-6)


def test_shared_node_with_merge_mode_can_create_its_output():
    graph = Graph()
    graph.add_input("a", input_shape=(4,))
    graph.add_input("b", input_shape=(4,))
    graph.add_shared_node(L.Dense(3), name="s", inputs=["a", "b"], merge_mode="mul", create_output=True)
    kernel, bias = graph.get_layer("s").get_weights()
    expected = (A @ kernel + bias) * (B @ kernel + bias)
    np.testing.assert_allclose(graph.predict({"a": A, "b": B})["s"], expected, rtol=1e-5, atol=1e-6)


def test_add_node_without_merge_mode_gives_the_layer_the_list():
    # The seed's first attempt: a Lambda of two tensors over two nodes.
    graph = Graph()
    graph.add_input("o1", input_shape=(4,))
    graph.add_input("o2", input_shape=(4,))
    function = L.Lambda(lambda x, y: loom.ops.sum(x * y, axis=-1, keepdims=True))
    graph.add_node(function, name="ls", inputs=["o1", "o2"], merge_mode=None, create_output=True)
    np.testing.assert_allclose(graph.predict({"o1": A, "o2": B})["ls"], np.sum(A * B, -1, keepdims=True), rtol=1e-5)


def test_nodes_name_their_layers_and_the_summary_shows_them():
    graph = shared_graph("sum")
    lines = []
    graph.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "shared (Dense)" in text and "shared_merge (Add)" in text and "a (InputLayer)" in text
    assert graph.input_names == ["a", "b"] and graph.output_names == ["out"]
    assert isinstance(graph, loom.Model)


def _regression_graph():
    graph = Graph()
    graph.add_input("a", input_shape=(4,))
    graph.add_input("b", input_shape=(4,))
    graph.add_shared_node(L.Dense(3), name="s", inputs=["a", "b"], merge_mode="concat")
    graph.add_node(L.Dense(1), name="y", input="s", create_output=True)
    graph.add_node(L.Dense(2), name="z", input="s")
    graph.add_output("z_out", input="z")
    graph.compile("sgd", loss={"y": "mse", "z_out": "mse"})
    return graph


def _regression_data(n=32):
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(n, 4)).astype("float32"), rng.normal(size=(n, 4)).astype("float32")
    return {"a": a, "b": b, "y": (a - b).sum(-1, keepdims=True), "z_out": np.stack([a[:, 0], b[:, 1]], -1)}


def test_fit_takes_one_dict_and_nb_epoch():
    graph, data = _regression_graph(), _regression_data()
    before = graph.evaluate(data)
    history = graph.fit(data, nb_epoch=3, batch_size=8, verbose=0, validation_data=data)
    assert len(history.history["loss"]) == 3 and len(history.history["val_loss"]) == 3
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert graph.evaluate(data)[0] < before[0]
    assert graph.fit(data, epochs=2, verbose=0).history["loss"].__len__() == 2
    assert len(graph.fit(data, verbose=0).history["loss"]) == 10  # Keras 1's default nb_epoch


def test_single_batch_methods_take_dicts():
    graph, data = _regression_graph(), _regression_data(8)
    first = graph.test_on_batch(data)
    graph.train_on_batch(data)
    graph.train_on_batch(data)
    assert graph.test_on_batch(data)[0] < first[0]
    predicted = graph.predict_on_batch({"a": data["a"], "b": data["b"]})
    assert sorted(predicted) == ["y", "z_out"] and predicted["z_out"].shape == (8, 2)
    # Arrays for the outputs may stay in the dict given to predict.
    np.testing.assert_allclose(graph.predict(data)["y"], predicted["y"], rtol=1e-5, atol=1e-6)


def test_int_inputs_feed_an_embedding():
    graph = Graph()
    graph.add_input("words", input_shape=(5,), dtype="int")
    graph.add_node(L.Embedding(10, 2), name="embedded", input="words", create_output=True)
    words = np.arange(10).reshape(2, 5)
    table = graph.get_layer("embedded").get_weights()[0]
    assert graph.inputs[0].dtype == "int32"
    np.testing.assert_allclose(graph.predict({"words": words})["embedded"], table[words])


@pytest.mark.parametrize("filename", ["graph.loom", "graph.keras"])
def test_graph_saves_and_loads_as_a_graph(tmp_path, filename):
    graph, data = _regression_graph(), _regression_data()
    graph.fit(data, nb_epoch=1, verbose=0)
    path = tmp_path / filename
    graph.save(path)
    loaded = loom.saving.load_model(path)
    assert type(loaded) is Graph
    assert loaded.input_names == ["a", "b"] and loaded.output_names == ["y", "z_out"]
    expected, predicted = graph.predict(data), loaded.predict(data)
    for name in ("y", "z_out"):
        np.testing.assert_array_equal(predicted[name], expected[name])
    # The loaded graph keeps training from the saved optimizer state, on dicts.
    assert len(loaded.fit(data, nb_epoch=1, verbose=0).history["loss"]) == 1
