import jax.numpy as jnp
import pytest

from loom.graph.shape_inference import infer_output_spec
from loom.graph.symbolic_tensor import SymbolicTensor


def test_unknown_batch_stays_unknown():
    x = SymbolicTensor((None, 5))
    out = infer_output_spec(lambda t: jnp.concatenate([t, t], axis=-1), (x,), {}, "test")
    assert out.shape == (None, 10)


def test_two_inputs_share_the_batch_symbol():
    a, b = SymbolicTensor((None, 3)), SymbolicTensor((None, 3))
    assert infer_output_spec(lambda x, y: x + y, (a, b), {}, "test").shape == (None, 3)


def test_code_needing_a_concrete_batch_falls_back_to_probes():
    x = SymbolicTensor((None, 4))
    out = infer_output_spec(lambda t: jnp.zeros((int(t.shape[0]), 2)) + t[:, :2], (x,), {}, "test")
    assert out.shape == (None, 2)


def test_fixed_dims_and_dtype_come_through():
    x = SymbolicTensor((8, 3), dtype="int32")
    out = infer_output_spec(lambda t: (t * 2, t.astype("float32").sum(0)), (x,), {}, "test")
    assert out[0].shape == (8, 3) and out[0].dtype == "int32"
    assert out[1].shape == (3,) and out[1].dtype == "float32"


def test_user_error_keeps_its_type_and_names_caller():
    x = SymbolicTensor((None, 3))

    def bad(t):
        return t * missing_name  # noqa: F821

    with pytest.raises(NameError, match=r"missing_name(.|\n)*Layer 'f' \(F\) raised NameError .* \(None, 3\)") as info:
        infer_output_spec(bad, (x,), {}, "Layer 'f' (F)")
    assert isinstance(info.value.__cause__, NameError)


def test_reported_error_is_not_wrapped_twice():
    x = SymbolicTensor((None, 3))
    err = ValueError("inner")
    err._loom_reported = True

    def raises(t):
        raise err

    with pytest.raises(ValueError) as info:
        infer_output_spec(raises, (x,), {}, "outer")
    assert info.value is err
