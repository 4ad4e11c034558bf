"""The Optimizer base: building, the stateless step under jit, learning rates, and its errors."""

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import loom
from loom import optimizers
from loom.optimizers import schedules


def make_variables():
    return [
        loom.Variable(np.array([[1.0, -2.0], [0.5, 3.0]], "float32"), name="kernel"),
        loom.Variable(np.array([0.25, -0.75], "float32"), name="bias"),
    ]


def gradient_sequence(steps=5):
    rng = np.random.default_rng(3)
    return [[jnp.asarray(rng.normal(size=s), jnp.float32) for s in [(2, 2), (2,)]] for _ in range(steps)]


def values(variables):
    return [np.asarray(v.value) for v in variables]


# --- the pure step ------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda: optimizers.Adam(0.05, weight_decay=0.1, clipnorm=1.0),
        lambda: optimizers.Nadam(schedules.ExponentialDecay(0.05, 2, 0.5)),
        lambda: optimizers.SGD(0.1, momentum=0.9, gradient_accumulation_steps=2, use_ema=True),
    ],
    ids=["adam", "nadam-schedule", "sgd-accumulation-ema"],
)
def test_stateless_apply_in_fori_loop_equals_eager_apply(make_optimizer):
    grads = gradient_sequence()
    eager_variables, eager = make_variables(), make_optimizer()
    for step_grads in grads:
        eager.apply(step_grads, eager_variables)

    variables, optimizer = make_variables(), make_optimizer()
    optimizer.build(variables)
    stacked = [jnp.stack([g[i] for g in grads]) for i in range(2)]

    @jax.jit
    def run(optimizer_values, trainable_values):
        def body(i, carry):
            trainable, opt = carry
            return tuple(optimizer.stateless_apply(opt, [s[i] for s in stacked], trainable))

        return jax.lax.fori_loop(0, len(grads), body, (trainable_values, optimizer_values))

    trainable, optimizer_values = run(values(optimizer.variables), values(variables))
    for actual, expected in zip(trainable, values(eager_variables)):
        np.testing.assert_allclose(actual, expected, rtol=1e-6)
    for actual, expected in zip(optimizer_values, values(eager.variables)):
        np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-8)  # compiled fusion rounds slots differently
    # The Variables themselves are untouched by the pure form.
    np.testing.assert_array_equal(values(variables)[0], make_variables()[0].numpy())
    assert int(np.asarray(optimizer.iterations)) == 0


def test_stateless_apply_returns_values_in_variable_order_and_dtypes():
    variables = make_variables()
    optimizer = optimizers.Adam()
    optimizer.build(variables)
    trainable, optimizer_values = optimizer.stateless_apply(
        values(optimizer.variables), gradient_sequence(1)[0], values(variables)
    )
    assert [a.shape for a in trainable] == [v.shape for v in variables]
    assert [str(a.dtype) for a in optimizer_values] == [v.dtype for v in optimizer.variables]
    assert int(optimizer_values[0]) == 1  # iteration


def test_changing_learning_rate_takes_effect_without_retracing():
    variables = make_variables()
    optimizer = optimizers.SGD(learning_rate=0.1)
    optimizer.build(variables)
    traces = []

    @jax.jit
    def step(optimizer_values, grads, trainable_values):
        traces.append(1)  # runs only while tracing
        return optimizer.stateless_apply(optimizer_values, grads, trainable_values)

    grads = [jnp.ones((2, 2)), jnp.ones((2,))]
    start = values(variables)
    trainable, _ = step(values(optimizer.variables), grads, start)
    np.testing.assert_allclose(trainable[1], start[1] - 0.1, rtol=1e-6)
    optimizer.learning_rate = 0.5
    trainable, _ = step(values(optimizer.variables), grads, start)
    np.testing.assert_allclose(trainable[1], start[1] - 0.5, rtol=1e-6)
    assert len(traces) == 1


