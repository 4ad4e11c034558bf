"""loom.config's defaults (floatx, epsilon, image_data_format, backend) answer as keras.config's do."""

import keras
import numpy as np
import pytest

import loom
from loom import config
from loom import backend as K


def test_config_has_every_name_of_keras_config():
    def public(module):
        return sorted(n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n)))

    # loom's one addition: the persistent compilation cache switch (loom/config/compilation_cache.py).
    extras = ["compilation_cache_directory", "disable_compilation_cache", "enable_compilation_cache"]
    assert public(config) == sorted(public(keras.config) + extras)


@pytest.mark.parametrize(
    "calls",
    [
        [("set_floatx", "float16")],
        [("set_floatx", "bfloat16")],
        [("set_floatx", "float64"), ("set_floatx", "float32")],
        [("set_epsilon", 1e-5)],
        [("set_epsilon", 0.0)],
        [("set_image_data_format", "channels_first")],
        [("set_image_data_format", "CHANNELS_FIRST")],
        [("set_image_data_format", "channels_first"), ("set_image_data_format", "channels_last")],
    ],
)
def test_setters_give_the_same_settings_as_keras(calls):
    for name, value in calls:
        getattr(config, name)(value)
        getattr(keras.config, name)(value)
    for getter in ("floatx", "epsilon", "image_data_format", "backend"):
        assert getattr(config, getter)() == getattr(keras.config, getter)(), getter


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda c: c.set_floatx("int32"), "'bfloat16', 'float16', 'float32', 'float64'"),
        (lambda c: c.set_floatx("float8_e4m3fn"), "received 'float8_e4m3fn'"),
        (lambda c: c.set_image_data_format("channels_middle"), "'channels_last' or 'channels_first'"),
        (lambda c: c.set_image_data_format(None), "'channels_last' or 'channels_first'"),
    ],
)
def test_bad_settings_raise_value_errors_as_in_keras(call, match):
    with pytest.raises(ValueError, match=match):
        call(config)
    with pytest.raises(ValueError):
        call(keras.config)


def test_floatx_accepts_numpy_dtypes_and_set_epsilon_rejects_negatives():
    config.set_floatx(np.float16)
    assert config.floatx() == "float16"
    with pytest.raises(ValueError, match="non-negative float"):
        config.set_epsilon(-1.0)
    assert config.epsilon() == 1e-7


def test_backend_is_jax_and_set_backend_accepts_only_jax():
    assert config.backend() == "jax" == K.backend()
    config.set_backend("jax")
    with pytest.raises(ValueError, match="loom runs only on JAX; set_backend received backend='torch'"):
        config.set_backend("torch")


def test_keras_2_backend_and_ops_read_the_same_settings():
    config.set_image_data_format("channels_first")
    config.set_epsilon(1e-4)
    assert K.image_data_format() == "channels_first" and K.epsilon() == 1e-4
    K.set_image_data_format("channels_last")
    K.set_floatx("float16")
    assert config.image_data_format() == "channels_last" and config.floatx() == "float16"
    assert loom.ops.config.epsilon() == 1e-4 and loom.utils.dtypes.floatx() == "float16"


def test_floatx_sets_the_dtype_of_new_weights_and_inputs():
    config.set_floatx("float16")
    layer = loom.layers.Dense(2)
    layer.build((None, 3))
    assert layer.kernel.dtype == "float16" and layer.dtype_policy.name == "float16"
    assert loom.Input((3,)).dtype == "float16" and K.variable([1.0]).dtype == "float16"
