"""Tests for loom.activations: Keras parity for every activation, NumPy formulas, names, symbolic use."""

import math
import os

os.environ["KERAS_BACKEND"] = "jax"  # Keras defaults to TensorFlow, which is not installed

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

from loom import activations
from loom.graph import SymbolicTensor

# Values on both sides of every breakpoint (0, +-0.5, +-1, +-3, 6), plus large magnitudes.
X = np.array(
    [[-20.0, -6.0, -3.0, -2.5, -1.0, -0.7, -0.5, -0.2, 0.0, 0.2, 0.5, 0.7],
     [1.0, 1.5, 2.5, 3.0, 4.0, 5.5, 6.0, 6.5, 20.0, -0.01, 0.01, 0.3]],
    dtype="float32",
)  # fmt: skip
KERAS_NAMES = sorted(
    n for n in dir(keras.activations) if not n.startswith("_") and n not in ("get", "serialize", "deserialize")
)
EXTRA_ARGUMENTS = {"threshold": ((0.5, -1.0), {})}
# Keras 3.15's JAX sparsemax sums the cumulative sums over the support instead of
# taking the one at its end, so its output does not sum to 1 (all zeros for X[0]);
# loom's is checked against a NumPy reference below instead.
KERAS_PARITY_NAMES = [name for name in KERAS_NAMES if name != "sparsemax"]
VARIANTS = [
    ("relu", {"negative_slope": 0.1}),
    ("relu", {"max_value": 6.0}),
    ("relu", {"max_value": 2.5}),
    ("relu", {"threshold": 1.0}),
    ("relu", {"negative_slope": 0.1, "max_value": 4.0, "threshold": 0.5}),
    ("relu", {"negative_slope": 0.3, "threshold": -1.0}),
    ("leaky_relu", {"negative_slope": 0.05}),
    ("elu", {"alpha": 0.5}),
    ("celu", {"alpha": 2.0}),
    ("gelu", {"approximate": True}),
    ("softmax", {"axis": 0}),
    ("log_softmax", {"axis": 0}),
    ("glu", {"axis": 0}),
    ("squareplus", {"b": 1.0}),
    ("soft_shrink", {"threshold": 1.0}),
    ("hard_shrink", {"threshold": 1.0}),
]


def test_loom_defines_every_keras_activation():
    missing = [name for name in KERAS_NAMES if not hasattr(activations, name)]
    assert not missing, f"loom.activations lacks {missing}"
    assert len(KERAS_NAMES) >= 32


def _parity_cases(module):
    """``{case id: module's output on X}`` for every parity case of ``module`` (loom's or Keras's)."""

    def all_cases(x):
        outputs = {}
        for name in KERAS_PARITY_NAMES:
            args, kwargs = EXTRA_ARGUMENTS.get(name, ((), {}))
            outputs[name] = module.get(name)(x, *args, **kwargs)
        for index, (name, kwargs) in enumerate(VARIANTS):
            outputs[f"variant_{index}"] = getattr(module, name)(x, **kwargs)
        if module is activations:  # checked against NumPy (Keras's differs, see KERAS_PARITY_NAMES)
            outputs["sparsemax"] = activations.sparsemax(x)
            outputs["sparsemax_axis_0"] = activations.sparsemax(x, axis=0)
        return outputs

    return all_cases


@pytest.fixture(scope="module")
def outputs():
    """loom's and Keras's results for every parity case, from one jitted call.

    One compiled program instead of a compile per eager op keeps this module
    fast; the eager path is exercised by the NumPy-formula tests below.
    """
    both = jax.jit(lambda x: (_parity_cases(activations)(x), _parity_cases(keras.activations)(x)))
    return jax.device_get(both(jnp.asarray(X)))


@pytest.mark.parametrize("name", KERAS_PARITY_NAMES)
def test_matches_keras_with_default_arguments(name, outputs):
    ours, theirs = outputs
    np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-6, atol=1e-6)
    assert ours[name].dtype == np.float32


@pytest.mark.parametrize("index", range(len(VARIANTS)), ids=[f"{n}-{k}" for n, k in VARIANTS])
def test_matches_keras_with_arguments(index, outputs):
    ours, theirs = outputs
    key = f"variant_{index}"
    np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-6, atol=1e-6)


def test_relu_arguments_follow_the_numpy_formula():
    x = X.astype(np.float64)
    ours = activations.relu(X, negative_slope=0.1, max_value=4.0, threshold=0.5)
    expected = np.where(x > 0.5, np.minimum(x, 4.0), 0.0) - 0.1 * np.maximum(0.5 - x, 0)
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(activations.relu(X), np.maximum(X, 0))


def test_gelu_defaults_to_the_exact_erf_form():
    expected = np.vectorize(lambda v: 0.5 * v * (1 + math.erf(v / math.sqrt(2))))(X.astype(np.float64))
    np.testing.assert_allclose(activations.gelu(X), expected, rtol=1e-5, atol=1e-6)