def test_schedule_is_computed_from_iterations_inside_the_step():
    variables = make_variables()
    schedule = schedules.PiecewiseConstantDecay([1], [0.1, 0.01])
    optimizer = optimizers.SGD(learning_rate=schedule)
    grads = [jnp.zeros((2, 2)), jnp.ones((2,))]
    start = values(variables)[1]
    for _ in range(3):  # steps 0, 1 use 0.1; step 2 uses 0.01
        optimizer.apply(grads, variables)
    np.testing.assert_allclose(variables[1].numpy(), start - 0.21, rtol=1e-6)
    np.testing.assert_allclose(float(optimizer.learning_rate), 0.01, rtol=1e-6)


# --- building and variables ---------------------------------------------------------


def test_build_creates_named_slots_after_iteration_and_learning_rate():
    optimizer = optimizers.Adam(name="adam")
    assert [v.path for v in optimizer.variables] == ["adam/iteration", "adam/learning_rate"]
    assert not optimizer.built
    variables = make_variables()
    optimizer.build(variables)
    optimizer.build(variables)  # a second build is a no-op
    assert optimizer.built
    assert [v.path for v in optimizer.variables] == [
        "adam/iteration",
        "adam/learning_rate",
        "adam/kernel_momentum",
        "adam/kernel_velocity",
        "adam/bias_momentum",
        "adam/bias_velocity",
    ]
    assert optimizer.variables[0].dtype == "int32" and optimizer.variables[1].dtype == "float32"
    assert not any(v.trainable for v in optimizer.variables)


def test_variables_with_one_path_get_distinct_slot_paths():
    variables = [loom.Variable(np.zeros(2, "float32"), name="w"), loom.Variable(np.zeros(3, "float32"), name="w")]
    optimizer = optimizers.SGD(momentum=0.5, name="sgd")
    optimizer.build(variables)
    assert [v.path for v in optimizer.variables[2:]] == ["sgd/w_momentum", "sgd/w_momentum_1"]


def test_auto_names_are_unique_snake_case():
    assert optimizers.RMSprop().name == "rm_sprop"  # as Keras names it
    assert optimizers.Adam().name == "adam"
    assert optimizers.Adam().name == "adam_1"


def test_slots_keep_the_variable_dtype():
    variable = loom.Variable(np.ones(3, "float32"), dtype="float16", name="w")
    optimizer = optimizers.SGD(0.1, momentum=0.5)
    optimizer.apply([jnp.ones(3, jnp.float16)], [variable])
    assert variable.dtype == "float16"
    assert {v.dtype for v in optimizer.variables[2:]} == {"float16"}
    np.testing.assert_allclose(variable.numpy().astype("float32"), 0.9, rtol=1e-3)


def test_iterations_count_steps_and_accumulated_steps():
    variables = make_variables()
    optimizer = optimizers.SGD()
    optimizer.apply_gradients(zip(gradient_sequence(1)[0], variables))
    assert int(optimizer.iterations.numpy()) == 1
    accumulating = optimizers.SGD(gradient_accumulation_steps=2)
    for grads in gradient_sequence(3):
        accumulating.apply(grads, variables)
    assert int(accumulating.iterations) == 1


def test_apply_with_a_subset_of_the_built_variables_updates_only_those():
    variables = make_variables()
    optimizer = optimizers.SGD(learning_rate=0.1)
    optimizer.build(variables)
    optimizer.apply([jnp.ones((2,))], [variables[1]])
    np.testing.assert_array_equal(variables[0].numpy(), make_variables()[0].numpy())
    np.testing.assert_allclose(variables[1].numpy(), make_variables()[1].numpy() - 0.1, rtol=1e-6)


def test_apply_gradients_with_nothing_is_a_no_op():
    optimizer = optimizers.SGD()
    optimizer.apply_gradients([])
    assert not optimizer.built


def test_constraints_project_after_the_update():
    variable = loom.Variable(np.array([0.05, 1.0], "float32"), name="w", constraint=loom.constraints.NonNeg())
    optimizers.SGD(learning_rate=0.1).apply([jnp.ones(2)], [variable])
    np.testing.assert_allclose(variable.numpy(), [0.0, 0.9], rtol=1e-6)


