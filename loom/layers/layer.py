"""Layer: an Operation with state, built from its first inputs' shapes.

A layer is called like a function. On symbolic tensors the call builds the
layer (creating its weights from the input shapes), infers the output shape by
tracing ``call``, and records a Node. On arrays it computes. Under a stateless
scope (``stateless_call``) the same ``call`` reads its variables from the scope,
which makes it a pure function for ``jax.jit`` and ``jax.grad``.
"""

import contextlib
import functools
import inspect

import jax
import jax.numpy as jnp
import numpy as np

from loom import constraints, initializers, regularizers
from loom.config import dtype_policies
from loom.config.dtype_policies import DTypePolicy as DTypePolicy
from loom.graph import shape_inference
from loom.graph.call_arguments import any_symbolic
from loom.graph.keras_mask import get_keras_mask, set_keras_mask
from loom.graph.node import Node
from loom.graph.symbolic_tensor import SymbolicTensor, shape_of
from loom.layers import call_context
from loom.layers.input_spec import check_input_spec
from loom.layers.node_access import NodeAccessMixin
from loom.ops.operation import Operation
from loom.state import stateless_scope
from loom.state.autocast_scope import AutocastScope, get_autocast_scope
from loom.state.seed_generator import SeedGenerator
from loom.state.stateless_scope import StatelessScope
from loom.state import structure_version
from loom.state.variable import Variable
from loom.utils import dtypes

# Keyword arguments every layer accepts besides its own (tf.keras 2 kept the
# input-shape ones for the first layer of a Sequential model).
_BASE_KWARGS = ("input_shape", "input_dim", "batch_input_shape", "batch_size", "batch_shape", "weights", "input_dtype")
# Bookkeeping attributes that never hold sublayers or variables.
_UNTRACKED = frozenset(
    {
        "_inbound_nodes",
        "_outbound_nodes",
        "_own_variables",
        "_state_only_variables",
        "_losses",
        "input_spec",
        "_init_arguments",
        "_walk_cache",
    }
)
_JSON_TYPES = (str, int, float, bool, type(None))


def _may_hold_tracked(value) -> bool:
    """Whether an attribute value may be or hold a sublayer, variable or seed generator
    (anything but plain numbers, strings, flags, and non-empty sequences of them)."""
    if isinstance(value, _JSON_TYPES):
        return False
    if isinstance(value, (list, tuple)) and value:
        return not all(isinstance(item, _JSON_TYPES) for item in value)
    return isinstance(value, (list, tuple, dict, Layer, Variable, SeedGenerator))


def _shape_structure(x):
    """Shapes of the tensors in ``x``, keeping its list/tuple/dict structure."""
    if isinstance(x, (list, tuple)):
        return type(x)(_shape_structure(v) for v in x) if isinstance(x, list) else tuple(_shape_structure(v) for v in x)
    if isinstance(x, dict):
        return {k: _shape_structure(v) for k, v in x.items()}
    if x is None:
        return None
    if hasattr(x, "shape"):
        return shape_of(x)
    return ()


def _flat_shapes(x) -> list:
    if isinstance(x, (list, tuple)):
        return [s for v in x for s in _flat_shapes(v)]
    if isinstance(x, dict):
        return [s for v in x.values() for s in _flat_shapes(v)]
    return [shape_of(x)] if hasattr(x, "shape") else [None]


def _is_shape(value) -> bool:
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, (int, np.integer)) for d in value)


def _describe_non_tensor(value) -> str | None:
    """A message fragment if ``value`` cannot be a layer input, else None."""
    if isinstance(value, (SymbolicTensor, jax.Array, np.ndarray, np.generic, Variable, int, float, bool, complex)):
        return None
    if isinstance(value, Operation):
        kind = type(value).__name__
        return (
            f"a {kind} object ('{value.name}') instead of a tensor. Call it on a tensor first and pass "
            f"the result, e.g. `{kind}(...)(x)`, or pass `{value.name}.output`"
        )
    return f"{type(value).__name__} {value!r} instead of a tensor or array"


