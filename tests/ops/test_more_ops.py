"""CTC, rearrange, depth_to_space / space_to_depth and fold / unfold against keras.ops and numpy."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import loom
from loom import ops

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

rng = np.random.default_rng(5)
LOGITS = rng.standard_normal((3, 8, 5)).astype("float32")
STEPS = np.array([8, 5, 7], "int32")
LABELS = rng.integers(1, 5, (3, 4)).astype("int32")
LABEL_LENGTHS = np.array([4, 2, 3], "int32")
IMAGES = rng.standard_normal((2, 6, 4, 8)).astype("float32")


def close(actual, expected, atol=1e-5):
    for a, e in zip(jax.tree_util.tree_leaves(actual), jax.tree_util.tree_leaves(expected)):
        assert np.shape(a) == np.shape(e), (np.shape(a), np.shape(e))
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=1e-5, atol=atol)


# --- CTC -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mask_index", [0, 4])
def test_ctc_loss_matches_keras_and_its_gradient_too(mask_index):
    labels = np.where(LABELS == mask_index, 1, LABELS)
    args = (labels, LOGITS, LABEL_LENGTHS, STEPS)
    close(ops.ctc_loss(*args, mask_index=mask_index), keras.ops.ctc_loss(*args, mask_index=mask_index))

    def grad(fn):
        return jax.grad(lambda x: jnp.sum(fn(labels, x, LABEL_LENGTHS, STEPS, mask_index=mask_index)))(LOGITS)

    close(grad(ops.ctc_loss), grad(keras.ops.ctc_loss), atol=1e-4)


def test_ctc_loss_equals_the_sum_over_alignments_of_a_tiny_case():
    # Two steps, label "1": alignments "11", "1-", "-1" (blank 0).
    probs = np.array([[[0.3, 0.7], [0.6, 0.4]]], "float32")
    expected = -np.log(0.7 * 0.4 + 0.7 * 0.6 + 0.3 * 0.4)
    got = ops.ctc_loss(np.array([[1]]), np.log(probs), np.array([1]), np.array([2]))
    close(got, np.array([expected], "float32"))


def test_ctc_loss_agrees_with_the_ctc_loss_class():
    labels = np.where(np.arange(4)[None, :] < LABEL_LENGTHS[:, None], LABELS, 0)
    full = np.full(3, 8, "int32")
    close(ops.ctc_loss(labels, LOGITS, LABEL_LENGTHS, full), loom.losses.ctc(labels, LOGITS), atol=1e-4)


@pytest.mark.parametrize("merge_repeated", [True, False])
@pytest.mark.parametrize("mask_index", [0, 2, None])
def test_ctc_greedy_decode_matches_keras(merge_repeated, mask_index):
    kwargs = {"merge_repeated": merge_repeated, "mask_index": mask_index}
    close(ops.ctc_decode(LOGITS, STEPS, **kwargs), keras.ops.ctc_decode(LOGITS, STEPS, **kwargs))


def test_ctc_greedy_decode_collapses_repeats_and_drops_blanks():
    best = np.array([[1, 1, 0, 1, 2, 2, 0, 0]])
    logits = np.where(np.arange(3)[None, None, :] == best[..., None], 5.0, 0.0).astype("float32")
    paths, scores = ops.ctc_decode(logits, np.array([6]))
    np.testing.assert_array_equal(np.asarray(paths)[0, 0], [1, 1, 2, -1, -1, -1, -1, -1])
    close(scores, np.array([[-30.0]], "float32"))


@pytest.mark.parametrize(
    "beam_width, top_paths, mask_index", [(4, 2, 0), pytest.param(10, 3, None, marks=pytest.mark.slow)]
)
def test_ctc_beam_search_decode_matches_keras(beam_width, top_paths, mask_index):
    args = (LOGITS, STEPS, "beam_search", beam_width, top_paths)
    got = ops.ctc_decode(*args, mask_index=mask_index)
    expected = keras.ops.ctc_decode(*args, mask_index=mask_index)
    np.testing.assert_array_equal(np.asarray(got[0]), np.asarray(expected[0]))
    close(got[1], expected[1], atol=1e-4)


def test_ctc_beam_search_scores_are_exact_log_probabilities_when_the_beam_holds_everything():
    logits = rng.standard_normal((1, 3, 3)).astype("float32")
    logp = np.asarray(jax.nn.log_softmax(logits))[0]
    totals = {}
    for a in range(3):
        for b in range(3):
            for c in range(3):
                collapsed = [k for i, k in enumerate((a, b, c)) if k != 0 and (i == 0 or k != (a, b, c)[i - 1])]
                key = tuple(collapsed)
                totals[key] = totals.get(key, 0.0) + np.exp(logp[0, a] + logp[1, b] + logp[2, c])
    best = max(totals, key=totals.get)
    paths, scores = ops.ctc_decode(logits, np.array([3]), "beam_search", beam_width=50, top_paths=1)
    assert tuple(int(v) for v in np.asarray(paths)[0, 0] if v >= 0) == best
    close(scores, np.array([[np.log(totals[best])]], "float32"), atol=1e-5)


def test_ctc_decode_rejects_unknown_strategy():
    with pytest.raises(ValueError, match="'greedy' or 'beam_search'"):
        ops.ctc_decode(LOGITS, STEPS, strategy="viterbi")
    with pytest.raises(ValueError, match=r"\(batch, max_steps, num_classes\)"):
        ops.ctc_decode(LOGITS[0], STEPS)


def test_ctc_ops_on_symbolic_tensors():
    logits = loom.Input((8, 5))
    lengths = loom.Input((), dtype="int32")
    paths, scores = ops.ctc_decode(logits, lengths)
    assert paths.shape == (1, None, 8) and scores.shape == (None, 1)
    beams, beam_scores = ops.ctc_decode(logits, lengths, "beam_search", beam_width=4, top_paths=2)
    assert beams.shape == (2, None, 8) and beam_scores.shape == (None, 2)
    labels = loom.Input((4,), dtype="int32")
    loss = ops.ctc_loss(labels, logits, lengths, lengths)
    assert loss.shape == (None,)


# --- rearrange -------------------------------------------------------------------------------------
PATTERNS = [
    ("b (h w) c -> b c h w", {"h": 2}),
    ("b t c -> c b t", {}),
    ("b t c -> b (t c)", {}),
    ("b (h w) c -> (b w) h c", {"w": 3}),
]


@pytest.mark.parametrize("pattern, lengths", PATTERNS, ids=[p for p, _ in PATTERNS])
def test_rearrange_matches_keras_and_in_a_model(pattern, lengths):
    x = rng.standard_normal((2, 6, 5)).astype("float32")
    close(ops.rearrange(x, pattern, **lengths), keras.ops.rearrange(x, pattern, **lengths))
    if pattern.split("->")[1].split()[0] == "b":
        inputs = loom.Input((6, 5))
        out = ops.rearrange(inputs, pattern, **lengths)
        assert out.shape == (None, *np.shape(ops.rearrange(x, pattern, **lengths))[1:])
        close(loom.Model(inputs, out).predict(x, verbose=0), ops.rearrange(x, pattern, **lengths))


@pytest.mark.parametrize(
    "pattern, lengths, match",
    [
        ("b t c", {}, "'<input axes> -> <output axes>'"),
        ("b t -> b t", {}, "names 2 axes but the tensor has 3"),
        ("b t c -> b t", {}, "same axes"),
        ("b (h w) c -> b h w c", {}, "give all but one"),
        ("b (h w) c -> b h w c", {"h": 4}, "cannot be split"),
        ("b t c -> b [t] c", {}, "unexpected '\\['"),
    ],
)
def test_rearrange_rejects_bad_patterns_in_words(pattern, lengths, match):
    with pytest.raises(ValueError, match=match):
        ops.rearrange(np.zeros((2, 6, 5)), pattern, **lengths)


# --- depth_to_space / space_to_depth ---------------------------------------------------------------
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_depth_to_space_and_back_match_keras(data_format):
    x = rng.standard_normal((2, 8, 6, 8)).astype("float32")
    close(ops.depth_to_space(x, 2, data_format), keras.ops.depth_to_space(x, 2, data_format))
    close(ops.space_to_depth(x, 2, data_format), keras.ops.space_to_depth(x, 2, data_format))
    close(ops.space_to_depth(ops.depth_to_space(x, 2, data_format), 2, data_format), x)


def test_depth_to_space_places_channels_in_blocks():
    x = np.arange(4.0, dtype="float32").reshape(1, 1, 1, 4)
    close(ops.depth_to_space(x, 2)[0, :, :, 0], np.array([[0.0, 1.0], [2.0, 3.0]], "float32"))


def test_block_ops_reject_bad_arguments():
    with pytest.raises(ValueError, match="divisible by block_size\\*\\*2"):
        ops.depth_to_space(np.zeros((1, 2, 2, 6), "float32"), 2)
    with pytest.raises(ValueError, match="divisible by block_size=2"):
        ops.space_to_depth(np.zeros((1, 3, 2, 1), "float32"), 2)
    with pytest.raises(ValueError, match="int >= 2"):
        ops.depth_to_space(np.zeros((1, 2, 2, 4), "float32"), 1)


# --- unfold / fold ---------------------------------------------------------------------------------
UNFOLD = [
    {"kernel_size": 2},
    {"kernel_size": (2, 3), "dilation": (1, 2), "padding": (1, 0), "stride": (2, 1)},
    {"kernel_size": 3, "padding": 1, "stride": 2},
]


@pytest.mark.parametrize("kwargs", UNFOLD)
def test_unfold_matches_keras(kwargs):
    close(ops.unfold(IMAGES, **kwargs), keras.ops.unfold(IMAGES, **kwargs))


@pytest.mark.parametrize("kwargs", UNFOLD)
def test_fold_matches_keras_and_is_the_adjoint_of_unfold(kwargs):
    x = rng.standard_normal((2, 6, 4, 8)).astype("float32")
    columns = ops.unfold(x, **kwargs)
    close(ops.fold(columns, (4, 8), **kwargs), keras.ops.fold(np.asarray(columns), (4, 8), **kwargs))
    y = rng.standard_normal(columns.shape).astype("float32")
    # <unfold(x), y> == <x, fold(y)> for the adjoint pair.
    close(np.sum(np.asarray(columns) * y), np.sum(x * np.asarray(ops.fold(y, (4, 8), **kwargs))), atol=1e-3)


def test_unfold_columns_hold_each_block_in_channel_row_column_order():
    x = np.arange(2 * 3 * 3, dtype="float32").reshape(1, 2, 3, 3)
    columns = np.asarray(ops.unfold(x, 2))
    assert columns.shape == (1, 8, 4)
    np.testing.assert_array_equal(columns[0, :, 0], np.concatenate([x[0, 0, :2, :2].ravel(), x[0, 1, :2, :2].ravel()]))


def test_fold_and_unfold_reject_bad_shapes():
    with pytest.raises(ValueError, match="channels-first batch"):
        ops.unfold(IMAGES[0], 2)
    with pytest.raises(ValueError, match="must have a multiple of 4 rows and 6 blocks"):
        ops.fold(np.zeros((1, 4, 5), "float32"), (4, 6), 2, stride=2)
    with pytest.raises(ValueError, match="`kernel_size` must be an int >= 1"):
        ops.unfold(IMAGES, 0)


# --- symbolic shapes and jit for the block ops -----------------------------------------------------------
SYMBOLIC = [
    ("depth_to_space", lambda x: ops.depth_to_space(x, 2), (6, 4, 8)),
    ("space_to_depth", lambda x: ops.space_to_depth(x, 2), (6, 4, 8)),
    ("unfold", lambda x: ops.unfold(x, 2, padding=1), (6, 4, 8)),
    ("fold", lambda x: ops.fold(x, (4, 6), 2, stride=2), (8, 6)),
    ("adaptive_average_pool", lambda x: ops.adaptive_average_pool(x, 3), (6, 4, 8)),
    ("adaptive_max_pool", lambda x: ops.adaptive_max_pool(x, (2, 3)), (6, 4, 8)),
]


@pytest.mark.parametrize("name, fn, shape", SYMBOLIC, ids=[c[0] for c in SYMBOLIC])
def test_block_ops_build_models_with_eager_shapes_and_compile(name, fn, shape):
    x = rng.standard_normal((2, *shape)).astype("float32")
    eager = fn(x)
    inputs = loom.Input(shape)
    outputs = fn(inputs)
    assert outputs.shape == (None, *eager.shape[1:])
    close(loom.Model(inputs, outputs).predict(x, verbose=0), eager)
    close(jax.jit(fn)(x), eager)


def test_new_ops_have_kerass_signatures():
    import inspect

    for name in ["ctc_loss", "ctc_decode", "stft", "istft", "rearrange", "depth_to_space", "space_to_depth",
                 "adaptive_average_pool", "adaptive_max_pool", "fold", "unfold"]:  # fmt: skip
        assert inspect.signature(getattr(ops, name)) == inspect.signature(getattr(keras.ops, name)), name
    for name in [n for n in dir(keras.ops.image) if not n.startswith("_")]:
        assert inspect.signature(getattr(ops.image, name)) == inspect.signature(getattr(keras.ops.image, name)), name
