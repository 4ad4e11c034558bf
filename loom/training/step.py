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
import numpy as np

from loom.training.train_state import TrainState

NOTHING_TO_MINIMIZE = (
    "Model '{name}' has no loss to minimize: it was compiled without a loss, and neither its layers "
    "(add_loss, regularizers) nor an overridden compute_loss/train_step provide one. Pass loss=... to "
    "compile (e.g. loss='mse')."
)


def flatten_outputs(outputs, output_names: list) -> list:
    if isinstance(outputs, dict):
        return [outputs[name] for name in output_names]
    if isinstance(outputs, (list, tuple)):
        return list(outputs)
    return [outputs]


def epoch_order(seed: int, epoch: int, samples: int, shuffle: bool) -> np.ndarray:
    """The epoch's data order, a function of the run's seed and the epoch alone (so a resumed
    run repeats it). Drawn on the host: a shuffle inside the compiled chunk would add a
    sort to every chunk program, about as long to compile as the training step itself."""
    if not shuffle:
        return np.arange(samples, dtype=np.int32)
    return np.random.default_rng([int(seed) % 2**32, 1, int(epoch)]).permutation(samples).astype(np.int32)


def _batch_size(x) -> int:
    return jax.tree_util.tree_leaves(x)[0].shape[0]


def _gather(data, indices):
    return jax.tree_util.tree_map(lambda a: jnp.take(a, indices, axis=0), data)


