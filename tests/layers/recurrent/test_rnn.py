import jax
import numpy as np
import pytest

import loom
from loom import ops
from loom.layers import Embedding, Input, Layer, Masking
from loom.layers.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells

# Keras draws its default initial weights slowly (an orthogonal QR per layer); they are overwritten anyway.
FAST = {"kernel_initializer": "zeros", "recurrent_initializer": "zeros"}


def keras():
    return pytest.importorskip("keras")


def _random_weights(layer, seed=0):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype("float32") for w in layer.get_weights()])


def _assert_all_close(ours, theirs):
    ours, theirs = jax.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)


class MinimalCell(Layer):
    """The cell of Keras's RNN docstring, written for loom."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units))
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel", shape=(self.units, self.units))

    def call(self, inputs, states):
        output = ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel))
        return output, [output]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def _keras_minimal_cell(k):
    class KerasMinimalCell(k.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel", initializer="zeros")
            self.recurrent_kernel = self.add_weight(
                shape=(self.units, self.units), name="recurrent_kernel", initializer="zeros"
            )

        def call(self, inputs, states):
            output = k.ops.tanh(k.ops.matmul(inputs, self.kernel) + k.ops.matmul(states[0], self.recurrent_kernel))
            return output, [output]

    return KerasMinimalCell


def test_rnn_drives_a_custom_cell_like_keras_scanned_or_unrolled():
    k = keras()
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    ours = RNN(MinimalCell(5), return_sequences=True, return_state=True, go_backwards=True)
    outputs = ours(x)
    theirs = k.layers.RNN(_keras_minimal_cell(k)(5), return_sequences=True, return_state=True, go_backwards=True)
    theirs.build(x.shape)
    theirs.set_weights(ours.get_weights())
    _assert_all_close(outputs, theirs(x))
    unrolled = RNN(MinimalCell(5), return_sequences=True, return_state=True, go_backwards=True, unroll=True)
    unrolled.build(x.shape)
    unrolled.set_weights(ours.get_weights())
    _assert_all_close(unrolled(x), outputs)


def test_stacked_cells_match_keras_with_nested_states():
    k = keras()
    x = np.random.default_rng(1).normal(size=(2, 4, 3)).astype("float32")
    ours = RNN([LSTMCell(3), GRUCell(4), SimpleRNNCell(2)], return_state=True)
    ours.build(x.shape)
    _random_weights(ours)
    output, lstm_states, gru_states, simple_states = ours(x)
    assert [s.shape for s in lstm_states] == [(2, 3), (2, 3)] and [s.shape for s in gru_states] == [(2, 4)]
    cells = [k.layers.LSTMCell(3, **FAST), k.layers.GRUCell(4, **FAST), k.layers.SimpleRNNCell(2, **FAST)]
    theirs = k.layers.RNN(cells, return_state=True)
    theirs.build(x.shape)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    theirs.set_weights(ours.get_weights())
    _assert_all_close((output, lstm_states, gru_states, simple_states), theirs(x))
    symbolic = ours(Input((None, 3)))
    assert symbolic[0].shape == (None, 2) and [s.shape for s in symbolic[1]] == [(None, 3), (None, 3)]


def _embedded_lstm(layers, recurrent):
    ids = layers.Input((None,), dtype="int32")
    embedded = layers.Embedding(7, 3, mask_zero=True, embeddings_initializer="zeros")(ids)
    outputs = recurrent.LSTM(4, return_sequences=True, return_state=True, **FAST)(embedded)
    return ids, list(outputs)


def test_lstm_skips_steps_masked_by_embedding_like_keras():
    k = keras()
    ids = np.array([[3, 5, 2, 0, 0], [1, 0, 0, 0, 0], [4, 6, 4, 6, 4]], "int32")
    inputs, outputs = _embedded_lstm(loom.layers, loom.layers.recurrent)
    model = loom.Model(inputs, outputs)
    _random_weights(model)
    sequences, h, c = model.predict(ids, verbose=0)
    k_inputs, k_outputs = _embedded_lstm(k.layers, k.layers)
    keras_model = k.Model(k_inputs, k_outputs)
    keras_model.set_weights(model.get_weights())
    _assert_all_close((sequences, h, c), keras_model(ids))
    # The final state is the state at the last unmasked step: the unmasked run's output there.
    table, kernel, recurrent_kernel, bias = model.get_weights()
    plain = LSTM(4, return_sequences=True)
    plain.build((None, None, 3))
    plain.set_weights([kernel, recurrent_kernel, bias])
    unmasked = np.asarray(plain(table[ids]))
    np.testing.assert_allclose(h, unmasked[[0, 1, 2], [2, 0, 4]], atol=1e-5)
    # Masked steps repeat the previous output (Keras's default, zero_output_for_mask=False).
    np.testing.assert_allclose(sequences[0, 3:], np.repeat(sequences[0, 2:3], 2, axis=0), atol=1e-6)


def test_masking_layer_skips_steps_in_the_middle_like_keras():
    k = keras()
    x = np.random.default_rng(2).normal(size=(2, 5, 3)).astype("float32")
    x[0, 1] = 0.0
    x[1, 3:] = 0.0

    def build(layers, recurrent):
        inputs = layers.Input((5, 3))
        return inputs, recurrent.GRU(4, return_sequences=True, return_state=True, **FAST)(layers.Masking(0.0)(inputs))

    inputs, outputs = build(loom.layers, loom.layers.recurrent)
    model = loom.Model(inputs, list(outputs))
    _random_weights(model)
    ours = model(x)
    k_inputs, k_outputs = build(k.layers, k.layers)
    keras_model = k.Model(k_inputs, list(k_outputs))
    keras_model.set_weights(model.get_weights())
    _assert_all_close(ours, keras_model(x))
    sequences = np.asarray(ours[0])
    np.testing.assert_allclose(sequences[0, 1], sequences[0, 0], atol=1e-6)  # skipped step
    np.testing.assert_allclose(np.asarray(ours[1])[1], sequences[1, 2], atol=1e-6)  # state of step 2


def test_zero_output_for_mask_and_mask_passing():
    k = keras()
    x = np.random.default_rng(3).normal(size=(2, 4, 3)).astype("float32")
    mask = np.array([[True, True, False, False], [True, False, True, True]])
    ours = RNN(LSTMCell(2), return_sequences=True, zero_output_for_mask=True)
    outputs = np.asarray(ours(x, mask=mask))
    np.testing.assert_array_equal(outputs[~mask], 0.0)
    theirs = k.layers.RNN(k.layers.LSTMCell(2, **FAST), return_sequences=True, zero_output_for_mask=True)
    theirs.build(x.shape)
    theirs.set_weights(ours.get_weights())
    _assert_all_close(outputs, theirs(x, mask=mask))
    symbolic = ours(Masking()(Input((None, 3))))
    assert symbolic._keras_mask is not None  # return_sequences passes the mask on
    assert LSTM(2)(Masking()(Input((None, 3))))._keras_mask is None


def test_initial_state_from_graph_inputs_matches_keras():
    k = keras()
    rng = np.random.default_rng(4)
    x, h0, c0 = (rng.normal(size=s).astype("float32") for s in ((2, 4, 3), (2, 5), (2, 5)))

    def build(layers, recurrent):
        inputs = [layers.Input((4, 3)), layers.Input((5,)), layers.Input((5,))]
        return inputs, recurrent.LSTM(5, return_state=True, **FAST)(inputs[0], initial_state=inputs[1:])

    inputs, outputs = build(loom.layers, loom.layers.recurrent)
    model = loom.Model(inputs, list(outputs))
    _random_weights(model)
    ours = model.predict([x, h0, c0], verbose=0)
    k_inputs, k_outputs = build(k.layers, k.layers)
    keras_model = k.Model(k_inputs, list(k_outputs))
    keras_model.set_weights(model.get_weights())
    _assert_all_close(ours, keras_model([x, h0, c0]))
    assert not np.allclose(ours[0], np.asarray(model([x, 0 * h0, 0 * c0])[0]))


def test_stateful_lstm_carries_states_between_batches_like_keras():
    k = keras()
    rng = np.random.default_rng(5)
    first, second = rng.normal(size=(2, 2, 4, 3)).astype("float32")
    ours = LSTM(3, stateful=True, return_state=True)
    inputs = Input(batch_shape=(2, 4, 3))
    model = loom.Model(inputs, ours(inputs)[0])
    _random_weights(ours)
    assert len(ours.weights) == 3 and len(ours.non_trainable_variables) == 2  # states are not weights
    theirs = k.layers.LSTM(3, stateful=True, return_state=True, **FAST)
    theirs.build((2, 4, 3))
    theirs.set_weights(ours.get_weights())
    ours_first, ours_second = ours(first), ours(second)
    _assert_all_close((ours_first, ours_second), (theirs(first), theirs(second)))
    _assert_all_close(ours.states, ours_second[1:])
    fresh = LSTM(3)
    fresh.build((2, 4, 3))
    fresh.set_weights(ours.get_weights())
    assert not np.allclose(np.asarray(ours_second[0]), np.asarray(fresh(second)))  # the carried states matter
    ours.reset_states()
    _assert_all_close(ours(first), ours_first)
    # Compiled: the states leave the step as non-trainable values and feed the next one.
    ours.reset_states()
    step = jax.jit(lambda t, n, x: model.stateless_call(t, n, x))
    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    _, non_trainable = step(trainable, non_trainable, first)
    compiled_second, _ = step(trainable, non_trainable, second)
    np.testing.assert_allclose(np.asarray(compiled_second), np.asarray(ours_second[0]), atol=1e-5)


def test_stateful_and_unrolled_layers_report_missing_sizes():
    with pytest.raises(ValueError, match="stateful, so it needs a fixed batch size"):
        LSTM(2, stateful=True)(Input((4, 3)))
    layer = GRU(2, stateful=True)
    layer(Input(batch_shape=(2, 4, 3)))
    with pytest.raises(ValueError, match="stateful with batch size 2; received a batch of 3"):
        layer(np.ones((3, 4, 3), "float32"))
    with pytest.raises(ValueError, match="unroll=True, which needs a known number of timesteps"):
        LSTM(2, unroll=True)(Input((None, 3)))
    LSTM(2).reset_states()  # nothing to reset, as Keras
    with pytest.raises(ValueError, match="needs a `state_size`"):
        RNN(Embedding(3, 2))


def test_rnn_and_stacked_cells_config_round_trip():
    layer = RNN(MinimalCell(3), return_sequences=True, unroll=True, name="custom")
    config = layer.get_config()
    with pytest.raises(ValueError, match="custom_objects"):
        RNN.from_config(config)
    clone = RNN.from_config(config, custom_objects={"MinimalCell": MinimalCell})
    assert clone.get_config() == config and isinstance(clone.cell, MinimalCell)
    stacked = RNN(StackedRNNCells([LSTMCell(2, dropout=0.1), GRUCell(3, reset_after=False)]), go_backwards=True)
    config = stacked.get_config()
    clone = RNN.from_config(config)
    assert clone.get_config() == config
    assert [type(c).__name__ for c in clone.cell.cells] == ["LSTMCell", "GRUCell"]
