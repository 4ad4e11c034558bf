import numpy as np
import pytest

import loom
from loom import ops
from loom.layers import Dense, Layer


class Sampling(Layer):
    def call(self, inputs, training=None):
        return inputs + (ops.ones_like(inputs) if training else ops.zeros_like(inputs))


class TwoTower(loom.Model):
    """The subclassing guide's shape: layers in __init__, maths in call."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encoders = [Dense(8, activation="relu"), Dense(4)]
        self.heads = {"score": Dense(1)}
        self.noise = Sampling()

    def call(self, inputs, training=False):
        x = inputs
        for layer in self.encoders:
            x = layer(x)
        return self.heads["score"](self.noise(x, training=training))


def test_subclassed_model_predicts_and_tracks_weights():
    model = TwoTower()
    assert model.name == "two_tower"
    x = np.random.rand(5, 3).astype("float32")
    out = model.predict(x, batch_size=2)
    assert out.shape == (5, 1)
    assert [w.path for w in model.weights] == [
        "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias", "dense_2/kernel", "dense_2/bias",
    ]
    np.testing.assert_allclose(np.asarray(model(x)), out, rtol=1e-5, atol=1e-6)
    trained = np.asarray(model(x, training=True))
    assert not np.allclose(trained, out)


def test_subclassed_model_summary_after_build():
    model = TwoTower()
    unbuilt = []
    model.summary(print_fn=unbuilt.append)  # listed as Keras lists it, not refused
    assert "0 (unbuilt)" in unbuilt[0] and "Total params: 0" in unbuilt[0]
    model.build((None, 3))
    lines = []
    model.summary(print_fn=lines.append)
    text = lines[0]
    assert 'Model: "two_tower"' in text and "dense_2 (Dense)" in text
    assert "Total params: 73" in text


def test_freezing_a_subclassed_model():
    model = TwoTower()
    model(np.ones((1, 3)))
    model.encoders[0].trainable = False
    assert len(model.trainable_weights) == 4 and len(model.non_trainable_weights) == 2


def test_model_constructor_rejects_stray_positional_arguments():
    class PassThrough(loom.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)

    with pytest.raises(TypeError, match="unexpected positional arguments"):
        PassThrough(3)


def test_get_layer_by_name_and_index():
    x = loom.Input((2,))
    model = loom.Model(x, Dense(1, name="head")(Dense(3, name="body")(x)))
    assert model.get_layer("head").name == "head" and model.get_layer(index=1).name == "body"
    with pytest.raises(ValueError, match=r"No layer named 'neck' .* \['input_layer', 'body', 'head'\]"):
        model.get_layer("neck")
    with pytest.raises(ValueError, match="has 3 layers; received index=7"):
        model.get_layer(index=7)
    with pytest.raises(ValueError, match="either `name` or `index`"):
        model.get_layer("head", 0)
