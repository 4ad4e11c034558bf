"""clone_model: new layers and fresh weights, the same graph, Keras 3's arguments, every error."""

import warnings

import numpy as np
import pytest

import loom
from loom import layers as L
from loom.models import clone_model

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"  # Keras's get_weights
)


def relu(x):
    return np.maximum(x, 0)


def mlp(lib):
    """Input -> Dense(4, relu) -> Dense(2), built with ``lib`` (loom or keras)."""
    inputs = lib.Input((3,), name="features")
    hidden = lib.layers.Dense(4, activation="relu", name="hidden")(inputs)
    return lib.Model(inputs, lib.layers.Dense(2, name="head")(hidden), name="mlp")


def data(shape=(5, 3), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def assert_fresh_weights(original, clone):
    kernels = [(a, b) for a, b in zip(original.get_weights(), clone.get_weights()) if a.ndim > 1]
    assert kernels and all(a.shape == b.shape and not np.allclose(a, b) for a, b in kernels)


# --- functional -----------------------------------------------------------------------------
def test_functional_clone_has_the_same_graph_and_new_weights():
    model = mlp(loom)
    clone = clone_model(model)
    assert type(clone) is loom.models.Functional and clone.name == "mlp"
    assert [layer.name for layer in clone.layers] == ["features", "hidden", "head"]
    assert all(a is not b for a, b in zip(model.layers, clone.layers))
    assert [layer.get_config() for layer in clone.layers[1:]] == [layer.get_config() for layer in model.layers[1:]]
    assert clone.input_shape == (None, 3) and clone.output_shape == (None, 2)
    assert_fresh_weights(model, clone)
    # The clone computes its own weights through the same maths.
    x = data()
    k1, b1, k2, b2 = clone.get_weights()
    np.testing.assert_allclose(clone.predict(x, verbose=0), relu(x @ k1 + b1) @ k2 + b2, rtol=1e-5, atol=1e-6)
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_functional_clone_matches_keras():
    model, keras_model = mlp(loom), mlp(keras)
    keras_model.set_weights(model.get_weights())
    clone, keras_clone = clone_model(model), keras.models.clone_model(keras_model)
    assert [type(layer).__name__ for layer in clone.layers] == [type(layer).__name__ for layer in keras_clone.layers]
    assert [layer.name for layer in clone.layers] == [layer.name for layer in keras_clone.layers]
    assert clone.name == keras_clone.name and clone.input.name == keras_clone.input.name
    assert [w.shape for w in clone.get_weights()] == [tuple(w.shape) for w in keras_clone.get_weights()]
    weights = model.get_weights()
    clone.set_weights(weights)
    keras_clone.set_weights(weights)
    x = data()
    np.testing.assert_allclose(clone.predict(x, verbose=0), keras_clone.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_functional_clone_keeps_only_the_name_like_keras():
    # Keras builds the clone with `name=` alone; the layers' own configs keep them frozen.
    for lib in (loom, keras):
        model = mlp(lib)
        model.trainable = False
        clone = (clone_model if lib is loom else keras.models.clone_model)(model)
        assert clone.trainable and clone.trainable_weights == [] and len(clone.non_trainable_weights) == 4


def test_shared_layers_stay_shared():
    inputs = loom.Input((3,))
    shared = L.Dense(3, name="shared")
    model = loom.Model(inputs, L.Dense(1, name="out")(shared(shared(inputs))))
    clone = clone_model(model)
    copies = [layer for layer in clone.layers if layer.name == "shared"]
    assert len(copies) == 1 and len(copies[0]._inbound_nodes) == 2 and len(clone.weights) == 4
    k, b, k_out, b_out = clone.get_weights()
    x = data()
    expected = ((x @ k + b) @ k + b) @ k_out + b_out
    np.testing.assert_allclose(clone.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)


def test_constant_inputs_keep_their_values():
    fed = loom.Input((3,), name="fed")
    offset = loom.Input(tensor=np.array([[1.0, 2.0, 3.0]], dtype="float32"), name="offset")
    scale = loom.Input(tensor=np.array([[2.0, 2.0, 2.0]], dtype="float32"), name="scale")
    summed = L.Add()([L.Dense(3, name="d")(fed), offset])
    model = loom.Model([fed, offset], L.Multiply()([summed, scale]))  # `scale` is not a model input
    clone = clone_model(model)
    constants = [layer for layer in clone.layers if isinstance(layer, L.InputLayer) and layer.is_constant]
    assert sorted(layer.name for layer in constants) == ["offset", "scale"]
    k, b = clone.get_layer("d").get_weights()
    x = data()
    np.testing.assert_allclose(clone.predict(x, verbose=0), (x @ k + b + [1.0, 2.0, 3.0]) * 2.0, rtol=1e-5)


def test_lambda_layers_and_ops_calls_are_cloned():
    inputs = loom.Input((3,))
    doubled = L.Lambda(lambda t: t * 2.0, name="double")(inputs)
    model = loom.Model(inputs, loom.ops.sum(doubled, axis=-1))
    clone = clone_model(model)
    x = data()
    np.testing.assert_allclose(clone.predict(x, verbose=0), (2 * x).sum(-1), rtol=1e-5)
    assert clone.get_layer("double") is not model.get_layer("double")
    # Keras refuses to clone a Lambda of a Python lambda unless unsafe deserialization is on.
    keras_inputs = keras.Input((3,))
    keras_model = keras.Model(keras_inputs, keras.layers.Lambda(lambda t: t * 2.0)(keras_inputs))
    with pytest.raises(ValueError, match="Lambda"):
        keras.models.clone_model(keras_model)


def test_masks_flow_through_the_clone():
    tokens = loom.Input((None,), dtype="int32")
    model = loom.Model(tokens, L.LSTM(2, name="lstm")(L.Embedding(10, 4, mask_zero=True, name="embed")(tokens)))
    clone = clone_model(model)
    clone.set_weights(model.get_weights())
    x = np.array([[3, 4, 0, 0], [5, 0, 0, 0]], dtype="int32")
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(clone.predict(x, verbose=0)[1], clone.predict(x[1:, :1], verbose=0)[0], rtol=1e-5)


def test_dict_inputs_and_outputs():
    a, b = loom.Input((2,), name="a"), loom.Input((3,), name="b")
    model = loom.Model({"a": a, "b": b}, {"joined": L.Concatenate(name="cat")([a, b])})
    clone = clone_model(model)
    assert clone.input_names == ["a", "b"] and list(clone.output) == ["joined"]
    result = clone.predict({"a": np.ones((1, 2)), "b": np.zeros((1, 3))}, verbose=0)
    np.testing.assert_array_equal(result["joined"], [[1, 1, 0, 0, 0]])


def test_clone_function_is_applied_to_every_layer_but_inputs():
    model = mlp(loom)
    seen = []

    def linear_copy(layer):
        seen.append(layer.name)
        config = layer.get_config()
        config["activation"] = "linear"
        return layer.__class__.from_config(config)

    clone = clone_model(model, clone_function=linear_copy)
    assert seen == ["hidden", "head"]
    clone.set_weights(model.get_weights())
    k1, b1, k2, b2 = model.get_weights()
    x = data()
    np.testing.assert_allclose(clone.predict(x, verbose=0), (x @ k1 + b1) @ k2 + b2, rtol=1e-5, atol=1e-6)


def test_clone_function_returning_the_layer_reuses_it():
    model = mlp(loom)
    clone = clone_model(model, clone_function=lambda layer: layer)
    assert clone.get_layer("hidden") is model.get_layer("hidden")
    x = data()
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_call_function_inserts_layers_like_keras():
    def call_function(layer, *args, **kwargs):
        outputs = layer(*args, **kwargs)
        if isinstance(layer, (L.Dense, keras.layers.Dense)) and layer.name == "hidden":
            outputs = (L if isinstance(layer, L.Dense) else keras.layers).Rescaling(0.5, name="half")(outputs)
        return outputs

    model, keras_model = mlp(loom), mlp(keras)
    keras_model.set_weights(model.get_weights())
    clone = clone_model(model, clone_function=lambda layer: layer, call_function=call_function)
    keras_clone = keras.models.clone_model(keras_model, clone_function=lambda layer: layer, call_function=call_function)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in keras_clone.layers]
    k1, b1, k2, b2 = model.get_weights()
    x = data()
    expected = 0.5 * relu(x @ k1 + b1) @ k2 + b2
    np.testing.assert_allclose(clone.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(clone.predict(x, verbose=0), keras_clone.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_ops_calls_are_recorded_again_without_clone_function():
    # Deliberately unlike Keras 3, which passes its op objects (keras.ops.add's `Add`) to
    # clone_function too: a loom.ops call holds no weights, and clone functions written for
    # layers (from_config, isinstance checks) need not handle it. call_function sees it, as in Keras.
    a, b = loom.Input((3,), name="a"), loom.Input((3,), name="b")
    model = loom.Model([a, b], L.Dense(1, name="out")(loom.ops.add(a, b)))
    cloned, called = [], []

    def copy(layer):
        cloned.append(layer.name)
        return layer.__class__.from_config(layer.get_config())

    def call(layer, *args, **kwargs):
        called.append(type(layer).__name__)
        return layer(*args, **kwargs)

    clone = clone_model(model, clone_function=copy, call_function=call)
    assert cloned == ["out"] and called == ["FunctionOperation", "Dense"]
    clone.set_weights(model.get_weights())
    x, y = data(), data(seed=1)
    np.testing.assert_allclose(clone.predict([x, y], verbose=0), model.predict([x, y], verbose=0), rtol=1e-6)


def test_input_tensors_build_the_clone_on_given_tensors():
    model = mlp(loom)
    new_input = loom.Input((3,), name="other")
    clone = clone_model(model, input_tensors=new_input)
    assert clone.inputs == [new_input]
    assert clone_model(model, input_tensors=[loom.Input((3,))]).input_shape == (None, 3)
    upstream = loom.Input((5,))
    projected = L.Dense(3)(upstream)
    on_tensor = clone_model(model, input_tensors=projected)
    assert on_tensor.inputs == [projected] and on_tensor.output_shape == (None, 2)


def test_input_tensors_for_a_dict_model_are_matched_by_key():
    a, b = loom.Input((2,), name="a"), loom.Input((3,), name="b")
    model = loom.Model({"a": a, "b": b}, L.Concatenate()([a, b]))
    new_a, new_b = loom.Input((2,), name="new_a"), loom.Input((3,), name="new_b")
    clone = clone_model(model, input_tensors={"b": new_b, "a": new_a})
    assert clone.inputs == [new_a, new_b]


def test_recursive_clones_nested_models_with_clone_model():
    inner = loom.Sequential([loom.Input((3,)), L.Dense(3, name="inner_dense")], name="inner")
    inputs = loom.Input((3,))
    model = loom.Model(inputs, L.Dense(1, name="out")(inner(inputs)))
    seen = []

    def copy(layer):
        seen.append(layer.name)
        return layer.__class__.from_config(layer.get_config())

    flat = clone_model(model, clone_function=copy)
    assert seen == ["inner", "out"] and isinstance(flat.get_layer("inner"), loom.Sequential)
    seen.clear()
    deep = clone_model(model, clone_function=copy, recursive=True)
    assert seen == ["inner_dense", "out"]
    assert deep.get_layer("inner") is not inner and deep.get_layer("inner").layers[0] is not inner.layers[0]
    deep.set_weights(model.get_weights())
    x = data()
    np.testing.assert_allclose(deep.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def nested(lib):
    """Input -> Sequential 'inner' -> functional 'innerf' -> Dense 'out', built with ``lib``."""
    inner = lib.Sequential([lib.Input((3,)), lib.layers.Dense(3, name="inner_dense")], name="inner")
    innerf_inputs = lib.Input((3,))
    innerf = lib.Model(innerf_inputs, lib.layers.Dense(3, name="f_dense")(innerf_inputs), name="innerf")
    inputs = lib.Input((3,))
    return lib.Model(inputs, lib.layers.Dense(1, name="out")(innerf(inner(inputs))))


@pytest.mark.parametrize("recursive", [False, True])
def test_recursive_passes_clone_function_and_call_function_down_like_keras(recursive):
    # With recursive=True nested models are cloned by clone_model, layer by layer; call_function
    # reaches the layers of a nested functional model, never those of a Sequential (Keras's rule).
    results = []
    for lib, clone_fn in ((loom, clone_model), (keras, keras.models.clone_model)):
        cloned, called = [], []

        def copy(layer, cloned=cloned):
            cloned.append(layer.name)
            return layer.__class__.from_config(layer.get_config())

        def call(layer, *args, called=called, **kwargs):
            called.append(layer.name)
            return layer(*args, **kwargs)

        model = nested(lib)
        clone = clone_fn(model, clone_function=copy, call_function=call, recursive=recursive)
        nested_copies = [clone.get_layer(name) is not model.get_layer(name) for name in ("inner", "innerf")]
        results.append((cloned, called, [type(layer).__name__ for layer in clone.layers], nested_copies))
    assert results[0] == results[1]
    expected_cloned = ["inner_dense", "f_dense", "out"] if recursive else ["inner", "innerf", "out"]
    assert results[0][0] == expected_cloned and results[0][3] == [True, True]


class Residual(loom.Model):
    """A functional subclass whose constructor takes (inputs, outputs, name)."""

    def __init__(self, inputs, outputs, name=None, **kwargs):
        super().__init__(inputs, outputs, name=name, **kwargs)


def test_a_functional_like_subclass_keeps_its_class():
    inputs = loom.Input((3,))
    model = Residual(inputs, L.Dense(3)(inputs), name="res")
    clone = clone_model(model)
    assert isinstance(clone, Residual) and clone.name == "res"


# --- Sequential -----------------------------------------------------------------------------
def sequential(lib, trainable=True):
    return lib.Sequential(
        [
            lib.Input((3,), name="seq_in"),
            lib.layers.Dense(4, activation="relu", name="a"),
            lib.layers.Dense(1, name="b"),
        ],
        name="seq",
        trainable=trainable,
    )


def test_sequential_clone_matches_numpy_and_keras():
    model, keras_model = sequential(loom, trainable=False), sequential(keras, trainable=False)
    clone, keras_clone = clone_model(model), keras.models.clone_model(keras_model)
    assert type(clone) is loom.Sequential and clone.name == "seq" and clone.inputs[0].name == "seq_in"
    assert clone.trainable is keras_clone.trainable is False
    assert [layer.name for layer in clone.layers] == [layer.name for layer in keras_clone.layers] == ["a", "b"]
    assert_fresh_weights(model, clone)
    weights = model.get_weights()
    clone.set_weights(weights)
    keras_clone.set_weights(weights)
    k1, b1, k2, b2 = weights
    x = data()
    np.testing.assert_allclose(clone.predict(x, verbose=0), relu(x @ k1 + b1) @ k2 + b2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(clone.predict(x, verbose=0), keras_clone.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_sequential_without_input_clones_unbuilt():
    clone = clone_model(loom.Sequential([L.Dense(2, name="d")]))
    keras_clone = keras.models.clone_model(keras.Sequential([keras.layers.Dense(2, name="d")]))
    assert not clone.built and not keras_clone.built and [layer.name for layer in clone.layers] == ["d"]
    assert clone.predict(np.ones((1, 4)), verbose=0).shape == (1, 2)


def test_sequential_shared_layer_is_cloned_once():
    dense = L.Dense(3, name="twice")
    model = loom.Sequential([loom.Input((3,)), dense, dense])
    clone = clone_model(model)
    assert clone.layers[0] is clone.layers[1] and clone.layers[0] is not dense


def test_sequential_with_input_tensors():
    new_input = loom.Input((3,), name="given")
    clone = clone_model(sequential(loom), input_tensors=[new_input])
    assert clone.inputs == [new_input] and clone.output_shape == (None, 1)


def test_a_sequential_built_on_data_clones_built_like_keras():
    for lib, clone_fn in ((loom, clone_model), (keras, keras.models.clone_model)):
        model = lib.Sequential([lib.layers.Dense(2, name="d")], name="s")
        model.predict(np.ones((1, 4)), verbose=0)
        clone = clone_fn(model)
        assert clone.built and [layer.name for layer in clone.layers] == ["d"]
        assert clone.get_layer("d").get_weights()[0].shape == (4, 2)


def test_a_compiled_sequential_gives_a_compiled_clone_like_keras():
    for lib, clone_fn in ((loom, clone_model), (keras, keras.models.clone_model)):
        model = sequential(lib)
        model.compile(optimizer=lib.optimizers.SGD(0.3), loss="mae", metrics=["mse"])
        clone = clone_fn(model)
        assert clone.compiled and clone.loss == "mae" and clone.optimizer is not model.optimizer
        assert type(clone.optimizer).__name__ == "SGD" and float(clone.optimizer.learning_rate) == pytest.approx(0.3)
        history = clone.fit(data(), data((5, 1), seed=1), epochs=1, verbose=0)
        assert set(history.history) == {"loss", "mse"}


# --- subclassed -----------------------------------------------------------------------------
def make_subclassed(lib):
    class Scaled(lib.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = lib.layers.Dense(units)

        def call(self, x):
            return self.dense(x) * 2.0

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return Scaled


def test_subclassed_model_is_cloned_from_its_config_like_keras():
    for lib, clone_fn in ((loom, clone_model), (keras, keras.models.clone_model)):
        model = make_subclassed(lib)(units=4, name="scaled")
        model(data())
        model.compile(optimizer="adam", loss="mse")
        clone = clone_fn(model)
        assert type(clone) is type(model) and clone.units == 4 and clone.name == "scaled"
        assert clone.built and clone.compiled and len(clone.weights) == 2
        assert_fresh_weights(model, clone)
        kernel, bias = clone.get_weights()
        x = data()
        np.testing.assert_allclose(clone.predict(x, verbose=0), (x @ kernel + bias) * 2.0, rtol=1e-5, atol=1e-6)


def test_an_unbuilt_subclassed_model_clones_unbuilt_like_keras():
    for lib, clone_fn in ((loom, clone_model), (keras, keras.models.clone_model)):
        clone = clone_fn(make_subclassed(lib)(units=3, name="lazy"))
        assert not clone.built and clone.units == 3 and clone.name == "lazy" and clone.weights == []
        assert clone.predict(data(), verbose=0).shape == (5, 3)


# --- compile settings -----------------------------------------------------------------------
def test_a_compiled_model_gives_a_compiled_clone_with_a_new_optimizer():
    model = mlp(loom)
    model.compile(optimizer=loom.optimizers.Adam(0.01), loss="mse", metrics=[loom.metrics.MeanAbsoluteError()])
    clone = clone_model(model)
    assert clone.compiled and clone.optimizer is not model.optimizer
    assert clone.optimizer.get_config() == model.optimizer.get_config()
    assert clone._compile_args["metrics"][0] is not model._compile_args["metrics"][0]
    assert clone._compile_args["loss"] == "mse"
    history = clone.fit(data(), data((5, 2), seed=1), epochs=1, verbose=0)
    assert set(history.history) == {"loss", "mean_absolute_error"}
    assert not clone_model(mlp(loom)).compiled


def test_a_custom_compile_is_not_called_and_warns():
    class OwnCompile(loom.Model):
        def compile(self, *args, **kwargs):
            super().compile(*args, **kwargs)

    inputs = loom.Input((3,))
    model = OwnCompile(inputs, L.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.warns(UserWarning, match="is not compiled because OwnCompile overrides compile"):
        clone = clone_model(model)
    assert not clone.compiled


# --- public names ---------------------------------------------------------------------------
def test_clone_model_lives_in_loom_models_as_in_keras():
    assert loom.models.clone_model is clone_model
    assert hasattr(keras.models, "clone_model") and not hasattr(keras, "clone_model")
    assert not hasattr(loom, "clone_model")


# --- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [L.Dense(2), "model", None])
def test_refuses_what_is_not_a_model(value):
    with pytest.raises(TypeError, match="clone_model expects a loom Model"):
        clone_model(value)


@pytest.mark.parametrize("argument", ["clone_function", "call_function"])
def test_refuses_a_function_that_is_not_callable(argument):
    with pytest.raises(TypeError, match=rf"`{argument}` must be callable or None; received {argument}=3"):
        clone_model(mlp(loom), **{argument: 3})


def test_refuses_unknown_keyword_arguments():
    with pytest.raises(ValueError, match=r"unexpected keyword arguments \['input_tensor'\]"):
        clone_model(mlp(loom), input_tensor=loom.Input((3,)))


def test_refuses_call_function_for_sequential():
    with pytest.raises(ValueError, match="`call_function` works with functional models only"):
        clone_model(sequential(loom), call_function=lambda layer, *a, **k: layer(*a, **k))


@pytest.mark.parametrize(
    "arguments",
    [
        {"clone_function": lambda layer: layer},
        {"input_tensors": "x"},
        {"call_function": lambda layer, *a, **k: layer(*a, **k)},
    ],
)
def test_refuses_graph_arguments_for_a_subclassed_model(arguments):
    model = make_subclassed(loom)()
    with pytest.raises(ValueError, match="need a functional or Sequential model; model 'scaled' is a subclassed"):
        clone_model(model, **arguments)


def test_refuses_input_tensors_that_are_not_symbolic():
    message = r"every entry of `input_tensors` must be a symbolic tensor \(from loom.Input .*\); received ndarray"
    with pytest.raises(ValueError, match=message):
        clone_model(mlp(loom), input_tensors=np.ones((1, 3)))


def test_refuses_input_tensors_of_another_structure():
    with pytest.raises(ValueError, match="model.input; model 'mlp' expects one tensor, received a list of 2"):
        clone_model(mlp(loom), input_tensors=[loom.Input((3,)), loom.Input((3,))])
    a, b = loom.Input((2,), name="a"), loom.Input((3,), name="b")
    model = loom.Model({"a": a, "b": b}, L.Concatenate()([a, b]))
    with pytest.raises(ValueError, match=r"expects a dict with keys \['a', 'b'\], received a dict with keys \['a'\]"):
        clone_model(model, input_tensors={"a": loom.Input((2,))})


def test_refuses_bad_input_tensors_for_sequential():
    with pytest.raises(ValueError, match="`input_tensors` must be one tensor; received 2"):
        clone_model(sequential(loom), input_tensors=[loom.Input((3,)), loom.Input((3,))])
    with pytest.raises(ValueError, match=r"must be a loom.Input\(...\) tensor.*clone_model\(model\)\(tensor\)"):
        clone_model(sequential(loom), input_tensors=L.Dense(3)(loom.Input((2,))))


def test_refuses_a_clone_function_that_returns_no_layer():
    with pytest.raises(TypeError, match="must return a layer; for layer 'hidden' it returned NoneType"):
        clone_model(mlp(loom), clone_function=lambda layer: None)


def test_refuses_a_call_function_that_changes_the_outputs():
    def two_outputs(layer, *args, **kwargs):
        outputs = layer(*args, **kwargs)
        return [outputs, outputs]

    with pytest.raises(ValueError, match="copy of 'hidden' returned 2 value\\(s\\).*returned 1 symbolic tensor"):
        clone_model(mlp(loom), call_function=two_outputs)


class Holder(L.Layer):
    """A layer whose constructor argument is not a plain value, without get_config."""

    def __init__(self, table, **kwargs):
        super().__init__(**kwargs)
        self.table = table

    def call(self, x):
        return x


def test_a_layer_without_a_usable_config_is_named_with_the_fix():
    inputs = loom.Input((3,))
    model = loom.Model(inputs, Holder(np.ones(3), name="holder")(inputs))
    with pytest.raises(NotImplementedError, match="cannot rebuild layer 'holder' \\(Holder\\).*pass clone_function"):
        clone_model(model)
    clone = clone_model(model, clone_function=lambda layer: Holder(layer.table, name=layer.name))
    assert clone.get_layer("holder").table is model.get_layer("holder").table


def test_a_subclassed_model_without_a_usable_config_is_named_with_the_fix():
    class Opaque(loom.Model):
        def __init__(self, table, **kwargs):
            super().__init__(**kwargs)
            self.table = table

        def call(self, x):
            return x

    message = "rebuilds subclassed model 'opaque' \\(Opaque\\) from get_config.*Give Opaque a get_config"
    with pytest.raises(ValueError, match=message):
        clone_model(Opaque(np.ones(3)))


def test_refuses_a_tensor_taken_from_inside_a_nested_model_call():
    inner = loom.Sequential([loom.Input((3,)), L.Dense(3, name="inner_dense"), L.Dense(2)], name="inner")
    inputs = loom.Input((3,))
    outputs = inner(inputs)
    model = loom.Model(inputs, [outputs, inner.layers[0].get_output_at(1)])
    with pytest.raises(ValueError, match="takes a tensor from inside the call of nested model 'inner'"):
        clone_model(model)


def test_no_warning_on_a_plain_clone():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clone_model(mlp(loom))
