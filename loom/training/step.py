"""Pure training and evaluation steps, and the compiled chunks that loop over them.

A chunk runs many steps in one compiled call with ``lax.fori_loop`` over
device-resident data: it derives the epoch's permutation from the epoch number,
gathers each step's batch by index, optionally finishes with the epoch's partial
last batch, and returns the metric results. The host passes the state and a few
integers per call and reads one small dict back; the trip count is a traced
value, so chunks of any size share one compiled program.

One exception: XLA:CPU runs a convolution inside a loop body several times
slower than in straight-line code (jax-ml/jax#12868; ~4x on a small CNN). On the
CPU, a model whose forward pass convolves runs its chunks as straight-line blocks
of ``BLOCK_STEPS`` steps, one compiled call per block, with the same data order,
keys and results.
"""

import jax
import jax.extend.core
import jax.numpy as jnp

from loom.training.train_state import TrainState


def flatten_outputs(outputs, output_names: list) -> list:
    if isinstance(outputs, dict):
        return [outputs[name] for name in output_names]
    if isinstance(outputs, (list, tuple)):
        return list(outputs)
    return [outputs]


def _batch_size(x) -> int:
    return jax.tree_util.tree_leaves(x)[0].shape[0]


def _gather(data, indices):
    return jax.tree_util.tree_map(lambda a: jnp.take(a, indices, axis=0), data)


# Steps per compiled call in block mode. More would amortize dispatch (<10% on a small CNN)
# but compiles another program whenever a chunk's step count is not a multiple.
BLOCK_STEPS = 1
_SLOW_IN_CPU_LOOPS = frozenset({"conv_general_dilated"})


def _sub_jaxprs(value):
    if isinstance(value, jax.extend.core.ClosedJaxpr):
        yield value.jaxpr
    elif isinstance(value, jax.extend.core.Jaxpr):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _sub_jaxprs(item)


def uses_primitives(jaxpr, names) -> bool:
    """Whether ``jaxpr`` (or any jaxpr nested in it) applies one of ``names``."""
    for equation in jaxpr.eqns:
        if equation.primitive.name in names:
            return True
        for value in equation.params.values():
            if any(uses_primitives(inner, names) for inner in _sub_jaxprs(value)):
                return True
    return False