class Layer(NodeAccessMixin, Operation):
    """Base class of all layers.

    Args:
        activity_regularizer: penalty on the layer's outputs, added to the loss.
        trainable: whether the layer's weights are updated by training.
        dtype: a dtype policy: a dtype name (weights and computation in it),
            ``"mixed_float16"``/``"mixed_bfloat16"`` (float32 weights, half
            precision computation), a ``DTypePolicy``, or None for the global
            policy (``loom.config.set_dtype_policy``).
        autocast: cast floating inputs (and, under a mixed policy, the float
            weights read inside ``call``) to the compute dtype.
        name: unique name; defaults to the snake-cased class name (``dense_1``).
        input_shape, batch_input_shape, input_dim, batch_size: for the first
            layer of a ``Sequential`` model, as in tf.keras.
        weights: initial weights, set once the layer is built.
    """

    # Whether __call__ casts floating arguments to the compute dtype; Keras's
    # functional models turn it off and convert each input to its Input's dtype.
    _convert_input_args = True

    def __new__(cls, *args, **kwargs):
        instance = super().__new__(cls)
        # Remember constructor arguments so simple custom layers serialize
        # without writing get_config (as Keras 3 does).
        try:
            signature = inspect.signature(cls.__init__)
            bound = signature.bind(None, *args, **kwargs)
            bound.apply_defaults()
            arguments = dict(bound.arguments)
            arguments.pop(next(iter(arguments)), None)
            for parameter in signature.parameters.values():
                if parameter.kind is parameter.VAR_KEYWORD:  # **kwargs, whatever it is called
                    extra = arguments.pop(parameter.name, {})
                    arguments.update(extra if isinstance(extra, dict) else {})
        except TypeError:
            arguments = None
        object.__setattr__(instance, "_init_arguments", arguments)
        return instance

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__ and not getattr(cls.__dict__["build"], "_marks_built", False):
            # As in Keras: a layer is built once its own build() returns, however it is called.
            user_build = cls.__dict__["build"]

            @functools.wraps(user_build)
            def build(self, *args, **kwargs):
                user_build(self, *args, **kwargs)
                self.built = True

            build._marks_built = True
            cls.build = build

    def __init__(
        self,
        *,
        activity_regularizer=None,
        trainable: bool = True,
        dtype=None,
        autocast: bool = True,
        name: str | None = None,
        **kwargs,
    ):
        unknown = sorted(set(kwargs) - set(_BASE_KWARGS))
        if unknown:
            raise TypeError(
                f"{type(self).__name__}() got unexpected keyword argument(s) {unknown}. "
                f"Layers accept their own arguments plus {list(_BASE_KWARGS)} and "
                "activity_regularizer, trainable, dtype, autocast, name."
            )
        object.__setattr__(self, "_own_variables", [])
        super().__init__(name=name)
        self._trainable = bool(trainable)
        self.built = False
        self._losses = []
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._dtype_policy = dtype_policies.get(dtype)
        self.autocast = autocast
        self.input_spec = None
        if not hasattr(self, "supports_masking"):
            self.supports_masking = False
        self._batch_input_shape = self._batch_input_shape_from(kwargs)
        self._input_dtype = kwargs.get("input_dtype")
        self._initial_weights = kwargs.get("weights")
        self._build_shapes = None
        signature = inspect.signature(self.call)
        self._call_parameters = signature.parameters
        self._call_has_training = "training" in signature.parameters
        self._call_has_mask = "mask" in signature.parameters

    def _batch_input_shape_from(self, kwargs):
        if kwargs.get("batch_input_shape") is not None:
            return tuple(kwargs["batch_input_shape"])
        if kwargs.get("batch_shape") is not None:
            return tuple(kwargs["batch_shape"])
        shape = kwargs.get("input_shape")
        if shape is None and kwargs.get("input_dim") is not None:
            shape = (kwargs["input_dim"],)
        if shape is None:
            return None
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        return (kwargs.get("batch_size"),) + shape

    # --- attribute tracking -------------------------------------------------------
    def __setattr__(self, name, value):
        if isinstance(value, Variable):
            own = self.__dict__.get("_own_variables")
            if own is None:
                raise RuntimeError(
                    f"{type(self).__name__}: a Variable was assigned to `self.{name}` before "
                    "`super().__init__()` was called. Call `super().__init__(**kwargs)` first."
                )
            if not any(v is value for v in own):
                own.append(value)
                if value.path == value.name:
                    value.path = f"{self.name}/{value.name}"
        old = self.__dict__.get(name)
        super().__setattr__(name, value)
        if name == "_trainable" or _may_hold_tracked(value) or _may_hold_tracked(old):
            structure_version.changed()

    def _cached_walk(self, key, walk) -> list:
        """``walk()``, remembered until a layer's attributes or variables change."""
        cache = self.__dict__.setdefault("_walk_cache", {})
        version = structure_version.current()
        hit = cache.get(key)
        if hit is None or hit[0] != version:
            hit = (version, walk())
            cache[key] = hit
        return list(hit[1])

    def _tracked(self, kind) -> list:
        """Objects of ``kind`` held in attributes (directly or in lists/dicts), in order."""
        return self._cached_walk(("tracked", kind), lambda: self._find_tracked(kind))

    def _find_tracked(self, kind) -> list:
        found, seen = [], set()

        def visit(value):
            if isinstance(value, kind):
                if id(value) not in seen:
                    seen.add(id(value))
                    found.append(value)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    visit(item)
            elif isinstance(value, dict):
                for item in value.values():
                    visit(item)

        for key, value in vars(self).items():
            if key not in _UNTRACKED and value is not self:
                visit(value)
        return found

    @property
    def _layers(self) -> list:
        """Direct sublayers: layers held in attributes, lists or dicts."""
        return [layer for layer in self._tracked(Layer) if layer is not self]

    def _flatten_layers(self, include_self: bool = True, skip_frozen: bool = False) -> list:
        """This layer and all nested sublayers, depth-first, each once."""
        return self._cached_walk(("flat", include_self, skip_frozen), lambda: self._walk_layers(include_self, skip_frozen))

    def _walk_layers(self, include_self: bool, skip_frozen: bool) -> list:
        result, seen = [], set()
        stack = [self]
        while stack:
            layer = stack.pop()
            if id(layer) in seen or (skip_frozen and not layer.trainable):
                continue
            seen.add(id(layer))
            result.append(layer)
            stack.extend(reversed(layer._layers))
        return result if include_self else result[1:]

    # --- variables ------------------------------------------------------------------
    def _collect(self, layers, select) -> list:
        found, seen = [], set()
        for layer in layers:
            for variable in select(layer):
                if id(variable) not in seen:
                    seen.add(id(variable))
                    found.append(variable)
        return found

    @property
    def weights(self) -> list:
        """All weights: own trainable, own non-trainable, then each sublayer's."""
        return self._cached_walk(("weights",), lambda: self._collect(
            self._flatten_layers(),
            lambda layer: [v for v in layer._own_variables if v.trainable]
            + [v for v in layer._own_variables if not v.trainable],
        ))

    @property
    def trainable_weights(self) -> list:
        """Weights the optimizer updates (none if this layer or their layer is frozen)."""
        if not self.trainable:
            return []
        return self._cached_walk(("trainable_weights",), lambda: self._collect(
            self._flatten_layers(skip_frozen=True), lambda layer: [v for v in layer._own_variables if v.trainable]
        ))

    @property
    def non_trainable_weights(self) -> list:
        def walk():
            trainable = {id(v) for v in self.trainable_weights}
            return [v for v in self.weights if id(v) not in trainable]

        return self._cached_walk(("non_trainable_weights",), walk)

    def _add_state_variable(self, value, name: str) -> Variable:
        """A non-trainable Variable that is layer state but not a weight (a stateful
        RNN's states): carried through compiled steps with the other non-trainable
        variables, never part of ``weights`` / ``get_weights`` (as in Keras)."""
        variable = Variable(value, trainable=False, name=name)
        variable.path = f"{self.name}/{name}"
        self.__dict__.setdefault("_state_only_variables", []).append(variable)
        structure_version.changed()
        return variable

    @property
    def _state_variables(self) -> list:
        """Variables that are state but not weights: random-generator states, RNN states."""
        return self._cached_walk(("state_variables",), lambda: self._collect(
            self._flatten_layers(),
            lambda layer: [g.state for g in layer._tracked(SeedGenerator)]
            + layer.__dict__.get("_state_only_variables", []),
        ))

    @property
    def variables(self) -> list:
        """Weights plus state that is not a weight (random generators, RNN states)."""
        return self.weights + self._state_variables

    @property
    def trainable_variables(self) -> list:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list:
        """Non-trainable weights plus non-weight state (what a compiled step carries over)."""
        return self.non_trainable_weights + self._state_variables

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        for layer in self._flatten_layers():
            layer._trainable = bool(value)

    def add_weight(
        self,
        shape=None,
        initializer=None,
        dtype=None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer=None,
        constraint=None,
        aggregation: str = "none",
        overwrite_with_gradient: bool = False,
        name: str | None = None,
    ) -> Variable:
        """Create a weight owned by this layer (call it from ``build``).

        Args:
            shape: concrete shape; ``()`` for a scalar.
            initializer: name, Initializer or callable; defaults to
                ``"glorot_uniform"`` for floats and ``"zeros"`` otherwise.
            dtype: defaults to the layer's variable dtype.
            trainable: whether training updates it.
            regularizer: penalty on the weight added to the loss.
            constraint: projection applied after each optimizer update.
            name: short name; the variable's path is ``"<layer>/<name>"``.
        """
        shape = () if shape is None else ((shape,) if isinstance(shape, int) else tuple(shape))
        name = name or f"variable_{len(self._own_variables)}"
        if any(d is None or not isinstance(d, (int, np.integer)) or d < 0 for d in shape):
            raise ValueError(
                f"{self.describe()}: weight '{name}' needs a concrete shape; received shape={shape}. "
                "Derive it from the known dims of input_shape in build() (e.g. input_shape[-1])."
            )
        dtype = dtypes.standardize_dtype(dtype or self.variable_dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtypes.is_float(dtype) else "zeros"
        variable = Variable(
            initializers.get(initializer),
            shape=shape,
            dtype=dtype,
            trainable=trainable,
            autocast=autocast,
            aggregation=aggregation,
            name=name,
            constraint=constraints.get(constraint),
            regularizer=regularizers.get(regularizer),
        )
        variable.path = f"{self.name}/{name}"
        self._own_variables.append(variable)
        structure_version.changed()
        return variable

    def get_weights(self) -> list:
        """The weights' values as NumPy arrays, in ``weights`` order."""
        return [np.asarray(v.value) for v in self.weights]

    def set_weights(self, weights) -> None:
        """Set all weights from a list of arrays, checking count and shapes."""
        variables = self.weights
        weights = list(weights)
        if len(weights) != len(variables):
            raise ValueError(
                f"{self.describe()} has {len(variables)} weights "
                f"({[v.path for v in variables]}); set_weights received {len(weights)} arrays."
            )
        for index, (variable, value) in enumerate(zip(variables, weights)):
            if tuple(np.shape(value)) != variable.shape:
                raise ValueError(
                    f"{self.describe()}: weight {index} ('{variable.path}') has shape {variable.shape}; "
                    f"set_weights received an array of shape {tuple(np.shape(value))}."
                )
        for variable, value in zip(variables, weights):
            variable.assign(value)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(
                f"{self.describe()} is not built yet, so its weights do not exist. Call it on an "
                "input (or call build(input_shape)) before count_params()."
            )
        return int(sum(np.prod(v.shape, dtype=np.int64) for v in self.weights))

    # --- dtypes ---------------------------------------------------------------------
    @property
    def dtype_policy(self) -> DTypePolicy:
        """The layer's ``DTypePolicy``; set it with a policy, a name or a dtype."""
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value) -> None:
        self._dtype_policy = dtype_policies.get(value)

    @property
    def dtype(self) -> str:
        """The dtype of the layer's weights (``variable_dtype``), as in Keras."""
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self) -> str:
        """The dtype the layer computes in and returns."""
        return self._dtype_policy.compute_dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype the layer creates its weights in."""
        return self._dtype_policy.variable_dtype

    @property
    def input_dtype(self) -> str:
        """The dtype floating inputs are cast to (with ``autocast``)."""
        return self.compute_dtype

    def _variable_autocast(self):
        """The autocast scope this layer's ``call`` runs in, by Keras's rule: a mixed
        layer reads float weights in its compute dtype, a nested layer of another
        compute dtype switches the scope, and ``autocast=False`` turns it off."""
        current = get_autocast_scope()
        if current is not None:
            if not self.autocast or not dtypes.is_float(self.compute_dtype):
                return AutocastScope(None)
            if current.dtype != self.compute_dtype:
                return AutocastScope(self.compute_dtype)
        elif self.compute_dtype != self.variable_dtype:
            return AutocastScope(self.compute_dtype)
        return contextlib.nullcontext()

    # --- losses ---------------------------------------------------------------------
    def add_loss(self, loss) -> None:
        """Add a scalar to the training loss (collected per call)."""
        scope = stateless_scope.get_stateless_scope()
        if scope is not None:
            scope.add_loss(loss)
        else:
            self._losses.append(loss)

    @property
    def losses(self) -> list:
        """Losses added during the last call (``add_loss``, activity regularizers)
        plus the regularization penalties of the trainable weights."""
        scope = stateless_scope.get_stateless_scope()
        if scope is not None and scope.collect_losses:
            collected = list(scope.losses)
        else:
            collected = [loss for layer in self._flatten_layers() for loss in layer._losses]
        return collected + self._regularization_losses()

    def _regularization_losses(self) -> list:
        return [v.regularizer(v.value) for v in self.trainable_weights if v.regularizer is not None]

    def _clear_losses(self) -> None:
        for layer in self._flatten_layers():
            layer._losses = []

    # --- building -------------------------------------------------------------------
    def build(self, input_shape) -> None:
        """Create the layer's weights from the input shape. Override in subclasses."""
        self.built = True

    def _maybe_build(self, args, kwargs) -> None:
        if self.built:
            return
        first = args[0] if args else next(iter(kwargs.values()), None)
        shapes = _shape_structure(first)
        parameters = [
            p
            for p in inspect.signature(self.build).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        if len(parameters) > 1 and all(p.name.endswith("_shape") for p in parameters):
            # build(query_shape, value_shape, ...): match each to the call argument it names.
            bound = inspect.signature(self.call).bind_partial(*args, **kwargs).arguments
            shape_args = {
                p.name: _shape_structure(bound.get(p.name[: -len("_shape")]))
                for p in parameters
                if p.name[: -len("_shape")] in bound
            }
            self.build(**shape_args)
        else:
            self.build(shapes)
        self.built = True
        self._build_shapes = shapes
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            self.set_weights(weights)

    @property
    def _build_shapes_repr(self):
        return self._build_shapes

    def get_build_config(self) -> dict | None:
        return None if self._build_shapes is None else {"input_shape": self._build_shapes}

    def build_from_config(self, config: dict) -> None:
        if config and not self.built:
            self.build(config["input_shape"])
            self.built = True
            self._build_shapes = config["input_shape"]

    # --- calling --------------------------------------------------------------------
    def call(self, inputs, *args, **kwargs):
        """The layer's computation. Override in subclasses."""
        raise NotImplementedError(f"{type(self).__name__} must implement call().")

    def describe(self) -> str:
        return f"Layer '{self.name}' ({type(self).__name__})"

    def __call__(self, *args, **kwargs):
        if not args and not kwargs:
            raise TypeError(f"{self.describe()} was called without inputs.")
        first = args[0] if args else next(iter(kwargs.values()))
        self._check_tensors(first)
        if "mask" in kwargs and not self._call_has_mask:
            kwargs = {k: v for k, v in kwargs.items() if k != "mask"}
        training = self._resolve_training(kwargs)
        call_kwargs = dict(kwargs)
        if self._call_has_training and training is not None:
            call_kwargs["training"] = training
        else:
            call_kwargs.pop("training", None)

        self._maybe_build(args, kwargs)
        check_input_spec(self.input_spec, _flat_shapes(first), self)
        # As Keras: a mask not passed (or passed as None) is the one the input carries.
        mask = kwargs.get("mask")
        if mask is None:
            mask = _attached_mask(first)
        if self._call_has_mask and mask is not None:
            call_kwargs["mask"] = mask
        if not any_symbolic((args, kwargs)):
            outputs = self._call_body(args, call_kwargs, training)
            self._attach_array_masks(first, mask, outputs)
            return outputs
        outputs = self._symbolic_call(args, kwargs, call_kwargs, training)
        self._attach_output_masks(first, mask, outputs)
        return outputs

    def _produces_mask(self, mask) -> bool:
        return type(self).compute_mask is not Layer.compute_mask or (mask is not None and self.supports_masking)

    def _attach_array_masks(self, first, mask, outputs) -> None:
        """Attach the output mask to concrete outputs as ``_keras_mask`` (Keras 3 does,
        and the next layer called on them reads it); outputs that carry one keep it."""
        if not self._produces_mask(mask):
            return
        flat_outputs = jax.tree_util.tree_leaves(outputs)
        if all(get_keras_mask(output) is not None for output in flat_outputs):
            return
        masks = self.compute_mask(first, mask)
        masks = masks if isinstance(masks, (list, tuple)) else [masks] * len(flat_outputs)
        for output, output_mask in zip(flat_outputs, masks):
            if output_mask is not None and get_keras_mask(output) is None:
                set_keras_mask(output, output_mask)

    def _attach_output_masks(self, first, mask, outputs) -> None:
        """Give symbolic outputs the spec of their mask, so later layers see one while
        their shapes are inferred (actual masks are computed when the graph runs)."""
        if not self._produces_mask(mask):
            return
        spec = shape_inference.infer_output_spec(
            lambda inputs, mask: self.compute_mask(inputs, mask), (first, mask), {}, describe=self.describe()
        )
        flat_outputs = [t for t in jax.tree_util.tree_leaves(outputs) if isinstance(t, SymbolicTensor)]
        masks = spec if isinstance(spec, (list, tuple)) else [spec] * len(flat_outputs)
        for output, output_mask in zip(flat_outputs, masks):
            output._keras_mask = output_mask

    def _check_tensors(self, first) -> None:
        leaves = first if isinstance(first, (list, tuple)) else list(first.values()) if isinstance(first, dict) else [first]
        for position, leaf in enumerate(leaves):
            if isinstance(leaf, (list, tuple, dict)):
                self._check_tensors(leaf)
                continue
            problem = _describe_non_tensor(leaf)
            if problem is not None:
                where = f" at position {position}" if len(leaves) > 1 else ""
                raise TypeError(f"{self.describe()} was called on {problem}{where}.")

    def _resolve_training(self, kwargs):
        training = kwargs.get("training")
        if training is None:
            context = call_context.current()
            training = context.training if context is not None else None
        if training is None and self._call_has_training:
            default = self._call_parameters["training"].default
            training = None if default is inspect.Parameter.empty else default
        return training

    def _call_body(self, args, call_kwargs, training):
        """Run ``call`` on concrete (or traced) values inside a call context."""
        with call_context.enter(self, training) as frame, self._variable_autocast():
            if frame.entry_layer is self and not stateless_scope.in_stateless_scope():
                self._clear_losses()
            args, call_kwargs = self._convert_inputs(args, call_kwargs)
            outputs = self.call(*args, **call_kwargs)
            if self.activity_regularizer is not None:
                for output in jax.tree_util.tree_leaves(outputs):
                    loss = self.activity_regularizer(output)
                    if output.ndim > 0:
                        # As Keras 3: per-sample strength, independent of the batch size.
                        loss = loss / jnp.maximum(jnp.asarray(output.shape[0], loss.dtype), 1)
                    self.add_loss(loss)
        return outputs

    def _convert_inputs(self, args, kwargs):
        """Arrays for the call's tensor arguments (NumPy arrays and Variables become JAX arrays);
        with ``autocast``, floating ones in ``input_dtype``, as Keras converts every argument."""
        policy, autocast, dtype = self._dtype_policy, self.autocast and self._convert_input_args, self.input_dtype

        def convert(x):
            if isinstance(x, Variable):
                x = x.value
            return policy.convert_input(x, autocast, dtype)

        return jax.tree_util.tree_map(convert, args), jax.tree_util.tree_map(convert, kwargs)

    def _symbolic_call(self, args, kwargs, call_kwargs, training):
        outputs = self.compute_output_spec(*args, **call_kwargs)
        Node(self, args, kwargs, outputs)
        return outputs

    def compute_output_spec(self, *args, **kwargs):
        """Symbolic outputs for symbolic inputs: from ``compute_output_shape`` if the
        layer defines it, otherwise by tracing ``call`` with ``jax.eval_shape``."""
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            first = args[0] if args else next(iter(kwargs.values()))
            shapes = self.compute_output_shape(_shape_structure(first))
            return _specs_from_shapes(shapes, self.compute_dtype)
        training = kwargs.get("training")
        return shape_inference.infer_output_spec(
            lambda *a, **k: self._call_body(a, k, training), args, kwargs, describe=self.describe()
        )

    def compute_output_shape(self, input_shape):
        """Output shape(s) for an input shape; layers may override to skip tracing."""
        spec = self.compute_output_spec(*_symbolic_placeholders(input_shape))
        return jax.tree_util.tree_map(lambda t: t.shape, spec, is_leaf=lambda x: isinstance(x, SymbolicTensor))

    def compute_mask(self, inputs, previous_mask=None):
        """The mask of the outputs: passed through when ``supports_masking``, else None."""
        return previous_mask if self.supports_masking else None

    def _replay(self, args, kwargs, node, input_masks):
        mask = None
        if any(m is not None for m in input_masks):
            first = node.arguments.first_argument
            if isinstance(first, (list, tuple)):
                # Masks follow the symbolic tensors; constants in the list have none.
                masks = iter(input_masks)
                mask = [next(masks) if isinstance(item, SymbolicTensor) else None for item in first]
            else:
                mask = input_masks[0]
            if self._call_has_mask and kwargs.get("mask") is None:
                kwargs = {**kwargs, "mask": mask}
        outputs = self(*args, **kwargs)
        output_mask = None
        if self._produces_mask(mask):
            output_mask = self.compute_mask(args[0] if args else next(iter(kwargs.values())), mask)
        return outputs, output_mask

    # --- the pure form --------------------------------------------------------------
    def stateless_call(
        self,
        trainable_variables,
        non_trainable_variables,
        *args,
        return_losses: bool = False,
        rng=None,
        **kwargs,
    ):
        """Call the layer as a pure function of its variables.

        Args:
            trainable_variables: arrays in the order of ``self.trainable_variables``.
            non_trainable_variables: arrays in the order of
                ``self.non_trainable_variables``.
            *args, **kwargs: the call's inputs and options (``training=...``).
            return_losses: also return the side losses (``add_loss``, activity and
                weight regularization).
            rng: optional ``jax.random`` key; random layers draw from it instead
                of their generators' state.

        Returns:
            ``(outputs, non_trainable_variables)`` with the updated non-trainable
            values (e.g. batch-norm statistics), plus ``losses`` if asked.
        """
        if not self.built:
            raise RuntimeError(
                f"{self.describe()} is not built, so it has no variables yet. Call it once on data "
                "or on a symbolic Input before stateless_call."
            )
        trainable, non_trainable = self.trainable_variables, self.non_trainable_variables
        trainable_variables, non_trainable_variables = list(trainable_variables), list(non_trainable_variables)
        if len(trainable_variables) != len(trainable) or len(non_trainable_variables) != len(non_trainable):
            raise ValueError(
                f"{self.describe()}.stateless_call expects {len(trainable)} trainable and "
                f"{len(non_trainable)} non-trainable values; received {len(trainable_variables)} and "
                f"{len(non_trainable_variables)}."
            )
        mapping = list(zip(trainable, trainable_variables)) + list(zip(non_trainable, non_trainable_variables))
        with StatelessScope(mapping, rng=rng, collect_losses=return_losses) as scope:
            outputs = self(*args, **kwargs)
            losses = self.losses if return_losses else None
        new_non_trainable = [scope.get_current_value(v) for v in non_trainable]
        if return_losses:
            return outputs, new_non_trainable, losses
        return outputs, new_non_trainable

    # --- configuration --------------------------------------------------------------
    def get_config(self) -> dict:
        """Constructor arguments that rebuild an equal layer with ``from_config``."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype_policy.name}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = self._batch_input_shape
        if type(self).get_config is Layer.get_config and type(self).__init__ is not Layer.__init__:
            arguments = getattr(self, "_init_arguments", None) or {}
            if not all(_is_json_like(v) for v in arguments.values()):
                raise NotImplementedError(
                    f"{type(self).__name__} has constructor arguments that are not plain values "
                    f"({sorted(arguments)}), so it must override get_config() to return them."
                )
            for key, value in arguments.items():
                config.setdefault(key, value)
        return config

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _attached_mask(first):
    """The mask(s) carried by the first call argument: one per item of a list."""
    if isinstance(first, (list, tuple)):
        masks = [get_keras_mask(t) for t in first]
        return None if all(m is None for m in masks) else masks
    if isinstance(first, dict):
        return None
    return get_keras_mask(first)


def _is_json_like(value) -> bool:
    if isinstance(value, _JSON_TYPES):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_json_like(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json_like(v) for k, v in value.items())
    return False


def _specs_from_shapes(shapes, dtype):
    if _is_shape(shapes):
        return SymbolicTensor(tuple(shapes), dtype)
    if isinstance(shapes, dict):
        return {k: _specs_from_shapes(v, dtype) for k, v in shapes.items()}
    return type(shapes)(_specs_from_shapes(s, dtype) for s in shapes)


def _symbolic_placeholders(input_shape):
    if _is_shape(input_shape):
        return (SymbolicTensor(tuple(input_shape)),)
    return ([SymbolicTensor(tuple(s)) for s in input_shape],)
