"""keras.io guide "Writing a training loop from scratch in JAX"
(guides/writing_a_custom_training_loop_in_jax.py).

A jitted train step over stateless_call / stateless_apply / stateless metric
updates, the state written back with assign, an eval step, and add_loss reached
through stateless_call(..., return_losses=True). MNIST is replaced by seeded
float images whose one-hot labels follow from the pixels; 8 steps of 32.
"""

import jax
import numpy as np


def load_data(samples=320):
    """Flattened MNIST-shaped float32 images in [0, 1] and float32 one-hot labels."""
    rng = np.random.default_rng(0)
    prototypes = rng.random((10, 784))
    labels = rng.integers(0, 10, size=(samples,))
    x = np.clip(prototypes[labels] + rng.normal(0, 0.2, size=(samples, 784)), 0, 1).astype("float32")
    return x, np.eye(10, dtype="float32")[labels]


def get_model(keras, with_activity_regularization=False):
    layers = keras.layers

    class ActivityRegularizationLayer(keras.layers.Layer):
        def call(self, inputs):
            self.add_loss(1e-2 * jax.numpy.sum(inputs))
            return inputs

    inputs = keras.Input(shape=(784,), name="digits")
    x1 = layers.Dense(64, activation="relu")(inputs)
    if with_activity_regularization:
        x1 = ActivityRegularizationLayer()(x1)
    x2 = layers.Dense(64, activation="relu")(x1)
    outputs = layers.Dense(10, name="predictions")(x2)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def train(keras, model, steps=8, batch_size=32):
    """The guide's loop, with its metrics; returns the per-step losses and the final accuracies."""
    x_train, y_train = load_data()
    x_val, y_val = x_train[-64:], y_train[-64:]

    # Instantiate an optimizer to train the model.
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    # Instantiate a loss function.
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)

    # Prepare the metrics.
    train_acc_metric = keras.metrics.CategoricalAccuracy()
    val_acc_metric = keras.metrics.CategoricalAccuracy()

    def compute_loss_and_updates(trainable_variables, non_trainable_variables, metric_variables, x, y):
        y_pred, non_trainable_variables, losses = model.stateless_call(
            trainable_variables, non_trainable_variables, x, return_losses=True
        )
        loss = loss_fn(y, y_pred)
        if losses:
            # jax.numpy.array(...): JAX 0.10's sum takes no Python list (the guide passes one).
            loss += jax.numpy.sum(jax.numpy.array(losses))
        metric_variables = train_acc_metric.stateless_update_state(metric_variables, y, y_pred)
        return loss, (non_trainable_variables, metric_variables)

    grad_fn = jax.value_and_grad(compute_loss_and_updates, has_aux=True)

    @jax.jit
    def train_step(state, data):
        (
            trainable_variables,
            non_trainable_variables,
            optimizer_variables,
            metric_variables,
        ) = state
        x, y = data
        (loss, (non_trainable_variables, metric_variables)), grads = grad_fn(
            trainable_variables, non_trainable_variables, metric_variables, x, y
        )
        trainable_variables, optimizer_variables = optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables
        )
        # Return updated state
        return loss, (
            trainable_variables,
            non_trainable_variables,
            optimizer_variables,
            metric_variables,
        )

    @jax.jit
    def eval_step(state, data):
        trainable_variables, non_trainable_variables, metric_variables = state
        x, y = data
        y_pred, non_trainable_variables = model.stateless_call(trainable_variables, non_trainable_variables, x)
        loss = loss_fn(y, y_pred)
        metric_variables = val_acc_metric.stateless_update_state(metric_variables, y, y_pred)
        return loss, (
            trainable_variables,
            non_trainable_variables,
            metric_variables,
        )

    # Build optimizer variables.
    optimizer.build(model.trainable_variables)

    # `.value`: JAX 0.10 no longer turns a Keras Variable into an array by itself.
    trainable_variables = [v.value for v in model.trainable_variables]
    non_trainable_variables = [v.value for v in model.non_trainable_variables]
    optimizer_variables = [v.value for v in optimizer.variables]
    metric_variables = [v.value for v in train_acc_metric.variables]

    state = trainable_variables, non_trainable_variables, optimizer_variables, metric_variables

    losses = []
    for step in range(steps):
        x_batch_train = x_train[step * batch_size : (step + 1) * batch_size]
        y_batch_train = y_train[step * batch_size : (step + 1) * batch_size]
        loss, state = train_step(state, (x_batch_train, y_batch_train))
        losses.append(float(loss))
    trainable_variables, non_trainable_variables, optimizer_variables, metric_variables = state
    train_acc = float(train_acc_metric.stateless_result(metric_variables))

    # Write the trained values back into the model and the optimizer.
    for variable, value in zip(model.trainable_variables, trainable_variables):
        variable.assign(value)
    for variable, value in zip(model.non_trainable_variables, non_trainable_variables):
        variable.assign(value)
    for variable, value in zip(optimizer.variables, optimizer_variables):
        variable.assign(value)

    # Run a validation loop at the end of each epoch.
    metric_variables = [v.value for v in val_acc_metric.variables]
    state = [v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables], metric_variables
    for start in range(0, len(x_val), batch_size):
        _, state = eval_step(state, (x_val[start : start + batch_size], y_val[start : start + batch_size]))
    val_acc = float(val_acc_metric.stateless_result(state[2]))
    return losses, train_acc, val_acc, int(optimizer.iterations)


def test_jitted_stateless_train_step_learns_and_writes_back(keras):
    model = get_model(keras)
    before = [w.copy() for w in model.get_weights()]
    losses, train_acc, val_acc, iterations = train(keras, model)
    assert losses[-1] < losses[0]
    assert 0.0 <= train_acc <= 1.0 and val_acc > 0.5  # chance is 0.1
    assert iterations == 8  # the optimizer's own counter came back through assign
    assert not np.allclose(before[0], model.get_weights()[0])
    # The model now predicts with the written-back weights.
    x, y = load_data()
    accuracy = np.mean(model.predict(x[-64:], verbose=0).argmax(1) == y[-64:].argmax(1))
    np.testing.assert_allclose(accuracy, val_acc)


def test_add_loss_comes_back_from_stateless_call(keras):
    model = get_model(keras, with_activity_regularization=True)
    x, _ = load_data(4)
    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    _, _, losses = model.stateless_call(trainable, non_trainable, x, return_losses=True)
    hidden = np.maximum(x @ model.layers[1].get_weights()[0] + model.layers[1].get_weights()[1], 0)
    assert len(losses) == 1
    np.testing.assert_allclose(float(losses[0]), 1e-2 * hidden.sum(), rtol=1e-4)
    losses, *_ = train(keras, model)
    assert losses[-1] < losses[0]


def test_training_loop_matches_keras_from_the_same_weights(real_keras):
    import loom

    reference = get_model(real_keras, with_activity_regularization=True)
    model = get_model(loom, with_activity_regularization=True)
    model.set_weights(reference.get_weights())
    expected = train(real_keras, reference)
    got = train(loom, model)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-4)
    np.testing.assert_allclose(got[1:3], expected[1:3], atol=1 / 64)  # accuracies: at most one sample apart
    assert got[3] == expected[3]
