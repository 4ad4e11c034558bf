import jax.numpy as jnp
import numpy as np
import pytest

from loom.graph.symbolic_tensor import SymbolicTensor
from loom.layers import Input


def test_arrays_on_the_left_record_nodes():
    x = Input((3,))
    for result in (np.ones(3) * x, jnp.ones(3) + x, np.ones((1, 3)) - x):
        assert isinstance(result, SymbolicTensor) and result.shape == (None, 3)
        assert any(t is x for t in result.node.input_tensors)


def test_converting_to_an_array_explains_loom_ops():
    x = Input((3,))
    with pytest.raises(TypeError, match=r"(?s)symbolic tensor .* loom.ops"):
        np.asarray(x)
    with pytest.raises(TypeError, match="holds no numbers"):
        if x > 0:
            pass
    with pytest.raises(TypeError, match="Cannot iterate"):
        a, b = x


def test_equality_records_a_node_but_asserts_identity():
    a, b = Input((2,)), Input((2,))
    equal = a == b
    assert isinstance(equal, SymbolicTensor) and equal.dtype == "bool"
    assert not equal and (a == a) and (a != b) and not (a != a)
    assert len({a, b, a}) == 2  # hashable by identity


def test_shape_dtype_name_ndim():
    x = SymbolicTensor((None, 4, 2), dtype="int32", name="t")
    assert (x.shape, x.dtype, x.name, x.ndim) == ((None, 4, 2), "int32", "t", 3)
    assert x.node is None and "shape=(None, 4, 2)" in repr(x)
