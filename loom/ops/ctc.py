"""CTC (Connectionist Temporal Classification) ops: the loss of label sequences, and decoding of per-step scores.

Class ``mask_index`` is the blank ("no label at this step"). Decoded paths are
padded with -1 after their last label. ``loom.losses.CTC`` is the Keras loss
class on the same maths, for zero-padded labels.
"""

import jax
import jax.numpy as jnp
import optax

from loom.ops.core import convert_to_tensor
from loom.ops.operation import symbolic_op

_PAD = -1


def _paddings(lengths, max_length: int, dtype):
    """1.0 at steps at or past each sequence's length, 0.0 before (optax's padding convention)."""
    return (jnp.arange(max_length)[None, :] >= lengths[:, None]).astype(dtype)


@symbolic_op
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Minus the log-probability of each ``target`` sequence, summed over its alignments to ``output``.

    Args:
        target: integer labels ``(batch, max_label_length)``.
        output: logits ``(batch, max_steps, num_classes)`` (softmax is applied here).
        target_length: ``(batch,)`` label counts.
        output_length: ``(batch,)`` valid steps.
        mask_index: the blank class.

    Returns:
        ``(batch,)`` losses, in at least float32.
    """
    target = convert_to_tensor(target).astype(jnp.int32)
    output = convert_to_tensor(output)
    if target.ndim != 2 or output.ndim != 3:
        raise ValueError(
            "ops.ctc_loss needs `target` of shape (batch, max_label_length) and `output` of shape (batch, "
            f"max_steps, num_classes); received {tuple(target.shape)} and {tuple(output.shape)}."
        )
    output = output.astype(jnp.result_type(output.dtype, jnp.float32))
    label_paddings = _paddings(convert_to_tensor(target_length).astype(jnp.int32), target.shape[1], output.dtype)
    logit_paddings = _paddings(convert_to_tensor(output_length).astype(jnp.int32), output.shape[1], output.dtype)
    return optax.ctc_loss(output, logit_paddings, target, label_paddings, blank_id=mask_index)


def _greedy(inputs, lengths, merge_repeated: bool, blank: int):
    steps = inputs.shape[1]
    past_end = jnp.arange(steps)[None, :] >= lengths[:, None]
    labels = jnp.where(past_end, blank, jnp.argmax(inputs, axis=-1))
    scores = -jnp.sum(jnp.where(past_end, 0.0, jnp.max(inputs, axis=-1)), axis=1, keepdims=True)
    if merge_repeated:
        repeated = jnp.pad(labels[:, 1:] == labels[:, :-1], ((0, 0), (1, 0)))
        labels = jnp.where(repeated, blank, labels)
    dropped = labels == blank
    # A stable sort of (dropped, step) moves the kept labels to the front in their order.
    order = jnp.argsort(dropped, axis=-1, stable=True)
    labels = jnp.take_along_axis(jnp.where(dropped, _PAD, labels), order, axis=-1)
    return labels[None], scores


def _merge(paths, scores):
    """Unique rows of ``paths``, and ``scores`` of equal rows added in probability space."""
    unique, inverse = jnp.unique(paths, axis=0, return_inverse=True, size=paths.shape[0], fill_value=_PAD)
    merged = jax.ops.segment_sum(jnp.exp(scores - jnp.max(scores)), inverse.reshape(-1), paths.shape[0])
    return unique, jnp.log(merged) + jnp.max(scores)


def _beam_search_one(logprobs, length, beam_width: int, top_paths: int, blank: int):
    """Prefix beam search over one sequence's (steps, classes) log-probabilities."""
    steps, classes = logprobs.shape
    entries = 2 * beam_width  # each kept prefix twice: ending in a label, ending in a blank
    first = jnp.argsort(-logprobs[0])[: min(classes, beam_width)]
    paths = (
        jnp.full((entries, steps), _PAD, jnp.int32).at[: first.shape[0], 0].set(jnp.where(first == blank, _PAD, first))
    )
    scores = jnp.full((entries,), -jnp.inf, logprobs.dtype).at[: first.shape[0]].set(logprobs[0, first])
    blank_ended = jnp.ones((entries,), bool).at[: first.shape[0]].set(first == blank)

    def extend(state, step_logprobs):
        paths, scores, blank_ended = state
        ends = jnp.sum(paths != _PAD, axis=1)  # each prefix's length
        last = jnp.take_along_axis(paths, jnp.maximum(ends - 1, 0)[:, None], axis=1)[:, 0]
        last = jnp.where(ends == 0, _PAD, last)
        c = jnp.arange(classes)[None, :]
        appends = (c != blank) & ~((c == last[:, None]) & ~blank_ended[:, None])  # (entries, classes)
        position = jnp.where(appends, ends[:, None], steps)  # `steps` is out of range: no write
        grown = jnp.repeat(paths[:, None, :], classes, axis=1)
        grown = jax.vmap(jax.vmap(lambda p, i, v: p.at[i].set(v, mode="drop")))(
            grown, position, jnp.broadcast_to(c, position.shape)
        ).reshape(-1, steps)
        new_scores = (scores[:, None] + step_logprobs[None, :]).reshape(-1)
        new_blank = jnp.broadcast_to(c == blank, (entries, classes)).reshape(-1)
        unique, emit = _merge(grown, jnp.where(new_blank, -jnp.inf, new_scores))
        _, blanks = _merge(grown, jnp.where(new_blank, new_scores, -jnp.inf))
        keep = jnp.argsort(-jnp.logaddexp(emit, blanks), stable=True)[:beam_width]
        return (
            jnp.concatenate([unique[keep], unique[keep]]),
            jnp.concatenate([emit[keep], blanks[keep]]),
            jnp.concatenate([jnp.zeros(beam_width, bool), jnp.ones(beam_width, bool)]),
        )

    def step(state, inputs):
        step_logprobs, active = inputs
        return jax.lax.cond(active, extend, lambda s, _: s, state, step_logprobs), None

    active = jnp.arange(1, steps) < length
    (paths, scores, _), _ = jax.lax.scan(step, (paths, scores, blank_ended), (logprobs[1:], active))
    paths, scores = _merge(paths, scores)
    best = jnp.argsort(-scores, stable=True)[:top_paths]
    return paths[best], scores[best]


