"""Seed 000 (a Keras 1 user multiplying the outputs of layers) run through loom.legacy.

The asker's code is kept call for call; only the imports change (``keras`` ->
``loom``), and ``[pretrained bit]`` in the question becomes ``Dense(128)``.
As posted, the code dots ``lt`` (128 units) with the raw input ``d_pos``
(``n_docs`` units), which Keras 1 reported as a Theano error at compile time;
loom reports it in words at that line. The model the question describes (the
dot of O1 with O2 and with O3: ``ld_pos``/``ld_neg``) then builds, trains and
predicts.
"""

import numpy as np
import pytest

from loom import backend as K
from loom.layers import ActivityRegularization, ThresholdedReLU
from loom.legacy import Dense, Graph, Merge, unitnorm
from loom.models import Sequential
from loom.regularizers import l2

n_docs = 1000
SAMPLES = 64


def build_seed_graph(pos_input="d_pos", neg_input="d_neg"):
    """The question's code; ``pos_input``/``neg_input`` are the names it dots ``lt`` with."""
    ntm = Graph()
    ntm.add_input(name="g", input_shape=(300,))  # Vector of 300 units, normally distributed around zero
    ntm.add_node(Dense(128), name="lt", input="g")  # 300 * 128, output = (,128)
    ntm.add_input("d_pos", input_shape=(n_docs,))  # (,n_docs)
    ntm.add_input("d_neg", input_shape=(n_docs,))  # (,n_docs)

    ntm.add_shared_node(
        Dense(
            128,
            activation="softmax",
            #                      weights = pretrained_W1,
            W_constraint=unitnorm(),
            W_regularizer=l2(0.001),
        ),
        name="ld",
        inputs=["d_pos", "d_neg"],
        outputs=["ld_pos", "ld_neg"],
        merge_mode=None,
    )  # n_docs * 128, output = (,128) * 2
    ntm.add_shared_node(
        ActivityRegularization(0, 0),  # ActivityRegularization is being used as a passthrough
        name="ls_pos",
        inputs=["lt", pos_input],
        merge_mode="dot",
    )  # output = (,1)
    ntm.add_shared_node(ActivityRegularization(0, 0), name="ls_neg", inputs=["lt", neg_input], merge_mode="dot")
    ntm.add_shared_node(ActivityRegularization(0, 0), name="summed", inputs=["ls_pos", "ls_neg"], merge_mode="sum")
    ntm.add_node(ThresholdedReLU(0.5), input="summed", name="loss")  # output = (,1)
    ntm.add_output(name="loss_out", input="loss")

    def obj(X, Y):
        return K.sum(Y)

    ntm.compile(loss={"loss_out": obj}, optimizer="sgd")
    return ntm


# obj sums its batch's predictions, so plain SGD takes steps that grow with the batch:
# batches of 8 train steadily (batches of 32 overshoot).
def seed_data(rng):
    # Document-term counts for d_pos/d_neg make the softmax over 128 topics peaked, so the
    # dot products reach the 0.5 threshold and the loss starts above zero.
    return {
        "g": rng.normal(size=(SAMPLES, 300)).astype("float32"),
        "d_pos": rng.poisson(2.0, size=(SAMPLES, n_docs)).astype("float32"),
        "d_neg": rng.poisson(2.0, size=(SAMPLES, n_docs)).astype("float32"),
        "loss_out": np.zeros((SAMPLES, 1), "float32"),  # obj ignores its targets
    }


def test_seed_code_as_posted_reports_the_dot_of_mismatched_nodes_in_words():
    with pytest.raises(ValueError) as info:
        build_seed_graph()
    message = str(info.value)
    assert "add_shared_node('ls_pos')" in message
    assert "merge_mode='dot'" in message and "['lt', 'd_pos']" in message
    assert "(None, 128) and (None, 1000)" in message


def test_seed_graph_trains_and_predicts_with_the_loss_decreasing():
    ntm = build_seed_graph("ld_pos", "ld_neg")
    data = seed_data(np.random.default_rng(0))
    before = ntm.evaluate(data)
    history = ntm.fit(data, nb_epoch=2, batch_size=8, verbose=0)
    after = ntm.evaluate(data)
    losses = history.history["loss"]
    assert len(losses) == 2
    assert before > 0 and after < before and losses[1] < losses[0]
    predictions = ntm.predict(data)
    assert list(predictions) == ["loss_out"] and predictions["loss_out"].shape == (SAMPLES, 1)
    # ThresholdedReLU(0.5): every prediction is 0 or above the threshold.
    values = predictions["loss_out"]
    assert np.all((values == 0) | (values > 0.5))


def test_seed_shared_dense_has_one_kernel_kept_unit_norm_by_its_constraint():
    ntm = build_seed_graph("ld_pos", "ld_neg")
    ntm.fit(seed_data(np.random.default_rng(1)), nb_epoch=1, batch_size=32, verbose=0)
    shared = ntm.get_layer("ld")
    kernel = shared.get_weights()[0]
    assert kernel.shape == (n_docs, 128)
    np.testing.assert_allclose(np.linalg.norm(kernel, axis=0), 1.0, rtol=1e-5)
    assert shared.kernel_regularizer.l2 == pytest.approx(0.001)
    # Both calls of the shared node read the same kernel: one Dense of 1000 * 128 + 128 weights.
    assert sum(w.size for w in shared.get_weights()) == n_docs * 128 + 128


def test_seed_answer_merge_of_sequentials_explains_the_functional_spelling():
    # The answer's suggestion: main_branch.add(Merge([branch_1, branch_2], mode='dot')).
    branch_1 = Sequential()
    branch_1.add(Dense(8, input_dim=4))
    branch_2 = Sequential()
    branch_2.add(Dense(8, input_dim=6))
    main_branch = Sequential()
    with pytest.raises(TypeError) as info:
        main_branch.add(Merge([branch_1, branch_2], mode="dot"))
    message = str(info.value)
    assert "Sequential holds one input" in message
    assert f"Dot(axes=-1)([{branch_1.name}.output, {branch_2.name}.output])" in message
    assert f"Model(inputs=[{branch_1.name}.input, {branch_2.name}.input]" in message
