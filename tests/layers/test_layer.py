import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import loom
from loom import ops
from loom.layers import Dense, Input, Lambda, Layer


class ElementwiseWeights(Layer):
    """Seed 001's custom layer, written as in the question."""

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel", shape=(1,) + tuple(input_shape[1:]), initializer="uniform", trainable=True
        )
        super().build(input_shape)

    def call(self, inputs):
        return self.kernel * inputs


class Counter(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.trainings = []

    def build(self, input_shape):
        self.total = self.add_weight(name="total", shape=(), initializer="zeros", trainable=False)

    def call(self, inputs, training=None):
        self.trainings.append(training)
        if training:
            self.total.assign(self.total.value + ops.sum(inputs))
        return inputs


class Block(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = [Dense(4), Dense(2)]
        self.extra = {"scale": ElementwiseWeights()}
        self.counter = Counter()

    def call(self, inputs, training=None):
        x = self.counter(inputs)
        for layer in self.dense:
            x = layer(x)
        return self.extra["scale"](x)


def test_build_creates_weights_from_input_shape_on_first_call():
    layer = ElementwiseWeights()
    assert not layer.built and layer.weights == []
    out = layer(Input((5, 3)))
    assert layer.built and out.shape == (None, 5, 3)
    assert [w.shape for w in layer.weights] == [(1, 5, 3)]
    assert layer.weights[0].path == "elementwise_weights/kernel"
    x = np.random.rand(2, 5, 3).astype("float32")
    np.testing.assert_allclose(np.asarray(layer(x)), layer.get_weights()[0] * x, rtol=1e-6)


def test_auto_names_are_unique_per_class():
    assert [Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert ElementwiseWeights().name == "elementwise_weights"


def test_sublayers_in_attributes_lists_and_dicts_are_tracked():
    block = Block()
    block(np.ones((2, 3)))
    paths = [w.path for w in block.weights]
    # Attribute order: self.dense, then self.extra, then self.counter.
    assert paths == [
        "dense/kernel",
        "dense/bias",
        "dense_1/kernel",
        "dense_1/bias",
        "elementwise_weights/kernel",
        "counter/total",
    ]
    assert [w.path for w in block.trainable_weights] == paths[:-1]
    assert [w.path for w in block.non_trainable_weights] == ["counter/total"]
    assert block.count_params() == 1 + 12 + 4 + 8 + 2 + 2


def test_freezing_propagates_to_sublayers():
    block = Block()
    block(np.ones((2, 3)))
    block.trainable = False
    assert block.trainable_weights == [] and not block.dense[0].trainable
    assert len(block.non_trainable_weights) == 6
    block.dense[1].trainable = True
    assert block.trainable_weights == []  # a frozen parent freezes its children


def test_training_flag_propagates_to_nested_layers():
    block = Block()
    block(np.ones((1, 3)), training=True)
    block(np.ones((1, 3)))
    assert block.counter.trainings == [True, None]
    np.testing.assert_allclose(block.counter.total.numpy(), 3.0)


def test_set_weights_checks_count_and_shapes():
    layer = Dense(2)
    layer.build((None, 3))
    with pytest.raises(ValueError, match=r"has 2 weights .* received 1"):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"'dense/kernel'\) has shape \(3, 2\); .* shape \(2, 3\)"):
        layer.set_weights([np.zeros((2, 3)), np.zeros(2)])
    layer.set_weights([np.ones((3, 2)), np.arange(2.0)])
    np.testing.assert_allclose(np.asarray(layer(np.ones((1, 3)))), [[3.0, 4.0]])


def test_initial_weights_argument_is_applied_after_build():
    layer = Dense(1, weights=[np.full((2, 1), 2.0), np.array([1.0])])
    np.testing.assert_allclose(np.asarray(layer(np.ones((1, 2)))), [[5.0]])


def test_layer_called_on_non_tensor_raises_type_error():
    with pytest.raises(TypeError, match=r"Layer 'dense' \(Dense\) was called on a Dense object \('dense_1'\)"):
        Dense(3)(Dense(4))
    with pytest.raises(TypeError, match="str 'abc' instead of a tensor"):
        Dense(3)("abc")
    with pytest.raises(TypeError, match="without inputs"):
        Dense(3)()


def test_unknown_constructor_argument_is_named():
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['unitz'\]"):
        Dense(3, unitz=4)


def test_weight_with_unknown_dim_is_refused():
    class Bad(Layer):
        def build(self, input_shape):
            self.add_weight(name="w", shape=input_shape)

    with pytest.raises(ValueError, match=r"weight 'w' needs a concrete shape; received shape=\(None, 3\)"):
        Bad()(Input((3,)))


def test_count_params_before_build():
    with pytest.raises(ValueError, match="not built"):
        Dense(3).count_params()


def test_add_loss_and_regularizer_losses():
    class WithLoss(Layer):
        def call(self, inputs):
            self.add_loss(ops.sum(inputs))
            return inputs

    layer = WithLoss()
    layer(np.ones((2, 2)))
    np.testing.assert_allclose([float(v) for v in layer.losses], [4.0])
    layer(np.ones((1, 2)))  # losses are collected per call
    np.testing.assert_allclose([float(v) for v in layer.losses], [2.0])

    dense = Dense(1, kernel_regularizer=loom.regularizers.L2(0.5), activity_regularizer=loom.regularizers.L1(2.0))
    y = dense(np.ones((1, 2)))
    kernel = dense.get_weights()[0]
    expected = [2.0 * np.abs(np.asarray(y)).sum() / 1, 0.5 * (kernel**2).sum()]  # activity: per sample
    np.testing.assert_allclose([float(v) for v in dense.losses], expected, rtol=1e-5)


def test_stateless_call_is_pure_and_returns_updated_state():
    block = Block()
    block(np.ones((1, 3)))
    trainable = [v.value for v in block.trainable_variables]
    non_trainable = [v.value for v in block.non_trainable_variables]
    before = block.counter.total.numpy()
    x = jnp.ones((2, 3))

    @jax.jit
    def step(trainable, non_trainable, x):
        return block.stateless_call(trainable, non_trainable, x, training=True)

    outputs, new_state = step(trainable, non_trainable, x)
    np.testing.assert_allclose(np.asarray(new_state[0]), before + 6.0)
    assert block.counter.total.numpy() == before  # nothing mutated
    np.testing.assert_allclose(np.asarray(outputs), np.asarray(block(x)), rtol=1e-6)


def test_stateless_call_gradients_match_finite_differences():
    dense = Dense(1)
    dense.build((None, 2))

    def loss(kernel, bias, x):
        out, _ = dense.stateless_call([kernel, bias], [], x)
        return jnp.sum(jnp.tanh(out))

    kernel, bias = (v.value for v in dense.trainable_variables)
    x = jnp.array([[0.3, -0.2], [0.1, 0.5]])
    grad = jax.grad(loss)(kernel, bias, x)
    eps = 1e-3
    for i in range(2):
        step = jnp.zeros_like(kernel).at[i, 0].set(eps)
        numeric = (loss(kernel + step, bias, x) - loss(kernel - step, bias, x)) / (2 * eps)
        np.testing.assert_allclose(float(grad[i, 0]), float(numeric), rtol=1e-2)


def test_stateless_call_with_wrong_counts_or_unbuilt():
    with pytest.raises(RuntimeError, match="not built"):
        Dense(2).stateless_call([], [], np.ones((1, 2)))
    dense = Dense(2)
    dense.build((None, 2))
    with pytest.raises(ValueError, match="expects 2 trainable and 0 non-trainable"):
        dense.stateless_call([dense.kernel.value], [], np.ones((1, 2)))


def test_stateless_call_returns_losses():
    dense = Dense(1, kernel_regularizer=loom.regularizers.L2(1.0))
    dense.build((None, 2))
    kernel = jnp.full((2, 1), 3.0)
    _, _, losses = dense.stateless_call([kernel, jnp.zeros(1)], [], np.ones((1, 2)), return_losses=True)
    np.testing.assert_allclose(float(losses[0]), 18.0)


def test_simple_custom_layer_config_is_captured_automatically():
    class Scale(Layer):
        def __init__(self, factor, offset=0.0, **kwargs):
            super().__init__(**kwargs)
            self.factor, self.offset = factor, offset

        def call(self, inputs):
            return inputs * self.factor + self.offset

    class Shift(Layer):
        def __init__(self, by, **kw):
            super().__init__(**kw)
            self.by = by

    assert Shift(2.0, name="t").get_config()["by"] == 2.0 and "kw" not in Shift(1.0).get_config()
    layer = Scale(3.0, name="s")
    config = layer.get_config()
    assert config["factor"] == 3.0 and config["offset"] == 0.0 and config["name"] == "s"
    clone = Scale.from_config(config)
    np.testing.assert_allclose(np.asarray(clone(np.ones(2))), [3.0, 3.0])

    class Holder(Layer):
        def __init__(self, inner, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner

    with pytest.raises(NotImplementedError, match="must override get_config"):
        Holder(Dense(2)).get_config()


def test_variable_assigned_before_super_init_is_explained():
    class Early(Layer):
        def __init__(self):
            self.w = loom.Variable(np.zeros(2))
            super().__init__()

    with pytest.raises(RuntimeError, match=r"super\(\).__init__"):
        Early()


def test_variable_attribute_is_tracked_like_add_weight():
    class Direct(Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.w = loom.Variable(np.ones((1, 3)), name="w")

        def call(self, inputs):
            return inputs * self.w

    layer = Direct()
    assert [v.path for v in layer.weights] == ["direct/w"]


def test_lambda_user_error_keeps_type_names_layer_and_shapes():
    with pytest.raises(ZeroDivisionError, match=r"Layer 'bad' \(Lambda\) raised ZeroDivisionError .*\(None, 4\)") as info:
        Lambda(lambda t: t * (1 / 0), name="bad")(Input((4,)))
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_output_and_input_of_a_shared_layer_are_its_first_call_with_one_warning():
    a, b = Input((3,)), Input((3,))
    shared = Dense(2, name="shared")
    first, second = shared(a), shared(b)
    with pytest.warns(UserWarning, match=r"Layer 'shared' \(Dense\) has 2 inbound nodes .*get_output_at\(i\)"):
        assert shared.output is first
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per layer: no second warning
        assert shared.input is a and shared.output is first
    assert shared.get_output_at(1) is second and shared.get_input_at(1) is b


def test_shape_of_a_shared_layer_warns_only_when_its_calls_differ():
    shared = Lambda(lambda t: t * 2.0, name="double")
    shared(Input((3,)))
    shared(Input((3,)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert shared.input_shape == (None, 3) and shared.output_shape == (None, 3)
    shared(Input((5,)))
    with pytest.warns(UserWarning, match=r"3 inbound nodes .*`output_shape` is that of its first call"):
        assert shared.output_shape == (None, 3)
    assert shared.get_output_shape_at(2) == (None, 5)


def test_output_of_a_layer_never_called_symbolically_is_an_attribute_error():
    with pytest.raises(AttributeError, match=r"Layer 'lonely' \(Dense\) is not connected"):
        Dense(2, name="lonely").output


class MaskFirstFeature(Layer):
    """Masks the timesteps whose first feature is zero; passes values through."""

    def call(self, inputs):
        return inputs * 1.0

    def compute_mask(self, inputs, previous_mask=None):
        return ops.not_equal(inputs[..., 0], 0.0)


class MaskedSum(Layer):
    """Sums over time the steps its mask keeps (all, without a mask)."""

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.sum(inputs, axis=1)
        return ops.sum(inputs * ops.cast(mask, inputs.dtype)[..., None], axis=1)


def test_eager_output_carries_its_mask_and_the_next_eager_call_receives_it():
    x = np.array([[[1.0, 2.0], [0.0, 5.0], [3.0, 4.0]]], "float32")
    masked = MaskFirstFeature()(x)
    np.testing.assert_array_equal(np.asarray(masked._keras_mask), [[True, False, True]])
    np.testing.assert_allclose(np.asarray(MaskedSum()(masked)), [[4.0, 6.0]])
    np.testing.assert_allclose(np.asarray(MaskedSum()(masked, mask=None)), [[4.0, 6.0]])  # None = not given
    np.testing.assert_allclose(np.asarray(MaskedSum()(x)), [[4.0, 11.0]])
    assert getattr(Dense(2)(x), "_keras_mask", None) is None


def test_eager_masks_also_travel_between_layer_calls_under_jit():
    # Tracers refuse attributes; the mask must still reach the next layer, as in Keras.
    x = np.array([[[1.0, 2.0], [0.0, 5.0], [3.0, 4.0]]], "float32")
    mask_layer, total = MaskFirstFeature(), MaskedSum()
    traced = jax.jit(lambda v: total(mask_layer(v)))(x)
    np.testing.assert_allclose(np.asarray(traced), [[4.0, 6.0]])
