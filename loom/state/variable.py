"""Variable: a named, shaped piece of layer state (a weight, a statistic, a seed)."""

import jax
import jax.numpy as jnp
import numpy as np

from loom.distribution import placement
from loom.state import autocast_scope, stateless_scope, structure_version
from loom.utils.dtypes import standardize_dtype

_TRACER_ASSIGN_MESSAGE = """\
Variable '{path}' was assigned a traced value outside a stateless scope. This
happens when a layer that updates state (BatchNormalization, Dropout's seed) is
called directly inside jax.jit / jax.grad. Use the pure form instead:

    # wrong
    jax.jit(lambda x: model(x, training=True))(x)
    # right
    outputs, new_state = model.stateless_call(
        trainable_values, non_trainable_values, x, training=True)
"""


# Called as creation_check(shape, dtype, name) before a variable's initial value is computed.
# loom.saving sets it (the one place it reaches into this module) to refuse, while a model
# is rebuilt from a file, variables beyond what the file's weights can fill: bounded memory.
creation_check = None


class Variable:
    """A mutable array owned by a layer; reads see the stateless scope's value.

    Args:
        initializer: an initial array, or a callable ``initializer(shape, dtype)``
            (e.g. from ``loom.initializers``).
        shape: required when ``initializer`` is a callable.
        dtype: defaults to the dtype of an initial array, else floatx.
        trainable: whether the optimizer updates it.
        autocast: whether reads inside a mixed-precision layer's ``call`` give
            the layer's compute dtype (see ``autocast_scope``).
        name: short name, e.g. ``"kernel"``.
        constraint: a callable applied to the value after each optimizer update.
        regularizer: a callable giving a penalty added to the training loss.
    """

    def __init__(
        self,
        initializer,
        shape=None,
        dtype=None,
        trainable: bool = True,
        autocast: bool = True,
        aggregation: str = "none",
        synchronization: str = "auto",
        name: str | None = None,
        constraint=None,
        regularizer=None,
    ):
        self.name = name or "variable"
        self._path = self.name
        self._trainable = bool(trainable)
        self.autocast = autocast
        self.aggregation = aggregation
        self.synchronization = synchronization
        self.constraint = constraint
        self.regularizer = regularizer
        if callable(initializer) and not hasattr(initializer, "shape"):
            if shape is None:
                raise ValueError(
                    f"Variable '{self.name}' has a callable initializer, so it needs `shape`; "
                    "pass e.g. shape=(3, 4)."
                )
            dtype = standardize_dtype(dtype)
            if creation_check is not None:
                creation_check(tuple(shape), dtype, self.name)
            # Variables may be created while a layer is traced (lazy builds inside
            # jit or eval_shape); their initial values must still be concrete.
            with jax.ensure_compile_time_eval():
                value = initializer(tuple(shape), dtype)
        else:
            value = initializer
            if dtype is None:
                given = getattr(value, "dtype", None)
                given = given if given is not None else np.asarray(value).dtype
                # Without x64, float64 data becomes float32 and int64 int32, as in JAX.
                dtype = jax.dtypes.canonicalize_dtype(given)
            dtype = standardize_dtype(dtype)
        with jax.ensure_compile_time_eval():
            value = jnp.asarray(value, dtype=dtype)
        if isinstance(value, jax.core.Tracer):
            raise ValueError(
                f"Variable '{self.name}' was given a traced value as its initial value; "
                "create variables from concrete arrays or initializers."
            )
        if shape is not None and tuple(value.shape) != tuple(shape):
            raise ValueError(
                f"Variable '{self.name}': initial value has shape {tuple(value.shape)} "
                f"but shape={tuple(shape)} was requested."
            )
        self._value = value
        placement.place_variable(self)  # under a distribution: its layout (placed again if the path changes)

    @property
    def path(self) -> str:
        """The variable's unique name in its model, e.g. ``"dense/kernel"`` (LayoutMap keys match it)."""
        return self._path

    @path.setter
    def path(self, value: str) -> None:
        self._path = value
        placement.place_variable(self)

    # --- reading -------------------------------------------------------------
    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        structure_version.changed()  # the layers' cached variable lists are stale

    @property
    def value(self):
        scoped = stateless_scope.lookup_variable(self)
        value = self._value if scoped is None else scoped
        # Inside a mixed-precision layer's call, read in its compute dtype (see autocast_scope).
        scope = autocast_scope.get_autocast_scope()
        return scope.maybe_cast(value) if scope is not None and self.autocast else value

    @property
    def shape(self) -> tuple:
        return tuple(self._value.shape)

    @property
    def dtype(self) -> str:
        return self._value.dtype.name

    @property
    def ndim(self) -> int:
        return self._value.ndim

    def numpy(self) -> np.ndarray:
        return placement.host_value(self.value)

    def __array__(self, dtype=None, copy=None):
        array = placement.host_value(self.value)
        return array.astype(dtype) if dtype is not None else array

    def __jax_array__(self):
        return self.value

    def __len__(self):
        return self.shape[0]

    def __float__(self):
        return float(np.asarray(self.value))

    def __int__(self):
        return int(np.asarray(self.value))

    # --- writing -------------------------------------------------------------
    def assign(self, value):
        value = jnp.asarray(value, dtype=self.dtype)
        if tuple(value.shape) != self.shape:
            raise ValueError(
                f"Cannot assign a value of shape {tuple(value.shape)} to variable "
                f"'{self.path}' of shape {self.shape}."
            )
        scope = stateless_scope.get_stateless_scope()
        if scope is not None:
            scope.add_update(self, value)
        elif isinstance(value, jax.core.Tracer):
            raise RuntimeError(_TRACER_ASSIGN_MESSAGE.format(path=self.path))
        else:
            self._value = value
            placement.place_variable(self)
        return value

    def assign_add(self, delta):
        return self.assign(self.value + jnp.asarray(delta, dtype=self.dtype))

    def assign_sub(self, delta):
        return self.assign(self.value - jnp.asarray(delta, dtype=self.dtype))

    def __repr__(self):
        return (
            f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
            f"trainable={self.trainable}>"
        )

    # Variables are compared and hashed by identity, like layers.
    __hash__ = object.__hash__
