"""The single-batch methods skip their input checks for a batch shaped like one they
accepted (training/accepted_inputs.py). Whatever the checks would have refused or
converted must still be refused or converted, and a changed model is checked again."""

import numpy as np
import pytest

import loom
from loom import layers
from loom.training import accepted_inputs


def _model(metrics=None):
    inputs = loom.Input((4,))
    outputs = layers.Dense(2)(layers.Dense(8, activation="relu")(inputs))
    model = loom.Model(inputs, outputs)
    model.compile("sgd", "mse", metrics=metrics)
    return model


def _batch(rows=8, dtype="float32"):
    rng = np.random.default_rng(0)
    return rng.normal(size=(rows, 4)).astype(dtype), rng.normal(size=(rows, 2)).astype("float32")


@pytest.mark.parametrize("method", ["train_on_batch", "test_on_batch", "predict_on_batch"])
def test_a_wrong_shape_after_an_accepted_batch_is_still_refused(method):
    model, (x, y) = _model(), _batch()
    call = getattr(model, method)
    args = (x,) if method == "predict_on_batch" else (x, y)
    call(*args)
    assert method in model.__dict__["_accepted_inputs"]  # the fast path is armed
    bad = np.zeros((8, 5), "float32")
    with pytest.raises(ValueError, match="shape"):
        call(*((bad,) if method == "predict_on_batch" else (bad, y)))


def test_float64_and_list_batches_are_converted_each_time_and_never_remembered():
    model, (x, _) = _model(), _batch()
    expected = model.predict_on_batch(x)
    assert np.allclose(model.predict_on_batch(x.astype("float64")), expected, atol=1e-6)
    assert np.allclose(model.predict_on_batch(x.tolist()), expected, atol=1e-6)
    assert accepted_inputs.signature(x.astype("float64")) == (None, None)
    assert accepted_inputs.signature(x.tolist()) == (None, None)


def test_a_remembered_batch_gets_the_checked_structure_with_its_own_arrays():
    model, (x, y) = _model(), _batch()
    # Twice: the first call also builds the optimizer and metrics, which moves the
    # structure version after the batch was remembered.
    model.train_on_batch(x, y)
    model.train_on_batch(x, y)
    x2, y2 = _batch(rows=8)
    x2 = x2 + 1.0
    hit = accepted_inputs.lookup(model, "train_on_batch", (x2, y2, None))
    assert hit is not None
    (checked_x, checked_y, weights), count = hit
    assert checked_x is x2 and count == 8
    assert len(checked_y) == 1 and checked_y[0] is y2  # targets standardised to one per output
    assert weights is None
    assert accepted_inputs.lookup(model, "train_on_batch", (x2[:4], y2[:4], None)) is None  # another shape


def test_fast_and_checked_paths_train_identically():
    # The same batches through a model whose fast path is disabled give the same weights.
    x, y = _batch(rows=16)
    fast, slow = _model(), _model()
    slow.set_weights(fast.get_weights())
    for step in range(4):
        rows = slice(4 * step, 4 * step + 4)
        fast_loss = fast.train_on_batch(x[rows], y[rows])
        slow.__dict__.pop("_accepted_inputs", None)
        slow_loss = slow.train_on_batch(x[rows], y[rows])
        assert fast_loss == pytest.approx(slow_loss, rel=1e-6)
    for a, b in zip(fast.get_weights(), slow.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_recompiling_checks_the_targets_again():
    model, (x, y) = _model(), _batch()
    model.train_on_batch(x, y)
    model.compile("sgd", "sparse_categorical_crossentropy")
    # Sparse labels are class ids of shape (rows,) or (rows, 1): a (rows, 2) target of
    # floats is refused now, though the same arrays were accepted under "mse".
    with pytest.raises(ValueError):
        model.train_on_batch(x, y)


def test_a_changed_model_is_checked_again():
    model, (x, _) = _model(), _batch()
    model.predict_on_batch(x)
    key_before = model.__dict__["_accepted_inputs"]["predict_on_batch"][1]
    model.layers[1].trainable = False  # moves the structure version
    model.predict_on_batch(x)
    assert model.__dict__["_accepted_inputs"]["predict_on_batch"][1] != key_before


def test_logs_keep_keras_order_with_metrics_and_a_float_alone():
    model, (x, y) = _model(metrics=["mae", "mse"]), _batch()
    values = model.train_on_batch(x, y)
    assert isinstance(values, list) and len(values) == 3
    logs = model.test_on_batch(x, y, return_dict=True)
    assert list(logs) == ["loss", "mae", "mse"]
    assert model.test_on_batch(x, y) == pytest.approx([logs[k] for k in ("loss", "mae", "mse")])
    single = _model()
    assert isinstance(single.train_on_batch(x, y), float)


def test_evaluation_reads_the_stored_arrays_without_copying_them():
    model, (x, y) = _model(), _batch()
    model.train_on_batch(x, y)
    before = [v._value for v in model.variables]
    model.test_on_batch(x, y)
    model.evaluate(x, y, verbose=0)
    assert all(v._value is a for v, a in zip(model.variables, before))  # weights untouched, not copied


def test_cached_variable_lists_follow_new_weights_and_trainable_flags():
    layer = layers.Dense(3)
    layer.build((None, 2))
    assert len(layer.trainable_weights) == 2
    layer.kernel.trainable = False
    assert [v.name for v in layer.trainable_weights] == ["bias"]
    assert [v.name for v in layer.non_trainable_weights] == ["kernel"]
    extra = layer.add_weight(shape=(1,), name="extra")
    assert extra in layer.trainable_weights and extra in layer.weights
