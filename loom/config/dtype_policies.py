"""DTypePolicy: the dtypes a layer keeps its weights in and computes in, and the global default policy.

``"float32"`` (or any dtype name) uses one dtype for both; ``"mixed_float16"``
and ``"mixed_bfloat16"`` keep float32 weights and compute in half precision.
Layers take the global policy when created with ``dtype=None``. The class sits
in ``loom.config`` (not in ``loom.layers``) because the global policy is
configuration: this module imports nothing from loom but ``defaults``.
"""

import jax
import jax.numpy as jnp
import numpy as np

from loom.config.defaults import floatx

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}


def _parse_name(name: str) -> tuple:
    """``(compute_dtype, variable_dtype)`` of a policy name."""
    if name in _MIXED:
        return _MIXED[name], "float32"
    try:
        dtype = jnp.dtype(floatx() if name in ("float", "floatx") else name)
    except TypeError:
        dtype = None
    if dtype is None or not (jnp.issubdtype(dtype, jnp.number) or dtype == jnp.bool_):
        raise ValueError(
            f"Cannot convert {name!r} to a DTypePolicy. Valid policies are 'mixed_float16', 'mixed_bfloat16' "
            "and dtype names such as 'float32' or 'bfloat16'."
        )
    return dtype.name, dtype.name


class DTypePolicy:
    """The compute and variable dtypes of a layer.

    Args:
        name: a dtype name (``"float32"``, ``"bfloat16"``, ...: weights and
            computation in that dtype), ``"mixed_float16"`` or
            ``"mixed_bfloat16"`` (float32 weights, float16/bfloat16
            computation), or None for the global policy's name.

    A layer reads its float inputs, and its weights inside ``call``, in the
    compute dtype; its weights are stored (and updated by the optimizer) in the
    variable dtype.

    Example:

    >>> policy = DTypePolicy("mixed_bfloat16")
    >>> policy.compute_dtype, policy.variable_dtype
    ('bfloat16', 'float32')
    """

    def __init__(self, name: str | None = None):
        if name is None:
            name = dtype_policy().name
        if not isinstance(name, str):
            raise TypeError(
                f"DTypePolicy's `name` must be a string such as 'mixed_float16'; received {name!r} "
                f"(of type {type(name).__name__})."
            )
        self._compute_dtype, self._variable_dtype = _parse_name(name)
        self._name = name

    @property
    def name(self) -> str:
        """The policy's name, e.g. ``"mixed_float16"``."""
        return self._name

    @property
    def compute_dtype(self) -> str:
        """The dtype of a layer's computation and outputs."""
        return self._compute_dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype a layer creates its weights in."""
        return self._variable_dtype

    @property
    def quantization_mode(self):
        """None: loom has no quantized policies."""
        return None

    def convert_input(self, x, autocast: bool, dtype: str):
        """``x`` as an array; a float array is cast to ``dtype`` when ``autocast`` is True
        (integers and booleans are left alone). Other values pass through."""
        if isinstance(x, (np.ndarray, np.generic)):
            x = jnp.asarray(x)
        if autocast and isinstance(x, jax.Array) and jnp.issubdtype(x.dtype, jnp.floating) and x.dtype != dtype:
            x = x.astype(dtype)
        return x

    def get_config(self) -> dict:
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict) -> "DTypePolicy":
        return cls(**config)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'

    def __eq__(self, other):
        return type(other) is type(self) and other._name == self._name

    def __hash__(self):
        return hash((type(self).__name__, self._name))


# None: no policy was set, so the default follows floatx() (see dtype_policy).
_global_policy = None


def dtype_policy() -> DTypePolicy:
    """The policy layers created with ``dtype=None`` take (``floatx()`` unless set)."""
    return _global_policy if _global_policy is not None else DTypePolicy(floatx())


def set_dtype_policy(policy) -> None:
    """Set the policy of every layer created afterwards with ``dtype=None``.

    Args:
        policy: a ``DTypePolicy`` or a policy name such as ``"mixed_float16"``.

    Example:

    >>> set_dtype_policy("mixed_float16")  # doctest: +SKIP
    """
    global _global_policy
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    if not isinstance(policy, DTypePolicy):
        raise ValueError(
            "set_dtype_policy expects a policy name such as 'mixed_float16' or a DTypePolicy; received "
            f"{policy!r} (of type {type(policy).__name__})."
        )
    _global_policy = policy


def get(identifier) -> DTypePolicy:
    """The policy for a layer's ``dtype`` argument.

    Args:
        identifier: None (the global policy), a ``DTypePolicy`` (returned as
            is), a name, a config dict (``{"class_name": "DTypePolicy",
            "config": {"name": ...}}`` or ``{"name": ...}``), or a dtype
            object such as ``np.float32``.
    """
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    if isinstance(identifier, dict):
        config = identifier.get("config", identifier)
        if isinstance(config, dict) and isinstance(config.get("name"), str):
            return DTypePolicy(config["name"])
    else:
        try:
            return DTypePolicy(jnp.dtype(identifier).name)
        except (TypeError, ValueError):
            pass
    raise ValueError(
        f"Cannot interpret dtype={identifier!r} as a dtype policy. Pass a dtype name such as 'float32', a "
        "policy name such as 'mixed_float16', or a DTypePolicy."
    )
