"""Predictor: predict and predict_on_batch, mixed into ``Model``, and what they share with training.

A batch's outputs come from the model's ``predict_step`` (the default calls the
model in inference mode), jitted once per model; callbacks' predict hooks see
each batch (each ``steps_per_execution`` batches) with its outputs, as in Keras.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np

from loom import callbacks as callbacks_module
from loom.config import run_limits
from loom.distribution import placement
from loom.state import autocast_scope, stateless_scope
from loom.training import accepted_inputs, data_adapters, row_chunks
from loom.training.row_independence import rows_are_independent
from loom.training.step import SLOW_IN_CPU_LOOPS, uses_primitives
from loom.training.step_adapter import StepAdapter, uses_builtin


class Predictor:
    """predict / predict_on_batch for models."""

    def _callback_list(self, callbacks, verbose, epochs, steps, add_history: bool = True):
        # evaluate and predict add no History: model.history stays the last fit's.
        return callbacks_module.CallbackList(
            callbacks, add_history=add_history, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=epochs,
            steps=steps,
        )

    def _ensure_built(self, x) -> None:
        """Build a model whose weights do not exist yet by calling it on a sample."""
        if not self.built:
            self(data_adapters.slice_rows(x, 0, 1))

    def _checked_inputs(self, x, method: str, what: str):
        """``(x, count)``: inputs converted and checked against the model (built on first
        use), the checks skipped for inputs shaped like inputs ``method`` accepted before
        (see accepted_inputs.py)."""
        hit = accepted_inputs.lookup(self, method, x)
        if hit is not None:
            return hit
        given = x
        x = data_adapters.convert_inputs(self, x, what)
        self._ensure_built(x)
        count = data_adapters.validate_inputs(self, x, what)
        accepted_inputs.remember(self, method, given, x, count)
        return x, count

    def _variable_values(self):
        if stateless_scope.in_stateless_scope() or autocast_scope.get_autocast_scope() is not None:
            return [v.value for v in self.trainable_variables], [v.value for v in self.non_trainable_variables]
        # Outside any scope a value is the stored array: read it without the scope lookups.
        return [v._value for v in self.trainable_variables], [v._value for v in self.non_trainable_variables]

    def _predict_step(self, builtin: bool):
        """``(trainable, non_trainable, batch) -> outputs`` of one batch, not jitted."""
        if builtin:

            def predict_step(trainable, non_trainable, batch):
                batch = placement.constrain_batch(batch)  # split over the devices under a distribution
                outputs, _ = self.stateless_call(trainable, non_trainable, batch, training=False)
                return outputs

            return predict_step
        adapted = StepAdapter(self, []).predict
        return lambda trainable, non_trainable, batch: adapted(trainable, non_trainable, placement.constrain_batch(batch))

    def _predict_jit(self) -> bool:
        return getattr(self, "jit_compile", True) and not getattr(self, "run_eagerly", False)

    def _predict_function(self):
        """``(trainable, non_trainable, batch) -> outputs``, jitted (cached per model and mode):
        the model's ``predict_step`` when a subclass overrides it."""
        jit, builtin = self._predict_jit(), uses_builtin(self, "predict")
        cached = self.__dict__.get("_compiled_predict")
        if cached is not None and cached[0] == (jit, builtin):
            return cached[1]
        predict_step = self._predict_step(builtin)
        function = jax.jit(predict_step) if jit else predict_step
        self.__dict__["_compiled_predict"] = ((jit, builtin), function)
        return function

    def _predict_chunk_function(self, steps: int, batch_size: int, group: int = 1):
        """``(trainable, non_trainable, chunk, count) -> outputs``: the first ``count`` of the
        chunk's ``steps`` batches predicted in one compiled loop, outputs stacked by batch
        (the rest stay zero). Each turn of the loop predicts ``group`` batches side by side
        (``vmap``: each batch still computed as its own batch), so small batches make
        large matrix products. Cached per model, mode, chunk shape and group."""
        builtin = uses_builtin(self, "predict")
        cache = self.__dict__.setdefault("_compiled_predict_chunks", {})
        key = (builtin, steps, batch_size, group)
        if key not in cache:
            predict_step = self._predict_step(builtin)
            turns = steps // group

            def predict_chunk(trainable, non_trainable, chunk, count):
                groups = jax.tree_util.tree_map(lambda a: a.reshape((turns, group, batch_size) + a.shape[1:]), chunk)

                def predict_group(index):
                    batches = jax.tree_util.tree_map(lambda a: a[index], groups)
                    if group == 1:
                        one = predict_step(trainable, non_trainable, jax.tree_util.tree_map(lambda a: a[0], batches))
                        return jax.tree_util.tree_map(lambda o: o[None], one)
                    return jax.vmap(lambda batch: predict_step(trainable, non_trainable, batch))(batches)

                shapes = jax.eval_shape(predict_group, 0)
                stacked = jax.tree_util.tree_map(lambda s: jnp.zeros((turns,) + s.shape, s.dtype), shapes)

                def body(index, stacked):
                    outputs = predict_group(index)
                    return jax.tree_util.tree_map(lambda buffer, o: buffer.at[index].set(o), stacked, outputs)

                stacked = jax.lax.fori_loop(0, (count + group - 1) // group, body, stacked)
                return jax.tree_util.tree_map(lambda a: a.reshape((steps,) + a.shape[2:]), stacked)

            cache[key] = jax.jit(predict_chunk)
        return cache[key]

    def _predict_callbacks(self, callbacks, verbose, steps):
        # loom's "auto" stays quiet in predict (a bar only when asked for with verbose=1 or 2).
        return self._callback_list(callbacks, 0 if verbose == "auto" else verbose, 1, steps, add_history=False)

    def predict(self, x, batch_size: int | None = None, verbose="auto", steps=None, callbacks=None):
        """Outputs for ``x`` as NumPy arrays (a list or dict for several outputs).

        Args:
            x: an array, a list of arrays (one per input), a dict keyed by input
                name, or an iterable of input batches.
            batch_size: samples per compiled call (32 by default, or the model's
                fixed batch size).
            callbacks: callbacks whose predict hooks run (``on_predict_batch_end``
                gets ``{"outputs": batch_outputs}``, as in Keras).
        """
        what = f"Model '{self.name}'.predict"
        data_adapters.require_data(x, what)
        steps = run_limits.capped_steps(steps)
        if not data_adapters.is_array_data(x):
            return self._predict_iterable(x, steps, what, self._predict_callbacks(callbacks, verbose, steps))
        x, count = self._checked_inputs(x, "predict", what)
        batch_size = self._resolve_batch_size(batch_size)
        if steps is not None and steps * batch_size < count:  # as Keras: only the first `steps` batches
            count = steps * batch_size
            x = data_adapters.slice_rows(x, 0, count)
        local_count = count
        if placement.process_count() > 1:  # each process's rows, one global dataset (see placement)
            x = placement.global_rows(x, what)
            count, batch_size = count * placement.process_count(), batch_size * placement.process_count()
        placement.check_batch_size(batch_size, what)
        outputs = self._predict_arrays(x, count, batch_size, callbacks, verbose, what)
        # With several processes, each gets the outputs of the rows it passed.
        return jax.tree_util.tree_map(lambda a: placement.local_rows(a, local_count), outputs)

    def _predict_arrays(self, x, count: int, batch_size: int, callbacks, verbose, what):
        fixed = data_adapters.fixed_batch_size(self)
        hooks = self._predict_callbacks(callbacks, verbose, -(-count // batch_size))
        if self._predict_jit():
            chunks, group, row_wise = self._chunk_plan(x, batch_size)
            if chunks:
                return self._predict_in_chunks(x, count, batch_size, hooks, group, row_wise)

        def batches():
            for start in range(0, count, batch_size):
                batch = data_adapters.slice_rows(x, start, start + batch_size)
                rows = min(batch_size, count - start)
                if fixed is not None and rows < fixed:
                    # A fixed-batch model computes a zero-padded batch; the padding is cut off.
                    batch = jax.tree_util.tree_map(lambda a: _pad_rows(a, fixed), batch)
                yield batch, rows

        return self._predict_batches(batches(), hooks, what)

    def _chunk_plan(self, x, batch_size: int, builtin: bool | None = None) -> tuple:
        """``(chunks, group, row_wise)`` for data like ``x``, decided once per model and signature.

        ``chunks``: whether to predict in compiled chunks: a batch's outputs have one row
        per input row (so chunks can be padded and cut), and the forward pass runs well
        inside a compiled loop (not a convolution on the CPU, see training/step.py).
        ``group``: how many batches each turn of a chunk's loop may run side by side: up
        to ``GROUP_ROWS`` rows, within ``GROUP_BYTES`` for the largest per-batch
        intermediate value, and only when the step can be vmapped (1 otherwise).
        ``row_wise``: whether the outputs provably depend row by row on the inputs (see
        row_independence.py), so a partial batch may be padded. ``builtin``: plan for the
        model's own forward pass even when it overrides ``predict_step`` (evaluate runs it)."""
        builtin = uses_builtin(self, "predict") if builtin is None else builtin
        key = (builtin, batch_size, row_chunks.signature(x))
        cache = self.__dict__.setdefault("_chunk_plans", {})
        if key not in cache:
            sample = jax.tree_util.tree_map(lambda a: jax.ShapeDtypeStruct((batch_size,) + np.shape(a)[1:], a.dtype), x)
            trainable, non_trainable = self._variable_values()
            predict_step = self._predict_step(key[0])
            jaxpr = jax.make_jaxpr(predict_step)(trainable, non_trainable, sample)
            rows = all(len(o.shape) > 0 and o.shape[0] == batch_size for o in jax.tree_util.tree_leaves(jaxpr.out_avals))
            slow = jax.default_backend() == "cpu" and uses_primitives(jaxpr.jaxpr, SLOW_IN_CPU_LOOPS)
            chunks = rows and not slow
            # Only matrix products gain from larger operands; elementwise work does not.
            products = chunks and uses_primitives(jaxpr.jaxpr, MATRIX_PRODUCTS)
            group = _group_size(jaxpr.jaxpr, batch_size) if products else 1
            if group > 1:
                try:  # vmapping needs a batching rule for every operation (callbacks may lack one)
                    pair = jax.tree_util.tree_map(lambda s: jax.ShapeDtypeStruct((2,) + s.shape, s.dtype), sample)
                    jax.eval_shape(jax.vmap(lambda batch: predict_step(trainable, non_trainable, batch)), pair)
                except Exception:  # noqa: BLE001 (any failure means: predict batch by batch)
                    group = 1
            flat = [len(jax.tree_util.tree_leaves(part)) for part in (trainable, non_trainable, sample)]
            row_wise = rows_are_independent(jaxpr, [False] * (flat[0] + flat[1]) + [True] * flat[2])
            cache[key] = (chunks, group, row_wise)
        return cache[key]

    def _predict_in_chunks(self, x, count: int, batch_size: int, hooks, side_by_side: int, row_wise: bool):
        """Predict array data in compiled chunks of batches: rows go to the device once, the
        outputs come back once; the predict hooks see every ``steps_per_execution`` batches
        (every batch when a callback has batch hooks), as in Keras.

        A partial last batch is padded into its chunk when the outputs are proven to depend
        row by row on the inputs (``row_wise``, see row_independence.py); otherwise it is
        predicted at its own size, as Keras does, so rows never see the padding."""
        x = row_chunks.host_arrays(x)
        # The partial batch, predicted alone (a model built for a fixed batch size takes only
        # that size: its partial batch is padded, as the batch-by-batch path pads it).
        own_size = 0 if row_wise or data_adapters.fixed_batch_size(self) else count % batch_size
        count -= own_size
        steps = -(-count // batch_size)
        group = getattr(self, "steps_per_execution", "auto")
        per_group = hooks.needs_batch_hooks_for("predict")
        if per_group:
            chunk = group if isinstance(group, int) else 1
        else:
            chunk = row_chunks.chunk_steps_for(self, "predict", x, steps, batch_size)
        # A whole number of groups per chunk (a chunk of steps_per_execution batches may be odd).
        function = self._predict_chunk_function(chunk, batch_size, math.gcd(chunk, side_by_side))
        pieces = []
        hooks.on_predict_begin()
        # Read after on_predict_begin, as Keras: a callback may swap weights in (SwapEMAWeights).
        trainable, non_trainable = self._variable_values()
        for first in range(0, steps, chunk):
            count_here = min(chunk, steps - first)
            rows = min(count - first * batch_size, count_here * batch_size)
            if per_group:
                hooks.on_predict_batch_begin(first)
            data = row_chunks.chunk_rows(x, first * batch_size, chunk * batch_size)
            outputs = function(trainable, non_trainable, data, count_here)
            pieces.append((outputs, rows))
            if per_group:
                hooks.on_predict_batch_end(first + count_here - 1, {"outputs": _rows_of(outputs, rows)})
        if own_size:
            if per_group:
                hooks.on_predict_batch_begin(steps)
            rows = data_adapters.slice_rows(x, count, count + own_size)
            outputs = self._predict_function()(trainable, non_trainable, rows)
            outputs = jax.tree_util.tree_map(lambda o: o[None], outputs)  # stacked as one batch
            pieces.append((outputs, own_size))
            if per_group:
                hooks.on_predict_batch_end(steps, {"outputs": _rows_of(outputs, own_size)})
        hooks.on_predict_end()
        # One transfer of every chunk's outputs, stitched on the host.
        host = placement.to_host([outputs for outputs, _ in pieces])
        cut = [_rows_of(outputs, rows) for outputs, (_, rows) in zip(host, pieces)]
        return jax.tree_util.tree_map(lambda *parts: np.concatenate(parts, axis=0), *cut)

    def _predict_batches(self, batches, hooks, what):
        """Run ``(batch, rows)`` pairs through the predict function with the predict hooks."""
        function = self._predict_function()
        per_batch = hooks.needs_batch_hooks_for("predict") or hooks.update_interval_seconds is not None
        # As in Keras, hooks see groups of steps_per_execution batches, outputs concatenated.
        group = getattr(self, "steps_per_execution", "auto")
        group = group if isinstance(group, int) else 1
        pieces, first = [], 0
        hooks.on_predict_begin()
        trainable, non_trainable = self._variable_values()  # after the hook, as above
        for index, (batch, rows) in enumerate(batches):
            if per_batch and index == first:
                hooks.on_predict_batch_begin(index)
            outputs = function(trainable, non_trainable, batch)
            if rows is not None:
                outputs = jax.tree_util.tree_map(lambda o, rows=rows: o[:rows], outputs)
            pieces.append(outputs)
            if per_batch and index - first == group - 1:
                hooks.on_predict_batch_end(index, {"outputs": _concatenate(pieces[first:])})
                first = index + 1
        if not pieces:
            raise ValueError(f"{what}: the data iterable produced no batches.")
        if per_batch and first < len(pieces):
            hooks.on_predict_batch_end(len(pieces) - 1, {"outputs": _concatenate(pieces[first:])})
        hooks.on_predict_end()
        # Stitched on the host after one transfer: a jnp.concatenate would compile anew for
        # every new data length.
        pieces = placement.to_host(pieces)
        return jax.tree_util.tree_map(lambda *parts: np.concatenate(parts, axis=0), *pieces)

    def _predict_iterable(self, dataset, steps, what, hooks):
        placement.refuse_several_processes(what, "an iterable of batches")
        def convert(item):
            if isinstance(item, (list, tuple)) and len(item) in (2, 3) and not hasattr(self, "_fed_inputs"):
                item = item[0]
            return data_adapters.convert_inputs(self, item, what)

        def batches():
            source = data_adapters.PrefetchingIterator(dataset, convert, steps)
            try:
                for batch in source:
                    self._ensure_built(batch)
                    data_adapters.validate_inputs(self, batch, what)
                    yield batch, None
            finally:
                source.close()

        return self._predict_batches(batches(), hooks, what)

    def predict_on_batch(self, x):
        """Outputs for one batch ``x``, as NumPy arrays."""
        what = f"Model '{self.name}'.predict_on_batch"
        x, count = self._checked_inputs(x, "predict_on_batch", what)
        x = placement.global_rows(x, what)  # several processes: each passes its rows of one batch
        trainable, non_trainable = self._variable_values()
        outputs = self._predict_function()(trainable, non_trainable, x)
        if isinstance(outputs, jax.Array) and placement.process_count() == 1:
            return np.asarray(outputs)  # one output: read directly, skipping device_get's tree walk
        outputs = placement.to_host(outputs)
        return jax.tree_util.tree_map(lambda a: placement.local_rows(np.asarray(a), count), outputs)

    def _resolve_batch_size(self, batch_size):
        fixed = data_adapters.fixed_batch_size(self)
        if batch_size is None:
            return fixed or 32
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"`batch_size` must be a positive int; received batch_size={batch_size!r}.")
        if fixed is not None and batch_size != fixed:
            raise ValueError(
                f"Model '{self.name}' was built for batches of exactly {fixed} samples "
                f"(Input(batch_shape=({fixed}, ...))); received batch_size={batch_size}. "
                f"Use batch_size={fixed} or build the model with Input(shape=...)."
            )
        return int(batch_size)


MATRIX_PRODUCTS = frozenset({"dot_general", "conv_general_dilated"})
GROUP_ROWS = 512  # rows predicted side by side in a chunk: large products, still cache-sized
GROUP_BYTES = 16 * 2**20  # the largest intermediate value of a group, at most


def _group_size(jaxpr, batch_size: int) -> int:
    """Batches per group: a power of two with at most ``GROUP_ROWS`` rows and at most
    ``GROUP_BYTES`` in the step's largest batch-sized intermediate value."""
    largest = 1
    for equation in jaxpr.eqns:
        for value in equation.outvars:
            aval = value.aval
            if getattr(aval, "shape", None) and aval.shape[0] == batch_size:
                largest = max(largest, int(np.prod(aval.shape, dtype=np.int64)) * aval.dtype.itemsize)
    limit = min(GROUP_ROWS // batch_size, GROUP_BYTES // largest)
    return 1 << (max(1, limit).bit_length() - 1)


def _rows_of(stacked, rows: int):
    """Outputs stacked as ``(steps, batch, ...)`` as ``(rows, ...)``: batches in order, padding cut."""
    return jax.tree_util.tree_map(lambda a: a.reshape((-1,) + a.shape[2:])[:rows], stacked)


def _concatenate(pieces: list):
    return jax.tree_util.tree_map(lambda *parts: jnp.concatenate(parts, axis=0), *pieces)


def _pad_rows(array, rows: int):
    missing = rows - array.shape[0]
    if missing <= 0:
        return array
    padding = [(0, missing)] + [(0, 0)] * (np.ndim(array) - 1)
    return np.pad(np.asarray(array), padding)