def test_exclude_from_weight_decay_by_name():
    variables = make_variables()
    optimizer = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    optimizer.apply([jnp.zeros((2, 2)), jnp.zeros((2,))], variables)
    np.testing.assert_allclose(variables[0].numpy(), make_variables()[0].numpy() * 0.95, rtol=1e-6)
    np.testing.assert_array_equal(variables[1].numpy(), make_variables()[1].numpy())
    with pytest.raises(ValueError, match="only be configured before the optimizer is built"):
        optimizer.exclude_from_weight_decay(var_list=[variables[0]])


def test_exclude_from_weight_decay_by_variable():
    variables = make_variables()
    optimizer = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_list=[variables[0]])
    optimizer.apply([jnp.zeros((2, 2)), jnp.zeros((2,))], variables)
    np.testing.assert_array_equal(variables[0].numpy(), make_variables()[0].numpy())
    np.testing.assert_allclose(variables[1].numpy(), make_variables()[1].numpy() * 0.95, rtol=1e-6)


def test_finalize_variable_values_copies_the_moving_average():
    variables = make_variables()
    optimizer = optimizers.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.5)
    grads = [jnp.ones((2, 2)), jnp.ones((2,))]
    optimizer.apply(grads, variables)  # first step: average = weights
    optimizer.apply(grads, variables)  # average = 0.5 * (w - 0.1) + 0.5 * (w - 0.2)
    optimizer.finalize_variable_values(variables)
    np.testing.assert_allclose(variables[1].numpy(), make_variables()[1].numpy() - 0.15, rtol=1e-6)
    with pytest.raises(ValueError, match="keeps moving averages for 2"):
        optimizer.finalize_variable_values(variables[:1])


def test_scale_loss_and_unscaled_gradients():
    optimizer = optimizers.SGD(learning_rate=0.1, loss_scale_factor=8.0)
    assert float(optimizer.scale_loss(jnp.float32(2.0))) == 16.0
    assert optimizers.SGD().scale_loss(3.0) == 3.0
    variables = make_variables()
    optimizer.apply([jnp.zeros((2, 2)), jnp.full((2,), 8.0)], variables)
    np.testing.assert_allclose(variables[1].numpy(), make_variables()[1].numpy() - 0.1, rtol=1e-6)


def test_set_weights_and_own_variables_round_trip():
    variables = make_variables()
    optimizer = optimizers.Adam()
    optimizer.apply(gradient_sequence(1)[0], variables)
    store = {}
    optimizer.save_own_variables(store)
    restored = optimizers.Adam()
    restored.build(make_variables())
    restored.load_own_variables(store)
    for a, b in zip(values(restored.variables), values(optimizer.variables)):
        np.testing.assert_array_equal(a, b)
    restored.set_weights([np.zeros(v.shape, v.dtype) for v in restored.variables])
    assert int(restored.iterations.numpy()) == 0
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        optimizers.Adam().load_own_variables(store)


# --- learning rate ------------------------------------------------------------------


def test_learning_rate_reads_and_sets_the_variable():
    optimizer = optimizers.Adam(learning_rate=0.01)
    assert isinstance(optimizer.learning_rate, loom.Variable)
    np.testing.assert_allclose(optimizer.learning_rate.numpy(), 0.01)
    optimizer.learning_rate = 0.5
    np.testing.assert_allclose(optimizer.learning_rate.numpy(), 0.5)
    assert optimizer.get_config()["learning_rate"] == 0.5


def test_setting_a_scheduled_learning_rate_raises_type_error():
    optimizer = optimizers.Adam(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.5))
    np.testing.assert_allclose(float(optimizer.learning_rate), 0.1)
    with pytest.raises(TypeError, match="hence its learning rate is not settable"):
        optimizer.learning_rate = 0.01


