import numpy as np
import pytest

import loom
from loom import ops
from loom.layers import Dense, Input, Lambda, Layer


def make_classifier(hidden, name=None, layer_names=False):
    inputs = Input((4,))
    x = Dense(hidden, activation="relu", name="hidden" if layer_names else None)(inputs)
    outputs = Dense(3, activation="softmax", name="out" if layer_names else None)(x)
    return loom.Model(inputs, outputs, name=name)


def test_multiple_inputs_and_outputs_as_lists():
    a, b = Input((3,), name="a"), Input((2,), name="b")
    h = Dense(4)(a)
    out1 = Dense(1, name="first")(h)
    out2 = Dense(2, name="second")(ops.concatenate([h, b], axis=-1))
    model = loom.Model([a, b], [out1, out2])
    assert model.input_names == ["a", "b"] and model.output_names == ["first", "second"]
    assert model.input_shape == [(None, 3), (None, 2)] and model.output_shape == [(None, 1), (None, 2)]
    ya, yb = model.predict([np.ones((5, 3)), np.ones((5, 2))])
    assert ya.shape == (5, 1) and yb.shape == (5, 2)
    by_name = model.predict({"b": np.ones((5, 2)), "a": np.ones((5, 3))})
    np.testing.assert_allclose(by_name[0], ya, rtol=1e-6)


def test_dict_inputs_and_outputs():
    inputs = {"x": Input((3,), name="x"), "y": Input((3,), name="y")}
    total = ops.add(inputs["x"], inputs["y"])
    model = loom.Model(inputs, {"sum": total, "double": total * 2.0})
    assert model.output_names == ["sum", "double"]
    out = model.predict({"x": np.ones((2, 3)), "y": np.ones((2, 3))})
    assert set(out) == {"sum", "double"}
    np.testing.assert_allclose(out["double"], 4.0)


def test_calling_a_model_on_arrays_runs_the_graph():
    model = make_classifier(5)
    x = np.random.rand(3, 4).astype("float32")
    np.testing.assert_allclose(np.asarray(model(x)), model.predict(x), rtol=1e-5, atol=1e-6)


def test_nested_model_shares_weights_across_calls():
    tower = make_classifier(6, name="tower")
    a, b = Input((4,)), Input((4,))
    siamese = loom.Model([a, b], ops.concatenate([tower(a), tower(b)], axis=-1))
    assert len(siamese.weights) == 4
    assert {id(w) for w in siamese.weights} == {id(w) for w in tower.weights}
    x = np.random.rand(2, 4).astype("float32")
    both = siamese.predict([x, x])
    np.testing.assert_allclose(both[:, :3], tower.predict(x), rtol=1e-5)
    np.testing.assert_allclose(both[:, 3:], both[:, :3], rtol=1e-6)
    tower.layers[1].set_weights([np.zeros((4, 6)), np.zeros(6)])
    np.testing.assert_allclose(siamese.predict([x, x])[:, :3], np.full((2, 3), 1 / 3), rtol=1e-5)


def test_intermediate_output_model():
    model = make_classifier(5, layer_names=True)
    probe = loom.Model(model.input, model.get_layer("hidden").output)
    x = np.random.rand(2, 4).astype("float32")
    kernel, bias = model.get_layer("hidden").get_weights()
    np.testing.assert_allclose(probe.predict(x), np.maximum(x @ kernel + bias, 0), rtol=1e-5)


def test_intermediate_output_of_nested_model_via_node_index():
    inner = make_classifier(5, name="inner", layer_names=True)
    outer_input = Input((4,))
    outer = loom.Model(outer_input, Dense(2)(inner(outer_input)), name="outer")
    hidden = outer.get_layer("inner").get_layer("hidden")
    assert len(hidden.inbound_nodes) == 2  # its own graph, then inner(outer_input)
    probe = loom.Model(outer.inputs, hidden.get_output_at(1))
    x = np.random.rand(3, 4).astype("float32")
    kernel, bias = hidden.get_weights()
    np.testing.assert_allclose(probe.predict(x), np.maximum(x @ kernel + bias, 0), rtol=1e-5)
    # `.output` still means the layer's own call inside `inner`.
    assert hidden.output is hidden.get_output_at(0)


def test_nested_intermediate_output_by_path_where_keras_says_not_connected():
    inner = make_classifier(5, name="inner", layer_names=True)
    outer_input = Input((4,))
    outer = loom.Model(outer_input, inner(outer_input), name="outer")
    probe = loom.Model(outer.inputs, outer.get_layer("inner/hidden").output)
    x = np.random.rand(3, 4).astype("float32")
    np.testing.assert_allclose(probe.predict(x), loom.Model(inner.input, inner.get_layer("hidden").output).predict(x), rtol=1e-6)


def test_intermediate_output_ambiguous_when_nested_model_called_twice():
    inner = make_classifier(5, name="inner", layer_names=True)
    a, b = Input((4,)), Input((4,))
    loom.Model([a, b], ops.add(inner(a), inner(b)))
    with pytest.raises(ValueError, match=r"called 2 times .* get_output_at\(1\), get_output_at\(2\)"):
        loom.Model([a, b], inner.get_layer("hidden").output)


