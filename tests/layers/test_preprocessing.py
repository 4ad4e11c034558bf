"""Preprocessing layers: Normalization.adapt against numpy, Keras 3 parity, configs and errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import loom  # noqa: E402
from loom.layers import Input  # noqa: E402
from loom.layers.preprocessing import CategoryEncoding, Normalization, Rescaling  # noqa: E402

RNG = np.random.default_rng(21)
DATA = (RNG.normal(size=(40, 3, 4)) * [1.0, 2.0, 5.0, 0.5] + [0.0, 1.0, -3.0, 10.0]).astype("float32")
TOL = dict(rtol=1e-5, atol=1e-5)
# XLA's backend optimizations make most of a small test's compile time; these tests check values.
FAST_COMPILE = {"xla_backend_optimization_level": 0}


def _run(fn, *args):
    """``fn`` compiled once, quickly: far cheaper than compiling each eager op of a new shape."""
    return jax.tree_util.tree_map(np.asarray, jax.jit(fn, compiler_options=FAST_COMPILE)(*args))


# --- Normalization -------------------------------------------------------------------


@pytest.mark.parametrize("axis, reduced", [(-1, (0, 1)), ((1, 2), (0,)), (None, (0, 1, 2)), (1, (0, 2))])
def test_normalization_adapt_matches_numpy_and_keras(axis, reduced):
    ours, theirs = Normalization(axis=axis), keras.layers.Normalization(axis=axis)
    ours.adapt(DATA)
    theirs.adapt(DATA)
    mean, var = DATA.mean(axis=reduced), DATA.var(axis=reduced)
    adapted_mean, adapted_var, count = ours.get_weights()
    np.testing.assert_allclose(adapted_mean, mean, **TOL)
    np.testing.assert_allclose(adapted_var, var, **TOL)
    assert count == np.prod([DATA.shape[a] for a in reduced])
    assert [v.name for v in ours.weights] == ["mean", "variance", "count"]
    out, keras_out = _run(lambda x: (ours(x), theirs(x)), DATA)
    np.testing.assert_allclose(out, keras_out, **TOL)
    keep = [DATA.shape[a] if a not in reduced else 1 for a in range(3)]
    np.testing.assert_allclose(out, (DATA - mean.reshape(keep)) / np.sqrt(var.reshape(keep)), rtol=1e-4, atol=1e-4)


def test_normalization_adapts_to_batches_from_an_iterable():
    whole = Normalization()
    whole.adapt(DATA)
    from_list, from_generator = Normalization(), Normalization()
    from_list.adapt([DATA[:7], DATA[7:30], DATA[30:]])
    from_generator.adapt((DATA[i : i + 16], np.zeros(len(DATA[i : i + 16]))) for i in range(0, 40, 16))
    for layer in (from_list, from_generator):
        for mine, expected in zip(layer.get_weights(), whole.get_weights()):
            np.testing.assert_allclose(mine, expected, **TOL)


def test_normalization_with_given_statistics_and_invert_match_keras():
    mean, variance = [1.0, 2.0, 3.0, 4.0], [4.0, 1.0, 0.25, 9.0]
    pairs = [
        (Normalization(mean=mean, variance=variance), keras.layers.Normalization(mean=mean, variance=variance)),
        (Normalization(mean=2.0, variance=4.0), keras.layers.Normalization(mean=2.0, variance=4.0)),
        (Normalization(mean=mean, variance=variance, invert=True),
         keras.layers.Normalization(mean=mean, variance=variance, invert=True)),
    ]
    results = _run(lambda x: [(ours(x), theirs(x)) for ours, theirs in pairs], DATA)
    for out, keras_out in results:
        np.testing.assert_allclose(out, keras_out, **TOL)
    np.testing.assert_allclose(results[0][0], (DATA - np.array(mean)) / np.sqrt(variance), **TOL)
    np.testing.assert_allclose(results[2][0], DATA * np.sqrt(variance) + np.array(mean), **TOL)
    assert pairs[0][0].weights == []


def test_normalization_in_a_model_uses_statistics_adapted_after_building():
    inputs = Input((3, 4))
    layer = Normalization()
    model = loom.Model(inputs, layer(inputs))
    layer.adapt(DATA)
    np.testing.assert_allclose(model.predict(DATA, verbose=0), np.asarray(_run(layer, DATA)), **TOL)
    np.testing.assert_allclose(model.predict(DATA, verbose=0).mean(axis=(0, 1)), 0.0, atol=1e-5)


def test_normalization_config_round_trip_and_build_config():
    layer = Normalization(axis=(1, 2), mean=np.ones((3, 4)), variance=np.ones((3, 4)), invert=True, name="norm")
    config = layer.get_config()
    assert config["axis"] == (1, 2) and config["mean"] == np.ones((3, 4)).tolist() and config["invert"] is True
    assert Normalization.from_config(config).get_config() == config
    adapted = Normalization()
    adapted.adapt(DATA)
    assert adapted.get_config()["mean"] is None
    assert adapted.get_build_config() == {"input_shape": DATA.shape}


def test_normalization_errors():
    with pytest.raises(ValueError, match=r"^Layer 'normalization' \(Normalization\): give both `mean` and `variance`, "
                       r"or neither \(then call adapt\(\)\); received mean=1.0 and variance=None\.$"):
        Normalization(mean=1.0)
    with pytest.raises(ValueError, match=r"`mean` and `variance` must have the same shape; received shapes \(2,\) and "
                       r"\(3,\)"):
        Normalization(mean=[1, 2], variance=[1, 2, 3])
    with pytest.raises(ValueError, match=r"`mean` has rank 2, more than the 1 kept axes axis=\(-1,\)"):
        Normalization(mean=np.ones((2, 2)), variance=np.ones((2, 2)))
    with pytest.raises(TypeError, match=r"`axis` must be an int, a tuple of ints or None; received axis='x'"):
        Normalization(axis="x")
    with pytest.raises(ValueError, match=r"axis=\(3,\) is out of bounds for inputs of shape \(None, 4\) \(rank 2\)"):
        Normalization(axis=3)(Input((4,)))
    with pytest.raises(ValueError, match=r"keeps statistics per index of axis 1, so that axis needs a known size"):
        Normalization()(Input((None,)))
    with pytest.raises(ValueError, match=r"adapt\(\) received an empty iterable"):
        Normalization().adapt([])
    with pytest.raises(TypeError, match=r"adapt\(\) needs batches that are arrays; received a batch of type float"):
        Normalization().adapt([1.0, 2.0])
    with pytest.raises(TypeError, match=r"adapt\(\) accepts an array or an iterable of batches; received int"):
        Normalization().adapt(3)
    with pytest.raises(ValueError, match=r"was given `mean` and `variance`, so it cannot adapt\(\) to data"):
        Normalization(mean=0.0, variance=1.0).adapt(DATA)
    layer = Normalization()
    layer.adapt(DATA)
    with pytest.raises(ValueError, match=r"was built for inputs of shape \(40, 3, 4\); adapt\(\) received "
                       r"data of shape \(40, 3, 5\)"):
        layer.adapt(np.ones((40, 3, 5)))


# --- Rescaling ----------------------------------------------------------------------


def test_rescaling_matches_keras_and_casts_integers():
    pixels = RNG.integers(0, 256, size=(2, 3, 3, 3)).astype("uint8")
    pairs = [(Rescaling(1 / 127.5, offset=-1), keras.layers.Rescaling(1 / 127.5, offset=-1)),
             (Rescaling([1.0, 0.5, 0.25]), keras.layers.Rescaling([1.0, 0.5, 0.25]))]
    results = _run(lambda x: [(ours(x), theirs(x)) for ours, theirs in pairs], pixels)
    for out, keras_out in results:
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, keras_out, **TOL)
    np.testing.assert_allclose(results[0][0], pixels / 127.5 - 1, **TOL)
    assert Rescaling(2.0)(Input((3,))).shape == (None, 3)


def test_rescaling_config_and_errors():
    for layer, keras_layer in [(Rescaling(0.5, offset=1), keras.layers.Rescaling(0.5, offset=1)),
                               (Rescaling(np.array([1.0, 2.0])), keras.layers.Rescaling([1.0, 2.0]))]:
        config = layer.get_config()
        assert (config["scale"], config["offset"]) == (keras_layer.get_config()["scale"],
                                                       keras_layer.get_config()["offset"])
        assert Rescaling.from_config(config).get_config() == config
    with pytest.raises(TypeError, match=r"\(Rescaling\): `scale` must be a number or a list of numbers; received "
                       r"scale='1/255'"):
        Rescaling("1/255")
    with pytest.raises(TypeError, match=r"`offset` must be a number or a list of numbers; received offset=None"):
        Rescaling(1.0, offset=None)


# --- CategoryEncoding ---------------------------------------------------------------

IDS = np.array([[1, 2, 2], [0, 3, 3]], np.int32)


def test_category_encoding_matches_keras_and_numpy():
    weights = np.array([[0.5, 1.0, 2.0], [1.0, 1.0, 3.0]], np.float32)
    cases = [("multi_hot", IDS), ("one_hot", IDS), ("count", IDS), ("one_hot", IDS[:, :1]), ("multi_hot", IDS[:, 0]),
             ("binary", IDS)]
    pairs = [(CategoryEncoding(4, output_mode=m), keras.layers.CategoryEncoding(4, output_mode=m)) for m, _ in cases]
    weighted = (CategoryEncoding(4, output_mode="count"), keras.layers.CategoryEncoding(4, output_mode="count"))
    results, (weighted_out, keras_weighted) = _run(
        lambda xs, w: ([(ours(x), theirs(x)) for (ours, theirs), x in zip(pairs, xs)],
                       (weighted[0](IDS, count_weights=w), weighted[1](IDS, count_weights=w))),
        [x for _, x in cases], weights,
    )
    for out, keras_out in results:
        np.testing.assert_allclose(out, keras_out, **TOL)
    multi_hot, one_hot, count, one_hot_column, _, binary = (out for out, _ in results)
    np.testing.assert_array_equal(multi_hot, [[0, 1, 1, 0], [1, 0, 0, 1]])
    np.testing.assert_array_equal(binary, multi_hot)
    np.testing.assert_array_equal(count, [[0, 1, 2, 0], [1, 0, 0, 2]])
    np.testing.assert_array_equal(one_hot, np.eye(4)[IDS])
    np.testing.assert_array_equal(one_hot_column, np.eye(4)[IDS[:, 0]])
    np.testing.assert_allclose(weighted_out, keras_weighted, **TOL)
    np.testing.assert_allclose(weighted_out, [[0, 0.5, 3, 0], [1, 0, 0, 4]], **TOL)


def test_category_encoding_shapes_and_config():
    ids = Input((3,), dtype="int32")
    assert CategoryEncoding(5)(ids).shape == (None, 5)
    assert CategoryEncoding(5, output_mode="one_hot")(ids).shape == (None, 3, 5)
    layer = CategoryEncoding(5, output_mode="binary", name="encode")
    config = layer.get_config()
    assert config["output_mode"] == "multi_hot" and config["num_tokens"] == 5 and config["sparse"] is False
    assert CategoryEncoding.from_config(config).get_config() == config


def test_category_encoding_errors():
    with pytest.raises(ValueError, match=r"^Layer 'category_encoding' \(CategoryEncoding\): `output_mode` must be "
                       r"'multi_hot', 'one_hot' or 'count'; received output_mode='int'\.$"):
        CategoryEncoding(3, output_mode="int")
    with pytest.raises(ValueError, match=r"`num_tokens` must be a positive int \(the number of categories\); received "
                       r"num_tokens=None"):
        CategoryEncoding()
    with pytest.raises(ValueError, match=r"with output_mode='count' encodes inputs of rank at most 2, \(batch, ids\); "
                       r"received shape \(None, 2, 3\)"):
        CategoryEncoding(3, output_mode="count")(Input((2, 3), dtype="int32"))
    with pytest.raises(ValueError, match=r"`count_weights` is only used with output_mode='count'; this layer has "
                       r"output_mode='multi_hot'"):
        CategoryEncoding(4)(IDS, count_weights=np.ones((2, 3)))