def test_piecewise_activations_follow_numpy_formulas():
    x = X.astype(np.float64)
    np.testing.assert_allclose(activations.hard_sigmoid(X), np.clip(x / 6 + 0.5, 0, 1), atol=1e-7)
    np.testing.assert_allclose(activations.sparse_sigmoid(X), np.clip((x + 1) / 2, 0, 1), atol=1e-7)
    np.testing.assert_allclose(activations.hard_silu(X), x * np.clip(x / 6 + 0.5, 0, 1), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(activations.exponential(X[:, 1:]), np.exp(x[:, 1:]), rtol=1e-6)
    np.testing.assert_allclose(activations.threshold(X, 0.5, -1.0), np.where(x > 0.5, x, -1.0))


def _np_sparsemax(v):
    """Sparsemax by bisection on tau in sum(max(v - tau, 0)) = 1 (no sorting)."""
    v = v.astype(np.float64)
    low, high = v.min() - 1.0, v.max()
    for _ in range(200):
        tau = (low + high) / 2
        low, high = (tau, high) if np.maximum(v - tau, 0).sum() > 1 else (low, tau)
    return np.maximum(v - (low + high) / 2, 0)


def test_sparsemax_matches_numpy_reference(outputs):
    ours, _ = outputs
    for axis, key in ((-1, "sparsemax"), (0, "sparsemax_axis_0")):
        np.testing.assert_allclose(ours[key], np.apply_along_axis(_np_sparsemax, axis, X), atol=1e-6)
        np.testing.assert_allclose(ours[key].sum(axis=axis), 1.0, rtol=1e-6)


def test_softmax_sums_to_one_along_axis(outputs):
    ours, _ = outputs
    np.testing.assert_allclose(ours["softmax"].sum(axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(ours[f"variant_{VARIANTS.index(('softmax', {'axis': 0}))}"].sum(axis=0), 1.0, rtol=1e-6)


def test_linear_returns_its_input_unchanged():
    assert activations.linear(X) is X


def test_aliases_are_the_same_functions():
    assert activations.swish is activations.silu and activations.hard_swish is activations.hard_silu
    assert activations.get("swish") is activations.silu


def test_get_none_is_linear_and_callables_pass_through():
    assert activations.get(None) is activations.linear

    def double(x):
        return 2 * x

    assert activations.get(double) is double


def test_get_unknown_name_suggests_close_matches_and_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown activation: 'rleu'. Did you mean 'relu'.*Valid names:.*sigmoid"):
        activations.get("rleu")


def test_get_rejects_uninterpretable_identifiers():
    with pytest.raises(ValueError, match="Could not interpret activation identifier: 5"):
        activations.get(5)


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_serialize_matches_keras_and_round_trips(name):
    fn = activations.get(name)
    assert activations.serialize(fn) == keras.activations.serialize(keras.activations.get(name))
    assert activations.deserialize(activations.serialize(fn)) is fn


def test_serialize_gives_canonical_names_for_aliases():
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(activations.hard_swish) == "hard_silu"


def test_custom_function_serializes_as_a_dict_and_needs_custom_objects():
    def scaled_tanh(x):
        return 1.7 * jnp.tanh(x)

    config = activations.serialize(scaled_tanh)
    assert config == {
        "module": __name__,
        "class_name": "function",
        "config": "scaled_tanh",
        "registered_name": "scaled_tanh",
    }
    with pytest.raises(ValueError, match="Unknown activation: 'scaled_tanh'"):
        activations.deserialize(config)
    assert activations.deserialize(config, custom_objects={"scaled_tanh": scaled_tanh}) is scaled_tanh


def test_keras_function_dict_deserializes_to_the_builtin():
    config = {"module": "keras.activations", "class_name": "function", "config": "relu", "registered_name": None}
    assert activations.deserialize(config) is activations.relu
    assert activations.get(config) is activations.relu


def test_lambdas_cannot_be_serialized():
    with pytest.raises(ValueError, match="Cannot serialize a lambda as an activation"):
        activations.serialize(lambda x: x)


def test_deserialize_rejects_other_values():
    with pytest.raises(ValueError, match="activations.deserialize expects a name or a dict"):
        activations.deserialize(["relu"])


def test_glu_rejects_odd_sizes_with_a_clear_message():
    with pytest.raises(ValueError, match=r"glu splits `x` in two halves along axis=-1.*received shape \(2, 3\)"):
        activations.glu(np.ones((2, 3), "float32"))


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_symbolic_input_gives_symbolic_output_of_the_right_shape(name):
    args, kwargs = EXTRA_ARGUMENTS.get(name, ((), {}))
    out = activations.get(name)(SymbolicTensor((None, 6), "float32"), *args, **kwargs)
    assert isinstance(out, SymbolicTensor)
    assert out.shape == ((None, 3) if name == "glu" else (None, 6)) and out.dtype == "float32"


def test_relu_with_arguments_on_symbolic_input():
    out = activations.relu(SymbolicTensor((None, 6), "float32"), negative_slope=0.1, max_value=3.0, threshold=0.5)
    assert isinstance(out, SymbolicTensor) and out.shape == (None, 6)


def test_activations_trace_under_jit():
    jitted = jax.jit(lambda x: activations.relu(x, negative_slope=0.1, max_value=4.0, threshold=0.5))
    np.testing.assert_allclose(jitted(X), activations.relu(X, negative_slope=0.1, max_value=4.0, threshold=0.5))
