"""fit's mistakes, reported before any computation, in words."""

import numpy as np
import pytest

import loom
from loom.layers import Dense, Input


def two_input_classifier():
    a, b = Input((3,), name="a"), Input((2,), name="b")
    out = Dense(4, activation="softmax", name="probs")(loom.ops.concatenate([a, b], axis=-1))
    model = loom.Model([a, b], out)
    model.compile("adam", "categorical_crossentropy")
    return model


def test_fit_before_compile():
    x = Input((2,))
    with pytest.raises(ValueError, match=r"must call model.compile"):
        loom.Model(x, Dense(1)(x)).fit(np.ones((2, 2)), np.ones((2, 1)))


def test_wrong_number_of_arrays_and_unknown_keys():
    model = two_input_classifier()
    y = np.eye(4)[[0, 1]]
    with pytest.raises(ValueError, match=r"expects 2 input array\(s\) \['a', 'b'\]; received 1"):
        model.fit(np.ones((2, 3)), y, verbose=0)
    with pytest.raises(ValueError, match=r"unknown names \['c'\]"):
        model.fit({"a": np.ones((2, 3)), "c": np.ones((2, 2))}, y, verbose=0)
    with pytest.raises(ValueError, match=r"targets for unknown outputs \['prob'\]"):
        model.fit([np.ones((2, 3)), np.ones((2, 2))], {"prob": y}, verbose=0)


def test_sample_counts_must_agree():
    model = two_input_classifier()
    with pytest.raises(ValueError, match="'a' has 5, 'b' has 4"):
        model.fit([np.ones((5, 3)), np.ones((4, 2))], np.eye(4)[[0] * 5], verbose=0)
    with pytest.raises(ValueError, match="x with 5 samples but y with 3 samples"):
        model.fit([np.ones((5, 3)), np.ones((5, 2))], np.eye(4)[[0] * 3], verbose=0)
    with pytest.raises(ValueError, match="sample_weight with 2"):
        model.fit([np.ones((5, 3)), np.ones((5, 2))], np.eye(4)[[0] * 5], sample_weight=np.ones(2), verbose=0)


def test_sparse_labels_given_to_categorical_crossentropy_names_both_and_the_fix():
    model = two_input_classifier()
    with pytest.raises(ValueError, match=r"(?s)categorical_crossentropy.*sparse_categorical_crossentropy") as caught:
        model.fit([np.ones((6, 3)), np.ones((6, 2))], np.array([0, 1, 2, 3, 0, 1]), verbose=0)
    # every shape named is one the user gave or can see in summary(), never an internal probe's
    assert "targets of shape (6,) do not fit predictions of shape (None, 4)" in str(caught.value)
    assert "one-hot targets of shape (6, 4) like the predictions; received targets of shape (6,)" in str(caught.value)


def test_labels_out_of_range_for_sparse_losses():
    model = two_input_classifier()
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"sparse labels must be integers in \[0, 4\); received labels from 0 to 7"):
        model.fit([np.ones((3, 3)), np.ones((3, 2))], np.array([0, 7, 1]), verbose=0)


def test_empty_data_and_bad_arguments():
    model = two_input_classifier()
    with pytest.raises(ValueError, match=r"empty arrays \(0 samples\)"):
        model.fit([np.ones((0, 3)), np.ones((0, 2))], np.ones((0, 4)), verbose=0)
    with pytest.raises(ValueError, match="`epochs` must be an int >= 0"):
        model.fit([np.ones((2, 3)), np.ones((2, 2))], np.eye(4)[[0, 1]], epochs=-1, verbose=0)
    with pytest.raises(ValueError, match=r"`validation_split` must be in \(0, 1\)"):
        model.fit([np.ones((2, 3)), np.ones((2, 2))], np.eye(4)[[0, 1]], validation_split=1.5, verbose=0)


def test_loss_dict_naming_an_unknown_output():
    a = Input((3,))
    model = loom.Model(a, [Dense(1, name="score")(a), Dense(2, name="label")(a)])
    with pytest.raises(ValueError, match=r"names unknown output\(s\) 'scores' \(did you mean 'score'\?\)"):
        model.compile("adam", loss={"scores": "mse"})
    with pytest.raises(ValueError, match="has 3 entries but the model has 2 outputs"):
        model.compile("adam", loss=["mse", "mse", "mse"])


def test_nan_in_data_warns_naming_the_array():
    x = Input((2,))
    model = loom.Model(x, Dense(1)(x))
    model.compile("sgd", "mse")
    data = np.ones((4, 2), "float32")
    data[1, 0] = np.nan
    with pytest.warns(UserWarning, match=r"x contains NaN .*TerminateOnNaN"):
        model.fit(data, np.ones((4, 1)), verbose=0)


def test_compile_without_loss_cannot_fit():
    x = Input((2,))
    model = loom.Model(x, Dense(1)(x))
    model.compile("sgd")
    with pytest.raises(ValueError, match="compiled without a loss"):
        model.fit(np.ones((2, 2)), np.ones((2, 1)), verbose=0)
    with pytest.raises(ValueError, match="steps_per_execution"):
        model.compile("sgd", "mse", steps_per_execution=0)
