"""Overridden steps and step parts: what fit/evaluate/predict run, in every loop mode.

Keras parity of the same programs is in tests/parity/test_training_parity.py; here
loom's own guarantees: the generic default step equals the built-in fast one, the
overrides run in fused, per-step, block and iterable loops alike, and misuse is
reported in words.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import loom
from loom import layers


def _data(rows=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 4)).astype("float32")
    y = (x @ rng.normal(size=(4, 1))).astype("float32")
    return x, y


def _functional(cls=loom.Model, regularized=False):
    inputs = loom.Input((4,))
    hidden = layers.Dense(6, activation="relu", kernel_regularizer="l2" if regularized else None)(inputs)
    return cls(inputs, layers.Dense(1)(hidden))


def _same_weights(a, b, atol=1e-6):
    for left, right in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(left, right, atol=atol)


class PassThroughMetrics(loom.Model):
    """Overrides a part of the default step without changing it: fit takes the generic path."""

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        return super().compute_metrics(x, y, y_pred, sample_weight)


@pytest.mark.parametrize("weights", ["none", "sample", "class"])
def test_generic_default_step_equals_the_builtin_step(weights):
    x, y = _data()
    labels = (y[:, 0] > 0).astype("int32")
    kwargs = {}
    if weights == "sample":
        kwargs["sample_weight"] = np.linspace(0.5, 1.5, len(x)).astype("float32")
    elif weights == "class":
        kwargs["class_weight"] = {0: 0.3, 1: 2.0}
    models = []
    for cls in (loom.Model, PassThroughMetrics):
        loom.utils.set_random_seed(5)
        model = _functional(cls, regularized=True)
        model.compile("adam", "binary_crossentropy" if weights == "class" else "mse", metrics=["mae"], weighted_metrics=["mse"])
        models.append(model)
    histories = [m.fit(x, labels if weights == "class" else y, epochs=2, batch_size=16, verbose=0, **kwargs) for m in models]
    assert loom.training.step_adapter.uses_builtin(models[0], "train")
    assert not loom.training.step_adapter.uses_builtin(models[1], "train")
    _same_weights(*models)
    assert sorted(histories[0].history) == sorted(histories[1].history)
    for key in histories[0].history:
        np.testing.assert_allclose(histories[0].history[key], histories[1].history[key], rtol=1e-5, err_msg=key)


def test_generic_default_step_with_two_outputs_keeps_per_output_losses():
    x, y = _data()
    models = []
    for cls in (loom.Model, PassThroughMetrics):
        loom.utils.set_random_seed(2)
        inputs = loom.Input((4,))
        model = cls(inputs, {"a": layers.Dense(1, name="a")(inputs), "b": layers.Dense(2, name="b")(inputs)})
        model.compile("sgd", {"a": "mse", "b": "mae"}, loss_weights={"a": 1.0, "b": 0.5}, metrics={"a": ["mae"]})
        models.append(model)
    targets = {"a": y, "b": np.concatenate([y, -y], axis=1)}
    histories = [m.fit(x, targets, epochs=2, verbose=0) for m in models]
    assert sorted(histories[1].history) == ["a_loss", "a_mae", "b_loss", "loss"]
    for key in histories[0].history:
        np.testing.assert_allclose(histories[0].history[key], histories[1].history[key], rtol=1e-5, err_msg=key)


def test_compute_loss_override_changes_what_the_default_step_minimizes():
    """Keras's compute_loss docstring example: a loss and tracker of the model's own."""

    class MaeModel(loom.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = loom.metrics.Mean(name="loss")

        def compute_loss(self, x, y, y_pred, sample_weight, training=True):
            loss = loom.ops.mean(loom.ops.abs(y_pred - y))
            self.loss_tracker.update_state(loss)
            return loss

        def reset_metrics(self):
            self.loss_tracker.reset_state()

        @property
        def metrics(self):
            return [self.loss_tracker]

    x, y = _data()
    loom.utils.set_random_seed(1)
    custom = _functional(MaeModel)
    custom.compile("sgd", loss="mse")  # its compute_loss ignores the compiled loss, as in Keras
    loom.utils.set_random_seed(1)
    reference = _functional()
    reference.compile("sgd", loss="mae")
    a = custom.fit(x, y, epochs=2, shuffle=False, verbose=0)
    b = reference.fit(x, y, epochs=2, shuffle=False, verbose=0)
    _same_weights(custom, reference)
    np.testing.assert_allclose(a.history["loss"], b.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(float(custom.loss_tracker.result()), a.history["loss"][-1], rtol=1e-6)


def test_metric_attributes_are_tracked_and_logged_as_in_keras():
    class WithCounter(loom.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.seen = loom.metrics.Sum(name="seen")

        def compute_metrics(self, x, y, y_pred, sample_weight=None):
            self.seen.update_state(jnp.float32(x.shape[0]))
            return super().compute_metrics(x, y, y_pred, sample_weight)

    x, y = _data(rows=50)
    model = _functional(WithCounter)
    model.compile("sgd", "mse")
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert model.seen in model.metrics
    assert history.history["seen"] == [50.0, 50.0]  # reset each epoch, every row counted


def test_super_train_step_from_an_override():
    class Scaled(loom.Model):
        def train_step(self, state, data):
            x, y = data
            return super().train_step(state, (x, y * 0.0))  # trains towards zero

    x, y = _data()
    loom.utils.set_random_seed(6)
    model = _functional(Scaled)
    loom.utils.set_random_seed(6)
    reference = _functional()
    for each in (model, reference):
        each.compile("adam", "mse")
    model.fit(x, y, epochs=2, shuffle=False, verbose=0)
    reference.fit(x, np.zeros_like(y), epochs=2, shuffle=False, verbose=0)
    _same_weights(model, reference)


class DataFormSteps(loom.Model):
    """test_step and predict_step in the backend-agnostic ``(data)`` form."""

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, training=False)
        self._compile_metrics.trackers[0].update_state(loss, sample_weight=x.shape[0])
        return self.compute_metrics(x, y, y_pred)

    def predict_step(self, data):
        return self(data, training=False) * 2.0


def test_data_form_test_and_predict_steps():
    x, y = _data(rows=50)
    loom.utils.set_random_seed(3)
    custom = _functional(DataFormSteps)
    loom.utils.set_random_seed(3)
    reference = _functional()
    for model in (custom, reference):
        model.compile("sgd", "mse", metrics=["mae"])
    expected = reference.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    got = custom.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert got.keys() == expected.keys()
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-6)
    np.testing.assert_allclose(custom.predict(x, verbose=0), 2.0 * reference.predict(x, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(custom.predict_on_batch(x[:5]), 2.0 * reference.predict_on_batch(x[:5]), rtol=1e-6)


def test_jax_form_predict_step():
    class Shifted(loom.Model):
        def predict_step(self, state, data):
            trainable, non_trainable = state
            outputs, non_trainable = self.stateless_call(trainable, non_trainable, data, training=False)
            return outputs + 1.0, non_trainable

    x, _ = _data(rows=10)
    model = _functional(Shifted)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.asarray(model(x)) + 1.0, rtol=1e-6)


class CountingStep(loom.Model):
    """A JAX-form step that trains as usual and counts its calls in a metric of its own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = loom.metrics.Sum(name="calls")

    def train_step(self, state, data):
        logs, (trainable, non_trainable, optimizer, metrics) = super().train_step(state, data)
        own = len(self.metrics_variables) - len(self.calls.variables)
        counted = self.calls.stateless_update_state(metrics[own:], jnp.float32(1.0))
        logs = dict(logs, calls=self.calls.stateless_result(counted))
        return logs, (trainable, non_trainable, optimizer, metrics[:own] + counted)


