"""keras.io guide "Customizing what happens in fit() with JAX" (guides/custom_train_step_in_jax.py).

The guide's three models, as written there: a stateless `train_step` that uses
`stateless_compute_loss` and the compiled metrics; a lower-level one compiled with
an optimizer only, tracking its own loss and MAE; and a custom `test_step`.
"""

import jax
import numpy as np


def first_custom_model_class(keras):
    """The guide's first CustomModel: compute_loss_and_updates + train_step over self.metrics."""

    class CustomModel(keras.Model):
        def compute_loss_and_updates(
            self,
            trainable_variables,
            non_trainable_variables,
            metrics_variables,
            x,
            y,
            sample_weight,
            training=False,
        ):
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables,
                non_trainable_variables,
                x,
                training=training,
            )
            loss, (
                trainable_variables,
                non_trainable_variables,
                metrics_variables,
            ) = self.stateless_compute_loss(
                trainable_variables,
                non_trainable_variables,
                metrics_variables,
                x=x,
                y=y,
                y_pred=y_pred,
                sample_weight=sample_weight,
                training=training,
            )
            return loss, (y_pred, non_trainable_variables, metrics_variables)

        def train_step(self, state, data):
            (
                trainable_variables,
                non_trainable_variables,
                optimizer_variables,
                metrics_variables,
            ) = state
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)

            # Get the gradient function.
            grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)

            # Compute the gradients.
            (loss, (y_pred, non_trainable_variables, metrics_variables)), grads = grad_fn(
                trainable_variables,
                non_trainable_variables,
                metrics_variables,
                x,
                y,
                sample_weight,
                training=True,
            )

            # Update trainable variables and optimizer variables.
            trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
                optimizer_variables, grads, trainable_variables
            )

            # Update metrics.
            new_metrics_vars = []
            logs = {}
            for metric in self.metrics:
                this_metric_vars = metrics_variables[
                    len(new_metrics_vars) : len(new_metrics_vars) + len(metric.variables)
                ]
                if metric.name == "loss":
                    this_metric_vars = metric.stateless_update_state(
                        this_metric_vars, loss, sample_weight=sample_weight
                    )
                else:
                    this_metric_vars = metric.stateless_update_state(
                        this_metric_vars, y, y_pred, sample_weight=sample_weight
                    )
                logs[metric.name] = metric.stateless_result(this_metric_vars)
                new_metrics_vars += this_metric_vars

            # Return metric logs and updated state variables.
            state = (
                trainable_variables,
                non_trainable_variables,
                optimizer_variables,
                new_metrics_vars,
            )
            return logs, state

    return CustomModel


def lower_level_custom_model_class(keras):
    """The guide's second CustomModel: its own loss_fn, loss_tracker and mae_metric."""

    class CustomModel(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = keras.losses.MeanSquaredError()

        def compute_loss_and_updates(
            self,
            trainable_variables,
            non_trainable_variables,
            x,
            y,
            sample_weight,
            training=False,
        ):
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables,
                non_trainable_variables,
                x,
                training=training,
            )
            loss = self.loss_fn(y, y_pred, sample_weight=sample_weight)
            return loss, (y_pred, non_trainable_variables)

        def train_step(self, state, data):
            (
                trainable_variables,
                non_trainable_variables,
                optimizer_variables,
                metrics_variables,
            ) = state
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)

            # Get the gradient function.
            grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)

            # Compute the gradients.
            (loss, (y_pred, non_trainable_variables)), grads = grad_fn(
                trainable_variables,
                non_trainable_variables,
                x,
                y,
                sample_weight,
                training=True,
            )

            # Update trainable variables and optimizer variables.
            trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
                optimizer_variables, grads, trainable_variables
            )

            # Update metrics.
            loss_tracker_vars = metrics_variables[: len(self.loss_tracker.variables)]
            mae_metric_vars = metrics_variables[len(self.loss_tracker.variables) :]

            loss_tracker_vars = self.loss_tracker.stateless_update_state(
                loss_tracker_vars, loss, sample_weight=sample_weight
            )
            mae_metric_vars = self.mae_metric.stateless_update_state(
                mae_metric_vars, y, y_pred, sample_weight=sample_weight
            )

            logs = {}
            logs[self.loss_tracker.name] = self.loss_tracker.stateless_result(
                loss_tracker_vars
            )
            logs[self.mae_metric.name] = self.mae_metric.stateless_result(mae_metric_vars)

            new_metrics_vars = loss_tracker_vars + mae_metric_vars

            # Return metric logs and updated state variables.
            state = (
                trainable_variables,
                non_trainable_variables,
                optimizer_variables,
                new_metrics_vars,
            )
            return logs, state

        @property
        def metrics(self):
            # We list our `Metric` objects here so that `reset_states()` can be
            # called automatically at the start of each epoch
            # or at the start of `evaluate()`.
            return [self.loss_tracker, self.mae_metric]

    return CustomModel


