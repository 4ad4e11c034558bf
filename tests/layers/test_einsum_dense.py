"""EinsumDense: parity with Keras 3 on the same weights, kernel fans, LoRA, training, configs, errors."""

import keras
import numpy as np
import pytest

import loom
from loom import layers as L

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

# (equation, output_shape, bias_axes, input shape without batch)
CASES = [
    ("ab,bc->ac", 4, "c", (3,)),
    ("abc,cd->abd", (None, 5), "d", (2, 3)),
    ("abc,cde->abde", (None, 2, 3), "de", (4, 3)),
    ("abc,cde->abde", (None, 2, 3), "e", (4, 3)),
    ("...x,xy->...y", 5, "y", (2, 3)),
    ("...bc,cde->...bde", (4, 3, 2), "be", (4, 3)),
    ("ab...,bc->ac...", 5, "c", (3, 2, 2)),
    ("abc,cd->abd", (4, 5), None, (4, 3)),
]


@pytest.mark.parametrize("equation, output_shape, bias_axes, shape", CASES)
def test_einsum_dense_matches_keras_on_the_same_weights(equation, output_shape, bias_axes, shape):
    x = np.random.default_rng(0).normal(size=(2,) + shape).astype("float32")
    theirs = keras.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, bias_initializer="random_normal")
    expected = np.asarray(theirs(x))
    ours = L.EinsumDense(equation, output_shape, bias_axes=bias_axes)
    ours(x)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(np.asarray(ours(x)), expected, rtol=1e-5, atol=1e-6)
    assert ours(loom.Input(shape)).shape[1:] == expected.shape[1:]


def test_einsum_dense_equals_the_einsum_written_in_numpy():
    layer = L.EinsumDense("abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de", activation="relu")
    x = np.random.default_rng(1).normal(size=(2, 4, 5)).astype("float32")
    layer(x)
    layer.bias.assign(np.linspace(-1, 1, 6, dtype="float32").reshape(2, 3))
    kernel, bias = layer.get_weights()
    expected = np.maximum(np.einsum("abc,cde->abde", x, kernel) + bias, 0)
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-5, atol=1e-6)


def test_einsum_dense_fills_unknown_output_sizes_from_the_input():
    # As Keras's docstring shows: a None in output_shape takes the input's size.
    out = L.EinsumDense("abc,cd->abd", output_shape=(None, 64), bias_axes="d")(loom.Input((32, 128)))
    assert out.shape == (None, 32, 64)
    assert L.EinsumDense("...x,xy->...y", 8)(loom.Input((3, 4, 5))).shape == (None, 3, 4, 8)


def test_einsum_dense_kernel_fans_count_input_and_output_axes():
    # glorot_uniform over a (64, 2, 3) kernel: fan_in 64 (contracted axis), fan_out 6, as Keras.
    layer = L.EinsumDense("abc,cde->abde", output_shape=(None, 2, 3))
    layer(np.zeros((1, 1, 64), "float32"))
    limit = np.sqrt(6.0 / (64 + 6))
    kernel = layer.get_weights()[0]
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.8 * limit
    # the layer's own initializer is not changed (its config stays as given)
    assert layer.get_config()["kernel_initializer"]["config"]["input_axes"] is None


def test_einsum_dense_lora_starts_equal_trains_only_adapters_and_matches_the_formula():
    x = np.random.default_rng(2).normal(size=(3, 4)).astype("float32")
    layer = L.EinsumDense("ab,bc->ac", 5, bias_axes="c")
    before = np.asarray(layer(x))
    layer.enable_lora(2, lora_alpha=4)
    np.testing.assert_allclose(np.asarray(layer(x)), before, rtol=1e-6)  # b starts at zero
    assert [w.name for w in layer.trainable_weights] == ["bias", "lora_kernel_a", "lora_kernel_b"]
    assert [w.name for w in layer.non_trainable_weights] == ["kernel"]
    a = np.random.default_rng(3).normal(size=(4, 2)).astype("float32")
    b = np.random.default_rng(4).normal(size=(2, 5)).astype("float32")
    layer.lora_kernel_a.assign(a)
    layer.lora_kernel_b.assign(b)
    kernel = np.asarray(layer._kernel.value)
    bias = np.asarray(layer.bias.value)
    np.testing.assert_allclose(np.asarray(layer(x)), x @ (kernel + 4 / 2 * a @ b) + bias, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="already has LoRA enabled"):
        layer.enable_lora(2)
    with pytest.raises(ValueError, match="not built yet"):
        L.EinsumDense("ab,bc->ac", 5).enable_lora(2)
    constrained = L.EinsumDense("ab,bc->ac", 5, kernel_constraint="non_neg")
    constrained(x)
    with pytest.raises(ValueError, match="kernel constraint"):
        constrained.enable_lora(2)