def test_ensemble_of_models_with_the_same_layer_names():
    models = [make_classifier(h, name=f"m{i}", layer_names=True) for i, h in enumerate((8, 10, 12))]
    # Flattened, as in seed 004: the members' own inputs and outputs.
    outputs = [m.output * np.full((1, 3), w, "float32") for m, w in zip(models, (0.5, 0.3, 0.2))]
    ensemble = loom.Model([m.input for m in models], loom.ops.add(loom.ops.add(outputs[0], outputs[1]), outputs[2]))
    assert ensemble.get_layer("m1/hidden") is models[1].get_layer("hidden")
    with pytest.raises(ValueError, match=r"3 layers named 'hidden': \['m0/hidden', 'm1/hidden', 'm2/hidden'\]"):
        ensemble.get_layer("hidden")
    x = [np.random.rand(2, 4).astype("float32") for _ in models]
    expected = sum(w * m.predict(xi) for m, w, xi in zip(models, (0.5, 0.3, 0.2), x))
    np.testing.assert_allclose(ensemble.predict(x), expected, rtol=1e-5)
    text = []
    ensemble.summary(print_fn=text.append)
    assert "m2/hidden (Dense)" in text[0]
    # Nested, each member called on one shared input.
    shared = Input((4,))
    nested = loom.Model(shared, ops.add(models[0](shared), models[1](shared)))
    assert [layer.name for layer in nested.layers] == ["input_layer_3", "m0", "m1"]


def test_duplicate_layer_names_in_one_model():
    x = Input((3,))
    y = Dense(2, name="same")(Dense(2, name="same")(x))
    with pytest.raises(ValueError, match="name 'same' is used by 2 different layers"):
        loom.Model(x, y)


def test_output_not_computed_from_inputs_names_the_input_and_its_model():
    a, b = Input((3,), name="a"), Input((3,), name="b")
    with pytest.raises(ValueError, match=r"needs Input 'b' .* not among the model's inputs \['a'\]"):
        loom.Model(a, ops.add(a, b))
    other = make_classifier(4, name="encoder", layer_names=True)
    with pytest.raises(ValueError, match=r"belongs to model 'encoder': call that model on your tensors"):
        loom.Model(a, other.get_layer("hidden").output)


def test_non_tensor_and_repeated_inputs_are_rejected():
    a = Input((3,), name="a")
    with pytest.raises(TypeError, match=r"received ndarray at position 1. For a constant input use loom.Input\(tensor=array\)"):
        loom.Model([a, np.ones(3)], Dense(1)(a))
    with pytest.raises(ValueError, match="same tensor appears twice"):
        loom.Model([a, a], Dense(1)(a))


def test_model_call_checks_input_count_keys_and_shapes():
    a, b = Input((3,), name="a"), Input((2,), name="b")
    model = loom.Model([a, b], ops.concatenate([a, b], axis=-1))
    with pytest.raises(ValueError, match=r"expects 2 input array\(s\) \['a', 'b'\]; received 1"):
        model(np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"unknown names \['c'\]"):
        model({"a": np.ones((1, 3)), "c": np.ones((1, 2))})
    with pytest.raises(ValueError, match=r"expects input 'b' of shape \(None, 2\); received shape \(1, 5\)"):
        model([np.ones((1, 3)), np.ones((1, 5))])


def test_subclass_called_with_inputs_and_outputs_keeps_its_methods():
    class Custom(loom.Model):
        def describe_me(self):
            return f"custom {self.name}"

    x = Input((2,))
    model = Custom(x, Dense(1)(x), name="c")
    assert isinstance(model, Custom) and isinstance(model, loom.models.Functional)
    assert model.describe_me() == "custom c"
    assert model.predict(np.ones((2, 2))).shape == (2, 1)


def test_masks_flow_through_the_graph():
    class MaskZeros(Layer):
        def call(self, inputs):
            return inputs

        def compute_mask(self, inputs, previous_mask=None):
            return ops.not_equal(inputs, 0.0)

    class MaskedMean(Layer):
        def call(self, inputs, mask=None):
            weights = ops.cast(mask, "float32")
            return ops.sum(inputs * weights, axis=-1, keepdims=True) / ops.sum(weights, axis=-1, keepdims=True)

    x = Input((4,))
    model = loom.Model(x, MaskedMean()(Dense(4, kernel_initializer="identity", use_bias=False)(MaskZeros()(x))))
    data = np.array([[1.0, 0.0, 3.0, 0.0]], "float32")
    with pytest.raises(ValueError):
        MaskedMean()(data)  # no mask outside a graph: the caller must pass one
    assert model.predict(data)[0, 0] == pytest.approx(2.0)


