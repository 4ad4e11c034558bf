"""Acceptance for the training issue: every seed model learns its synthetic signal."""

import numpy as np

import loom
from loom.demo import seeds


def test_a_dot_product_model_learns_and_keeps_unit_norm_columns():
    model = seeds.dot_product_model(n_docs=60, query_dim=30, units=16)
    x, y = seeds.dot_product_data(samples=256, n_docs=60, query_dim=30)
    model.compile(loom.optimizers.Adam(0.01), "mse")
    history = model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 3
    kernel = model.get_layer("ld").get_weights()[0]
    np.testing.assert_allclose(np.linalg.norm(kernel, axis=0), 1.0, rtol=1e-5)


def test_b_constant_subset_model_classifies_above_chance():
    x_pk, c, x, y = seeds.constant_subset_data(samples=512)
    model = seeds.constant_subset_model(x_pk, c)
    model.compile(loom.optimizers.Adam(0.05), "categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 1.5
    assert history.history["accuracy"][-1] > 0.7  # chance is 1/3


def test_c_mixture_learns_and_its_weights_stay_on_the_simplex():
    model = seeds.mixture_model()
    xs, y = seeds.mixture_data(samples=1000)
    model.compile(loom.optimizers.Adam(0.003), "mse")
    history = model.fit(xs, y, epochs=20, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 3
    weights = model.get_layer("mix").mixture_weights
    assert np.all(weights > 0) and abs(weights.sum() - 1.0) < 1e-6
    assert not np.allclose(weights, 1 / 3)  # the mixture moved


def test_d_siamese_model_tells_authors_apart():
    model, _, _, _ = seeds.siamese_model()
    xs, y = seeds.siamese_data(samples=512)
    model.compile("rmsprop", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(xs, y, epochs=15, batch_size=32, verbose=0, validation_split=0.2)
    assert history.history["loss"][-1] < history.history["loss"][0] / 2
    assert history.history["val_accuracy"][-1] > 0.85  # chance is 0.5


def test_e_ensemble_of_trained_members():
    x, y = seeds.ensemble_data(samples=600)
    members = [seeds.make_model((4,), d) for d in (8, 10, 12)]
    for member in members:
        member.compile(loom.optimizers.Adam(0.02), "categorical_crossentropy", metrics=["accuracy"])
        history = member.fit(x, y, epochs=15, batch_size=32, verbose=0)
        assert history.history["accuracy"][-1] > 0.75  # chance is about 0.4
    ensemble, _ = seeds.ensemble_model(members, [np.ones(3)] * 3)
    ensemble.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    _, accuracy = ensemble.evaluate([x, x, x], y, verbose=0)
    assert accuracy > 0.75
