"""loom.legacy.Graph: each wiring mistake is named in words, with the fix and the functional spelling."""

import numpy as np
import pytest

from loom import layers as L
from loom.legacy import Graph


def two_inputs():
    graph = Graph(name="g")
    graph.add_input("a", input_shape=(4,))
    graph.add_input("b", input_shape=(4,))
    return graph


def test_unknown_node_name_lists_the_known_names():
    graph = two_inputs()
    with pytest.raises(ValueError) as info:
        graph.add_node(L.Dense(2), name="h", input="c")
    message = str(info.value)
    assert "Graph 'g': add_node('h') reads from 'c', which is not an input or node of this graph" in message
    assert "known names: ['a', 'b']" in message and "add_input('c', input_shape=...)" in message
    assert "y = layer(x)" in message
    with pytest.raises(ValueError, match=r"add_shared_node\('s'\) reads from 'zz'"):
        graph.add_shared_node(L.Dense(2), name="s", inputs=["a", "zz"])
    with pytest.raises(ValueError, match=r"add_output\('out'\) reads from 'h'"):
        graph.add_output("out", input="h")


def test_duplicate_names_are_refused():
    graph = two_inputs()
    graph.add_node(L.Dense(2), name="h", input="a")
    with pytest.raises(ValueError, match=r"add_input\('a'\): the name 'a' is already used by an input"):
        graph.add_input("a", input_shape=(3,))
    with pytest.raises(ValueError, match=r"add_node\('h'\): the name 'h' is already used by a node.*Pick another name"):
        graph.add_node(L.Dense(2), name="h", input="b")
    with pytest.raises(ValueError, match=r"the name 'a' is already used by an input.*Pick another output name"):
        graph.add_shared_node(L.Dense(2), name="s", inputs=["a", "b"], outputs=["a", "x"])
    with pytest.raises(ValueError, match=r"outputs=\['x', 'x'\] repeats a name"):
        graph.add_shared_node(L.Dense(2), name="s", inputs=["a", "b"], outputs=["x", "x"])
    graph.add_output("out", input="h")
    with pytest.raises(ValueError, match=r"already has an output named 'out'"):
        graph.add_output("out", input="a")
    with pytest.raises(ValueError, match=r"'b' is the name of an input, and fit/predict take one dict"):
        graph.add_output("b", input="h")


def test_merge_mode_with_a_single_input_points_to_input():
    graph = two_inputs()
    with pytest.raises(ValueError) as info:
        graph.add_node(L.Dense(2), name="h", inputs=["a"])
    message = str(info.value)
    assert (
        "add_node('h') merges its inputs with merge_mode='concat', which needs 2 or more; received 1 (['a'])" in message
    )
    assert "pass input='a' instead of inputs=[...]" in message and "y = layer(x)" in message
    with pytest.raises(ValueError) as info:
        graph.add_shared_node(L.Dense(2), name="s", inputs=["a"], merge_mode="sum")
    message = str(info.value)
    assert "shares its layer over 1 input (['a']), so merge_mode='sum' has nothing to merge" in message
    assert "add_node(layer, name='s', input='a')" in message
    with pytest.raises(ValueError, match=r"merge_mode='dot' takes exactly 2 inputs; received 3"):
        graph.add_node(L.Dense(2), name="d", inputs=["a", "b", "a"], merge_mode="dot")


def test_outputs_count_must_match_the_inputs_of_a_shared_node():
    graph = two_inputs()
    with pytest.raises(ValueError) as info:
        graph.add_shared_node(L.Dense(2), name="s", inputs=["a", "b"], outputs=["only_one"])
    message = str(info.value)
    assert "applies its layer to 2 input(s) ['a', 'b'], so it has 2 result(s); received 1 output name(s)" in message
    assert "Give one name per input" in message and "y0 = layer(x0), y1 = layer(x1)" in message
    with pytest.raises(ValueError, match=r"outputs=\['x', 'y'\] names the separate results, which merge_mode='sum'"):
        graph.add_shared_node(L.Dense(2), name="s", inputs=["a", "b"], outputs=["x", "y"], merge_mode="sum")
    with pytest.raises(ValueError, match=r"create_output=True with merge_mode=None needs outputs"):
        graph.add_shared_node(L.Dense(2), name="s", inputs=["a", "b"], create_output=True)


