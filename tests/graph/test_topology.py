import pytest

from loom import ops
from loom.graph import topology
from loom.layers import Input


def test_nodes_come_after_their_inputs_and_each_once():
    x = Input((3,))
    a = x * 2.0
    b = a + 1.0
    c = a * b
    nodes, used = topology.nodes_between([x], [c])
    names = [n.operation.function_name for n in nodes]
    assert names == ["multiply", "add", "multiply"]
    assert used == {id(x)}


def test_disconnected_output_names_missing_input():
    x, y = Input((3,)), Input((3,))
    with pytest.raises(topology.DisconnectedError) as info:
        topology.nodes_between([x], [ops.add(x, y)])
    assert info.value.missing_input is y


def test_depths_decrease_towards_outputs():
    x = Input((3,))
    a = x * 2.0
    b = a + 1.0
    nodes, _ = topology.nodes_between([x], [b])
    depths = topology.node_depths(nodes)
    assert depths[id(nodes[0])] == 1 and depths[id(nodes[1])] == 0


def test_deep_chain_does_not_hit_recursion_limit():
    x = Input((2,))
    y = x
    for _ in range(3000):
        y = y + 1.0
    nodes, _ = topology.nodes_between([x], [y])
    assert len(nodes) == 3000
