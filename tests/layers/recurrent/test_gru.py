import numpy as np
import pytest

from loom.layers import Input
from loom.layers.recurrent import GRU, GRUCell

# Keras draws its default initial weights slowly (an orthogonal QR per layer); they are overwritten anyway.
FAST = {"kernel_initializer": "zeros", "recurrent_initializer": "zeros"}


def keras():
    return pytest.importorskip("keras")


def _random_weights(layer, seed=0):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype("float32") for w in layer.get_weights()])


@pytest.mark.parametrize(
    "options",
    [
        {"return_sequences": True, "return_state": True, "go_backwards": True},
        {"reset_after": False, "return_sequences": True},
    ],
)
def test_gru_matches_keras_on_same_weights(options):
    k = keras()
    x = np.random.default_rng(1).normal(size=(2, 5, 3)).astype("float32")
    ours = GRU(4, **options)
    ours.build(x.shape)
    _random_weights(ours)
    theirs = k.layers.GRU(4, **options, **FAST)
    theirs.build(x.shape)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    theirs.set_weights(ours.get_weights())
    ours_out, theirs_out = ours(x), theirs(x)
    if not options.get("return_state"):
        ours_out, theirs_out = [ours_out], [theirs_out]
    for a, b in zip(ours_out, theirs_out):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)


def test_gru_bias_layout_follows_reset_after():
    after = GRU(3)
    after.build((None, 4, 2))
    assert [w.shape for w in after.get_weights()] == [(2, 9), (3, 9), (2, 9)]
    before = GRU(3, reset_after=False)
    before.build((None, 4, 2))
    assert [w.shape for w in before.get_weights()] == [(2, 9), (3, 9), (9,)]
    assert [w.path for w in before.weights] == [
        "gru_1/gru_cell/kernel",
        "gru_1/gru_cell/recurrent_kernel",
        "gru_1/gru_cell/bias",
    ]


def test_gru_recurrent_dropout_applies_in_training_only():
    layer = GRU(3, dropout=0.2, recurrent_dropout=0.4, return_sequences=True)
    x = np.random.default_rng(2).normal(size=(2, 4, 3)).astype("float32")
    inference = np.asarray(layer(x))
    first, second = np.asarray(layer(x, training=True)), np.asarray(layer(x, training=True))
    assert not np.allclose(first, inference) and not np.allclose(first, second)  # new masks per call
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), inference)


def test_gru_shapes_and_config_round_trip():
    x = Input((None, 5))
    output, state = GRU(2, return_state=True)(x)
    assert output.shape == (None, 2) and state.shape == (None, 2)
    layer = GRU(2, reset_after=False, recurrent_activation="hard_sigmoid", kernel_constraint="non_neg", stateful=True)
    config = layer.get_config()
    clone = GRU.from_config(config)
    assert clone.get_config() == config and not clone.reset_after
    cell = GRUCell(4, reset_after=False)
    assert GRUCell.from_config(cell.get_config()).get_config() == cell.get_config()
