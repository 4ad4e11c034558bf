"""Tests for loom.initializers: values against NumPy formulas, names, configs, and Keras parity."""

import math
import os

os.environ["KERAS_BACKEND"] = "jax"  # Keras defaults to TensorFlow, which is not installed

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

from loom import initializers
from loom.state.seed_generator import SeedGenerator, set_global_seed

# (class name, scale, mode, distribution) of the fixed VarianceScaling family.
VARIANCE_SCALING_FAMILY = [
    ("GlorotUniform", 1.0, "fan_avg", "uniform"),
    ("GlorotNormal", 1.0, "fan_avg", "truncated_normal"),
    ("HeUniform", 2.0, "fan_in", "uniform"),
    ("HeNormal", 2.0, "fan_in", "truncated_normal"),
    ("LecunUniform", 1.0, "fan_in", "uniform"),
    ("LecunNormal", 1.0, "fan_in", "truncated_normal"),
]
ALL_CLASS_NAMES = [
    "Constant", "Zeros", "Ones", "Identity", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
    "LecunNormal", "Orthogonal",
]  # fmt: skip
# Every name Keras 3 resolves (but the abstract base, and "Constant"/"constant", which
# Keras 3.15 cannot build from a bare name: KeyError 'value').
KERAS_NAMES = [name for name in ALL_CLASS_NAMES if name != "Constant"] + [
    "zeros", "ones", "identity", "random_normal", "random_uniform", "truncated_normal",
    "variance_scaling", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
    "lecun_normal", "orthogonal", "uniform", "normal", "one", "zero", "IdentityInitializer",
    "OrthogonalInitializer", "STFT", "STFTInitializer", "stft",
]  # fmt: skip
CONV_SHAPE = (3, 3, 32, 64)  # fan_in 288, fan_out 576


def _numpy_fans(shape):
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


@pytest.mark.parametrize("shape", [(), (7,), (5, 9), (3, 5, 7), CONV_SHAPE, (2, 3, 4, 5, 6)])
def test_compute_fans_matches_keras(shape):
    from keras.src.initializers.random_initializers import compute_fans as keras_compute_fans

    assert initializers.compute_fans(shape) == keras_compute_fans(shape)


def test_compute_fans_of_conv_kernel_multiplies_by_receptive_field():
    assert initializers.compute_fans(CONV_SHAPE) == (3 * 3 * 32, 3 * 3 * 64)


def test_compute_fans_with_explicit_axes():
    assert initializers.compute_fans((2, 3, 4, 5), input_axes=[0, 1], output_axes=[2, 3]) == (6, 20)


@pytest.mark.parametrize("name, scale, mode, distribution", VARIANCE_SCALING_FAMILY)
def test_variance_scaling_family_bounds_and_std(name, scale, mode, distribution):
    values = np.asarray(getattr(initializers, name)(seed=1)(CONV_SHAPE))
    fan_in, fan_out = _numpy_fans(CONV_SHAPE)
    fan = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2}[mode]
    target_std = math.sqrt(scale / fan)
    assert values.shape == CONV_SHAPE and values.dtype == np.float32
    if distribution == "uniform":
        limit = math.sqrt(3 * scale / fan)  # glorot: sqrt(6 / (fan_in + fan_out))
        assert np.abs(values).max() <= limit
        assert np.abs(values).max() > 0.99 * limit
    else:
        assert np.abs(values).max() < 2 * target_std / 0.87962566103423978
    np.testing.assert_allclose(values.std(), target_std, rtol=0.02)
    assert abs(values.mean()) < 0.01 * target_std


def test_glorot_uniform_limit_formula():
    values = np.asarray(initializers.GlorotUniform(seed=0)((200, 300)))
    limit = math.sqrt(6 / (200 + 300))
    assert values.min() >= -limit and values.max() <= limit
    np.testing.assert_allclose(values.std(), limit / math.sqrt(3), rtol=0.02)