@pytest.mark.parametrize("mode", ["fused", "per-step", "blocks", "iterable", "eager"])
def test_custom_step_runs_every_batch_in_every_loop_mode(mode):
    x, y = _data(rows=50)
    model = _functional(CountingStep)
    model.compile("sgd", "mse", run_eagerly=mode == "eager")
    if mode == "blocks":
        model._step_loop = "blocks"
    callbacks = []
    if mode == "per-step":
        callbacks = [loom.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: None)]
    if mode == "iterable":
        batches = [(x[i : i + 16], y[i : i + 16]) for i in range(0, 50, 16)]
        history = model.fit(batches, epochs=2, verbose=0)
    else:
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=callbacks)
    assert history.history["calls"] == [4.0, 4.0]
    assert history.history["loss"][1] < history.history["loss"][0]


def test_train_and_test_on_batch_run_the_custom_steps():
    x, y = _data(rows=16)
    model = _functional(CountingStep)
    model.compile("sgd", "mse")
    logs = model.train_on_batch(x, y, return_dict=True)
    assert logs["calls"] == 1.0  # metrics restart on every call, as in Keras
    assert model.train_on_batch(x, y, return_dict=True)["calls"] == 1.0


def test_a_custom_step_returning_the_wrong_state_is_named():
    class Broken(loom.Model):
        def train_step(self, state, data):
            return {}, state[:3]

    model = _functional(Broken)
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"train_step must return \(logs, state\) with a state of 4 lists"):
        model.fit(*_data(), verbose=0)