def test_replacing_a_rate_with_a_schedule_drops_the_rate_variable():
    optimizer = optimizers.SGD(learning_rate=0.1, name="sgd")
    optimizer.learning_rate = schedules.ExponentialDecay(0.2, 10, 0.5)
    assert [v.path for v in optimizer.variables] == ["sgd/iteration"]
    np.testing.assert_allclose(float(optimizer.learning_rate), 0.2)


def test_callable_learning_rate():
    optimizer = optimizers.SGD(learning_rate=lambda: 0.25)
    variable = loom.Variable(np.ones(2, "float32"), name="w")
    optimizer.apply([jnp.ones(2)], [variable])
    np.testing.assert_allclose(variable.numpy(), 0.75)
    with pytest.raises(TypeError, match="created with a callable `learning_rate`"):
        optimizer.learning_rate = 0.1
    with pytest.raises(ValueError, match="callable `learning_rate`.*cannot be serialized"):
        optimizer.get_config()


def test_learning_rate_errors():
    with pytest.raises(ValueError, match=r"`learning_rate` must be a float.*received learning_rate='fast'"):
        optimizers.SGD(learning_rate="fast")
    with pytest.raises(ValueError, match=r"`learning_rate` must be set to a float.*received 'slow'"):
        optimizers.SGD().learning_rate = "slow"


# --- a Keras-style subclass ---------------------------------------------------------