# One initializer per distribution: compiling Keras's jax.random samplers costs
# seconds, and the rest of the family shares their code (config parity pins the
# scale, mode and distribution of each).
@pytest.mark.parametrize("name", ["GlorotUniform", "HeNormal"])
def test_statistics_match_keras(name):
    shape = (5, 5, 16, 32)
    ours = np.asarray(getattr(initializers, name)(seed=3)(shape))
    theirs = np.asarray(getattr(keras.initializers, name)(seed=3)(shape))
    np.testing.assert_allclose(ours.std(), theirs.std(), rtol=0.03)
    np.testing.assert_allclose(np.abs(ours).max(), np.abs(theirs).max(), rtol=0.05)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_std_matches_formula(mode, distribution):
    shape = (300, 200)
    values = np.asarray(initializers.VarianceScaling(3.0, mode, distribution, seed=2)(shape))
    fan = {"fan_in": 300, "fan_out": 200, "fan_avg": 250}[mode]
    np.testing.assert_allclose(values.std(), math.sqrt(3.0 / fan), rtol=0.02)


def test_variance_scaling_normal_means_truncated_normal():
    assert initializers.VarianceScaling(distribution="normal").distribution == "truncated_normal"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"scale": 0.0}, "`scale` must be a positive float; received scale=0.0"),
        ({"mode": "fan_sum"}, "`mode` must be one of .*received mode='fan_sum'"),
        ({"distribution": "cauchy"}, "`distribution` must be one of .*received distribution='cauchy'"),
    ],
)
def test_variance_scaling_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        initializers.VarianceScaling(**kwargs)


def test_random_normal_mean_and_std():
    values = np.asarray(initializers.RandomNormal(mean=1.5, stddev=0.5, seed=0)((400, 250)))
    np.testing.assert_allclose(values.mean(), 1.5, atol=0.01)
    np.testing.assert_allclose(values.std(), 0.5, rtol=0.02)
    assert np.abs(values - 1.5).max() > 2 * 0.5  # not truncated


def test_truncated_normal_stays_within_two_stddev():
    values = np.asarray(initializers.TruncatedNormal(mean=-1.0, stddev=2.0, seed=0)((400, 250)))
    assert np.abs(values + 1.0).max() < 4.0
    # A standard normal truncated to [-2, 2] has std 0.8796.
    np.testing.assert_allclose(values.std(), 2.0 * 0.87962566103423978, rtol=0.02)
    np.testing.assert_allclose(values.mean(), -1.0, atol=0.02)


def test_random_uniform_bounds_and_mean():
    values = np.asarray(initializers.RandomUniform(minval=2.0, maxval=3.0, seed=0)((400, 250)))
    assert values.min() >= 2.0 and values.max() < 3.0
    np.testing.assert_allclose(values.mean(), 2.5, atol=0.01)
    np.testing.assert_allclose(values.std(), 1 / math.sqrt(12), rtol=0.02)


@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10), (3, 3, 8, 16)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    q = np.asarray(initializers.Orthogonal(seed=0)(shape), dtype=np.float64)
    matrix = q.reshape(-1, shape[-1])
    rows, cols = matrix.shape
    gram = matrix.T @ matrix if rows >= cols else matrix @ matrix.T
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-5)


def test_orthogonal_gain_scales_the_matrix():
    q = np.asarray(initializers.Orthogonal(gain=3.0, seed=0)((5, 5)), dtype=np.float64)
    np.testing.assert_allclose(q.T @ q, 9.0 * np.eye(5), atol=1e-4)


def test_orthogonal_rejects_vectors():
    with pytest.raises(ValueError, match=r"Orthogonal: the weight must be at least 2-D; received shape=\(5,\)"):
        initializers.Orthogonal()((5,))


def test_identity_is_gain_times_eye_for_rectangular_shapes():
    np.testing.assert_array_equal(initializers.Identity(gain=2.5)((3, 5)), 2.5 * np.eye(3, 5))


def test_identity_rejects_other_ranks():
    with pytest.raises(ValueError, match=r"Identity: only 2-D weights .*shape=\(2, 2, 2\) of rank 3"):
        initializers.Identity()((2, 2, 2))