def test_einsum_dense_lora_rank_argument_enables_lora_at_build_and_survives_save_load(tmp_path):
    layer = L.EinsumDense("ab,bc->ac", 5, lora_rank=3)
    inputs = loom.Input((4,))
    model = loom.Model(inputs, layer(inputs))
    assert layer.lora_enabled and layer.lora_kernel_a.shape == (4, 3)
    config = layer.get_config()
    assert config["lora_rank"] == 3 and config["lora_alpha"] == 3
    assert L.EinsumDense.from_config(config).get_config() == config
    layer.lora_kernel_b.assign(np.full((3, 5), 0.1, "float32"))  # a trained adapter
    model.save(tmp_path / "lora.keras")
    restored = loom.models.load_model(tmp_path / "lora.keras")
    x = np.random.default_rng(6).normal(size=(2, 4)).astype("float32")
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_einsum_dense_trains_in_fit_and_survives_save_load(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(64, 3, 4)).astype("float32")
    target = np.einsum("abc,cd->abd", x, rng.normal(size=(4, 2))).astype("float32")
    inputs = loom.Input((3, 4))
    model = loom.Model(inputs, L.EinsumDense("abc,cd->abd", (None, 2), bias_axes="d")(inputs))
    model.compile(loom.optimizers.Adam(0.05), "mse")
    history = model.fit(x, target, epochs=30, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.05 * history.history["loss"][0]
    path = tmp_path / "einsum.keras"
    model.save(path)
    restored = loom.models.load_model(path)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_einsum_dense_reads_a_keras_config():
    theirs = keras.layers.EinsumDense("abc,cd->abd", (None, 5), bias_axes="d", activation="relu")
    config = theirs.get_config()
    ours = L.EinsumDense.from_config(
        {k: v for k, v in config.items() if k not in ("dtype", "kernel_initializer", "bias_initializer")}
    )
    assert ours.equation == "abc,cd->abd" and ours.partial_output_shape == (None, 5) and ours.bias_axes == "d"


@pytest.mark.parametrize(
    "arguments, message",
    [
        (("ab,bc", 3), "must read 'ab,bc->ac'"),
        (("ab;bc->ac", 3), "must read"),
        (("ab,bc->ad", 3), "output axis 'd'"),
        (("ab,bcz->ac", 3), "kernel axis 'z'"),
        (("ab,bc->ac", "3"), "`output_shape` must be an int"),
        (("ab,bc->ac", 3, None, "z"), "`bias_axes` must be letters of the output"),
    ],
)
def test_einsum_dense_rejects_bad_equations_in_words(arguments, message):
    with pytest.raises(ValueError, match=message):
        L.EinsumDense(*arguments)


def test_einsum_dense_rejects_shapes_that_do_not_fit_the_equation():
    with pytest.raises(ValueError, match="inputs of rank 3; received input shape"):
        L.EinsumDense("abc,cd->abd", (None, 4))(loom.Input((3,)))
    with pytest.raises(ValueError, match="`output_shape` needs 2 entries"):
        L.EinsumDense("abc,cd->abd", 4)(loom.Input((3, 5)))
    with pytest.raises(ValueError, match="axis 'b' .* is 3 in the input but 7 in output_shape"):
        L.EinsumDense("abc,cd->abd", (7, 4))(loom.Input((3, 5)))
    with pytest.raises(ValueError, match="kernel axis 'd' .* has no known size"):
        L.EinsumDense("abc,cd->abd", (None, None))(loom.Input((3, 5)))
