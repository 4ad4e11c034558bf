import numpy as np
import pytest

import loom
from loom import ops
from loom.layers import Dense, Input, Lambda


def two_input_model():
    a, b = Input((3,), name="a"), Input((2,), name="b")
    return loom.Model([a, b], Dense(1)(ops.concatenate([a, b], axis=-1)))


def test_predict_batches_match_one_big_call():
    model = two_input_model()
    xa, xb = np.random.rand(70, 3).astype("float32"), np.random.rand(70, 2).astype("float32")
    full = np.asarray(model([xa, xb]))
    for batch_size in (1, 7, 32, 100):
        np.testing.assert_allclose(model.predict([xa, xb], batch_size=batch_size), full, rtol=1e-5, atol=1e-6)
    assert isinstance(model.predict([xa, xb]), np.ndarray)


def test_predict_on_batch_and_lists_of_numbers():
    x = Input((2,))
    model = loom.Model(x, x * 2.0)
    np.testing.assert_allclose(model.predict_on_batch([[1.0, 2.0]]), [[2.0, 4.0]])
    np.testing.assert_allclose(model.predict(np.array([[1, 2]], dtype="int64")), [[2.0, 4.0]])


def test_predict_input_errors_are_caught_before_computing():
    model = two_input_model()
    with pytest.raises(ValueError, match=r"expects 2 input array\(s\) \['a', 'b'\]; received 1"):
        model.predict(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"unknown names \['c'\]"):
        model.predict({"a": np.ones((4, 3)), "c": np.ones((4, 2))})
    with pytest.raises(ValueError, match="is missing inputs \\['b'\\]"):
        model.predict({"a": np.ones((4, 3))})
    with pytest.raises(ValueError, match="different numbers of samples: 'a' has 4, 'b' has 3"):
        model.predict([np.ones((4, 3)), np.ones((3, 2))])
    with pytest.raises(ValueError, match="positive int"):
        model.predict([np.ones((4, 3)), np.ones((4, 2))], batch_size=0)
    with pytest.raises(ValueError, match="needs input data"):
        model.predict(None)
    with pytest.raises(TypeError, match="symbolic tensor"):
        model.predict([Input((3,)), np.ones((4, 2))])


def test_fixed_batch_model_pads_the_last_batch():
    x = Input(batch_shape=(4, 2))
    # A batch-mixing function: padding must not change the real rows' results... per batch.
    model = loom.Model(x, Lambda(lambda t: t - ops.mean(t, axis=0, keepdims=True) * 0.0 + 1.0)(x))
    out = model.predict(np.zeros((10, 2)))
    assert out.shape == (10, 2)
    np.testing.assert_allclose(out, 1.0)
    with pytest.raises(ValueError, match="built for batches of exactly 4"):
        model.predict(np.zeros((10, 2)), batch_size=5)


def test_predict_uses_inference_mode():
    class Noisy(loom.layers.Layer):
        def call(self, inputs, training=None):
            return inputs + (100.0 if training else 0.0)

    x = Input((1,))
    model = loom.Model(x, Noisy()(x))
    np.testing.assert_allclose(model.predict(np.zeros((3, 1))), 0.0)