def evaluating_custom_model_class(keras):
    """The guide's third CustomModel: a stateless test_step for evaluate()."""

    class CustomModel(keras.Model):
        def test_step(self, state, data):
            # Unpack the data.
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
            (
                trainable_variables,
                non_trainable_variables,
                metrics_variables,
            ) = state

            # Compute predictions and loss.
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables,
                non_trainable_variables,
                x,
                training=False,
            )
            loss, (
                trainable_variables,
                non_trainable_variables,
                metrics_variables,
            ) = self.stateless_compute_loss(
                trainable_variables,
                non_trainable_variables,
                metrics_variables,
                x=x,
                y=y,
                y_pred=y_pred,
                sample_weight=sample_weight,
                training=False,
            )

            # Update metrics.
            new_metrics_vars = []
            logs = {}
            for metric in self.metrics:
                this_metric_vars = metrics_variables[
                    len(new_metrics_vars) : len(new_metrics_vars) + len(metric.variables)
                ]
                if metric.name == "loss":
                    this_metric_vars = metric.stateless_update_state(
                        this_metric_vars, loss, sample_weight=sample_weight
                    )
                else:
                    this_metric_vars = metric.stateless_update_state(
                        this_metric_vars, y, y_pred, sample_weight=sample_weight
                    )
                logs[metric.name] = metric.stateless_result(this_metric_vars)
                new_metrics_vars += this_metric_vars

            # Return metric logs and updated state variables.
            state = (
                trainable_variables,
                non_trainable_variables,
                new_metrics_vars,
            )
            return logs, state

    return CustomModel


def data(samples=1000):
    """The guide's `np.random.random` data, seeded: float64 x (samples, 32) and y (samples, 1)."""
    rng = np.random.default_rng(0)
    return rng.random((samples, 32)), rng.random((samples, 1))


def build_first_model(keras, model_class=None):
    CustomModel = model_class or first_custom_model_class(keras)
    # Construct and compile an instance of CustomModel
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def build_lower_level_model(keras, model_class=None):
    CustomModel = model_class or lower_level_custom_model_class(keras)
    # Construct an instance of CustomModel
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)

    # We don't pass a loss or metrics here.
    model.compile(optimizer="adam")
    return model


def build_evaluating_model(keras, model_class=None):
    CustomModel = model_class or evaluating_custom_model_class(keras)
    # Construct an instance of CustomModel
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    model.compile(loss="mse", metrics=["mae"])
    return model


def test_first_example_trains_with_compiled_loss_and_metrics(keras):
    x, y = data()
    model = build_first_model(keras)
    # Just use `fit` as usual
    history = model.fit(x, y, epochs=3)
    assert sorted(history.history) == ["loss", "mae"]
    assert len(history.history["loss"]) == 3
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert np.all(np.isfinite(history.history["mae"]))


def test_fit_runs_the_overridden_train_step(keras):
    traced_batches = []

    class TracedModel(first_custom_model_class(keras)):
        def train_step(self, state, data):
            traced_batches.append(data)  # Python side effect: runs at least at trace time
            return super().train_step(state, data)

    x, y = data(samples=64)
    build_first_model(keras, TracedModel).fit(x, y, epochs=1, batch_size=32, verbose=0)
    assert traced_batches, "fit never called the model's own train_step"


def test_lower_level_example_compiles_with_an_optimizer_only(keras):
    x, y = data()
    model = build_lower_level_model(keras)
    # Just use `fit` as usual -- you can use callbacks, etc.
    history = model.fit(x, y, epochs=5)
    assert sorted(history.history) == ["loss", "mae"]
    assert len(history.history["loss"]) == 5
    assert history.history["loss"][-1] < history.history["loss"][0]
    # The logs come from the model's own trackers, which keep the last epoch's state.
    np.testing.assert_allclose(float(model.loss_tracker.result()), history.history["loss"][-1], rtol=1e-5)
    np.testing.assert_allclose(float(model.mae_metric.result()), history.history["mae"][-1], rtol=1e-5)
    assert model.metrics == [model.loss_tracker, model.mae_metric]


def test_custom_test_step_evaluates_loss_and_mae(keras):
    x, y = data()
    model = build_evaluating_model(keras)
    # Evaluate with our custom test_step
    logs = model.evaluate(x, y, return_dict=True)
    assert sorted(logs) == ["loss", "mae"]
    y_pred = model.predict(x, verbose=0)
    assert y_pred.shape == (1000, 1)
    # The "loss" metric averages the per-batch losses (batches of 32, the last one of 8).
    batch_losses = [np.mean((y_pred[i : i + 32] - y[i : i + 32]) ** 2) for i in range(0, 1000, 32)]
    np.testing.assert_allclose(logs["loss"], np.mean(batch_losses), rtol=1e-4)
    np.testing.assert_allclose(logs["mae"], np.mean(np.abs(y_pred - y)), rtol=1e-4)


def test_evaluate_runs_the_overridden_test_step(keras):
    traced_batches = []

    class TracedModel(evaluating_custom_model_class(keras)):
        def test_step(self, state, data):
            traced_batches.append(data)
            return super().test_step(state, data)

    x, y = data(samples=64)
    build_evaluating_model(keras, TracedModel).evaluate(x, y, batch_size=32, verbose=0)
    assert traced_batches, "evaluate never called the model's own test_step"


def test_custom_train_steps_match_keras_from_the_same_weights(real_keras):
    """Same initial weights, same batches (no shuffling): loom's and Keras's fits agree."""
    import loom

    x, y = data(samples=256)
    for build in (build_first_model, build_lower_level_model):
        reference = build(real_keras)
        model = build(loom)
        model.set_weights(reference.get_weights())
        expected = reference.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
        history = model.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
        for key in ("loss", "mae"):
            np.testing.assert_allclose(history.history[key], expected.history[key], rtol=1e-4)
        for weight, expected_weight in zip(model.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(weight, expected_weight, rtol=1e-4, atol=1e-6)
