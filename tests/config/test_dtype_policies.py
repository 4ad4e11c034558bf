"""DTypePolicy and the global policy behave as Keras's."""

import keras
import numpy as np
import pytest

import loom
from loom import config
from loom.config import dtype_policies
from loom.config.dtype_policies import DTypePolicy

NAMES = ["float32", "float16", "bfloat16", "float64", "mixed_float16", "mixed_bfloat16", "int32"]


@pytest.mark.parametrize("name", NAMES)
def test_policy_dtypes_repr_and_config_match_keras(name):
    ours, theirs = DTypePolicy(name), keras.DTypePolicy(name)
    assert (ours.name, ours.compute_dtype, ours.variable_dtype) == (
        theirs.name, theirs.compute_dtype, theirs.variable_dtype,
    )  # fmt: skip
    assert repr(ours) == repr(theirs) and ours.get_config() == theirs.get_config()
    assert ours.quantization_mode is None is theirs.quantization_mode
    other = DTypePolicy("float16" if name == "float32" else "float32")
    assert DTypePolicy.from_config(ours.get_config()) == ours != other


def test_bad_names_raise_the_errors_keras_raises():
    with pytest.raises(TypeError, match="must be a string"):
        DTypePolicy(3)
    with pytest.raises(TypeError):
        keras.DTypePolicy(3)
    with pytest.raises(ValueError, match="Cannot convert 'mixed_float32' to a DTypePolicy"):
        DTypePolicy("mixed_float32")
    with pytest.raises(ValueError):
        keras.DTypePolicy("mixed_float32")
    with pytest.raises(ValueError, match="policy name such as 'mixed_float16' or a DTypePolicy"):
        config.set_dtype_policy(3)
    with pytest.raises(ValueError):
        keras.config.set_dtype_policy(3)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16", "float16", DTypePolicy("mixed_float16")])
def test_set_dtype_policy_reads_back_as_in_keras(policy):
    config.set_dtype_policy(policy)
    keras.config.set_dtype_policy(policy if isinstance(policy, str) else policy.name)
    assert repr(config.dtype_policy()) == repr(keras.config.dtype_policy())
    assert config.dtype_policy() == DTypePolicy(keras.config.dtype_policy().name)


def test_unset_global_policy_follows_floatx():
    assert config.dtype_policy() == DTypePolicy("float32")
    config.set_floatx("float16")
    assert config.dtype_policy().name == "float16" and DTypePolicy().name == "float16"
    config.set_dtype_policy("mixed_bfloat16")
    config.set_floatx("float32")
    assert config.dtype_policy().name == "mixed_bfloat16" and DTypePolicy().compute_dtype == "bfloat16"


@pytest.mark.parametrize(
    "identifier, name",
    [
        (None, "float32"),
        ("mixed_float16", "mixed_float16"),
        (np.float16, "float16"),
        (np.dtype("bfloat16") if hasattr(np, "bfloat16") else "bfloat16", "bfloat16"),
        ({"class_name": "DTypePolicy", "config": {"name": "mixed_bfloat16"}}, "mixed_bfloat16"),
        ({"name": "float16"}, "float16"),
    ],
)
def test_get_resolves_every_dtype_argument(identifier, name):
    assert dtype_policies.get(identifier).name == name


def test_get_returns_a_policy_object_unchanged_and_rejects_others():
    policy = DTypePolicy("mixed_float16")
    assert dtype_policies.get(policy) is policy
    with pytest.raises(ValueError, match="Cannot interpret dtype=<class 'object'> as a dtype policy"):
        dtype_policies.get(object)


def test_convert_input_casts_only_floats_and_only_with_autocast():
    policy = DTypePolicy("mixed_float16")
    floats, ints = np.ones(2, "float32"), np.ones(2, "int32")
    assert policy.convert_input(floats, True, "float16").dtype == "float16"
    assert policy.convert_input(floats, False, "float16").dtype == "float32"
    assert policy.convert_input(ints, True, "float16").dtype == "int32"
    assert policy.convert_input("text", True, "float16") == "text"


def test_loom_dtype_policy_is_the_config_class():
    assert loom.DTypePolicy is DTypePolicy is loom.mixed_precision.DTypePolicy is loom.mixed_precision.Policy