def test_constant_zeros_ones_values_and_dtypes():
    np.testing.assert_array_equal(initializers.Constant(7)((2, 3), dtype="int32"), np.full((2, 3), 7))
    assert initializers.Constant(7)((2,), dtype="int32").dtype == jnp.int32
    np.testing.assert_array_equal(initializers.Zeros()((4,)), np.zeros(4))
    np.testing.assert_array_equal(initializers.Ones()((2, 2), dtype="float16"), np.ones((2, 2)))
    assert initializers.Ones()((1,)).dtype == jnp.float32  # floatx by default


def test_constant_broadcasts_an_array_value_and_rejects_mismatched_shapes():
    np.testing.assert_array_equal(initializers.Constant([1.0, 2.0])((3, 2)), [[1.0, 2.0]] * 3)
    with pytest.raises(ValueError, match=r"Constant: `value` of shape \(2,\) cannot fill a weight of shape \(3, 3\)"):
        initializers.Constant([1.0, 2.0])((3, 3))


def test_constant_rejects_non_numbers():
    with pytest.raises(TypeError, match="Constant: `value` must be a number.*received value='a'"):
        initializers.Constant("a")


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_random_initializers_return_requested_float_dtype(dtype):
    assert initializers.GlorotUniform(seed=0)((3, 4), dtype=dtype).dtype == jnp.dtype(dtype)
    assert initializers.Orthogonal(seed=0)((3, 4), dtype=dtype).dtype == jnp.dtype(dtype)


def test_random_initializers_reject_integer_dtype():
    with pytest.raises(ValueError, match="RandomNormal: random weights need a floating dtype; received dtype='int32'"):
        initializers.RandomNormal()((2,), dtype="int32")


def test_unknown_dimensions_are_rejected_with_the_initializer_named():
    match = r"GlorotUniform: `shape` must be a tuple of non-negative ints; received shape=\(None, 3\)"
    with pytest.raises(ValueError, match=match):
        initializers.GlorotUniform()((None, 3))


@pytest.mark.parametrize("name", ["RandomNormal", "TruncatedNormal", "RandomUniform", "GlorotUniform", "Orthogonal"])
def test_int_seed_gives_same_values_on_every_call_and_after_round_trip(name):
    initializer = getattr(initializers, name)(seed=42)
    first = np.asarray(initializer((8, 6)))
    np.testing.assert_array_equal(first, initializer((8, 6)))
    np.testing.assert_array_equal(first, initializer.clone()((8, 6)))
    rebuilt = initializers.deserialize(initializers.serialize(initializer))
    np.testing.assert_array_equal(first, rebuilt((8, 6)))
    assert not np.array_equal(first, getattr(initializers, name)(seed=43)((8, 6)))


def test_unseeded_draws_fresh_values_from_the_global_stream():
    initializer = initializers.GlorotUniform()
    set_global_seed(123)
    first, second = np.asarray(initializer((4, 4))), np.asarray(initializer((4, 4)))
    assert not np.array_equal(first, second)
    set_global_seed(123)
    np.testing.assert_array_equal(first, initializer((4, 4)))


def test_seed_generator_gives_fresh_reproducible_values():
    initializer = initializers.RandomNormal(seed=SeedGenerator(7))
    first, second = np.asarray(initializer((5,))), np.asarray(initializer((5,)))
    assert not np.array_equal(first, second)
    again = initializers.RandomNormal(seed=SeedGenerator(7))
    np.testing.assert_array_equal(first, again((5,)))
    rebuilt = initializers.deserialize(initializers.serialize(initializers.RandomNormal(seed=SeedGenerator(7))))
    np.testing.assert_array_equal(first, rebuilt((5,)))


@pytest.mark.parametrize("seed", ["7", 1.5, True])
def test_bad_seed_is_rejected(seed):
    with pytest.raises(ValueError, match="RandomUniform: `seed` must be an int, a SeedGenerator or None; received"):
        initializers.RandomUniform(seed=seed)


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_names_resolve_to_the_same_classes_as_keras(name):
    ours, theirs = initializers.get(name), keras.initializers.get(name)
    assert type(ours).__name__ == type(theirs).__name__