class Steps:
    """The step functions of one compiled model, and their jitted chunk runners.

    Args:
        model: the model (its ``stateless_call`` is the forward pass).
        compile_loss, compile_metrics: from ``compile_config``.
        optimizer: a loom optimizer with ``stateless_apply``.
        output_names: the model's outputs, in the order losses see them.
        class_weight: optional array mapping class index -> weight (output 0).
        jit: False runs every step op by op (``run_eagerly=True``).
        loop: how compiled chunks run their steps: ``"fused"`` (one ``fori_loop``
            per chunk), ``"blocks"`` (straight-line blocks of ``BLOCK_STEPS``), or
            ``"auto"``: blocks on the CPU when the forward pass convolves, else fused.
    """

    def __init__(
        self, model, compile_loss, compile_metrics, optimizer, output_names, class_weight=None, jit=True, loop="auto"
    ):
        if loop not in ("auto", "fused", "blocks"):
            raise ValueError(f"`loop` must be 'auto', 'fused' or 'blocks'; received loop={loop!r}.")
        self.model = model
        self.compile_loss = compile_loss
        self.compile_metrics = compile_metrics
        self.optimizer = optimizer
        self.output_names = list(output_names)
        self.class_weight = class_weight
        self.jit = jit
        # loom optimizers keep their step counter first in `variables`.
        self.iterations_index = 0
        wrap = (lambda f, **kw: jax.jit(f, **kw)) if jit else (lambda f, **kw: f)
        epoch_statics = ("batch_size", "samples", "tail", "shuffle")
        self._blocks = None if jit and loop == "auto" else (jit and loop == "blocks")
        self._fused_train_chunk = wrap(self._train_chunk, donate_argnums=(0,), static_argnames=epoch_statics)
        self.train_batch = wrap(self._train_batch, donate_argnums=(0,))
        self._fused_test_chunk = wrap(self._test_chunk, static_argnames=("batch_size", "tail"))
        self.test_batch = wrap(self._test_batch)
        block_statics = ("size", "batch_size")
        self._train_block_jit = jax.jit(self._train_block, donate_argnums=(0,), static_argnames=block_statics)
        self._test_block_jit = jax.jit(self._test_block, static_argnames=block_statics)
        self._permutation_jit = jax.jit(self.permutation, static_argnames=("samples", "shuffle"))
        self._results_jit = jax.jit(lambda metrics: self.compile_metrics.results(metrics))

    # --- one step -------------------------------------------------------------------
    def _sample_weights(self, y, sample_weight):
        weights = list(sample_weight) if sample_weight is not None else [None] * len(self.output_names)
        if self.class_weight is not None and y[0] is not None:
            labels = y[0]
            if labels.ndim > 1 and labels.shape[-1] > 1:
                classes = jnp.argmax(labels, axis=-1)
            else:
                classes = jnp.round(jnp.reshape(labels, labels.shape[:1])).astype(jnp.int32)
            per_sample = jnp.take(self.class_weight, classes)
            weights[0] = per_sample if weights[0] is None else weights[0] * per_sample
        return weights

    def _forward_loss(self, trainable, non_trainable, x, y, sample_weight, training, key):
        outputs, non_trainable, side_losses = self.model.stateless_call(
            trainable, non_trainable, x, training=training, return_losses=True, rng=key
        )
        predictions = flatten_outputs(outputs, self.output_names)
        total, per_output = self.compile_loss(y, predictions, sample_weight)
        for loss in side_losses:
            total = total + jnp.sum(loss).astype(total.dtype)
        return total, (predictions, non_trainable, per_output)

    def train_step(self, state: TrainState, batch, run_key) -> TrainState:
        """One optimizer step. ``run_key`` is the run's ``PRNGKey(seed)``: the step's
        key folds in the iteration count, so a resumed run draws the same keys."""
        x, y, sample_weight = batch
        sample_weight = self._sample_weights(y, sample_weight)
        key = jax.random.fold_in(jax.random.fold_in(run_key, 0), state.optimizer[self.iterations_index])

        def loss_fn(trainable):
            return self._forward_loss(trainable, state.non_trainable, x, y, sample_weight, True, key)

        (total, (predictions, non_trainable, per_output)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            state.trainable
        )
        # The optimizer also applies each variable's constraint after its update.
        trainable, optimizer = self.optimizer.stateless_apply(state.optimizer, grads, state.trainable)
        metrics = self.compile_metrics.update(
            state.metrics, y, predictions, sample_weight, total, per_output, jnp.float32(_batch_size(x))
        )
        return TrainState(list(trainable), list(non_trainable), list(optimizer), metrics)

    def test_step(self, state: TrainState, batch) -> list:
        x, y, sample_weight = batch
        sample_weight = self._sample_weights(y, sample_weight)
        total, (predictions, _, per_output) = self._forward_loss(
            state.trainable, state.non_trainable, x, y, sample_weight, False, None
        )
        return self.compile_metrics.update(
            state.metrics, y, predictions, sample_weight, total, per_output, jnp.float32(_batch_size(x))
        )

    # --- chunks ---------------------------------------------------------------------
    def _metrics_from(self, metrics, reset):
        if not self.jit:
            return self.compile_metrics.reset_values() if reset else metrics
        fresh = self.compile_metrics.reset_values()
        return jax.lax.cond(reset, lambda: fresh, lambda: list(metrics))

    @staticmethod
    def permutation(run_key, epoch, samples: int, shuffle: bool):
        """The epoch's data order: a function of the run's key and the epoch alone."""
        if not shuffle:
            return jnp.arange(samples)
        return jax.random.permutation(jax.random.fold_in(jax.random.fold_in(run_key, 1), epoch), samples)

    def _train_chunk(
        self, state, data, run_key, epoch, start, count, reset, finish, *, batch_size, samples, tail, shuffle
    ):
        """Steps ``start .. start+count`` of ``epoch``, then the partial last batch if
        ``finish``; metrics restart if ``reset``. Returns ``(state, results)``."""
        state = state._replace(metrics=self._metrics_from(state.metrics, reset))
        permutation = self.permutation(run_key, epoch, samples, shuffle)

        def body(step, state):
            indices = jax.lax.dynamic_slice_in_dim(permutation, step * batch_size, batch_size)
            return self.train_step(state, _gather(data, indices), run_key)

        def last_batch(state):
            full = samples // batch_size
            rows = permutation[full * batch_size : full * batch_size + tail]
            return self.train_step(state, _gather(data, rows), run_key)

        if not self.jit:
            for step in range(int(start), int(start) + int(count)):
                state = body(step, state)
            if tail and finish:
                state = last_batch(state)
        else:
            if samples >= batch_size:  # (else there is only the partial batch)
                state = jax.lax.fori_loop(start, start + count, body, state)
            if tail:
                state = jax.lax.cond(finish, last_batch, lambda state: state, state)
        return state, self.compile_metrics.results(state.metrics)

    def _train_batch(self, state, batch, run_key, reset):
        state = state._replace(metrics=self._metrics_from(state.metrics, reset))
        state = self.train_step(state, batch, run_key)
        return state, self.compile_metrics.results(state.metrics)

    def _test_chunk(self, state, data, count, *, batch_size, tail):
        """Evaluate ``count`` full batches and the partial last one from fresh
        metrics; returns the results."""
        state = state._replace(metrics=self.compile_metrics.reset_values())

        def body(step, metrics):
            batch = jax.tree_util.tree_map(lambda a: jax.lax.dynamic_slice_in_dim(a, step * batch_size, batch_size), data)
            return self.test_step(state._replace(metrics=metrics), batch)

        if not self.jit:
            metrics = state.metrics
            for step in range(int(count)):
                metrics = body(step, metrics)
        elif jax.tree_util.tree_leaves(data)[0].shape[0] >= batch_size:  # (else only the partial batch)
            metrics = jax.lax.fori_loop(0, count, body, state.metrics)
        else:
            metrics = state.metrics
        if tail:
            rows = jnp.arange(tail) + count * batch_size
            metrics = self.test_step(state._replace(metrics=metrics), _gather(data, rows))
        return self.compile_metrics.results(metrics)

    def _test_batch(self, state, batch, reset):
        metrics = self._metrics_from(state.metrics, reset)
        metrics = self.test_step(state._replace(metrics=metrics), batch)
        return metrics, self.compile_metrics.results(metrics)

    # --- blocks (CPU models that convolve) -----------------------------------------
    def uses_blocks(self, state, data, batch_size: int) -> bool:
        """Decided once: blocks when asked, or on the CPU when the forward pass convolves."""
        if self._blocks is None:
            self._blocks = False
            if jax.default_backend() == "cpu":
                batch = jax.tree_util.tree_map(
                    lambda a: jax.ShapeDtypeStruct((batch_size, *a.shape[1:]), a.dtype), data
                )
                forward = jax.make_jaxpr(self.test_step)(state, batch).jaxpr
                self._blocks = uses_primitives(forward, _SLOW_IN_CPU_LOOPS)
        return self._blocks

    def train_chunk(self, state, data, run_key, epoch, start, count, reset, finish, *, batch_size, samples, tail, shuffle):
        """Steps ``start .. start+count`` of ``epoch`` (then the partial last batch if
        ``finish``; metrics restart if ``reset``): ``(state, results)``."""
        if not self.jit or not self.uses_blocks(state, data, batch_size):
            return self._fused_train_chunk(
                state, data, run_key, epoch, start, count, reset, finish,
                batch_size=batch_size, samples=samples, tail=tail, shuffle=shuffle,
            )
        permutation = self._permutation_jit(run_key, epoch, samples=samples, shuffle=shuffle)
        results, step, end = None, int(start), int(start) + int(count)
        while step < end:
            size = BLOCK_STEPS if end - step >= BLOCK_STEPS else 1
            state, results = self._train_block_jit(
                state, data, permutation, run_key, step * batch_size, reset, size=size, batch_size=batch_size
            )
            step, reset = step + size, False
        if tail and finish:
            offset = (samples // batch_size) * batch_size
            state, results = self._train_block_jit(state, data, permutation, run_key, offset, reset, size=1, batch_size=tail)
            reset = False
        if reset:
            state = state._replace(metrics=self.compile_metrics.reset_values())
        return state, results if results is not None else self._results_jit(state.metrics)

    def _train_block(self, state, data, permutation, run_key, offset, reset, *, size, batch_size):
        """``size`` steps as straight-line code, on the permuted rows from ``offset``."""
        state = state._replace(metrics=self._metrics_from(state.metrics, reset))
        for index in range(size):
            rows = jax.lax.dynamic_slice_in_dim(permutation, offset + index * batch_size, batch_size)
            state = self.train_step(state, _gather(data, rows), run_key)
        return state, self.compile_metrics.results(state.metrics)

    def test_chunk(self, state, data, count, *, batch_size, tail):
        """Evaluate ``count`` full batches and the partial last one from fresh metrics."""
        if not self.jit or not self.uses_blocks(state, data, batch_size):
            return self._fused_test_chunk(state, data, count, batch_size=batch_size, tail=tail)
        metrics, results, step = self.compile_metrics.reset_values(), None, 0
        while step < count:
            size = BLOCK_STEPS if count - step >= BLOCK_STEPS else 1
            metrics, results = self._test_block_jit(state, data, metrics, step * batch_size, size=size, batch_size=batch_size)
            step += size
        if tail:
            metrics, results = self._test_block_jit(state, data, metrics, count * batch_size, size=1, batch_size=tail)
        return results if results is not None else self._results_jit(metrics)

    def _test_block(self, state, data, metrics, offset, *, size, batch_size):
        for index in range(size):
            start = offset + index * batch_size
            batch = jax.tree_util.tree_map(lambda a, s=start: jax.lax.dynamic_slice_in_dim(a, s, batch_size), data)
            metrics = self.test_step(state._replace(metrics=metrics), batch)
        return metrics, self.compile_metrics.results(metrics)
