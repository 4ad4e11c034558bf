"""Dtype names as Keras spells them ("float32"), and the default float type."""

import jax.numpy as jnp

# The default float type is configuration; its home is loom.config.
from loom.config.defaults import floatx as floatx
from loom.config.defaults import set_floatx as set_floatx


def standardize_dtype(dtype) -> str:
    """Any dtype-like (None, "float", np.float32, jnp.dtype) -> a canonical name."""
    if dtype is None:
        return floatx()
    if dtype in ("float", "floatx"):
        return floatx()
    if hasattr(dtype, "name") and not isinstance(dtype, (str, type)):
        return jnp.dtype(dtype).name
    try:
        return jnp.dtype(dtype).name
    except TypeError as err:
        raise TypeError(f"Expected a dtype such as 'float32' or 'int32'; received {dtype!r}.") from err


def is_float(dtype) -> bool:
    # jnp.issubdtype knows bfloat16 and the float8 types; np.issubdtype does not.
    return bool(jnp.issubdtype(jnp.dtype(standardize_dtype(dtype)), jnp.floating))


def is_int(dtype) -> bool:
    return bool(jnp.issubdtype(jnp.dtype(standardize_dtype(dtype)), jnp.integer))


def result_type(*dtypes) -> str:
    return jnp.result_type(*[standardize_dtype(d) for d in dtypes]).name