def test_constant_by_name_is_constant_zero():
    # Keras 3.15 raises KeyError('value') here; loom builds Constant() with its default.
    constant = initializers.get("constant")
    assert isinstance(constant, initializers.Constant) and constant.value == 0.0
    assert initializers.get("Constant").get_config() == {"value": 0.0}


def test_identity_config_keeps_gain():
    # Keras 3.15's Identity has no get_config, so a saved gain is lost; loom keeps it.
    restored = initializers.deserialize(initializers.serialize(initializers.Identity(gain=0.5)))
    np.testing.assert_array_equal(restored((2, 2)), 0.5 * np.eye(2))


def test_keras2_uniform_and_normal_names():
    assert isinstance(initializers.get("uniform"), initializers.RandomUniform)
    assert isinstance(initializers.get("normal"), initializers.RandomNormal)


def test_snake_case_aliases_are_the_classes():
    assert initializers.glorot_uniform is initializers.GlorotUniform
    assert initializers.he_normal is initializers.HeNormal
    assert initializers.orthogonal is initializers.Orthogonal


CONFIG_CASES = [
    ("Constant", {"value": 2.0}),
    ("Zeros", {}),
    ("Ones", {}),
    ("RandomNormal", {"mean": 1.0, "stddev": 0.2, "seed": 4}),
    ("RandomUniform", {"minval": -1.0, "maxval": 2.0, "seed": 4}),
    ("TruncatedNormal", {"mean": 0.0, "stddev": 1.0, "seed": None}),
    ("VarianceScaling", {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 1}),
    ("GlorotUniform", {"seed": 5}),
    ("HeNormal", {"seed": None}),
    ("LecunUniform", {"seed": 2}),
    ("GlorotNormal", {"seed": 2}),
    ("HeUniform", {"seed": 2}),
    ("LecunNormal", {"seed": 2}),
    ("Orthogonal", {"gain": 2.0, "seed": 9}),
    ("STFT", {"side": "imag", "window": "hamming", "scaling": "spectrum", "periodic": True}),
]


@pytest.mark.parametrize("name, kwargs", CONFIG_CASES)
def test_config_and_serialization_match_keras(name, kwargs):
    ours, theirs = getattr(initializers, name)(**kwargs), getattr(keras.initializers, name)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    ours_dict, theirs_dict = initializers.serialize(ours), keras.initializers.serialize(theirs)
    assert ours_dict == {**theirs_dict, "module": "loom.initializers"}


@pytest.mark.parametrize("name, kwargs", CONFIG_CASES)
def test_keras_serialized_initializers_load_in_loom(name, kwargs):
    loaded = initializers.deserialize(keras.initializers.serialize(getattr(keras.initializers, name)(**kwargs)))
    assert type(loaded) is getattr(initializers, name)
    assert loaded.get_config() == getattr(initializers, name)(**kwargs).get_config()


def test_get_accepts_none_dict_class_and_callable():
    assert initializers.get(None) is None
    from_dict = initializers.get({"class_name": "RandomUniform", "config": {"minval": 0.0, "maxval": 1.0, "seed": 1}})
    assert isinstance(from_dict, initializers.RandomUniform) and from_dict.maxval == 1.0
    assert isinstance(initializers.get(initializers.HeUniform), initializers.HeUniform)

    def custom(shape, dtype=None):
        return jnp.full(shape, 3.0, dtype)

    assert initializers.get(custom) is custom