def test_unknown_merge_mode_lists_the_modes_and_their_layers():
    graph = two_inputs()
    with pytest.raises(ValueError) as info:
        graph.add_shared_node(L.Dense(2), name="s", inputs=["a", "b"], merge_mode="avg")
    message = str(info.value)
    assert "Graph 'g': add_shared_node('s'): unknown merge mode 'avg'" in message
    assert "['sum', 'mul', 'concat', 'ave', 'dot', 'cos', 'max']" in message
    assert "'ave' is Average()" in message and "'cos' is Dot(axes=dot_axes, normalize=True)" in message
    with pytest.raises(ValueError, match=r"add_node\('h'\): unknown merge mode 'join'"):
        graph.add_node(L.Dense(2), name="h", inputs=["a", "b"], merge_mode="join")


def test_a_failed_call_leaves_the_graph_as_it_was():
    graph = Graph(name="g")
    graph.add_input("a", input_shape=(4,))
    graph.add_input("b", input_shape=(5,))
    with pytest.raises(ValueError) as info:
        graph.add_node(L.Dense(2), name="h", inputs=["a", "b"], merge_mode="sum")
    assert "merge_mode='sum' cannot merge the inputs ['a', 'b']" in str(info.value)
    assert "(None, 4) and (None, 5)" in str(info.value)
    # The name 'h' and the merge layer's name are free again.
    graph.add_node(L.Dense(2), name="h", inputs=["a", "b"], merge_mode="concat", create_output=True)
    assert [layer.name for layer in graph.layers] == ["a", "b", "h_merge", "h"]


def test_wrong_sources_and_layers():
    graph = two_inputs()
    with pytest.raises(ValueError, match=r"needs exactly one of input='node' \(one source\) or inputs"):
        graph.add_node(L.Dense(2), name="h", input="a", inputs=["a", "b"])
    with pytest.raises(ValueError, match=r"needs exactly one of input='node'"):
        graph.add_node(L.Dense(2), name="h")
    with pytest.raises(TypeError, match=r"takes a layer instance; received the class Dense. Create the layer first"):
        graph.add_node(L.Dense, name="h", input="a")
    with pytest.raises(TypeError, match=r"`inputs` must be a list of names; received 'a'. For one node use input='a'"):
        graph.add_node(L.Dense(2), name="h", inputs="a")
    graph.add_shared_node(L.Dense(2), name="s", inputs=["a", "b"])
    with pytest.raises(TypeError, match=r"reads from 's', a shared node with 2 outputs and no merge_mode"):
        graph.add_node(L.Dense(2), name="h", input="s")
    with pytest.raises(ValueError, match=r"needs the shape of one sample, input_shape=\(...\)"):
        graph.add_input("c")


def test_training_api_needs_outputs_and_matching_dicts():
    graph = two_inputs()
    with pytest.raises(RuntimeError, match=r"Graph 'g' has no outputs yet, so it cannot compile. Add one first"):
        graph.compile("sgd", loss={"out": "mse"})
    graph.add_node(L.Dense(1), name="h", inputs=["a", "b"], merge_mode="sum")
    graph.add_output("out", input="h")
    with pytest.raises(ValueError, match=r"loss dict needs one entry per output \['out'\]; unknown outputs \['h'\]"):
        graph.compile("sgd", loss={"h": "mse"})
    graph.compile("sgd", loss={"out": "mse"})
    a = np.zeros((4, 4), "float32")
    with pytest.raises(TypeError, match=r"fit takes one dict of arrays keyed by input and output name"):
        graph.fit([a, a], np.zeros((4, 1)))
    with pytest.raises(ValueError, match=r"unknown names \['c'\] and no array for \['out'\]"):
        graph.fit({"a": a, "b": a, "c": a}, verbose=0)
    with pytest.raises(ValueError, match=r"no array for \['b'\]; its keys must be the input names \['a', 'b'\]\.$"):
        graph.predict({"a": a})
    with pytest.raises(ValueError, match=r"received nb_epoch=2 and epochs=3"):
        graph.fit({"a": a, "b": a, "out": a[:, :1]}, nb_epoch=2, epochs=3)