@symbolic_op
def ctc_decode(
    inputs,
    sequence_lengths,
    strategy="greedy",
    beam_width=100,
    top_paths=1,
    merge_repeated=True,
    mask_index=0,
):
    """Label sequences read from per-step class scores.

    Args:
        inputs: scores ``(batch, max_steps, num_classes)``.
        sequence_lengths: ``(batch,)`` valid steps.
        strategy: "greedy" (best class per step) or "beam_search" (the
            ``top_paths`` most likely label sequences, by prefix beam search over
            the log-softmax of ``inputs``).
        beam_width: prefixes kept per step in beam search.
        top_paths: sequences returned by beam search.
        merge_repeated: in greedy decoding, collapse repeated labels.
        mask_index: the blank class; None means the last class.

    Returns:
        ``(paths, scores)``: paths ``(top_paths, batch, max_steps)`` padded with
        -1 (``top_paths`` is 1 for greedy); scores ``(batch, top_paths)`` — minus
        the summed best scores for greedy, log-probabilities for beam search.
    """
    inputs = convert_to_tensor(inputs)
    if inputs.ndim != 3:
        raise ValueError(
            f"ops.ctc_decode needs scores of shape (batch, max_steps, num_classes); received {tuple(inputs.shape)}."
        )
    inputs = inputs.astype(jnp.result_type(inputs.dtype, jnp.float32))
    lengths = convert_to_tensor(sequence_lengths).astype(jnp.int32)
    blank = inputs.shape[-1] - 1 if mask_index is None else int(mask_index)
    if strategy == "greedy":
        return _greedy(inputs, lengths, merge_repeated, blank)
    if strategy != "beam_search":
        raise ValueError(
            f"ops.ctc_decode: `strategy` must be 'greedy' or 'beam_search'; received strategy={strategy!r}."
        )
    search = jax.vmap(lambda x, n: _beam_search_one(x, n, beam_width, top_paths, blank))
    paths, scores = search(jax.nn.log_softmax(inputs), lengths)
    return jnp.transpose(paths, (1, 0, 2)), scores