def test_get_accepts_an_array_of_the_weight_shape():
    init = initializers.get(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(init((2, 3)), np.arange(6.0).reshape(2, 3))
    with pytest.raises(ValueError, match=r"has shape \(2, 3\); the weight needs shape \(3, 2\)"):
        init((3, 2))


def test_get_unknown_name_suggests_close_matches_and_lists_valid_names():
    match = "Unknown initializer: 'glorot_unifrom'. Did you mean 'glorot_uniform'.*Valid names:.*he_normal"
    with pytest.raises(ValueError, match=match):
        initializers.get("glorot_unifrom")


def test_get_rejects_uninterpretable_identifiers():
    with pytest.raises(ValueError, match="Could not interpret initializer identifier: 3"):
        initializers.get(3)


def test_deserialize_uses_custom_objects():
    class Fives(initializers.Initializer):
        def __call__(self, shape, dtype=None):
            return jnp.full(shape, 5.0, dtype)

    config = initializers.serialize(Fives())
    assert config["class_name"] == "Fives" and config["registered_name"] == "Fives"
    with pytest.raises(ValueError, match="Unknown initializer: 'Fives'"):
        initializers.deserialize(config)
    restored = initializers.deserialize(config, custom_objects={"Fives": Fives})
    np.testing.assert_array_equal(restored((2,)), [5.0, 5.0])


def test_deserialize_rejects_dicts_without_class_name():
    with pytest.raises(ValueError, match="expects a name or a dict with 'class_name'"):
        initializers.deserialize({"config": {}})


def test_serialize_rejects_objects_without_config():
    with pytest.raises(ValueError, match="Cannot serialize initializer .* no get_config"):
        initializers.serialize(lambda shape, dtype=None: None)


def test_base_initializer_must_be_subclassed():
    with pytest.raises(NotImplementedError, match="Initializer must implement __call__"):
        initializers.Initializer()((2,))


def test_initializer_output_is_a_jax_array_usable_under_jit():
    values = initializers.HeNormal(seed=0)((3, 3))
    assert isinstance(values, jax.Array)
    np.testing.assert_allclose(jax.jit(lambda v: v * 2)(values), 2 * np.asarray(values))


def test_keras_compatibility_names_are_the_classes():
    assert initializers.IdentityInitializer is initializers.Identity
    assert initializers.OrthogonalInitializer is initializers.Orthogonal
    assert initializers.STFTInitializer is initializers.STFT is initializers.stft


STFT_CASES = [
    {},
    {"side": "imag"},
    {"window": "hamming", "scaling": "spectrum", "periodic": True},
    {"window": None},
    {"window": list(np.linspace(0.0, 1.0, 16)), "scaling": None},
]


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
@pytest.mark.parametrize("kwargs", STFT_CASES, ids=["hann", "imag", "hamming-spectrum", "no-window", "values"])
def test_stft_matches_keras(kwargs):
    shape = (16, 1, 9)
    expected = np.asarray(keras.initializers.STFT(**kwargs)(shape))
    # Keras forms the angles in float32; loom in float64, so long frames differ in the last bits.
    np.testing.assert_allclose(initializers.STFT(**kwargs)(shape), expected, atol=1e-5)


def test_stft_without_window_is_the_dft_matrix():
    frame, bins = 8, 5
    kernel = np.asarray(initializers.STFT("real", window=None)((frame, 1, bins))) + 1j * np.asarray(
        initializers.STFT("imag", window=None)((frame, 1, bins))
    )
    signal = np.random.default_rng(0).normal(size=frame)
    np.testing.assert_allclose(signal @ kernel[:, 0, :], np.fft.rfft(signal), atol=1e-5)


def test_stft_errors_name_the_argument():
    with pytest.raises(ValueError, match="`side` must be 'real' or 'imag'"):
        initializers.STFT(side="both")
    with pytest.raises(ValueError, match="unknown window 'nope'"):
        initializers.STFT(window="nope")
    with pytest.raises(ValueError, match="`scaling` must be None, 'density' or 'spectrum'"):
        initializers.STFT(scaling="l2")
    with pytest.raises(ValueError, match=r"the window must have shape \(4,\)"):
        initializers.STFT(window=[1.0, 2.0])((4, 1, 3))
    with pytest.raises(ValueError, match=r"kernels have shape \(frame_length, 1, fft_length // 2 \+ 1\)"):
        initializers.STFT()((4, 3))