# Steps per compiled call in block mode. More would amortize dispatch (<10% on a small CNN)
# but compiles another program whenever a chunk's step count is not a multiple.
BLOCK_STEPS = 1
SLOW_IN_CPU_LOOPS = frozenset({"conv_general_dilated"})


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
        self,
        model,
        compile_loss,
        compile_metrics,
        optimizer,
        output_names,
        class_weight=None,
        jit=True,
        loop="auto",
        metric_state=None,
        adapter=None,
        custom=(),
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
        # What the chunks reset and report: ``model.metrics`` (the compiled ones by default).
        self.metric_state = metric_state if metric_state is not None else compile_metrics
        # The model's own steps, for the kinds ("train", "test") the built-in cannot stand in for.
        self.adapter = adapter
        self.custom = frozenset(custom)
        # Sharding constraints under a distribution (set by compiled_run_for), else None.
        self.constraints = None
        # loom optimizers keep their step counter first in `variables`.
        self.iterations_index = 0
        wrap = (lambda f, **kw: jax.jit(f, **kw)) if jit else (lambda f, **kw: f)
        epoch_statics = ("batch_size", "samples", "tail")
        self._blocks = None if jit and loop == "auto" else (jit and loop == "blocks")
        self._fused_train_chunk = wrap(self._train_chunk, donate_argnums=(0,), static_argnames=epoch_statics)
        self.train_batch = wrap(self._train_batch, donate_argnums=(0,))
        self._fused_test_chunk = wrap(self._test_chunk, static_argnames=("batch_size", "tail", "group"))
        self.test_batch = wrap(self._test_batch)
        block_statics = ("size", "batch_size")
        self._train_block_jit = jax.jit(self._train_block, donate_argnums=(0,), static_argnames=block_statics)
        self._test_block_jit = jax.jit(self._test_block, static_argnames=block_statics)
        self._results_jit = jax.jit(lambda metrics: self.metric_state.results(metrics))

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
        if training and not self.compile_loss.active and not side_losses:
            raise ValueError(NOTHING_TO_MINIMIZE.format(name=self.model.name))
        for loss in side_losses:
            total = total + jnp.sum(loss).astype(total.dtype)
        return total, (predictions, non_trainable, per_output)

    def _step_key(self, run_key, state):
        # The step's key folds in the iteration count, so a resumed run draws the same keys.
        return jax.random.fold_in(jax.random.fold_in(run_key, 0), state.optimizer[self.iterations_index])

    def train_step(self, state: TrainState, batch, run_key) -> TrainState:
        """The built-in optimizer step. ``run_key`` is the run's ``PRNGKey(seed)``."""
        x, y, sample_weight = batch
        sample_weight = self._sample_weights(y, sample_weight)
        key = self._step_key(run_key, state)

        def loss_fn(trainable):
            total, aux = self._forward_loss(trainable, state.non_trainable, x, y, sample_weight, True, key)
            # Gradients of the scaled loss (loss scaling under mixed_float16); metrics see the loss itself.
            return self.optimizer.stateless_scale_loss(state.optimizer, total), (total, aux)

        (_, (total, (predictions, non_trainable, per_output))), grads = jax.value_and_grad(loss_fn, has_aux=True)(
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

    # --- one step of either kind: (new state, logs) ----------------------------------
    def _user_weights(self, batch):
        weights = self._sample_weights(batch[1], batch[2])
        return None if all(w is None for w in weights) else weights

    def train_one(self, state: TrainState, batch, run_key):
        """``(state, logs)`` after one training step: the built-in step (whose logs, ``{}``,
        are computed once per chunk from the metric state) or the model's own."""
        if self.constraints is not None:  # under a distribution: the batch split, the state kept in place
            batch = self.constraints.batch(batch)
        if "train" not in self.custom:
            state, logs = self.train_step(state, batch, run_key), {}
        else:
            state, logs = self.adapter.train(state, batch, self._user_weights(batch), self._step_key(run_key, state))
        return (state, logs) if self.constraints is None else (self.constraints.state(state), logs)

    def test_one(self, state: TrainState, batch):
        """``(metric values, logs)`` after one evaluation step."""
        if self.constraints is not None:
            batch = self.constraints.batch(batch)
        if "test" not in self.custom:
            return self.test_step(state, batch), {}
        return self.adapter.test(state, batch, self._user_weights(batch))

    def _initial_logs(self, kind: str, step, *args):
        """Zeros shaped like the logs of the model's own step (carried through loops)."""
        if kind not in self.custom:
            return {}
        shapes = jax.eval_shape(step, *args)[1]
        return jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)

    def _results(self, metrics, logs):
        """The logs a chunk reports: the model's own step's last logs, else the metric results."""
        return logs if logs else self.metric_state.results(metrics)

    # --- chunks ---------------------------------------------------------------------
    def _metrics_from(self, metrics, reset):
        if not self.jit:
            return self.metric_state.reset_values() if reset else metrics
        fresh = self.metric_state.reset_values()
        return jax.lax.cond(reset, lambda: fresh, lambda: list(metrics))

    def _train_chunk(self, state, data, run_key, permutation, start, count, reset, finish, *, batch_size, samples, tail):
        """Steps ``start .. start+count`` of the epoch whose data order is ``permutation``
        (see ``epoch_order``), then the partial last batch if ``finish``; metrics restart
        if ``reset``. Returns ``(state, results)``."""
        state = state._replace(metrics=self._metrics_from(state.metrics, reset))

        def body(step, carry):
            indices = jax.lax.dynamic_slice_in_dim(permutation, step * batch_size, batch_size)
            return self.train_one(carry[0], _gather(data, indices), run_key)

        def last_batch(carry):
            full = samples // batch_size
            rows = permutation[full * batch_size : full * batch_size + tail]
            return self.train_one(carry[0], _gather(data, rows), run_key)

        first_rows = permutation[: batch_size if samples >= batch_size else tail]
        carry = (state, self._initial_logs("train", self.train_one, state, _gather(data, first_rows), run_key))
        if not self.jit:
            for step in range(int(start), int(start) + int(count)):
                carry = body(step, carry)
            if tail and finish:
                carry = last_batch(carry)
        else:
            if samples >= batch_size:  # (else there is only the partial batch)
                carry = jax.lax.fori_loop(start, start + count, body, carry)
            if tail:
                carry = jax.lax.cond(finish, last_batch, lambda carry: carry, carry)
        state, logs = carry
        if self.constraints is not None:  # the loop's carry may be laid out otherwise: return the state in place
            state = self.constraints.state(state)
        return state, self._results(state.metrics, logs)

    def _train_batch(self, state, batch, run_key, reset):
        state = state._replace(metrics=self._metrics_from(state.metrics, reset))
        state, logs = self.train_one(state, batch, run_key)
        return state, self._results(state.metrics, logs)

    def _test_chunk(self, state, data, start, count, reset, *, batch_size, tail, group=1):
        """Evaluate full batches ``start .. start+count`` (then the partial last one if
        ``tail``), from fresh metrics if ``reset``; returns ``(metric values, results)``.
        With ``group`` > 1 the built-in step runs ``group`` batches side by side (see
        ``_test_groups``)."""
        state = state._replace(metrics=self._metrics_from(state.metrics, reset))

        def batch_at(first_row, rows):
            return jax.tree_util.tree_map(lambda a: jax.lax.dynamic_slice_in_dim(a, first_row, rows), data)

        def body(step, carry):
            return self.test_one(state._replace(metrics=carry[0]), batch_at(step * batch_size, batch_size))

        samples = jax.tree_util.tree_leaves(data)[0].shape[0]
        first = batch_at(0, batch_size if samples >= batch_size else tail)
        carry = (state.metrics, self._initial_logs("test", self.test_one, state, first))
        if not self.jit:
            for step in range(int(start), int(start) + int(count)):
                carry = body(step, carry)
        elif samples >= batch_size and group > 1 and "test" not in self.custom and self.constraints is None:
            carry = (self._test_groups(state, data, start, count, batch_size, group), carry[1])
        elif samples >= batch_size:  # (else only the partial batch)
            carry = jax.lax.fori_loop(start, start + count, body, carry)
        if tail:
            rows = jnp.arange(tail) + (samples // batch_size) * batch_size
            carry = self.test_one(state._replace(metrics=carry[0]), _gather(data, rows))
        metrics, logs = carry
        if self.constraints is not None:
            metrics = self.constraints.metrics(metrics)
        return metrics, self._results(metrics, logs)

    def _test_groups(self, state, data, start, count, batch_size: int, group: int) -> list:
        """The metric values after full batches ``start .. start+count``, ``group`` at a time:
        the forward passes and losses of a group side by side (``vmap``: each batch still
        its own batch), then each batch's metric update in order, so the metrics see what
        the built-in test step would. Batches past the end of the chunk update nothing."""

        def forward(batch):
            x, y, sample_weight = batch
            weights = self._sample_weights(y, sample_weight)
            total, (predictions, _, per_output) = self._forward_loss(
                state.trainable, state.non_trainable, x, y, weights, False, None
            )
            return y, predictions, weights, total, per_output

        def update(metrics, item):
            index, (y, predictions, weights, total, per_output) = item
            new = self.compile_metrics.update(
                metrics, y, predictions, weights, total, per_output, jnp.float32(batch_size)
            )
            return [jnp.where(index < start + count, n, m) for n, m in zip(new, metrics)], None

        def turn(index, metrics):
            first = start + index * group
            batches = jax.tree_util.tree_map(
                lambda a: jax.lax.dynamic_slice_in_dim(a, first * batch_size, group * batch_size).reshape(
                    (group, batch_size) + a.shape[1:]
                ),
                data,
            )
            results = jax.vmap(forward)(batches)
            return jax.lax.scan(update, metrics, (first + jnp.arange(group), results))[0]

        return jax.lax.fori_loop(0, (count + group - 1) // group, turn, list(state.metrics))

    def _test_batch(self, state, batch, reset):
        metrics = self._metrics_from(state.metrics, reset)
        metrics, logs = self.test_one(state._replace(metrics=metrics), batch)
        return metrics, self._results(metrics, logs)

    # --- blocks (CPU models that convolve) -----------------------------------------
    def uses_blocks(self, state, data, batch_size: int) -> bool:
        """Decided once: blocks when asked, or on the CPU when the forward pass convolves."""
        if self._blocks is None:
            self._blocks = False
            if jax.default_backend() == "cpu":
                batch = jax.tree_util.tree_map(
                    lambda a: jax.ShapeDtypeStruct((batch_size, *a.shape[1:]), a.dtype), data
                )
                if "train" in self.custom and state.optimizer:
                    # The model's own step may not call the model on the batch (a GAN's images).
                    forward = jax.make_jaxpr(lambda s, b: self.train_one(s, b, jax.random.PRNGKey(0)))(state, batch).jaxpr
                else:  # (evaluation's state has no optimizer slots: trace what evaluation runs)
                    forward = jax.make_jaxpr(self.test_one)(state, batch).jaxpr
                self._blocks = uses_primitives(forward, SLOW_IN_CPU_LOOPS)
        return self._blocks

    def train_chunk(self, state, data, run_key, permutation, start, count, reset, finish, *, batch_size, samples, tail):
        """Steps ``start .. start+count`` of the epoch whose data order is ``permutation``
        (then the partial last batch if ``finish``; metrics restart if ``reset``):
        ``(state, results)``."""
        if not self.jit or not self.uses_blocks(state, data, batch_size):
            return self._fused_train_chunk(
                state, data, run_key, permutation, start, count, reset, finish,
                batch_size=batch_size, samples=samples, tail=tail,
            )
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
            state = state._replace(metrics=self.metric_state.reset_values())
        return state, results if results is not None else self._results_jit(state.metrics)

    def _train_block(self, state, data, permutation, run_key, offset, reset, *, size, batch_size):
        """``size`` steps as straight-line code, on the permuted rows from ``offset``."""
        state = state._replace(metrics=self._metrics_from(state.metrics, reset))
        logs = {}
        for index in range(size):
            rows = jax.lax.dynamic_slice_in_dim(permutation, offset + index * batch_size, batch_size)
            state, logs = self.train_one(state, _gather(data, rows), run_key)
        return state, self._results(state.metrics, logs)

    def test_chunk(self, state, data, start, count, reset, *, batch_size, tail, group=1):
        """Evaluate full batches ``start .. start+count`` (then the partial last one if
        ``tail``), from fresh metrics if ``reset``: ``(metric values, results)``. ``group``:
        batches side by side, a divisor of the chunk's batches (see ``_test_groups``)."""
        if not self.jit or not self.uses_blocks(state, data, batch_size):
            return self._fused_test_chunk(
                state, data, start, count, reset, batch_size=batch_size, tail=tail, group=group if self.jit else 1
            )
        metrics = self.metric_state.reset_values() if reset else state.metrics
        results, step, end = None, int(start), int(start) + int(count)
        while step < end:
            size = BLOCK_STEPS if end - step >= BLOCK_STEPS else 1
            metrics, results = self._test_block_jit(state, data, metrics, step * batch_size, size=size, batch_size=batch_size)
            step += size
        if tail:
            offset = (jax.tree_util.tree_leaves(data)[0].shape[0] // batch_size) * batch_size
            metrics, results = self._test_block_jit(state, data, metrics, offset, size=1, batch_size=tail)
        return metrics, results if results is not None else self._results_jit(metrics)

    def _test_block(self, state, data, metrics, offset, *, size, batch_size):
        logs = {}
        for index in range(size):
            start = offset + index * batch_size
            batch = jax.tree_util.tree_map(lambda a, s=start: jax.lax.dynamic_slice_in_dim(a, s, batch_size), data)
            metrics, logs = self.test_one(state._replace(metrics=metrics), batch)
        return metrics, self._results(metrics, logs)