def test_a_custom_step_returning_non_dict_logs_is_named():
    class Broken(loom.Model):
        def train_step(self, state, data):
            return jnp.float32(0.0), state

    model = _functional(Broken)
    model.compile("sgd", "mse")
    with pytest.raises(TypeError, match="must return its logs as a dict"):
        model.fit(*_data(), verbose=0)


def test_fit_does_not_call_the_model_on_data_a_custom_step_uses_otherwise():
    """A GAN's fit data are images while the model's call takes noise: no shape probe on x."""

    class NoiseModel(loom.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = layers.Dense(2)

        def call(self, z):
            return self.dense(z)

        def train_step(self, state, data):
            images = data  # a single array: Keras passes x alone when there is no y
            return {"mean": jnp.mean(images)}, state

    model = NoiseModel()
    model(np.zeros((1, 3), "float32"))
    model.compile("sgd")
    history = model.fit(np.ones((8, 5, 5), "float32"), batch_size=4, epochs=1, verbose=0)
    assert history.history == {"mean": [1.0]}


def test_step_data_packing_follows_keras():
    from loom.utils import pack_x_y_sample_weight, unpack_x_y_sample_weight

    x = np.zeros((2, 3))
    assert pack_x_y_sample_weight(x) is x
    assert pack_x_y_sample_weight((x, x)) == ((x, x),)
    assert unpack_x_y_sample_weight([x, 1]) == (x, 1, None)
    assert unpack_x_y_sample_weight(x) == (x, None, None)
    with pytest.raises(ValueError, match="received a tuple of 4 items"):
        unpack_x_y_sample_weight((1, 2, 3, 4))


def test_custom_step_fit_with_jax_grad_in_data_form_and_an_optimizer_apply():
    """The data form may read variables, take gradients with jax and call optimizer.apply."""

    class DataForm(loom.Model):
        def train_step(self, data):
            x, y = data
            trainable = [v.value for v in self.trainable_variables]
            non_trainable = [v.value for v in self.non_trainable_variables]

            def loss_fn(t):
                prediction, _ = self.stateless_call(t, non_trainable, x)
                return jnp.mean((prediction - y) ** 2)

            loss, grads = jax.value_and_grad(loss_fn)(trainable)
            self.optimizer.apply(grads, self.trainable_variables)
            return {"loss": loss}

    x, y = _data()
    loom.utils.set_random_seed(4)
    custom = _functional(DataForm)
    loom.utils.set_random_seed(4)
    reference = _functional()
    for model in (custom, reference):
        model.compile(loom.optimizers.SGD(0.1), "mse")
    custom.fit(x, y, batch_size=64, epochs=3, shuffle=False, verbose=0)
    reference.fit(x, y, batch_size=64, epochs=3, shuffle=False, verbose=0)
    _same_weights(custom, reference)
    assert int(custom.optimizer.iterations.value) == 3


def test_evaluate_before_any_fit_with_a_custom_train_step():
    # Evaluation reads no optimizer slots; deciding how chunks loop must not trace the
    # model's own train step (which reads them) with evaluation's state.
    x, y = _data(rows=50)
    model = _functional(CountingStep)
    model.compile("sgd", "mse")
    before = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert history.history["calls"] == [4.0]
    assert np.isfinite(before["loss"])
