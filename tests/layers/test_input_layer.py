import numpy as np
import pytest

import loom
from loom.layers import Dense, Input, InputLayer


def test_int_shape_and_batch_size():
    assert Input(100).shape == (None, 100)
    assert Input((3, 4), batch_size=8).shape == (8, 3, 4)
    assert Input(batch_shape=(2, 5)).shape == (2, 5)
    assert Input(shape=(None, 8), dtype="int32").dtype == "int32"


def test_input_tensor_name_and_layer():
    x = Input((3,), name="features")
    assert x.name == "features" and isinstance(x.operation, InputLayer)
    assert x.operation.output is x


def test_constant_input_from_array_is_never_fed():
    table = np.arange(12, dtype="float32").reshape(4, 3)
    x = Input((3,))
    constant = Input(tensor=table)
    assert constant.shape == (4, 3) and constant.operation.is_constant
    out = loom.ops.matmul(x, loom.ops.transpose(constant))
    model = loom.Model([x, constant], out)
    data = np.random.rand(5, 3).astype("float32")
    np.testing.assert_allclose(model.predict(data), data @ table.T, rtol=1e-5)


def test_constant_input_from_variable():
    values = np.ones((2, 3), dtype="float32")
    constant = Input(tensor=loom.Variable(values))
    x = Input((3,))
    model = loom.Model([x, constant], x @ loom.ops.transpose(constant))
    np.testing.assert_allclose(model.predict(np.ones((1, 3))), [[3.0, 3.0]])


def test_input_errors():
    with pytest.raises(ValueError, match="Input needs a shape"):
        Input()
    with pytest.raises(ValueError, match="non-negative int or None"):
        Input((3, -1))
    with pytest.raises(TypeError, match="tuple of ints"):
        Input(shape=3.5)
    with pytest.raises(ValueError, match="either `shape` or `batch_shape`"):
        Input(shape=(3,), batch_shape=(None, 3))
    with pytest.raises(ValueError, match=r"shape=\(5,\) does not match the constant tensor of shape \(4, 3\)"):
        Input(shape=(5,), tensor=np.zeros((4, 3)))
    with pytest.raises(TypeError, match="takes a concrete array"):
        Input(tensor=Input((3,)))


def test_input_layer_cannot_be_called():
    layer = InputLayer(shape=(2,))
    with pytest.raises(RuntimeError, match="cannot be called"):
        layer(np.ones((1, 2)))


def test_input_config():
    config = Input((3,), name="a", dtype="int32").operation.get_config()
    assert config == {"batch_shape": (None, 3), "dtype": "int32", "sparse": False, "name": "a", "optional": False}
    assert Dense(2)(Input((3,))).shape == (None, 2)
