"""Optimizer: Keras's optimizer API over an optax update rule whose state lives in Variables."""

import numbers
import re
import warnings
from collections.abc import Callable
from typing import Union

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.extend import core as jax_core

from loom import initializers
from loom.distribution import placement
from loom.optimizers import schedules, transforms
from loom.optimizers.slots import SlotLayout
from loom.state.stateless_scope import StatelessScope
from loom.state.variable import Variable
from loom.utils.naming import auto_name

LearningRateLike = Union[float, schedules.LearningRateSchedule, Callable[[], float]]

_SCHEDULE_NOT_SETTABLE = (
    "This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
    "constructor argument, hence its learning rate is not settable. If you need the learning rate "
    "to be settable, instantiate the optimizer with a float `learning_rate` argument."
)


def _is_number(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Real):
        return True
    return isinstance(value, (np.ndarray, np.generic, jax.Array)) and np.ndim(value) == 0


def _is_schedule(learning_rate) -> bool:
    """A schedule or a zero-argument callable, as opposed to a fixed rate."""
    return isinstance(learning_rate, schedules.LearningRateSchedule) or (
        callable(learning_rate) and not isinstance(learning_rate, Variable)
    )


class Optimizer:
    """Base class of loom's optimizers: Keras 3's arguments, variables and methods.

    Built-in optimizers describe their rule as an optax transformation,
    ``_update_rule(learning_rate)``; the base class chains gradient clipping and
    decoupled weight decay around it, keeps the rule's state in named Variables
    (``"adam/dense_kernel_momentum"``) and offers the pure ``stateless_apply``
    that a compiled training step threads through its loop. A Keras-style
    subclass that overrides ``build`` (adding slots with
    ``add_variable_from_reference``) and ``update_step(gradient, variable,
    learning_rate)`` works too.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` (called with
            ``iterations`` inside each step), or a callable with no arguments.
        weight_decay: if set, ``w -= w * weight_decay * learning_rate`` before each update.
        clipnorm: if set, each gradient is scaled so its own L2 norm is at most this.
        clipvalue: if set, each gradient is clipped elementwise to [-clipvalue, clipvalue].
        global_clipnorm: if set, all gradients are scaled so their joint norm is at most this.
        use_ema: keep an exponential moving average of the weights (``finalize_variable_values``
            copies it into the weights).
        ema_momentum: the average's momentum, in [0, 1].
        ema_overwrite_frequency: if set, every this many steps the weights are
            overwritten with their average.
        loss_scale_factor: the loss is multiplied by this (``scale_loss``) and the
            gradients divided by it.
        gradient_accumulation_steps: if set (>= 2), gradients are averaged over this
            many steps and the weights updated once per that many steps.
        name: prefix of the optimizer's variable paths; defaults to the snake-cased class name.

    Example (the pure step a compiled training loop uses):

    >>> import jax, jax.numpy as jnp, loom
    >>> from loom.optimizers import SGD
    >>> w = loom.Variable([1.0, 2.0], name="w")
    >>> optimizer = SGD(learning_rate=0.1)
    >>> optimizer.build([w])
    >>> step = jax.jit(optimizer.stateless_apply)
    >>> (new_w,), state = step([v.value for v in optimizer.variables], [jnp.ones(2)], [w.value])
    >>> [round(float(x), 6) for x in new_w], int(state[0])
    ([0.9, 1.9], 1)
    """

    # optax state field -> Keras slot name, and Keras's order of slot variables.
    _slot_names: dict = {}
    _slot_groups: tuple = ()

    def __init__(
        self,
        learning_rate: LearningRateLike = 0.001,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs,
    ):
        self._check_keyword_arguments(kwargs)
        self.name = name or auto_name(self)
        if sum(arg is not None for arg in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                f"{type(self).__name__}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set; "
                f"received clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}."
            )
        if gradient_accumulation_steps is not None and not (
            isinstance(gradient_accumulation_steps, numbers.Integral) and gradient_accumulation_steps >= 2
        ):
            raise ValueError(
                f"{type(self).__name__}: `gradient_accumulation_steps` must be an integer >= 2; "
                f"received gradient_accumulation_steps={gradient_accumulation_steps!r}."
            )
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(
                    f"{type(self).__name__}: `ema_momentum` must be in [0, 1]; received ema_momentum={ema_momentum!r}."
                )
            if ema_overwrite_frequency is not None and not (
                isinstance(ema_overwrite_frequency, numbers.Integral) and ema_overwrite_frequency >= 1
            ):
                raise ValueError(
                    f"{type(self).__name__}: `ema_overwrite_frequency` must be an integer >= 1 or None; "
                    f"received ema_overwrite_frequency={ema_overwrite_frequency!r}."
                )
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables = []
        self._paths = set()
        self._base_variables = set()
        self._trainable_variables = []
        self._indices = {}
        self._slots = None
        self._averages = []
        self._accumulators = []
        self._exclude_ids = set()
        self._exclude_pattern = None
        self._iterations = self._base_variable("iteration", jnp.asarray(0, jnp.int32))
        if _is_schedule(learning_rate):
            self._learning_rate = learning_rate
        elif _is_number(learning_rate):
            self._learning_rate = self._base_variable("learning_rate", jnp.asarray(learning_rate, jnp.float32))
        else:
            raise ValueError(
                f"{type(self).__name__}: `learning_rate` must be a float, a LearningRateSchedule, or a "
                f"callable with no arguments returning the rate; received learning_rate={learning_rate!r}."
            )

    def _check_keyword_arguments(self, kwargs: dict) -> None:
        cls = type(self).__name__
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.", stacklevel=4)
        if "lr" in kwargs:
            raise ValueError(
                f"{cls}: argument `lr` was renamed in Keras 3; write {cls}(learning_rate={kwargs['lr']!r})."
            )
        if kwargs:
            raise ValueError(f"{cls}: argument(s) not recognized: {kwargs}.")

    # --- variables ------------------------------------------------------------------
    def _new_variable(self, name: str, initializer, shape=None, dtype=None, aggregation="none") -> Variable:
        variable = Variable(initializer, shape=shape, dtype=dtype, trainable=False, aggregation=aggregation, name=name)
        path, suffix = f"{self.name}/{name}", 1
        while path in self._paths:  # two model variables with one path still get distinct slots
            path, suffix = f"{self.name}/{name}_{suffix}", suffix + 1
        variable.path = path
        self._paths.add(path)
        self._variables.append(variable)
        return variable

    def _base_variable(self, name: str, value) -> Variable:
        variable = self._new_variable(name, value, aggregation="only_first_replica")
        self._base_variables.add(id(variable))
        return variable

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none", layout=None, name=None):
        """Creates and tracks an optimizer Variable (for Keras-style subclasses' ``build``).

        ``layout``: a ``loom.distribution.TensorLayout`` for it under a distribution.
        """
        variable = self._new_variable(name or "variable", initializers.get(initializer), shape, dtype, aggregation)
        if layout is not None:
            variable._layout = layout
            placement.place_variable(variable)
        return variable

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A Variable shaped like ``reference_variable``, named ``<its path>_<name>`` (and, under a
        distribution, laid out like it)."""
        name = f"{reference_variable.path.replace('/', '_')}_{name or 'var'}"
        variable = self.add_variable(reference_variable.shape, initializer, reference_variable.dtype, name=name)
        variable._layout_reference = reference_variable
        placement.place_variable(variable)
        return variable

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One Variable per model variable per name; a list, or a tuple of lists when ``name`` is a list."""
        names = [name] if isinstance(name, str) else list(name)
        inits = initializer if isinstance(initializer, (list, tuple)) else [initializer] * len(names)
        created = tuple([] for _ in names)
        for variable in trainable_variables:  # interleaved per variable, as Keras orders them
            for i, (slot, init) in enumerate(zip(names, inits)):
                created[i].append(self.add_variable_from_reference(variable, slot, init))
        return created[0] if isinstance(name, str) else created

    def build(self, var_list) -> None:
        """Creates the optimizer's state for ``var_list`` (the model's trainable Variables)."""
        if self.built:
            return
        var_list = list(var_list)
        for variable in var_list:
            if not isinstance(variable, Variable):
                raise TypeError(
                    f"{type(self).__name__}.build expects a list of loom Variables (e.g. "
                    f"model.trainable_variables); received {variable!r}."
                )
        self._trainable_variables = var_list
        self._indices = {id(variable): i for i, variable in enumerate(var_list)}
        if self.use_ema:
            self._averages = self.add_optimizer_variables(var_list, "average")
        if self.gradient_accumulation_steps:
            self._accumulators = self.add_optimizer_variables(var_list, "gradient_accumulator")
        self._base_variables.update(id(v) for v in self._averages + self._accumulators)
        if not self._uses_keras_update_step():
            # The rule's state is made on placeholder zeros (init reads only shapes and
            # dtypes), so building inside a traced function still gives concrete slots.
            placeholders = [np.zeros(v.shape, v.dtype) for v in var_list]
            state = _initial_state(self._update_rule(np.float32(1.0)).init, placeholders)
            self._slots = SlotLayout(state, var_list, self._new_variable, self._slot_names, self._slot_groups)
        self.built = True

    @property
    def variables(self) -> list:
        """Every optimizer Variable: ``iteration`` (always first), ``learning_rate`` (unless scheduled), then slots."""
        return list(self._variables)

    @property
    def iterations(self):
        """The number of applied steps (of accumulated steps, with gradient accumulation)."""
        if self.gradient_accumulation_steps:
            return self._iterations.value // self.gradient_accumulation_steps
        return self._iterations

    # --- learning rate --------------------------------------------------------------
    @property
    def learning_rate(self):
        """The rate: its Variable for a fixed rate, else the scheduled value at ``iterations``."""
        if isinstance(self._learning_rate, Variable):
            return self._learning_rate
        return self._current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        previous = self._learning_rate
        if _is_schedule(learning_rate):
            self._learning_rate = learning_rate
            if isinstance(previous, Variable):  # as Keras: the rate Variable is dropped
                self._variables.remove(previous)
            return
        if isinstance(previous, schedules.LearningRateSchedule):
            raise TypeError(_SCHEDULE_NOT_SETTABLE)
        if not isinstance(previous, Variable):
            raise TypeError(
                "This optimizer was created with a callable `learning_rate`, so it has no rate Variable to "
                "set; assign a new callable or LearningRateSchedule instead."
            )
        if not (_is_number(learning_rate) or isinstance(learning_rate, Variable)):
            raise ValueError(
                f"`learning_rate` must be set to a float or a LearningRateSchedule; received {learning_rate!r}."
            )
        previous.assign(learning_rate)

    def _current_learning_rate(self):
        """The rate as a float32 scalar array (traced inside a stateless scope)."""
        learning_rate = self._learning_rate
        if isinstance(learning_rate, Variable):
            return learning_rate.value
        if isinstance(learning_rate, schedules.LearningRateSchedule):
            return jnp.asarray(learning_rate(self._iterations.value), jnp.float32)
        return jnp.asarray(learning_rate(), jnp.float32)

    # --- applying gradients ---------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Applies ``[(gradient, variable), ...]``; returns ``iterations``."""
        pairs = list(grads_and_vars)
        if pairs:
            grads, trainable_variables = zip(*pairs)
            self.apply(grads, trainable_variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None) -> None:
        """Updates the variables from their gradients, building the optimizer on first use.

        Args:
            grads: one gradient (or None) per variable.
            trainable_variables: the Variables; may be left out once built, when
                ``grads`` follows the order of the variables it was built with.
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be built on a list "
                    "of variables. Call `optimizer.build(trainable_variables)` first."
                )
            if len(grads) != len(self._trainable_variables):
                raise ValueError(
                    f"Received {len(grads)} gradients, but the optimizer was built on "
                    f"{len(self._trainable_variables)} variables; pass one gradient per variable, in order."
                )
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if len(grads) != len(trainable_variables):
                raise ValueError(
                    f"Received {len(grads)} gradients for {len(trainable_variables)} variables; "
                    "pass one gradient per variable."
                )
            if not self.built:
                self.build(trainable_variables)
        full = [None] * len(self._trainable_variables)
        for gradient, variable in zip(grads, trainable_variables):
            if id(variable) not in self._indices:
                raise ValueError(
                    f"Unknown variable: {variable}. This optimizer can only be called for the variables it was "
                    "originally built with. When working with a new set of variables, create a new optimizer."
                )
            full[self._indices[id(variable)]] = gradient
        missing = [v.path for v, g in zip(trainable_variables, grads) if g is None]
        if len(missing) == len(grads):
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. If using "
                "`model.compile()`, did you forget to provide a `loss` argument?",
                stacklevel=2,
            )
        self._apply_step(full)

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """The pure form of ``apply``: new values instead of updated Variables (jit-safe).

        Args:
            optimizer_variables: arrays in the order of ``optimizer.variables``.
            grads: one gradient array per variable the optimizer was built on.
            trainable_variables: arrays in the order of the variables it was built on.

        Returns:
            ``(new_trainable_values, new_optimizer_values)``, lists in the same orders.
        """
        cls = type(self).__name__
        if not self.built:
            raise ValueError(
                f"To call `stateless_apply`, {cls} must be built (i.e. its variables must have been created). "
                "You can build it via `optimizer.build(trainable_variables)`."
            )
        variables = self.variables
        if len(optimizer_variables) != len(variables):
            raise ValueError(
                f"`optimizer_variables` must hold one array per {cls}().variables entry: expected "
                f"{len(variables)}, received {len(optimizer_variables)}."
            )
        if len(trainable_variables) != len(self._trainable_variables):
            raise ValueError(
                f"`trainable_variables` must hold one array per variable the optimizer was built with: "
                f"expected {len(self._trainable_variables)}, received {len(trainable_variables)}."
            )
        mapping = list(zip(self._trainable_variables, trainable_variables)) + list(zip(variables, optimizer_variables))
        with StatelessScope(mapping) as scope:
            self.apply(grads)
        return (
            [scope.get_current_value(v) for v in self._trainable_variables],
            [scope.get_current_value(v) for v in variables],
        )

    def _standardize_gradient(self, gradient, variable):
        if gradient is None:
            return jnp.zeros(variable.shape, variable.dtype)
        gradient = jnp.asarray(gradient)
        if tuple(gradient.shape) != variable.shape:
            raise ValueError(
                f"The gradient for variable '{variable.path}' has shape {tuple(gradient.shape)}, but the "
                f"variable has shape {variable.shape}; pass one gradient per variable, in the same order."
            )
        return gradient.astype(variable.dtype)

    def _apply_step(self, grads: list) -> None:
        """One step on the built variables; ``grads`` holds None for variables left alone."""
        variables = self._trainable_variables
        present = [g is not None for g in grads]
        grads = [self._standardize_gradient(g, v) for g, v in zip(grads, variables)]
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        old_params = [v.value for v in variables]
        iterations = self._iterations.value
        accumulation = self.gradient_accumulation_steps
        step = iterations // accumulation if accumulation else iterations
        if accumulation:
            is_update_step = (iterations + 1) % accumulation == 0
            sums = [g + a.value for g, a in zip(grads, self._accumulators)]
            grads = [jnp.where(is_update_step, s / accumulation, g) for s, g in zip(sums, grads)]
        learning_rate = self._current_learning_rate()
        if self._uses_keras_update_step():
            new_params, slot_updates = self._keras_rule_step(grads, old_params, present, learning_rate)
        else:
            new_params, slot_updates = self._optax_rule_step(grads, old_params, step, learning_rate)
        # Variables without a gradient keep their value and their slots, as in Keras.
        new_params = [new if has else old for new, old, has in zip(new_params, old_params, present)]
        slot_updates = [(v, value if i is None or present[i] else v.value) for v, value, i in slot_updates]
        if accumulation:
            new_params = [jnp.where(is_update_step, n, o) for n, o in zip(new_params, old_params)]
            slot_updates = [(v, jnp.where(is_update_step, value, v.value)) for v, value in slot_updates]
            for accumulator, total, has in zip(self._accumulators, sums, present):
                if has:
                    slot_updates.append((accumulator, jnp.where(is_update_step, jnp.zeros_like(total), total)))
        if self.use_ema:
            new_params = self._moving_average_step(new_params, step, slot_updates)
        for variable, value, has in zip(variables, new_params, present):
            if has and variable.constraint is not None:
                value = variable.constraint(value)
            variable.assign(value)
        for variable, value in slot_updates:
            variable.assign(value)
        self._iterations.assign(iterations + 1)

    def _gradient_clipping(self) -> optax.GradientTransformation:
        return transforms.gradient_clipping(self.clipnorm, self.clipvalue, self.global_clipnorm)

    def _optax_rule_step(self, grads, params, step, learning_rate):
        rule = self._update_rule(learning_rate)
        if self.weight_decay is not None:
            rule = transforms.decoupled_weight_decay(rule, learning_rate, self.weight_decay, self._decay_mask())
        clipping = self._gradient_clipping()
        chain = optax.chain(clipping, rule)
        state = (clipping.init(params), self._slots.read(step))
        updates, (_, new_state) = chain.update(grads, state, params)
        return optax.apply_updates(params, updates), self._slots.split(new_state)

    def _keras_rule_step(self, grads, params, present, learning_rate):
        grads, _ = self._gradient_clipping().update(grads, optax.EmptyState())
        if self.weight_decay is not None:
            params = [
                p - p * self.weight_decay * learning_rate if use and has else p
                for p, use, has in zip(params, self._decay_mask(), present)
            ]
        variables = self._trainable_variables
        with StatelessScope(list(zip(variables, params))) as scope:
            for gradient, variable, has in zip(grads, variables, present):
                if has:
                    self.update_step(gradient, variable, learning_rate)
        slots = [v for v in self._variables if id(v) not in self._base_variables]
        new_slots = [(v, scope.get_current_value(v), None) for v in slots]
        return [scope.get_current_value(v) for v in variables], [update for update in new_slots if update[1] is not None]

    def _moving_average_step(self, params, step, slot_updates) -> list:
        """Updates the weights' moving averages; returns the weights (overwritten when due)."""
        momentum = jnp.where(step != 0, self.ema_momentum, 0.0)
        averages = [momentum * a.value + (1 - momentum) * p for a, p in zip(self._averages, params)]
        slot_updates.extend(zip(self._averages, averages))
        if not self.ema_overwrite_frequency:
            return params
        overwrite = (step + 1) % self.ema_overwrite_frequency == 0
        return [jnp.where(overwrite, a.astype(p.dtype), p) for a, p in zip(averages, params)]

    # --- the rule: one of these two is implemented by each optimizer ----------------
    def _update_rule(self, learning_rate) -> optax.GradientTransformation:
        """The optax transformation from (clipped) gradients to weight updates, learning rate included."""
        raise NotImplementedError(
            f"Optimizer '{type(self).__name__}' must implement `update_step(gradient, variable, learning_rate)` "
            "(Keras style, creating its slots in `build`) or `_update_rule(learning_rate)` returning an optax "
            "GradientTransformation."
        )

    def update_step(self, gradient, variable, learning_rate):
        """Keras-style rule: update ``variable`` (and its slots) in place from ``gradient``."""
        raise NotImplementedError(f"Optimizer '{type(self).__name__}' does not implement update_step.")

    def _uses_keras_update_step(self) -> bool:
        return type(self).update_step is not Optimizer.update_step

    def _get_variable_index(self, variable) -> int:
        return self._indices[id(variable)]

    def assign(self, variable, value):
        variable.assign(value)

    def assign_add(self, variable, value):
        variable.assign_add(value)

    def assign_sub(self, variable, value):
        variable.assign_sub(value)

    # --- weight decay, loss scaling, moving averages --------------------------------
    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Exempts variables from weight decay: those in ``var_list``, or whose name contains a ``var_names`` entry.

        Must be called before the optimizer is built.
        """
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the optimizer is built.")
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _decay_mask(self) -> list:
        return [
            id(v) not in self._exclude_ids and not (self._exclude_pattern and self._exclude_pattern.search(v.name))
            for v in self._trainable_variables
        ]

    def scale_loss(self, loss):
        """The loss to differentiate: times ``loss_scale_factor`` if set (``apply`` divides the
        gradients by it), else unchanged. A training step calls this before taking gradients."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def stateless_scale_loss(self, optimizer_variables, loss):
        """The pure form of ``scale_loss``: reads the optimizer's state (a loss scale) from
        ``optimizer_variables``, arrays in the order of ``variables`` (jit-safe)."""
        with StatelessScope(list(zip(self.variables, optimizer_variables))):
            return self.scale_loss(loss)

    def finalize_variable_values(self, var_list) -> None:
        """With ``use_ema``, overwrites the variables with their moving averages."""
        if not self.use_ema:
            return
        var_list = list(var_list)
        if len(var_list) != len(self._averages):
            raise ValueError(
                f"finalize_variable_values received {len(var_list)} variables, but the optimizer keeps moving "
                f"averages for {len(self._averages)}; pass the variables it was built with."
            )
        for variable, average in zip(var_list, self._averages):
            variable.assign(average.value)

    # --- saving ---------------------------------------------------------------------
    def set_weights(self, weights) -> None:
        """Sets every optimizer Variable, in the order of ``variables``."""
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. Call "
                "`optimizer.build(trainable_variables)` to create the optimizer weights first."
            )
        weights = list(weights)
        if len(weights) != len(self.variables):
            raise ValueError(
                f"set_weights expects {len(self.variables)} arrays (one per optimizer variable); "
                f"received {len(weights)}."
            )
        for variable, weight in zip(self.variables, weights):
            if tuple(np.shape(weight)) != variable.shape:
                raise ValueError(
                    f"Optimizer variable '{variable.path}' has shape {variable.shape}, not compatible with the "
                    f"provided weight shape {tuple(np.shape(weight))}."
                )
            variable.assign(weight)

    def save_own_variables(self, store) -> None:
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store) -> None:
        if len(store.keys()) != len(self.variables):
            hint = " This is likely because the optimizer has not been called/built yet." if not self.built else ""
            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}', because it has {len(self.variables)} "
                f"variables whereas the saved optimizer has {len(store.keys())} variables.{hint}",
                stacklevel=2,
            )
            return
        for i, variable in enumerate(self.variables):
            variable.assign(store[str(i)])

    # --- config ---------------------------------------------------------------------
    def get_config(self) -> dict:
        """The constructor arguments, JSON-serializable (a schedule as its ``serialize`` dict)."""
        if isinstance(self._learning_rate, Variable):
            learning_rate = float(self._learning_rate.numpy())
        elif isinstance(self._learning_rate, schedules.LearningRateSchedule):
            learning_rate = schedules.serialize(self._learning_rate)
        else:
            raise ValueError(
                f"Optimizer '{self.name}' has a callable `learning_rate` ({self._learning_rate!r}), which cannot "
                "be serialized. Use a LearningRateSchedule subclass with get_config() instead."
            )
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Optimizer":
        """Builds an optimizer from ``get_config``'s output (without its state)."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _initial_state(init, placeholders):
    """``init(placeholders)``, the rule's first state, without compiling when it can be helped.

    Run op by op, init compiles a zeros program for every distinct variable shape (tens
    of milliseconds each on a CPU, part of every script's first fit). Most rules' states
    start as constants (zeros, an initial accumulator value): their traced program is
    only ``broadcast_in_dim`` of literals, built here with NumPy. Anything else runs as
    one compiled program (lowered and run as a Compiled object, so a build inside a
    trace still runs it).
    """
    closed, shapes = jax.make_jaxpr(init, return_shape=True)(placeholders)
    values = {}
    for equation in closed.jaxpr.eqns:
        operand = equation.invars[0] if equation.invars else None
        if equation.primitive.name != "broadcast_in_dim" or not isinstance(operand, jax_core.Literal):
            return jax.jit(init).lower(placeholders).compile()(placeholders)
        aval = equation.outvars[0].aval
        values[equation.outvars[0]] = np.full(aval.shape, operand.val, dtype=aval.dtype)
    leaves = []
    for var in closed.jaxpr.outvars:
        if isinstance(var, jax_core.Literal):
            leaves.append(np.asarray(var.val, dtype=var.aval.dtype))
        elif var in values:
            leaves.append(values[var])
        else:  # an input or a captured constant passed through: compute it properly
            return jax.jit(init).lower(placeholders).compile()(placeholders)
    with jax.ensure_compile_time_eval():  # concrete arrays even when built inside a trace
        arrays = [jax.device_put(value) for value in leaves]
    return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(shapes), arrays)
