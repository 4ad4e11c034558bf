"""JaxLayer and FlaxLayer: a JAX model function (and its parameters) as a layer."""

import inspect

import jax
import jax.numpy as jnp
import numpy as np

from loom.layers.layer import Layer, _is_shape
from loom.state.seed_generator import SeedGenerator, draw_key
from loom.state.variable import Variable
from loom.utils import dtypes

_CALL_ARGUMENTS = ("params", "state", "rng", "inputs", "training")
_INIT_ARGUMENTS = ("rng", "inputs", "training")

_FLAX_MISSING = """\
FlaxLayer wraps a flax.linen Module, but flax is not installed. Install it
(`pip install flax`), or write the model as plain JAX functions and use JaxLayer:

    layer = loom.layers.JaxLayer(call_fn=apply, init_fn=init)   # apply(params, inputs), init(rng, inputs)
"""


class JaxLayer(Layer):
    """A layer that runs a JAX model function, its parameters held as the layer's weights.

    ``call_fn`` takes arguments with these names only (``inputs`` is required):
    ``params`` (the trainable parameters, a pytree), ``state`` (non-trainable
    state; then ``call_fn`` returns ``(outputs, new_state)``), ``rng`` (a
    ``jax.random`` key in training, None in inference), ``inputs`` (one array
    or a pytree of arrays) and ``training`` (a bool). ``init_fn`` takes
    ``rng``, ``inputs`` (ones of the input shape, unknown sizes 1) and
    optionally ``training`` (always True), and returns the initial params, or
    ``(params, state)`` when ``call_fn`` takes ``state``.

    Every array (and Python number) leaf of ``params`` becomes a trainable
    weight, every one of ``state`` a non-trainable weight, in
    ``jax.tree_util`` order; other leaves stay as they are (configuration).

    Args:
        call_fn: the model function, as above.
        init_fn: builds ``params`` (and ``state``) from the first input shape;
            needed unless ``params``/``state`` are given.
        params: initial trainable parameters (a pytree of arrays).
        state: initial non-trainable state (a pytree of arrays).
        seed: seed of the keys passed as ``rng`` while training.
        native_serialization_platforms: accepted for Keras compatibility (it
            selects jax2tf targets on Keras's TensorFlow backend); unused.

    Example:
        >>> def apply(params, inputs):
        ...     return inputs @ params["w"] + params["b"]
        >>> layer = JaxLayer(apply, params={"w": np.ones((3, 2)), "b": np.zeros(2)})
        >>> layer(np.ones((4, 3))).shape
        (4, 2)
    """

    def __init__(
        self,
        call_fn,
        init_fn=None,
        params=None,
        state=None,
        seed=None,
        native_serialization_platforms=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.call_fn = call_fn
        self.init_fn = init_fn
        self.call_fn_arguments = self._check_signature(call_fn, "call_fn", _CALL_ARGUMENTS)
        self.init_fn_arguments = None
        if init_fn is not None:
            self.init_fn_arguments = self._check_signature(init_fn, "init_fn", _INIT_ARGUMENTS)
        self.call_fn_has_params = "params" in self.call_fn_arguments
        self.call_fn_has_state = "state" in self.call_fn_arguments
        if init_fn is None and params is None and state is None and (self.call_fn_has_params or self.call_fn_has_state):
            raise ValueError(
                f"{self.describe()}: `call_fn` takes `params` or `state`, so give `init_fn` (to create them from "
                "the first input shape) or the initial `params`/`state`; all three are None."
            )
        self.seed = seed
        self.seed_generator = SeedGenerator(seed) if "rng" in self.call_fn_arguments else None
        self.native_serialization_platforms = native_serialization_platforms
        self.params = self._create_variables(params, trainable=True)
        self.state = self._create_variables(state, trainable=False)
        if params is not None or state is not None:
            self.built = True

    def _check_signature(self, function, name: str, allowed: tuple) -> list:
        if not callable(function):
            raise TypeError(f"{self.describe()}: `{name}` must be a function; received {function!r}.")
        parameters = list(inspect.signature(function).parameters)
        unknown = [p for p in parameters if p not in allowed]
        if unknown or "inputs" not in parameters:
            raise ValueError(
                f"{self.describe()}: `{name}` may only take arguments named {', '.join(allowed)} (`inputs` "
                f"required); received {name}{inspect.signature(function)}. Wrap it in a function with those names."
            )
        return parameters

    def _create_variables(self, values, trainable: bool):
        """``values`` with every array or number leaf replaced by a weight of this layer."""

        def create(value):
            if isinstance(value, (bool, int, float)):
                value = np.asarray(value)
            if not isinstance(value, (np.ndarray, np.generic, jax.Array)):
                return value
            if isinstance(value, jax.core.Tracer):
                raise RuntimeError(  # noqa: TRY004 - a wrong order of use, not a wrong type
                    f"{self.describe()} received traced values for its params/state; it cannot be built inside "
                    "jax.jit or a traced function. Call it once on concrete data (or an Input) first."
                )
            dtype = None if dtypes.is_float(str(value.dtype)) else str(jnp.asarray(value).dtype)
            return self.add_weight(
                shape=value.shape,
                initializer=lambda shape, dtype, value=value: jnp.asarray(value, dtype=dtype),
                dtype=dtype,
                trainable=trainable,
            )

        return None if values is None else jax.tree_util.tree_map(create, values)

    def build(self, input_shape):
        if self.params is not None or self.state is not None:
            return
        if not (self.call_fn_has_params or self.call_fn_has_state):
            return
        arguments = {"rng": self._init_rng(), "inputs": _ones_like_shapes(input_shape), "training": True}
        with jax.ensure_compile_time_eval():
            result = self.init_fn(*[arguments[name] for name in self.init_fn_arguments])
        params, state = result if self.call_fn_has_state else (result, None)
        self.params = self._create_variables(params, trainable=True)
        self.state = self._create_variables(state, trainable=False)

    def _init_rng(self):
        """The ``rng`` given to ``init_fn``: a key from loom's global stream (as Keras)."""
        return draw_key(None)

    def _call_rng(self, training):
        """The ``rng`` given to ``call_fn``: a fresh key in training, None in inference."""
        return self.seed_generator.next() if training else None

    def call(self, inputs, training=False):
        values = {
            "params": _values(self.params),
            "state": _values(self.state),
            "rng": self._call_rng(training) if self.seed_generator is not None else None,
            "inputs": inputs,
            "training": bool(training),
        }
        result = self.call_fn(*[values[name] for name in self.call_fn_arguments])
        if not self.call_fn_has_state:
            return result
        outputs, new_state = result
        self._assign_state(new_state)
        return outputs

    def _assign_state(self, new_state) -> None:
        variables, structure = jax.tree_util.tree_flatten(self.state)
        new_values, new_structure = jax.tree_util.tree_flatten(new_state)
        if structure != new_structure:
            raise ValueError(
                f"{self.describe()}: `call_fn` returned a state of another structure than the initial one; "
                f"expected {structure}, received {new_structure}. Return (outputs, new_state) with the same keys."
            )
        for variable, value in zip(variables, new_values):
            if isinstance(variable, Variable):
                variable.assign(value)

    def get_config(self) -> dict:
        # params and state are weights, saved with the other weights, not in the config (as Keras).
        return {
            **super().get_config(),
            "call_fn": self.call_fn,
            "init_fn": self.init_fn,
            "seed": self.seed,
            "native_serialization_platforms": self.native_serialization_platforms,
        }


def _values(tree):
    return jax.tree_util.tree_map(lambda v: v.value if isinstance(v, Variable) else v, tree)


def _ones_like_shapes(shapes):
    """Ones of each shape in a structure of shapes, unknown sizes as 1 (init_fn's placeholder inputs)."""
    if _is_shape(shapes):
        return jnp.ones(tuple(1 if d is None else d for d in shapes))
    if isinstance(shapes, dict):
        return {key: _ones_like_shapes(value) for key, value in shapes.items()}
    return type(shapes)(_ones_like_shapes(value) for value in shapes)


class FlaxLayer(JaxLayer):
    """A layer that runs a ``flax.linen.Module``: its "params" collection becomes trainable
    weights, every other collection (e.g. "batch_stats") non-trainable weights.

    flax is not a dependency of loom: without it, constructing a FlaxLayer raises
    an ImportError that says how to install it (or to use ``JaxLayer`` with plain
    JAX functions instead).

    Args:
        module: a ``flax.linen.Module`` instance.
        method: the method run by ``init`` and ``apply`` (default ``__call__``),
            taking ``inputs`` and optionally ``training``; a function taking the
            module first also works.
        variables: the module's variables as ``module.init`` returns them; None
            initializes them from the first input shape.
        seed, and the Layer arguments: as ``JaxLayer``.

    Example:
        >>> layer = FlaxLayer(flax.linen.Dense(4))
        >>> layer(np.ones((2, 3))).shape
        (2, 4)
    """

    def __init__(self, module, method=None, variables=None, **kwargs):
        try:
            from flax.core import scope as flax_scope
        except ImportError as err:
            raise ImportError(_FLAX_MISSING) from err
        self.module = module
        self.method = method
        mutable = flax_scope.DenyList(["params"])  # every collection but params may change in a call
        target = method if method is not None else module  # a module's signature is its __call__'s
        takes_training = "training" in inspect.signature(target).parameters

        def call_fn(params, state, rng, inputs, training):
            extra = {"training": training} if takes_training else {}
            variables = _merge_collections(params, state)
            return module.apply(variables, inputs, rngs=rng, method=method, mutable=mutable, **extra)

        def init_fn(rng, inputs, training):
            extra = {"training": training} if takes_training else {}
            return _split_collections(module.init(rng, inputs, method=method, **extra))

        params, state = _split_collections(variables) if variables is not None else (None, None)
        kwargs.pop("call_fn", None)  # a saved config carries JaxLayer's arguments too
        kwargs.pop("init_fn", None)
        super().__init__(call_fn=call_fn, init_fn=init_fn, params=params, state=state, **kwargs)

    def _init_rng(self):
        # flax draws "params" and "dropout" keys from named streams.
        return {"params": draw_key(None), "dropout": draw_key(None)}

    def _call_rng(self, training):
        return {"dropout": self.seed_generator.next()} if training else {}

    def get_config(self) -> dict:
        config = {**super().get_config(), "module": self.module, "method": self.method}
        config.pop("call_fn")
        config.pop("init_fn")
        return config


def _merge_collections(params, state) -> dict:
    """flax variables from the params and state trees (``{"params": ...}`` and the other collections)."""
    return {**(params or {}), **(state or {})}


def _split_collections(variables) -> tuple:
    """``(params, state)``: the "params" collection, and every other collection."""
    variables = dict(variables)
    params = {"params": variables.pop("params")} if "params" in variables else {}
    return params, variables
