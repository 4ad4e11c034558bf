"""Acceptance for the core issue: each seed model builds, summarizes and predicts correctly."""

import numpy as np
import pytest

from loom.demo import seeds


def summary_of(model):
    lines = []
    model.summary(print_fn=lines.append)
    return lines[0]


def test_a_shared_unit_norm_layer_dotted_with_a_projection():
    model = seeds.dot_product_model(n_docs=50, query_dim=20, units=8)
    text = summary_of(model)
    assert "ld (Dense)" in text and "ld[0][0]" in text and "ld[1][0]" in text
    (g, d_pos, d_neg), _ = seeds.dot_product_data(samples=6, n_docs=50, query_dim=20)
    out = model.predict([g, d_pos, d_neg])
    lt_kernel, lt_bias = model.get_layer("lt").get_weights()
    ld_kernel, ld_bias = model.get_layer("ld").get_weights()

    def softmax(z):
        e = np.exp(z - z.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    lt = g @ lt_kernel + lt_bias
    summed = (lt * softmax(d_pos @ ld_kernel + ld_bias)).sum(-1) + (lt * softmax(d_neg @ ld_kernel + ld_bias)).sum(-1)
    expected = np.where(summed > 0.5, summed, 0.0)[:, None]
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    assert model.get_layer("ld").kernel.constraint is not None
    assert len(model.losses) == 1  # the L2 penalty of the shared kernel


def test_b_constant_subset_with_per_element_weights():
    x_pk, c, x, _ = seeds.constant_subset_data(samples=5, m=4, n=4)
    model = seeds.constant_subset_model(x_pk, c)
    assert [t.name for t in model.inputs] == ["x", "x_pk"]
    out = model.predict(x)  # the constant input is never fed
    scale = model.get_layer("a_pk").get_weights()[0]
    assert scale.shape == (1, 4, 4)
    f = np.exp((x[:, None, :] - x_pk[None]) / c.reshape(1, 1, 4)) * scale
    logits = f.sum(-1)
    expected = np.exp(logits - logits.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(out, expected, rtol=1e-5)


def test_c_three_mlps_mixed_by_weights_on_the_simplex():
    model = seeds.mixture_model()
    xs, _ = seeds.mixture_data(samples=8)
    mix = model.get_layer("mix")
    mix.set_weights([np.array([0.5, -1.0, 2.0], "float32")])
    weights = mix.mixture_weights
    assert np.all(weights > 0) and abs(weights.sum() - 1.0) < 1e-6
    names = ["dense", "dense_1", "dense_2", "dense_3", "dense_4", "dense_5"]  # auto names, branch by branch
    outs = []
    for i in range(3):
        (k1, b1), (k2, b2) = (model.get_layer(names[2 * i + j]).get_weights() for j in (0, 1))
        outs.append(np.maximum(xs[i] @ k1 + b1, 0) @ k2 + b2)
    np.testing.assert_allclose(model.predict(xs), sum(w * o for w, o in zip(weights, outs)), rtol=1e-4, atol=1e-5)


def test_d_shared_tower_and_the_node_api():
    model, shared, encoded_a, encoded_b = seeds.siamese_model(features=16, units=4)
    assert shared.get_output_at(0) is encoded_a
    assert shared.get_output_at(1) is encoded_b
    assert shared.get_input_shape_at(1) == (None, 16)
    assert shared.input_shape == (None, 16)  # same shape for both calls
    with pytest.warns(UserWarning, match="2 inbound nodes"):
        assert shared.output is encoded_a  # the first call's, as in Keras 3
    xs, _ = seeds.siamese_data(samples=6, features=16)
    assert model.predict(xs).shape == (6, 1)
    # The concatenation's inputs are the shared layer's two calls (node 0 and node 1); at
    # 80 columns a cell is cut after its node index, in Keras as in loom.
    summary = summary_of(model)
    assert "shared_tower[0][" in summary and "shared_tower[1][" in summary


def test_e_weighted_ensemble_and_intermediate_outputs_match_numpy():
    members = [seeds.make_model((4,), d) for d in (8, 10, 12)]
    class_weights = [np.array([0.9, 0.5, 0.2]), np.array([0.3, 0.8, 0.6]), np.array([0.4, 0.4, 1.0])]
    ensemble, probe = seeds.ensemble_model(members, class_weights)
    x, _ = seeds.ensemble_data(samples=10)
    branches = probe.predict([x, x, x])
    member_outputs = [m.predict(x) for m in members]
    for branch, out, w in zip(branches, member_outputs, class_weights):
        np.testing.assert_allclose(branch, out * w, rtol=1e-5)
    np.testing.assert_allclose(ensemble.predict([x, x, x]), np.mean(branches, axis=0), rtol=1e-5)
