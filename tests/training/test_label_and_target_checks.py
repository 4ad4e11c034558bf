"""Bad labels and targets are refused on every path (arrays, iterables, validation data,
single batches), before any step runs: training on them would silently compute garbage."""

import numpy as np
import pytest

import loom
from loom import callbacks, layers


def _classifier(loss="sparse_categorical_crossentropy", units=3):
    inputs = loom.Input((4,))
    model = loom.Model(inputs, layers.Dense(units, activation="softmax")(inputs))
    model.compile("adam", loss)
    return model


def _data(rows=16, bad=None):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 4)).astype("float32")
    y = rng.integers(0, 3, rows)
    if bad is not None:
        y = y.astype("float32")
        y[5] = bad
    return x, y


def _batches(x, y, size=8):
    for start in range(0, len(x), size):
        yield x[start : start + size], y[start : start + size]


def _VALIDATION_ITERABLE(m, x, y):  # noqa: N802
    return m.fit(x, np.zeros_like(y), validation_data=_batches(x, y), verbose=0)


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x, y: m.fit(x, y, verbose=0),
        lambda m, x, y: m.evaluate(x, y, verbose=0),
        lambda m, x, y: m.fit(_batches(x, y), verbose=0),
        lambda m, x, y: m.evaluate(_batches(x, y), verbose=0),
        lambda m, x, y: m.fit(x, np.zeros_like(y), validation_data=(x, y), verbose=0),
        _VALIDATION_ITERABLE,
        lambda m, x, y: m.train_on_batch(x, y),
        lambda m, x, y: m.test_on_batch(x, y),
    ],
    ids=["fit", "evaluate", "fit-iterable", "evaluate-iterable", "validation-arrays", "validation-iterable",
         "train_on_batch", "test_on_batch"],
)
@pytest.mark.parametrize("bad, message", [(5, r"in \[0, 3\).*first out of range is 5.* index \(5,\)"),
                                          (-1, r"in \[0, 3\)"), (1.5, r"non-integer label 1.5 at index \(5,\)")])
def test_bad_sparse_labels_are_refused_on_every_path(call, bad, message):
    model = _classifier()
    x, y = _data(bad=bad)
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=message):
        call(model, x, y)
    # (An iterable's validation batches are read after the first epoch has trained.)
    if call is not _VALIDATION_ITERABLE:
        for old, new in zip(before, model.get_weights()):
            np.testing.assert_array_equal(old, new)


def test_integer_valued_float_labels_are_fine():
    model = _classifier()
    x, y = _data()
    model.fit(x, y.astype("float32"), verbose=0)


@pytest.mark.parametrize("loss", ["mse", "mae", "binary_crossentropy", "huber"])
def test_targets_that_would_broadcast_are_refused(loss):
    model = _classifier(loss, units=1)
    x, _ = _data()
    with pytest.raises(ValueError, match=r"targets of shape \(16, 3\) do not (match|fit) predictions of shape \(None, 1\)"):
        model.fit(x, np.zeros((16, 3), "float32"), verbose=0)


def test_keras_squeeze_of_a_trailing_axis_of_one_is_allowed():
    model = _classifier("mse", units=1)
    x, _ = _data()
    model.fit(x, np.zeros((16,), "float32"), verbose=0)  # (N,) against (N, 1), as Keras


def test_a_custom_loss_may_take_targets_of_another_shape():
    # Keras runs it; loom cannot know what the function does with them.
    def loss(y_true, y_pred):
        return loom.ops.mean(loom.ops.square(loom.ops.sum(y_true, axis=-1, keepdims=True) - y_pred))

    model = _classifier(loss, units=1)
    x, _ = _data()
    model.fit(x, np.zeros((16, 3), "float32"), verbose=0)


@pytest.mark.parametrize("label, make", [("x", lambda x, y: (x.astype(str), y)), ("y", lambda x, y: (x, y.astype(str))),
                                         ("x", lambda x, y: (x.astype(object), y))])
def test_string_or_object_arrays_name_the_argument_and_dtype(label, make):
    model = _classifier()
    x, y = make(*_data())
    with pytest.raises(TypeError, match=rf"`{label}` must be numeric; received an array of .*dtype"):
        model.fit(x, y, verbose=0)


@pytest.mark.parametrize("class_weight, message", [
    ({0: 1.0, 1: 2.0, 3: 1.0}, r"names class\(es\) \[3\], but output .* has 3 classes"),
    ({"0": 1.0, "1": 2.0}, r"keys must be integer class ids; received the key '0'"),
    ({0.5: 1.0}, r"keys must be integer class ids"),
])
def test_class_weight_must_name_classes_of_the_model(class_weight, message):
    model = _classifier()
    x, y = _data()
    with pytest.raises(ValueError, match=message):
        model.fit(x, y, class_weight=class_weight, verbose=0)


def test_class_weight_for_one_sigmoid_unit_has_classes_0_and_1():
    model = _classifier("binary_crossentropy", units=1)
    x, y = _data()
    model.fit(x, (y > 0).astype("float32"), class_weight={0: 1.0, 1: 3.0}, verbose=0)
    with pytest.raises(ValueError, match=r"has 2 classes"):
        model.fit(x, (y > 0).astype("float32"), class_weight={0: 1.0, 2: 3.0}, verbose=0)


def test_terminate_on_nan_with_raise_error_names_the_first_bad_batch():
    inputs = loom.Input((1,))
    model = loom.Model(inputs, layers.Dense(1)(inputs))
    model.compile("sgd", "mse")
    x = np.ones((64, 1), "float32")
    y = np.ones((64, 1), "float32")
    y[37] = np.nan  # batch 4 of 8-row batches, unshuffled
    with pytest.raises(RuntimeError, match=r"at batch 4\b"), pytest.warns(UserWarning, match="NaN"):
        model.fit(x, y, batch_size=8, shuffle=False, verbose=0, callbacks=[callbacks.TerminateOnNaN(raise_error=True)])
