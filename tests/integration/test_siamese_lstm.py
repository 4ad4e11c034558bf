"""Issue 4 acceptance: seed 003's shared LSTM(64) over two (280, 256) sequences trains."""


import loom
from loom.demo import seeds


def test_shared_lstm_siamese_learns_and_keeps_the_node_api():
    loom.utils.set_random_seed(0)
    model, lstm, encoded_a, encoded_b = seeds.siamese_lstm_model()
    assert lstm.get_output_at(0) is encoded_a and lstm.get_output_at(1) is encoded_b
    assert lstm.get_input_shape_at(1) == (None, 280, 256)
    assert len(model.weights) == 5  # one LSTM (kernel, recurrent kernel, bias), one Dense
    (a, b), y = seeds.siamese_sequence_data(samples=192)
    model.compile(loom.optimizers.Adam(0.003), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit([a[:128], b[:128]], y[:128], epochs=6, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] * 0.7
    _, accuracy = model.evaluate([a[128:], b[128:]], y[128:], verbose=0)  # held-out pairs
    assert accuracy > 0.8  # chance is 0.5
