"""The epoch loops: how one epoch's steps (or one evaluation's) are cut into compiled calls.

A call runs one step when a callback needs every batch (Keras's default
``steps_per_execution=1``), ``k`` with ``steps_per_execution=k``, the rest of
the epoch when nothing needs calls within it, and otherwise enough steps for
one progress update. Any step runs this way, the built-in one or a model's own
(``training/step.py`` fuses them alike). After every call the state is written
back to the Variables, so callbacks see, and checkpoints save, a consistent state.
"""

import math
import time

import jax
import numpy as np

from loom.distribution import placement
from loom.training import data_adapters, row_chunks
from loom.training.interrupt_guard import deferred_interrupt
from loom.training.step import epoch_order


def split_chunk(step: int, size: int, full_batches: int, tail: int):
    """``(full steps, whether the partial batch follows)`` for a call running ``size`` of the
    epoch's steps from ``step`` (the partial batch, if any, is step ``full_batches``)."""
    count = max(0, min(size, full_batches - step))
    return count, bool(tail) and step + size > full_batches



def to_host(results: dict) -> dict:
    """Logs as Python floats (other arrays as NumPy), nested dicts merged in, order kept."""
    flat = {}
    if len(results) == 1 and placement.process_count() == 1:
        # One value (the usual loss alone): read directly, skipping device_get's tree walk.
        (name, value), = results.items()
        if isinstance(value, jax.Array) and value.ndim == 0:
            return {name: float(value)}
    for name, value in placement.to_host(results).items():
        if isinstance(value, dict):
            flat.update(to_host(value))
        else:
            flat[name] = float(value) if np.ndim(value) == 0 else np.asarray(value)
    return flat



def chunk_size(steps_per_execution, remaining: int, per_step, callback_list) -> int:
    """Steps for the next compiled call: the user's steps_per_execution, else one when
    a callback has batch hooks, else the whole rest of the epoch when nothing needs
    calls within it, else enough steps for about one call per progress update."""
    if isinstance(steps_per_execution, int):
        return min(steps_per_execution, remaining)
    if callback_list.needs_batch_hooks_for("train"):
        return 1  # Keras's default steps_per_execution=1: every batch reaches the hooks
    interval = getattr(callback_list, "update_interval_seconds", None)
    if interval is None:
        return remaining
    if per_step is None:
        return 1
    return max(1, min(remaining, int(interval / max(per_step, 1e-9))))


def train_epoch(
    model, training, data, samples, shuffle, full_batches, tail, batch_size, callback_list, epoch, start_step=0
) -> dict:
    """Run one epoch's steps from ``start_step``; returns the epoch's logs.

    After every compiled call the state is written back to the Variables (model,
    optimizer and metric accumulators) and ``_fit_position`` says how far the
    epoch got, so batch-level callbacks can checkpoint a consistent state.
    """
    binding, steps = training.binding, training.steps
    statics = {"batch_size": batch_size, "samples": samples, "tail": tail}
    order = placement.put_replicated(epoch_order(model._training_seed, epoch, samples, shuffle))
    # Resuming mid-epoch continues the epoch's accumulators, restored into the metrics.
    reset = start_step == 0
    step, logs, per_step = start_step, {}, None
    last = full_batches + (1 if tail else 0)
    while step < last:
        # Steps are numbered 0..last-1, the partial batch (if any) last.
        size = chunk_size(model.steps_per_execution, last - step, per_step, callback_list)
        count, with_tail = split_chunk(step, size, full_batches, tail)
        callback_list.on_train_batch_begin(step)
        started = time.perf_counter()
        with deferred_interrupt():  # the call donates the state until it is written back
            state, results = steps.train_chunk(
                binding.read(), data, model._run_key(), order, step, count, reset, with_tail, **statics
            )
            binding.write(state)
        logs = to_host(results)
        if not reset and count:  # the first call may include compiling
            per_step = (time.perf_counter() - started) / count
        reset = False
        step += count + int(with_tail)
        model._fit_position = (epoch, step)
        callback_list.on_train_batch_end(step - 1, logs)
        if model.stop_training:
            break
    if not logs:  # resumed exactly at the end of the epoch's steps
        logs = to_host(training.metrics.results([v.value for v in binding.metrics]))
    return dict(logs)


def evaluate_arrays(model, training, arrays, batch_size, steps_limit, hooks) -> dict:
    """Loss and metrics over array data, with the test hooks of every batch (of every
    ``steps_per_execution`` batches when the model sets it).

    Full batches go to the device in fixed-size chunks (the last one padded, its padding
    never evaluated), so a new data length compiles nothing new but its partial batch,
    which is evaluated at its own size, as in Keras.
    """
    data = row_chunks.host_arrays(arrays)
    if placement.process_count() > 1:  # each process's rows, one global dataset (see placement)
        data = placement.global_rows(data, "evaluate")
        batch_size *= placement.process_count()
    placement.check_batch_size(batch_size, "evaluate")
    count = data_adapters.check_sample_counts(data[0], "evaluate")
    full_batches, tail = divmod(count, batch_size)
    if steps_limit is not None:
        full_batches, tail = min(steps_limit, full_batches), (tail if steps_limit > full_batches else 0)
    last = full_batches + (1 if tail else 0)
    if isinstance(model.steps_per_execution, int):
        group = model.steps_per_execution
    elif hooks.needs_batch_hooks_for("test"):
        group = 1
    else:
        group = row_chunks.chunk_steps_for(model, "evaluate", data, max(1, full_batches), batch_size)
    state, binding = training.binding.read_for_test(), training.binding
    # Batches side by side in each chunk, as predict runs them (a divisor of the chunk's
    # batches); not in straight-line blocks (CPU convolutions), which run one batch a call.
    side_by_side = 1
    if full_batches and training.steps.jit and not training.steps.uses_blocks(state, data, batch_size):
        side_by_side = math.gcd(group, model._chunk_plan(data[0], batch_size, builtin=True)[1])
    metrics, logs, reset = state.metrics, {}, True
    for first in range(0, last, group):
        count_here, with_tail = split_chunk(first, group, full_batches, tail)
        hooks.on_test_batch_begin(first)
        if count_here:
            chunk = row_chunks.chunk_rows(data, first * batch_size, group * batch_size)
            metrics, results = training.steps.test_chunk(
                state._replace(metrics=metrics), chunk, 0, count_here, reset, batch_size=batch_size, tail=0,
                group=side_by_side,
            )
            reset = False
        if with_tail:
            rows = data_adapters.slice_rows(data, full_batches * batch_size, count)
            metrics, results = training.steps.test_batch(state._replace(metrics=metrics), rows, reset)
            reset = False
        logs = to_host(results)
        hooks.on_test_batch_end(first + count_here + int(with_tail) - 1, logs)
    # The metric accumulators hold the evaluation's state afterwards, as in Keras.
    binding.write_metrics(metrics)
    return logs