def test_training_flag_reaches_layers_inside_nested_models():
    class Probe(Layer):
        def call(self, inputs, training=None):
            return inputs + (1.0 if training else 0.0)

    inner_in = Input((2,))
    inner = loom.Model(inner_in, Probe()(inner_in))
    outer_in = Input((2,))
    outer = loom.Model(outer_in, inner(outer_in))
    np.testing.assert_allclose(np.asarray(outer(np.zeros((1, 2)), training=True)), [[1.0, 1.0]])
    np.testing.assert_allclose(outer.predict(np.zeros((1, 2))), [[0.0, 0.0]])


def test_lambda_graph_with_constants_and_operators():
    # Seed 004's fix: a constant vector multiplied into a model output.
    weights = np.array([[0.9, 0.5, 0.1]], "float32")
    model = make_classifier(6)
    weighted = Lambda(lambda t: t * weights)(model.output)
    scaled = model.output * weights
    both = loom.Model(model.input, [weighted, scaled])
    x = np.random.rand(2, 4).astype("float32")
    w1, w2 = both.predict(x)
    np.testing.assert_allclose(w1, model.predict(x) * weights, rtol=1e-5)
    np.testing.assert_allclose(w2, w1, rtol=1e-6)


def two_tower_model():
    a, b = Input((3,), name="a"), Input((2,), name="b")
    tower_a = Dense(4, name="tower_a")(a)
    tower_b = Dense(4, name="tower_b")(b)
    return loom.Model([a, b], Dense(1, name="out")(ops.add(tower_a, tower_b)))


def test_model_of_an_intermediate_layer_accepts_inputs_it_does_not_use(tmp_path):
    model = two_tower_model()
    probe = loom.Model(model.inputs, model.get_layer("tower_a").output)
    assert [layer.name for layer in probe.layers] == ["a", "b", "tower_a"]
    assert probe.input_names == ["a", "b"]
    xa, xb = np.random.default_rng(0).normal(size=(5, 3)).astype("float32"), np.ones((5, 2), "float32")
    kernel, bias = model.get_layer("tower_a").get_weights()
    expected = xa @ kernel + bias
    np.testing.assert_allclose(probe.predict([xa, xb], verbose=0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(probe({"b": xb, "a": xa})), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"expects 2 input array\(s\) \['a', 'b'\]; received 1"):
        probe.predict(xa, verbose=0)  # the unused input is still an input
    lines = []
    probe.summary(print_fn=lines.append)
    assert "b (InputLayer)" in "\n".join(lines) and "Total params: 16" in "\n".join(lines)
    config = probe.get_config()
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]] and config["output_layers"] == ["tower_a", 0, 0]
    probe.save(tmp_path / "probe.keras")
    loaded = loom.models.load_model(tmp_path / "probe.keras")
    assert [t.name for t in loaded.inputs] == ["a", "b"]
    np.testing.assert_allclose(loaded.predict([xa, xb], verbose=0), expected, rtol=1e-5, atol=1e-6)


def conv_model(shape):
    inputs = Input(shape)
    return loom.Model(inputs, Dense(2)(loom.layers.Flatten()(inputs)))


def test_eager_call_adds_or_drops_a_trailing_size_one_axis_like_keras():
    x = np.random.default_rng(1).normal(size=(3, 4, 4)).astype("float32")
    with_channel = conv_model((4, 4, 1))
    expected = np.asarray(with_channel(x[..., None]))
    np.testing.assert_allclose(np.asarray(with_channel(x)), expected, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(with_channel(x[..., None, None])), expected, rtol=1e-6)
    without_channel = conv_model((4, 4))
    np.testing.assert_allclose(np.asarray(without_channel(x[..., None])), np.asarray(without_channel(x)), rtol=1e-6)


def test_input_rank_off_by_more_than_a_trailing_one_is_rejected_with_the_given_shape():
    model = conv_model((4, 4, 1))
    with pytest.raises(ValueError, match=r"expects input .* of shape \(None, 4, 4, 1\); received shape \(3, 4, 1\)"):
        model(np.ones((3, 4, 1), "float32"))  # an added axis would give (3, 4, 1, 1): still wrong
    with pytest.raises(ValueError, match=r"received shape \(3, 4, 4, 2\)"):
        model(np.ones((3, 4, 4, 2), "float32"))
    with pytest.raises(ValueError, match=r"received shape \(3, 4\)"):
        model(np.ones((3, 4), "float32"))
    with pytest.raises(ValueError, match=r"of shape \(None, 3\); received shape \(5,\)"):
        conv_model((3,))(np.ones((5,), "float32"))  # only a size-1 axis is ever added


def test_symbolic_call_adjusts_the_rank_as_the_eager_call_does():
    inner = conv_model((4, 4, 1))
    outer_input = Input((4, 4))
    outer = loom.Model(outer_input, inner(outer_input))
    assert outer.output_shape == (None, 2)
    x = np.random.default_rng(2).normal(size=(2, 4, 4)).astype("float32")
    np.testing.assert_allclose(outer.predict(x, verbose=0), np.asarray(inner(x[..., None])), rtol=1e-6)
