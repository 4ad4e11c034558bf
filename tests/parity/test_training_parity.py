"""The same training programs under Keras 3 (JAX backend) and loom: custom steps,
compile without a loss, per-batch callbacks, jit_compile.

Each program is a function of the library module, so the code run under both is
literally the same; weights are copied from the Keras model into loom's before
training, and the results are compared number by number.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import loom

keras = pytest.importorskip("keras")

# Keras's Variable.numpy() trips NumPy 2's copy-keyword deprecation; it is Keras's, not loom's.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

ATOL = 1e-5


def _data(rows=96, features=5, outputs=1, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features)).astype("float32")
    y = (x @ rng.normal(size=(features, outputs)) + 0.1).astype("float32")
    return x, y


def _copy_weights(source, target):
    target.set_weights([np.asarray(w) for w in source.get_weights()])


def _assert_weights_close(a, b, atol=ATOL):
    for left, right in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(np.asarray(left), np.asarray(right), atol=atol, rtol=1e-4)


def _assert_history_close(a, b, atol=ATOL):
    assert sorted(a.history) == sorted(b.history)
    for key in a.history:
        np.testing.assert_allclose(a.history[key], b.history[key], atol=atol, rtol=1e-4, err_msg=key)


# --- 1. the guide's custom JAX train_step over compiled loss and metrics -----------------
def guide_model(lib):
    class CustomModel(lib.Model):
        def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y, training=False):
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, x, training=training
            )
            loss = self.compute_loss(x, y, y_pred)
            return loss, (y_pred, non_trainable_variables)

        def train_step(self, state, data):
            trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
            x, y = data
            grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, non_trainable_variables)), grads = grad_fn(
                trainable_variables, non_trainable_variables, x, y, training=True
            )
            trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
                optimizer_variables, grads, trainable_variables
            )
            new_metrics_vars, logs = [], {}
            for metric in self.metrics:
                this = metrics_variables[len(new_metrics_vars) : len(new_metrics_vars) + len(metric.variables)]
                if metric.name == "loss":
                    this = metric.stateless_update_state(this, loss)
                else:
                    this = metric.stateless_update_state(this, y, y_pred)
                logs[metric.name] = metric.stateless_result(this)
                new_metrics_vars += this
            return logs, (trainable_variables, non_trainable_variables, optimizer_variables, new_metrics_vars)

    inputs = lib.Input(shape=(5,))
    outputs = lib.layers.Dense(1)(lib.layers.Dense(8, activation="relu")(inputs))
    model = CustomModel(inputs, outputs)
    model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    return model


def test_custom_jax_train_step_matches_keras():
    x, y = _data()
    k_model, l_model = guide_model(keras), guide_model(loom)
    _copy_weights(k_model, l_model)
    k_history = k_model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    l_history = l_model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    _assert_weights_close(k_model, l_model)
    _assert_history_close(k_history, l_history)
    assert l_history.history["loss"][-1] < l_history.history["loss"][0]


def test_custom_train_step_is_what_fit_runs():
    """A train_step that never updates the weights leaves them unchanged: loom ran it."""

    class Frozen(loom.Model):
        def train_step(self, state, data):
            return {"calls": jnp.float32(1.0)}, state

    inputs = loom.Input(shape=(5,))
    model = Frozen(inputs, loom.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    before = model.get_weights()
    history = model.fit(*_data(), epochs=2, verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert history.history == {"calls": [1.0, 1.0]}


# --- 2. compile(optimizer) with no loss: own trackers, overridden metrics ----------------
def low_level_model(lib):
    class CustomModel(lib.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = lib.metrics.Mean(name="loss")
            self.mae_metric = lib.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = lib.losses.MeanSquaredError()

        def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y, training=False):
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, x, training=training
            )
            return self.loss_fn(y, y_pred), (y_pred, non_trainable_variables)

        def train_step(self, state, data):
            trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
            x, y = data
            grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, non_trainable_variables)), grads = grad_fn(
                trainable_variables, non_trainable_variables, x, y, training=True
            )
            trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
                optimizer_variables, grads, trainable_variables
            )
            loss_vars = metrics_variables[: len(self.loss_tracker.variables)]
            mae_vars = metrics_variables[len(self.loss_tracker.variables) :]
            loss_vars = self.loss_tracker.stateless_update_state(loss_vars, loss)
            mae_vars = self.mae_metric.stateless_update_state(mae_vars, y, y_pred)
            logs = {
                self.loss_tracker.name: self.loss_tracker.stateless_result(loss_vars),
                self.mae_metric.name: self.mae_metric.stateless_result(mae_vars),
            }
            state = (trainable_variables, non_trainable_variables, optimizer_variables, loss_vars + mae_vars)
            return logs, state

        def test_step(self, state, data):
            x, y = data
            trainable_variables, non_trainable_variables, metrics_variables = state
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, x, training=False
            )
            loss = self.loss_fn(y, y_pred)
            loss_vars = metrics_variables[: len(self.loss_tracker.variables)]
            mae_vars = metrics_variables[len(self.loss_tracker.variables) :]
            loss_vars = self.loss_tracker.stateless_update_state(loss_vars, loss)
            mae_vars = self.mae_metric.stateless_update_state(mae_vars, y, y_pred)
            logs = {
                self.loss_tracker.name: self.loss_tracker.stateless_result(loss_vars),
                self.mae_metric.name: self.mae_metric.stateless_result(mae_vars),
            }
            return logs, (trainable_variables, non_trainable_variables, loss_vars + mae_vars)

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    inputs = lib.Input(shape=(5,))
    model = CustomModel(inputs, lib.layers.Dense(1)(inputs))
    model.compile(optimizer=lib.optimizers.Adam(0.01))
    return model


def test_no_loss_compile_with_own_trackers_matches_keras():
    x, y = _data()
    k_model, l_model = low_level_model(keras), low_level_model(loom)
    _copy_weights(k_model, l_model)
    k_history = k_model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0, validation_data=(x[:40], y[:40]))
    l_history = l_model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0, validation_data=(x[:40], y[:40]))
    _assert_weights_close(k_model, l_model)
    _assert_history_close(k_history, l_history)
    k_eval = k_model.evaluate(x, y, verbose=0, return_dict=True)
    l_eval = l_model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(k_eval) == set(l_eval) == {"loss", "mae"}
    for key in k_eval:
        np.testing.assert_allclose(k_eval[key], l_eval[key], atol=ATOL, rtol=1e-4)
    # The trackers hold the evaluation's state afterwards, in both.
    np.testing.assert_allclose(float(l_model.loss_tracker.result()), l_eval["loss"], rtol=1e-6)


# --- 3. a GAN-style step: two sub-models, two losses, alternating gradients -------------
def gan_model(lib):
    class GAN(lib.Model):
        def __init__(self, latent_dim=3, **kwargs):
            super().__init__(**kwargs)
            self.generator = lib.Sequential([lib.Input((latent_dim,)), lib.layers.Dense(5)], name="generator")
            self.discriminator = lib.Sequential([lib.Input((5,)), lib.layers.Dense(1)], name="discriminator")
            self.d_tracker = lib.metrics.Mean(name="d_loss")
            self.g_tracker = lib.metrics.Mean(name="g_loss")
            self.latent_dim = latent_dim

        def call(self, z):
            return self.discriminator(self.generator(z))

        @property
        def metrics(self):
            return [self.d_tracker, self.g_tracker]

        def _gan_losses(self, trainable, non_trainable, real, z):
            bce = lib.losses.BinaryCrossentropy(from_logits=True)
            split = len(self.generator.trainable_variables)
            g_vars, d_vars = trainable[:split], trainable[split:]
            g_nt = non_trainable[: len(self.generator.non_trainable_variables)]
            d_nt = non_trainable[len(self.generator.non_trainable_variables) :]
            fake, _ = self.generator.stateless_call(g_vars, g_nt, z)
            fake_logits, _ = self.discriminator.stateless_call(d_vars, d_nt, fake)
            real_logits, _ = self.discriminator.stateless_call(d_vars, d_nt, real)
            d_loss = bce(jnp.ones_like(real_logits), real_logits) + bce(jnp.zeros_like(fake_logits), fake_logits)
            g_loss = bce(jnp.ones_like(fake_logits), fake_logits)
            return d_loss, g_loss

        def train_step(self, state, data):
            trainable, non_trainable, optimizer_variables, metrics_variables = state
            real, z = data  # the noise comes with the data, so both libraries see the same draws
            split = len(self.generator.trainable_variables)
            d_loss, g_loss = self._gan_losses(trainable, non_trainable, real, z)
            d_grads = jax.grad(lambda t: self._gan_losses(t, non_trainable, real, z)[0])(trainable)
            g_grads = jax.grad(lambda t: self._gan_losses(t, non_trainable, real, z)[1])(trainable)
            # The generator learns from g_loss, the discriminator from d_loss.
            grads = list(g_grads[:split]) + list(d_grads[split:])
            trainable, optimizer_variables = self.optimizer.stateless_apply(optimizer_variables, grads, trainable)
            d_vars = self.d_tracker.stateless_update_state(metrics_variables[:2], d_loss)
            g_vars = self.g_tracker.stateless_update_state(metrics_variables[2:], g_loss)
            logs = {"d_loss": self.d_tracker.stateless_result(d_vars), "g_loss": self.g_tracker.stateless_result(g_vars)}
            return logs, (trainable, non_trainable, optimizer_variables, d_vars + g_vars)

    model = GAN()
    model.compile(optimizer=lib.optimizers.SGD(0.1))
    model.build((None, 3))
    return model


def test_gan_style_train_step_matches_keras():
    rng = np.random.default_rng(3)
    real = rng.normal(1.0, 0.5, size=(64, 5)).astype("float32")
    noise = rng.normal(size=(64, 3)).astype("float32")
    k_model, l_model = gan_model(keras), gan_model(loom)
    _copy_weights(k_model, l_model)
    k_history = k_model.fit(real, noise, batch_size=16, epochs=2, shuffle=False, verbose=0)
    l_history = l_model.fit(real, noise, batch_size=16, epochs=2, shuffle=False, verbose=0)
    _assert_weights_close(k_model, l_model)
    _assert_history_close(k_history, l_history)


# --- 4. the backend-agnostic form train_step(self, data) --------------------------------
class _VaeLike:
    """An autoencoder with an add_loss penalty and loss trackers, its step in two forms."""

    @staticmethod
    def build(lib, data_form: bool):
        class AutoEncoder(lib.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.encoder = lib.layers.Dense(2, name="encoder")
                self.decoder = lib.layers.Dense(5, name="decoder")
                self.total_tracker = lib.metrics.Mean(name="total_loss")
                self.reconstruction_tracker = lib.metrics.Mean(name="reconstruction_loss")

            def call(self, x):
                z = self.encoder(x)
                self.add_loss(0.01 * lib.ops.mean(lib.ops.square(z)))
                return self.decoder(z)

            @property
            def metrics(self):
                return [self.total_tracker, self.reconstruction_tracker]

            def _loss(self, trainable, non_trainable, x):
                y_pred, non_trainable, losses = self.stateless_call(trainable, non_trainable, x, return_losses=True)
                reconstruction = lib.ops.mean(lib.ops.square(x - y_pred))
                return reconstruction + sum(losses), (reconstruction, non_trainable)

            def jax_train_step(self, state, data):
                trainable, non_trainable, optimizer_variables, metrics_variables = state
                (total, (reconstruction, non_trainable)), grads = jax.value_and_grad(self._loss, has_aux=True)(
                    trainable, non_trainable, data
                )
                trainable, optimizer_variables = self.optimizer.stateless_apply(optimizer_variables, grads, trainable)
                t_vars = self.total_tracker.stateless_update_state(metrics_variables[:2], total)
                r_vars = self.reconstruction_tracker.stateless_update_state(metrics_variables[2:], reconstruction)
                logs = {
                    "total_loss": self.total_tracker.stateless_result(t_vars),
                    "reconstruction_loss": self.reconstruction_tracker.stateless_result(r_vars),
                }
                return logs, (trainable, non_trainable, optimizer_variables, t_vars + r_vars)

            def data_train_step(self, data):
                # Reads and assigns variables like a TensorFlow-backend step; loom makes it pure.
                trainable = [v.value for v in self.trainable_variables]
                non_trainable = [v.value for v in self.non_trainable_variables]
                (total, (reconstruction, _)), grads = jax.value_and_grad(self._loss, has_aux=True)(
                    trainable, non_trainable, data
                )
                self.optimizer.apply(grads, self.trainable_variables)
                self.total_tracker.update_state(total)
                self.reconstruction_tracker.update_state(reconstruction)
                return {m.name: m.result() for m in self.metrics}

        AutoEncoder.train_step = AutoEncoder.data_train_step if data_form else AutoEncoder.jax_train_step
        model = AutoEncoder()
        model.compile(optimizer=lib.optimizers.SGD(0.1))
        model(np.zeros((1, 5), "float32"))  # builds the sublayers
        return model


def test_data_form_train_step_matches_keras_jax_form():
    """Keras's JAX backend rejects ``train_step(self, data)``; loom runs it, and it
    trains exactly like the same step written in the JAX form under Keras."""
    x, _ = _data()
    k_model = _VaeLike.build(keras, data_form=False)
    l_model = _VaeLike.build(loom, data_form=True)
    _copy_weights(k_model, l_model)
    k_history = k_model.fit(x, batch_size=32, epochs=3, shuffle=False, verbose=0)
    l_history = l_model.fit(x, batch_size=32, epochs=3, shuffle=False, verbose=0)
    _assert_weights_close(k_model, l_model)
    _assert_history_close(k_history, l_history)


def test_jax_form_train_step_in_both_forms_agree_in_loom():
    x, _ = _data()
    jax_form, data_form = _VaeLike.build(loom, False), _VaeLike.build(loom, True)
    _copy_weights(jax_form, data_form)
    a = jax_form.fit(x, batch_size=32, epochs=2, shuffle=False, verbose=0)
    b = data_form.fit(x, batch_size=32, epochs=2, shuffle=False, verbose=0)
    _assert_weights_close(jax_form, data_form, atol=1e-6)
    _assert_history_close(a, b, atol=1e-6)


# --- 5. compile(optimizer) with no loss: the model's add_loss is what trains ------------
def add_loss_model(lib):
    inputs = lib.Input(shape=(5,))
    dense = lib.layers.Dense(3)
    outputs = dense(inputs)
    model = lib.Model(inputs, outputs)
    model.add_loss(lib.ops.mean(lib.ops.square(outputs - 1.0)))
    model.compile(optimizer=lib.optimizers.SGD(0.05))
    return model


def test_no_loss_compile_trains_on_added_losses_like_keras():
    x, _ = _data()

    class AddsLoss(loom.layers.Layer):
        def call(self, inputs):
            self.add_loss(loom.ops.mean(loom.ops.square(inputs - 1.0)))
            return inputs

    def build(lib, layer):
        inputs = lib.Input(shape=(5,))
        outputs = layer(lib.layers.Dense(3)(inputs))
        model = lib.Model(inputs, outputs)
        model.compile(optimizer=lib.optimizers.SGD(0.05))
        return model

    class KerasAddsLoss(keras.layers.Layer):
        def call(self, inputs):
            self.add_loss(keras.ops.mean(keras.ops.square(inputs - 1.0)))
            return inputs

    k_model, l_model = build(keras, KerasAddsLoss()), build(loom, AddsLoss())
    _copy_weights(k_model, l_model)
    k_history = k_model.fit(x, batch_size=32, epochs=3, shuffle=False, verbose=0)
    l_history = l_model.fit(x, batch_size=32, epochs=3, shuffle=False, verbose=0)
    _assert_weights_close(k_model, l_model)
    _assert_history_close(k_history, l_history)


def test_no_loss_anywhere_is_refused_only_when_training():
    inputs = loom.Input(shape=(5,))
    model = loom.Model(inputs, loom.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd")  # accepted, as in Keras
    x, y = _data()
    assert model.evaluate(x, y, verbose=0) == 0.0
    with pytest.raises(ValueError, match="no loss to minimize"):
        model.fit(x, y, verbose=0)


# --- 6. per-batch callbacks see every batch --------------------------------------------
def _batch_recorder(lib):
    class Recorder(lib.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seen = []

        def on_train_batch_begin(self, batch, logs=None):
            self.seen.append(("train_begin", batch))

        def on_train_batch_end(self, batch, logs=None):
            self.seen.append(("train_end", batch, sorted(logs)))

        def on_test_begin(self, logs=None):
            self.seen.append(("test_begin",))

        def on_test_batch_end(self, batch, logs=None):
            self.seen.append(("test_end", batch, sorted(logs)))

        def on_test_end(self, logs=None):
            self.seen.append(("test_stop", sorted(logs)))

        def on_predict_batch_end(self, batch, logs=None):
            self.seen.append(("predict_end", batch, sorted(logs), np.shape(logs["outputs"])))

    return Recorder()


def _simple(lib, steps_per_execution=1):
    inputs = lib.Input(shape=(5,))
    model = lib.Model(inputs, lib.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"], steps_per_execution=steps_per_execution)
    return model


@pytest.mark.parametrize("steps_per_execution", [1, 4])
def test_batch_callbacks_see_the_batches_keras_shows(steps_per_execution):
    x, y = _data(rows=100)
    records = []
    for lib in (keras, loom):
        model = _simple(lib, steps_per_execution)
        recorder = _batch_recorder(lib)
        model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[recorder], validation_data=(x[:40], y[:40]))
        model.evaluate(x, y, batch_size=32, verbose=0, callbacks=[recorder])
        model.predict(x, batch_size=32, verbose=0, callbacks=[recorder])
        records.append(recorder.seen)
    assert len(records[0]) == len(records[1])
    for keras_record, loom_record in zip(*records):
        if steps_per_execution > 1 and keras_record[0] in ("train_end", "test_end", "predict_end"):
            # Keras reports the last group of a loop as ending at begin + k - 1 even when fewer
            # batches are left; loom reports the index of the group's real last batch.
            assert keras_record[0] == loom_record[0] and keras_record[2:] == loom_record[2:]
            assert loom_record[1] <= keras_record[1] < loom_record[1] + steps_per_execution
        else:
            assert keras_record == loom_record
    if steps_per_execution == 1:
        assert sum(1 for r in records[1] if r[0] == "train_end") == 2 * 7  # every batch of both epochs


def test_batch_logs_are_those_of_each_batch():
    """The logs of batch i are the running metrics after batch i, not after the chunk."""
    x, y = _data(rows=64)
    models = [_simple(keras), _simple(loom)]
    _copy_weights(*models)
    losses = []
    for lib, model in zip((keras, loom), models):
        seen = []
        callback = lib.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs, seen=seen: seen.append(logs["loss"]))
        model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0, callbacks=[callback])
        losses.append(seen)
    assert len(losses[1]) == 4
    np.testing.assert_allclose(losses[0], losses[1], atol=ATOL, rtol=1e-4)


# --- 7. jit_compile -------------------------------------------------------------------
def test_jit_compile_false_runs_the_steps_op_by_op_with_the_same_results():
    x, y = _data()
    compiled, eager = _simple(loom), _simple(loom)
    eager.compile(optimizer="sgd", loss="mse", metrics=["mae"], jit_compile=False)
    _copy_weights(compiled, eager)
    assert eager.jit_compile is False and compiled.jit_compile is True
    a = compiled.fit(x, y, epochs=2, shuffle=False, verbose=0)
    b = eager.fit(x, y, epochs=2, shuffle=False, verbose=0)
    _assert_weights_close(compiled, eager, atol=1e-6)
    _assert_history_close(a, b, atol=1e-6)


def test_jit_compile_true_with_run_eagerly_warns_as_keras_does():
    model = _simple(loom)
    with pytest.warns(UserWarning, match="cannot also be True"):
        model.compile(optimizer="sgd", loss="mse", run_eagerly=True, jit_compile=True)
    assert model.jit_compile is False