class MomentumSGD(optimizers.Optimizer):
    """Keras's documented custom-optimizer pattern: build + update_step."""

    def __init__(self, learning_rate=0.1, momentum=0.9, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum

    def build(self, variables):  # without Keras's `if self.built: return`: apply builds only once
        super().build(variables)
        self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        m = self.momentums[self._get_variable_index(variable)]
        self.assign(m, m * self.momentum - gradient * learning_rate)
        self.assign_add(variable, m)


def test_keras_style_subclass_matches_builtin_eagerly_and_stateless():
    grads = gradient_sequence()
    builtin_variables, builtin = make_variables(), optimizers.SGD(0.1, momentum=0.9, weight_decay=0.1)
    custom_variables, custom = make_variables(), MomentumSGD(weight_decay=0.1, name="custom")
    for step_grads in grads:
        builtin.apply(step_grads, builtin_variables)
        custom.apply(step_grads, custom_variables)
    for a, b in zip(values(custom_variables), values(builtin_variables)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert [v.path for v in custom.variables][2:] == ["custom/kernel_momentum", "custom/bias_momentum"]

    variables, stateless = make_variables(), MomentumSGD(weight_decay=0.1)
    stateless.build(variables)
    step = jax.jit(stateless.stateless_apply)
    trainable, opt = values(variables), values(stateless.variables)
    for step_grads in grads:
        trainable, opt = step(opt, step_grads, trainable)
    for a, b in zip(trainable, values(builtin_variables)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_subclass_without_a_rule_raises():
    class NoRule(optimizers.Optimizer):
        pass

    with pytest.raises(NotImplementedError, match=r"must implement `update_step\(gradient, variable"):
        NoRule().build(make_variables())


# --- errors -------------------------------------------------------------------------


def test_constructor_argument_errors():
    with pytest.raises(ValueError, match=r"Adam: argument\(s\) not recognized: \{'betas': 0.9\}"):
        optimizers.Adam(betas=0.9)
    with pytest.raises(ValueError, match=r"`lr` was renamed in Keras 3; write SGD\(learning_rate=0.1\)"):
        optimizers.SGD(lr=0.1)
    with pytest.warns(UserWarning, match="`decay` is no longer supported") as record:
        optimizers.SGD(decay=0.1)
    assert record[0].filename == __file__
    with pytest.raises(ValueError, match="only one of `clipnorm`, `clipvalue` and `global_clipnorm`"):
        optimizers.Adam(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="`gradient_accumulation_steps` must be an integer >= 2"):
        optimizers.Adam(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match=r"`ema_momentum` must be in \[0, 1\]"):
        optimizers.Adam(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="`ema_overwrite_frequency` must be an integer >= 1 or None"):
        optimizers.Adam(use_ema=True, ema_overwrite_frequency=0)


def test_optimizer_specific_argument_errors():
    with pytest.raises(ValueError, match=r"SGD: `momentum` must be a float in \[0, 1\]"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match=r"Lion: `beta_1` must be in \(0, 1\]"):
        optimizers.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match="AdamW: `weight_decay` must be a float"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="Ftrl: `learning_rate_power` needs to be negative or zero"):
        optimizers.Ftrl(learning_rate_power=0.5)
    for argument in (
        "initial_accumulator_value",
        "l1_regularization_strength",
        "l2_regularization_strength",
        "l2_shrinkage_regularization_strength",
    ):
        with pytest.raises(ValueError, match=f"Ftrl: `{argument}` needs to be positive or zero"):
            optimizers.Ftrl(**{argument: -1.0})


def test_apply_errors():
    variables = make_variables()
    grads = gradient_sequence(1)[0]
    with pytest.raises(ValueError, match="must already be built on a list of variables"):
        optimizers.SGD().apply(grads)
    with pytest.raises(ValueError, match="Received 1 gradients for 2 variables"):
        optimizers.SGD().apply(grads[:1], variables)
    with pytest.raises(TypeError, match="expects a list of loom Variables"):
        optimizers.SGD().build([np.zeros(2)])
    optimizer = optimizers.SGD()
    optimizer.build(variables)
    with pytest.raises(ValueError, match="Received 1 gradients, but the optimizer was built on 2 variables"):
        optimizer.apply(grads[:1])
    with pytest.raises(ValueError, match="Unknown variable: .* can only be called for the variables it was"):
        optimizer.apply([jnp.ones(3)], [loom.Variable(np.zeros(3, "float32"), name="other")])
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        optimizer.apply([None, None], variables)
    with pytest.raises(ValueError, match=r"gradient for variable 'bias' has shape \(3,\), but the variable has"):
        optimizer.apply([grads[0], jnp.ones(3)], variables)


def test_stateless_apply_errors():
    variables = make_variables()
    optimizer = optimizers.Adam()
    grads = gradient_sequence(1)[0]
    with pytest.raises(ValueError, match="To call `stateless_apply`, Adam must be built"):
        optimizer.stateless_apply([], grads, values(variables))
    optimizer.build(variables)
    with pytest.raises(ValueError, match=r"one array per Adam\(\).variables entry: expected 6, received 2"):
        optimizer.stateless_apply(values(optimizer.variables)[:2], grads, values(variables))
    with pytest.raises(ValueError, match="one array per variable the optimizer was built with: expected 2"):
        optimizer.stateless_apply(values(optimizer.variables), grads, values(variables)[:1])


def test_set_weights_errors():
    with pytest.raises(ValueError, match="has not yet been built"):
        optimizers.Adam().set_weights([])
    optimizer = optimizers.Adam(name="adam")
    optimizer.build(make_variables())
    with pytest.raises(ValueError, match="set_weights expects 6 arrays"):
        optimizer.set_weights([])
    weights = values(optimizer.variables)
    weights[2] = np.zeros(5, "float32")
    with pytest.raises(ValueError, match="'adam/kernel_momentum' has shape \\(2, 2\\), not compatible"):
        optimizer.set_weights(weights)


def test_public_names():
    public = {
        name
        for name in dir(optimizers)
        if not name.startswith("_") and not inspect.ismodule(getattr(optimizers, name))
    }
    assert public == {
        "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Ftrl", "Lion", "LossScaleOptimizer", "Nadam", "Optimizer",
        "RMSprop", "SGD", "deserialize", "get", "serialize",
        "Adafactor", "Lamb", "Muon", "MultiOptimizer", "OptimizerMap", "ScheduleFreeAdamW",
    }  # fmt: skip
    assert inspect.ismodule(optimizers.schedules)
