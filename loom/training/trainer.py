"""Trainer: the host side of training and inference, mixed into ``Model``.

The host moves array data to the device once per ``fit``, picks how many steps
each compiled call runs (the whole epoch when nothing needs batch-level
updates, else enough for ~10 progress updates per second), and syncs once per
call. Every computation goes through ``stateless_call``. This module imports
nothing from ``loom.models``: it works on ``self``.
"""

import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from loom import callbacks as callbacks_module
from loom import optimizers
from loom.state.seed_generator import make_default_seed
from loom.training import data_adapters
from loom.training.compile_config import CompileLoss, CompileMetrics
from loom.training.metric_state import MetricState
from loom.training.step import Steps, flatten_outputs
from loom.training.step_adapter import StepAdapter, uses_builtin
from loom.training.step_methods import StepMethods
from loom.training.train_state import StateBinding

_TARGET_SECONDS_PER_CALL = 0.1


class Trainer(StepMethods):
    """compile / fit / evaluate / predict for models."""

    compiled = False
    stop_training = False
    optimizer = None

    # --- compile --------------------------------------------------------------------
    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        loss_weights=None,
        metrics=None,
        weighted_metrics=None,
        run_eagerly: bool = False,
        steps_per_execution="auto",
        jit_compile="auto",
        auto_scale_loss: bool = True,
    ) -> None:
        """Configure training: optimizer, loss per output, loss weights, metrics.

        Args:
            optimizer: name ("adam") or optimizer instance.
            loss: name, function ``f(y_true, y_pred)``, Loss object, list (one per
                output, None to skip) or dict keyed by output name.
            loss_weights: list or dict of scalar weights for the per-output losses.
            metrics, weighted_metrics: list (applied to every output), list of
                lists or dict by output; ``"accuracy"`` is resolved from the loss
                and shapes as Keras does. Weighted metrics receive sample weights.
            run_eagerly: run every step op by op (for debugging).
            steps_per_execution: steps per compiled call; "auto" picks it.
            jit_compile: True or "auto" compiles the steps with XLA; False runs them op by
                op, like ``run_eagerly=True`` (as on Keras's JAX backend).
            auto_scale_loss: accepted for Keras compatibility; it only acts under a
                "mixed_float16" dtype policy, which loom does not have yet, so it changes nothing.
        """
        if steps_per_execution != "auto" and (
            isinstance(steps_per_execution, bool) or not isinstance(steps_per_execution, int) or steps_per_execution < 1
        ):
            raise ValueError(
                f"`steps_per_execution` must be 'auto' or a positive int; received {steps_per_execution!r}."
            )
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self._compile_args = {
            "loss": loss,
            "loss_weights": loss_weights,
            "metrics": metrics,
            "weighted_metrics": weighted_metrics,
        }
        if jit_compile not in ("auto", True, False):
            raise ValueError(f"`jit_compile` must be True, False or 'auto'; received jit_compile={jit_compile!r}.")
        if jit_compile is True and run_eagerly:
            warnings.warn(
                "If `run_eagerly` is True, then `jit_compile` cannot also be True. Disabling `jit_compile`.",
                stacklevel=2,
            )
        self.run_eagerly = bool(run_eagerly)
        self.jit_compile = bool(jit_compile) and not self.run_eagerly
        self.auto_scale_loss = auto_scale_loss
        self.steps_per_execution = steps_per_execution
        self._training_seed = make_default_seed()
        self._run_key_cache = None  # (seed, PRNGKey(seed))
        # How compiled chunks loop over steps (see training/step.py); tests pin it.
        self._step_loop = "auto"
        self._training = None
        self._compile_metrics = None
        self.compiled = True
        self.stop_training = False
        names = getattr(self, "output_names", None) if hasattr(self, "_outputs") else None
        if names:
            CompileLoss(loss, loss_weights, names)  # validates names and counts now, not at fit time

    def _require_compiled(self, method: str) -> None:
        if not self.compiled:
            raise RuntimeError(
                f"You must call model.compile(optimizer=..., loss=...) before model.{method}() on model '{self.name}'."
            )

    # --- building the compiled steps -----------------------------------------------
    def _output_names_for(self, predictions) -> list:
        if hasattr(self, "_outputs"):
            return list(self.output_names)
        if isinstance(predictions, dict):
            return list(predictions)
        if isinstance(predictions, (list, tuple)):
            return [f"output_{i}" for i in range(len(predictions))]
        return ["output"]

    def _needs_predictions(self) -> bool:
        """Whether fit must know the outputs' shapes: for compiled losses and metrics. A model
        whose own train_step does without them may take data its call never sees (a GAN's
        images), so it is not traced on ``x``."""
        args = self._compile_args
        given = any(args[name] is not None for name in ("loss", "metrics", "weighted_metrics"))
        return given or uses_builtin(self, "train")

    def _output_names_for_data(self, x) -> list:
        if hasattr(self, "_outputs") or not self._needs_predictions():
            return self._output_names_for(None)
        return self._output_names_for(self._prediction_spec(x))

    def _prediction_spec(self, x):
        """Shapes and dtypes of the outputs for inputs like ``x`` (traced, not run)."""
        rows = data_adapters.fixed_batch_size(self) or 1
        sample = jax.tree_util.tree_map(
            lambda a: jax.ShapeDtypeStruct((rows,) + tuple(np.shape(a)[1:]), jnp.asarray(a[:1]).dtype), x
        )
        trainable, non_trainable = self._variable_values()
        return jax.eval_shape(
            lambda t, n, s: self.stateless_call(t, n, s, training=False)[0], trainable, non_trainable, sample
        )

    def _training_for(self, x_sample, y: list, class_weight) -> "_Training":
        """The compiled machinery for the current trainable set and class weights (cached)."""
        key = (
            tuple(id(v) for v in self.trainable_variables),
            None if class_weight is None else tuple(sorted(class_weight.items())),
        )
        if self._training is not None and self._training.key == key:
            return self._training
        if self._needs_predictions():
            spec = self._prediction_spec(x_sample)
            output_names = self._output_names_for(spec)
            predictions = flatten_outputs(spec, output_names)
        else:
            output_names = self._output_names_for(None)
            predictions = [None] * len(output_names)
        compile_loss = CompileLoss(self._compile_args["loss"], self._compile_args["loss_weights"], output_names)
        if len(y) != len(output_names):
            raise ValueError(f"fit expects targets for {len(output_names)} outputs {output_names}; received {len(y)}.")
        for index in compile_loss.active:
            if y[index] is None:
                raise ValueError(
                    f"Output '{output_names[index]}' has a loss but fit received no target for it; "
                    "pass its y, or set its loss to None in compile."
                )
            _check_target_shape(compile_loss.losses[index], y[index], predictions[index], output_names[index])
        metrics = CompileMetrics(
            self._compile_args["metrics"], self._compile_args["weighted_metrics"], output_names, compile_loss
        )
        metrics.build(y, predictions)
        if self.optimizer.built and [id(v) for v in self.optimizer._trainable_variables] != [
            id(v) for v in self.trainable_variables
        ]:
            # What is trainable changed since the optimizer was built (layers frozen or
            # unfrozen): start a fresh optimizer of the same configuration, as recompiling would.
            self.optimizer = type(self.optimizer).from_config(self.optimizer.get_config())
        if not self.optimizer.built:
            self.optimizer.build(self.trainable_variables)
        table = None
        if class_weight is not None:
            if len(output_names) > 1:
                raise ValueError("`class_weight` is only supported for models with a single output; use sample_weight.")
            classes = max(int(max(class_weight)) + 1, int(predictions[0].shape[-1] or 1))
            table = jnp.asarray([float(class_weight.get(i, 1.0)) for i in range(classes)], jnp.float32)
        self._compile_metrics = metrics
        # The state's metrics are ``model.metrics``: the compiled ones, unless the model says otherwise.
        tracked = self.metrics
        metric_state = MetricState(tracked, self._metric_log_names(tracked))
        custom = [kind for kind in ("train", "test") if not uses_builtin(self, kind)]
        steps = Steps(
            self, compile_loss, metrics, self.optimizer, output_names, table, jit=self.jit_compile,
            loop=self._step_loop, metric_state=metric_state, adapter=StepAdapter(self, output_names), custom=custom,
        )
        binding = StateBinding(self, self.optimizer, metric_state.variables)
        self._training = _Training(key, steps, binding, metric_state, output_names)
        return self._training

    def _run_key(self):
        """``PRNGKey(seed)`` of this compiled run: per-step keys and epoch orders derive from it."""
        # Cached: building a key costs several dispatches, a noticeable share of a short epoch.
        cached = self._run_key_cache
        if cached is None or cached[0] != self._training_seed:
            cached = (self._training_seed, jax.random.PRNGKey(self._training_seed))
            self._run_key_cache = cached
        return cached[1]

    # --- checkpointing (used by BackupAndRestore) ------------------------------------
    def _training_checkpoint(self) -> dict:
        """Where fit stands, beyond weights and optimizer: position, seed, metric state."""
        metrics = [] if self._training is None else [np.asarray(v.value) for v in self._training.binding.metrics]
        position = getattr(self, "_fit_position", (0, 0))
        return {"epoch": int(position[0]), "step": int(position[1]), "seed": int(self._training_seed), "metrics": metrics}

    def _restore_training_checkpoint(self, epoch: int, step: int, seed: int, metrics: list) -> None:
        """Make the next epoch loop of ``fit`` continue at ``(epoch, step)`` with this seed
        and these metric accumulators (weights and optimizer are restored separately)."""
        self._training_seed = int(seed)
        if step and self._training is not None:
            variables = self._training.binding.metrics
            if len(variables) != len(metrics) or any(v.shape != np.shape(m) for v, m in zip(variables, metrics)):
                raise ValueError(
                    "The checkpoint's metric state does not fit this model's compiled metrics; compile the "
                    "model with the same loss and metrics as the interrupted run."
                )
            for variable, value in zip(variables, metrics):
                variable.assign(value)
        self._resume_position = (int(epoch), int(step))

    # --- data -----------------------------------------------------------------------
    def _prepare_arrays(self, x, y, sample_weight, what: str):
        x = data_adapters.convert_inputs(self, x, what)
        self._ensure_built(x)
        count = data_adapters.validate_inputs(self, x, what)
        output_names = self._output_names_for_data(x)
        y = data_adapters.standardize_targets(y, output_names, what)
        sample_weight = data_adapters.standardize_sample_weight(sample_weight, output_names, what)
        data_adapters.check_counts(count, y, sample_weight, what)
        return x, y, sample_weight, count

    # --- fit ------------------------------------------------------------------------
    def fit(
        self,
        x=None,
        y=None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose="auto",
        callbacks=None,
        validation_split: float = 0.0,
        validation_data=None,
        shuffle: bool = True,
        class_weight: dict | None = None,
        sample_weight=None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int = 1,
    ):
        """Train for ``epochs`` epochs; returns a History (``history.history[name]`` per epoch).

        ``x``/``y`` are arrays, lists of arrays (one per input/output), dicts keyed
        by input/output name, or ``x`` is an iterable of ``(x, y)`` /
        ``(x, y, sample_weight)`` batches (a generator, a DataLoader, a dataset).
        """
        self._require_compiled("fit")
        what = f"Model '{self.name}'.fit"
        _require_data(x, what)
        _check_positive_int(epochs, "epochs", allow_zero=True)
        verbose = 1 if verbose == "auto" else verbose
        if not data_adapters.is_array_data(x):
            if y is not None:
                raise ValueError(f"{what}: when x is an iterable of batches, y must be None (the batches carry it).")
            return self._fit_iterable(x, epochs, verbose, callbacks, validation_data, initial_epoch, steps_per_epoch,
                                      validation_steps, validation_freq, class_weight)
        x, y, sample_weight, count = self._prepare_arrays(x, y, sample_weight, what)
        validation = None
        if validation_split:
            if validation_data is not None:
                raise ValueError(f"{what}: pass either validation_split or validation_data, not both.")
            (x, y, sample_weight), held_out = data_adapters.split_for_validation(
                x, y, sample_weight, validation_split, count
            )
            validation = ("arrays", held_out)
            count = data_adapters.check_sample_counts(x, what)
        data_adapters.warn_on_nan(x, "x", what)
        data_adapters.warn_on_nan(y, "y", what)
        batch_size = self._resolve_batch_size(batch_size)
        training = self._training_for(x, y, class_weight)
        _check_sparse_labels(training, y)
        if validation_data is not None:
            validation = self._standardize_validation(validation_data, what)
        data = data_adapters.to_device((x, y, sample_weight))
        full_batches, tail = divmod(count, batch_size)
        if steps_per_epoch is not None:
            _check_positive_int(steps_per_epoch, "steps_per_epoch")
            full_batches, tail = min(steps_per_epoch, full_batches), (tail if steps_per_epoch > full_batches else 0)
        steps = full_batches + (1 if tail else 0)
        callback_list = self._callback_list(callbacks, verbose, epochs, steps)
        callback_list.on_train_begin()
        self.stop_training = False
        # A callback (BackupAndRestore) may have restored an interrupted run: its seed,
        # and where to continue. Weights and optimizer state are already in place.
        training = self._training_for(x, y, class_weight)
        resume = self.__dict__.pop("_resume_position", None)
        first_epoch, first_step = (resume if resume is not None else (initial_epoch, 0))
        logs = {}
        for epoch in range(first_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            start = first_step if epoch == first_epoch else 0
            logs = self._run_epoch(
                training, data, count, shuffle, full_batches, tail, batch_size, callback_list, epoch, start
            )
            if validation is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_arrays(
                    training, validation, validation_batch_size or batch_size, validation_steps, callback_list
                )
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            self._fit_position = (epoch + 1, 0)
            callback_list.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        callback_list.on_train_end(logs)
        return self.history

    def _callback_list(self, callbacks, verbose, epochs, steps, add_history: bool = True):
        # evaluate and predict add no History: model.history stays the last fit's.
        return callbacks_module.CallbackList(
            callbacks, add_history=add_history, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=epochs,
            steps=steps,
        )

    def _run_epoch(
        self, training, data, samples, shuffle, full_batches, tail, batch_size, callback_list, epoch, start_step=0
    ) -> dict:
        """Run one epoch's steps from ``start_step``; returns the epoch's logs.

        After every compiled call the state is written back to the Variables (model,
        optimizer and metric accumulators) and ``_fit_position`` says how far the
        epoch got, so batch-level callbacks can checkpoint a consistent state.
        """
        binding, steps = training.binding, training.steps
        statics = {"batch_size": batch_size, "samples": samples, "tail": tail, "shuffle": bool(shuffle)}
        # Resuming mid-epoch continues the epoch's accumulators, restored into the metrics.
        reset = start_step == 0
        step, logs, per_step = start_step, {}, None
        last = full_batches + (1 if tail else 0)
        while step < last:
            # Steps are numbered 0..last-1, the partial batch (if any) last.
            size = self._chunk_size(last - step, per_step, callback_list)
            count, with_tail = _split_chunk(step, size, full_batches, tail)
            callback_list.on_train_batch_begin(step)
            started = time.perf_counter()
            state, results = steps.train_chunk(
                binding.read(), data, self._run_key(), epoch, step, count, reset, with_tail, **statics
            )
            binding.write(state)
            logs = _to_host(results)
            if not reset and count:  # the first call may include compiling
                per_step = (time.perf_counter() - started) / count
            reset = False
            step += count + int(with_tail)
            self._fit_position = (epoch, step)
            callback_list.on_train_batch_end(step - 1, logs)
            if self.stop_training:
                break
        if not logs:  # resumed exactly at the end of the epoch's steps
            logs = _to_host(training.metrics.results([v.value for v in binding.metrics]))
        return dict(logs)

    def _chunk_size(self, remaining: int, per_step, callback_list) -> int:
        """Steps for the next compiled call: the user's steps_per_execution, else one when
        a callback has batch hooks, else the whole rest of the epoch when nothing needs
        calls within it, else enough steps for about one call per progress update (~0.1 s)."""
        if isinstance(self.steps_per_execution, int):
            return min(self.steps_per_execution, remaining)
        if callback_list.needs_batch_hooks_for("train"):
            return 1  # Keras's default steps_per_execution=1: every batch reaches the hooks
        interval = getattr(callback_list, "update_interval_seconds", None)
        if interval is None:
            return remaining
        if per_step is None:
            return 1
        target = interval if interval is not None else _TARGET_SECONDS_PER_CALL
        return max(1, min(remaining, int(target / max(per_step, 1e-9))))

    # --- evaluate -------------------------------------------------------------------
    def _standardize_validation(self, validation_data, what):
        if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
            if not data_adapters.is_array_data(validation_data):
                return ("iterable", validation_data)
            raise ValueError(
                f"{what}: validation_data must be (x_val, y_val) or (x_val, y_val, sample_weight_val); "
                f"received {type(validation_data).__name__} of length {len(validation_data)}."
            )
        x_val, y_val, *rest = validation_data
        x_val, y_val, weights, _ = self._prepare_arrays(x_val, y_val, rest[0] if rest else None, f"{what} (validation)")
        return ("arrays", (x_val, y_val, weights))

    def _evaluate_arrays(self, training, validation, batch_size, steps_limit=None, callback_list=None) -> dict:
        """Loss and metrics over ``validation`` ("arrays" or "iterable"); ``callback_list``
        gets the test hooks (``on_test_begin``, every batch's, ``on_test_end``)."""
        hooks = callback_list if callback_list is not None else callbacks_module.CallbackList()
        hooks.on_test_begin()
        kind, payload = validation
        if kind == "iterable":
            logs = self._evaluate_iterable(training, payload, steps_limit, hooks)
        else:
            logs = self._evaluate_device_arrays(training, payload, batch_size, steps_limit, hooks)
        hooks.on_test_end(logs)
        return logs

    def _evaluate_device_arrays(self, training, arrays, batch_size, steps_limit, hooks) -> dict:
        x, y, weights = arrays
        count = data_adapters.check_sample_counts(x, "evaluate")
        data = data_adapters.to_device((x, y, weights))
        full_batches, tail = divmod(count, batch_size)
        if steps_limit is not None:
            full_batches, tail = min(steps_limit, full_batches), (tail if steps_limit > full_batches else 0)
        if isinstance(self.steps_per_execution, int):
            size = self.steps_per_execution
        else:
            size = 1 if hooks.needs_batch_hooks_for("test") else full_batches + 1
        state, binding = training.binding.read(), training.binding
        step, last, logs, reset = 0, full_batches + (1 if tail else 0), {}, True
        while step < last:
            count, with_tail = _split_chunk(step, size, full_batches, tail)
            hooks.on_test_batch_begin(step)
            metrics, results = training.steps.test_chunk(
                state, data, step, count, reset, batch_size=batch_size, tail=tail if with_tail else 0
            )
            state, reset = state._replace(metrics=metrics), False
            step += count + int(with_tail)
            logs = _to_host(results)
            hooks.on_test_batch_end(step - 1, logs)
        # The metric accumulators hold the evaluation's state afterwards, as in Keras.
        binding.write_metrics(state.metrics)
        return logs

    def evaluate(
        self,
        x=None,
        y=None,
        batch_size: int | None = None,
        verbose="auto",
        sample_weight=None,
        steps: int | None = None,
        callbacks=None,
        return_dict: bool = False,
    ):
        """Loss and metrics on ``x``/``y``: a scalar (loss only), a list, or a dict."""
        self._require_compiled("evaluate")
        what = f"Model '{self.name}'.evaluate"
        _require_data(x, what)
        if data_adapters.is_array_data(x):
            x, y, sample_weight, count = self._prepare_arrays(x, y, sample_weight, what)
            training = self._training_for(x, y, None)
            _check_sparse_labels(training, y)
            batch_size = self._resolve_batch_size(batch_size)
            validation, steps_count = ("arrays", (x, y, sample_weight)), -(-count // batch_size)
        else:
            training, batch_size, validation, steps_count = None, None, ("iterable", x), steps
        callback_list = self._callback_list(callbacks, 0 if verbose == "auto" else verbose, 1, steps_count, add_history=False)
        logs = self._evaluate_arrays(training, validation, batch_size, steps, callback_list)
        return self._format_logs(logs, return_dict)

    # --- iterables ------------------------------------------------------------------
    def _convert_batch(self, item, what):
        if not isinstance(item, (list, tuple)) or len(item) not in (2, 3):
            raise ValueError(
                f"{what}: each batch from the data iterable must be (x, y) or (x, y, sample_weight); "
                f"received {type(item).__name__}{'' if not isinstance(item, (list, tuple)) else f' of length {len(item)}'}."
            )
        x, y, *rest = item
        x = data_adapters.convert_inputs(self, x, what)
        return x, y, rest[0] if rest else None

    def _device_batch(self, training, item, what):
        x, y, weights = item
        y = data_adapters.standardize_targets(y, training.output_names, what)
        weights = data_adapters.standardize_sample_weight(weights, training.output_names, what)
        count = data_adapters.validate_inputs(self, x, what)
        data_adapters.check_counts(count, y, weights, what)
        return data_adapters.to_device((x, y, weights))

    def _fit_iterable(self, dataset, epochs, verbose, callbacks, validation_data, initial_epoch, steps_per_epoch,
                      validation_steps, validation_freq, class_weight):
        what = f"Model '{self.name}'.fit"
        source = iter(dataset) if _is_one_shot(dataset) else None
        callback_list = self._callback_list(callbacks, verbose, epochs, steps_per_epoch)
        callback_list.on_train_begin()
        self.stop_training = False
        training, logs = None, {}
        validation = None if validation_data is None else self._standardize_validation(validation_data, what)
        # A restored backup continues at the start of its epoch: loom cannot replay an
        # arbitrary iterable's batches up to the middle of one.
        resume = self.__dict__.pop("_resume_position", None)
        first_epoch = resume[0] if resume is not None else initial_epoch
        for epoch in range(first_epoch, epochs):
            self._fit_position = (epoch, 0)
            callback_list.on_epoch_begin(epoch)
            batches = data_adapters.PrefetchingIterator(
                source if source is not None else dataset, lambda item: self._convert_batch(item, what), steps_per_epoch
            )
            step, results = 0, None
            try:
                for item in batches:
                    if training is None:
                        self._ensure_built(item[0])
                        y_list = data_adapters.standardize_targets(item[1], self._output_names_for_data(item[0]), what)
                        training = self._training_for(item[0], y_list, class_weight)
                    callback_list.on_train_batch_begin(step)
                    state, results = training.steps.train_batch(
                        training.binding.read(), self._device_batch(training, item, what), self._run_key(), step == 0
                    )
                    training.binding.write(state)
                    if callback_list.needs_batch_hooks or callback_list.update_interval_seconds is not None:
                        logs = _to_host(results)
                    step += 1
                    self._fit_position = (epoch, step)
                    callback_list.on_train_batch_end(step - 1, logs)
                    if self.stop_training:
                        break
            finally:
                batches.close()
            if step == 0:
                raise ValueError(
                    f"{what}: the data iterable produced no batches in epoch {epoch + 1}. A Python generator can "
                    "be consumed only once: make it loop forever and pass steps_per_epoch, or pass a re-iterable "
                    "dataset."
                )
            logs = _to_host(results)
            if validation is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_arrays(training, validation, 32, validation_steps, callback_list)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            self._fit_position = (epoch + 1, 0)
            callback_list.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        callback_list.on_train_end(logs)
        return self.history

    def _evaluate_iterable(self, training, dataset, steps_limit, hooks) -> dict:
        what = f"Model '{self.name}'.evaluate"
        metrics, logs, step = None, None, 0
        batches = data_adapters.PrefetchingIterator(dataset, lambda item: self._convert_batch(item, what), steps_limit)
        try:
            for item in batches:
                if training is None:
                    self._ensure_built(item[0])
                    names = self._output_names_for_data(item[0])
                    training = self._training_for(item[0], data_adapters.standardize_targets(item[1], names, what), None)
                state = training.binding.read()
                if metrics is not None:
                    state = state._replace(metrics=metrics)
                hooks.on_test_batch_begin(step)
                metrics, results = training.steps.test_batch(
                    state, self._device_batch(training, item, what), metrics is None
                )
                logs = _to_host(results)
                hooks.on_test_batch_end(step, logs)
                step += 1
        finally:
            batches.close()
        if logs is None:
            raise ValueError(f"{what}: the data iterable produced no batches.")
        training.binding.write_metrics(metrics)
        return logs

    # --- single batches -------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict: bool = False):
        """One training step on one batch; returns the loss (and metrics) after it."""
        self._require_compiled("train_on_batch")
        x, y, sample_weight, _ = self._prepare_arrays(x, y, sample_weight, f"Model '{self.name}'.train_on_batch")
        training = self._training_for(x, y, class_weight)
        state, results = training.steps.train_batch(
            training.binding.read(), data_adapters.to_device((x, y, sample_weight)), self._run_key(), True
        )
        training.binding.write(state)
        return self._format_logs(_to_host(results), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict: bool = False):
        """Loss (and metrics) on one batch, without updating the model."""
        self._require_compiled("test_on_batch")
        x, y, sample_weight, _ = self._prepare_arrays(x, y, sample_weight, f"Model '{self.name}'.test_on_batch")
        training = self._training_for(x, y, None)
        _, results = training.steps.test_batch(
            training.binding.read(), data_adapters.to_device((x, y, sample_weight)), True
        )
        return self._format_logs(_to_host(results), return_dict)

    def _format_logs(self, logs: dict, return_dict: bool):
        """``logs`` itself, or its values in the order of ``metrics_names`` (then the rest by
        name), a single value alone, as Keras returns them."""
        if return_dict:
            return logs
        names = self.metrics_names
        values = [logs[name] for name in names if name in logs]
        values += [logs[name] for name in sorted(logs) if name not in names]
        return values[0] if len(values) == 1 else values

    # --- inference ------------------------------------------------------------------
    def _ensure_built(self, x) -> None:
        """Build a model whose weights do not exist yet by calling it on a sample."""
        if not self.built:
            self(data_adapters.slice_rows(x, 0, 1))

    def _variable_values(self):
        return [v.value for v in self.trainable_variables], [v.value for v in self.non_trainable_variables]

    def _predict_function(self):
        """``(trainable, non_trainable, batch) -> outputs``, jitted (cached per model and mode):
        the model's ``predict_step`` when a subclass overrides it."""
        jit = getattr(self, "jit_compile", True) and not getattr(self, "run_eagerly", False)
        builtin = uses_builtin(self, "predict")
        cached = self.__dict__.get("_compiled_predict")
        if cached is not None and cached[0] == (jit, builtin):
            return cached[1]
        if builtin:

            def predict_step(trainable, non_trainable, batch):
                outputs, _ = self.stateless_call(trainable, non_trainable, batch, training=False)
                return outputs

        else:
            predict_step = StepAdapter(self, []).predict
        function = jax.jit(predict_step) if jit else predict_step
        self.__dict__["_compiled_predict"] = ((jit, builtin), function)
        return function

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
        _require_data(x, what)
        if not data_adapters.is_array_data(x):
            return self._predict_iterable(x, steps, what, self._predict_callbacks(callbacks, verbose, steps))
        x = data_adapters.convert_inputs(self, x, what)
        self._ensure_built(x)
        count = data_adapters.validate_inputs(self, x, what)
        batch_size = self._resolve_batch_size(batch_size)
        fixed = data_adapters.fixed_batch_size(self)
        hooks = self._predict_callbacks(callbacks, verbose, -(-count // batch_size))

        def batches():
            for start in range(0, count, batch_size):
                batch = data_adapters.slice_rows(x, start, start + batch_size)
                rows = min(batch_size, count - start)
                if fixed is not None and rows < fixed:
                    # A fixed-batch model computes a zero-padded batch; the padding is cut off.
                    batch = jax.tree_util.tree_map(lambda a: _pad_rows(a, fixed), batch)
                yield batch, rows

        return self._predict_batches(batches(), hooks, what)

    def _predict_batches(self, batches, hooks, what):
        """Run ``(batch, rows)`` pairs through the predict function with the predict hooks."""
        function = self._predict_function()
        trainable, non_trainable = self._variable_values()
        per_batch = hooks.needs_batch_hooks_for("predict") or hooks.update_interval_seconds is not None
        # As in Keras, hooks see groups of steps_per_execution batches, outputs concatenated.
        group = getattr(self, "steps_per_execution", "auto")
        group = group if isinstance(group, int) else 1
        pieces, first = [], 0
        hooks.on_predict_begin()
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
        return jax.tree_util.tree_map(np.asarray, _concatenate(pieces))

    def _predict_iterable(self, dataset, steps, what, hooks):
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
        x = data_adapters.convert_inputs(self, x, what)
        self._ensure_built(x)
        data_adapters.validate_inputs(self, x, what)
        trainable, non_trainable = self._variable_values()
        outputs = self._predict_function()(trainable, non_trainable, x)
        return jax.tree_util.tree_map(np.asarray, outputs)

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


class _Training:
    """What one compiled configuration needs: its key, steps, state binding, metrics."""

    def __init__(self, key, steps: Steps, binding: StateBinding, metrics: CompileMetrics, output_names: list):
        self.key = key
        self.steps = steps
        self.binding = binding
        self.metrics = metrics
        self.output_names = output_names


def _concatenate(pieces: list):
    return jax.tree_util.tree_map(lambda *parts: jnp.concatenate(parts, axis=0), *pieces)


def _split_chunk(step: int, size: int, full_batches: int, tail: int):
    """``(full steps, whether the partial batch follows)`` for a call running ``size`` of the
    epoch's steps from ``step`` (the partial batch, if any, is step ``full_batches``)."""
    count = max(0, min(size, full_batches - step))
    return count, bool(tail) and step + size > full_batches


def _to_host(results: dict) -> dict:
    """Logs as Python floats (other arrays as NumPy), nested dicts merged in, order kept."""
    flat = {}
    for name, value in jax.device_get(results).items():
        if isinstance(value, dict):
            flat.update(_to_host(value))
        else:
            flat[name] = float(value) if np.ndim(value) == 0 else np.asarray(value)
    return flat


def _pad_rows(array, rows: int):
    missing = rows - array.shape[0]
    if missing <= 0:
        return array
    padding = [(0, missing)] + [(0, 0)] * (np.ndim(array) - 1)
    return np.pad(np.asarray(array), padding)


def _require_data(x, what: str) -> None:
    if x is None:
        raise ValueError(f"{what} needs input data `x`; received None.")
    if not data_adapters.is_array_data(x):
        _is_one_shot(x)  # raises TypeError for objects that are neither arrays nor iterables


def _is_one_shot(dataset) -> bool:
    """Generators and iterators can be traversed once; datasets and loaders re-iterate."""
    try:
        return iter(dataset) is dataset
    except TypeError:
        raise TypeError(
            f"Expected arrays, lists/dicts of arrays, or an iterable of batches; received "
            f"{type(dataset).__name__}."
        ) from None


def _check_positive_int(value, name: str, allow_zero: bool = False) -> None:
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"`{name}` must be an int >= {low}; received {name}={value!r}.")


def _check_target_shape(loss, y, prediction, output_name: str) -> None:
    """Run the loss on shapes alone, so a target/loss mismatch is reported before training.

    The probe uses the targets' own sample count, so every shape in the message is one the user gave.
    """
    y_shape = tuple(np.shape(y))
    y_dtype = y.dtype if hasattr(y, "dtype") else np.asarray(y[:1]).dtype
    samples = y_shape[0] if y_shape else 1
    spec_y = jax.ShapeDtypeStruct(y_shape, y_dtype)
    spec_p = jax.ShapeDtypeStruct((samples,) + tuple(d or 1 for d in prediction.shape[1:]), prediction.dtype)
    try:
        jax.eval_shape(lambda t, p: loss(t, p), spec_y, spec_p)
    except (ValueError, TypeError) as err:
        shown = (None,) + tuple(prediction.shape[1:])
        raise type(err)(
            f"Output '{output_name}': targets of shape {y_shape} do not fit predictions of shape "
            f"{shown} for loss '{getattr(loss, 'name', loss)}': {err}"
        ) from err


def _check_sparse_labels(training, y: list) -> None:
    """Integer labels outside [0, classes) silently give garbage in XLA; refuse them up front."""
    for index in training.steps.compile_loss.active:
        loss = training.steps.compile_loss.losses[index]
        function = getattr(loss, "fn", None)
        name = getattr(function, "__name__", "") or getattr(loss, "name", "")
        if "sparse_categorical" not in name or y[index] is None:
            continue
        labels = np.asarray(y[index])
        if labels.size == 0:
            continue
        low, high = labels.min(), labels.max()
        predictions = training.steps.model.outputs[index].shape[-1] if hasattr(training.steps.model, "_outputs") else None
        if low < 0 or (predictions is not None and high >= predictions):
            raise ValueError(
                f"Output '{training.output_names[index]}': sparse labels must be integers in [0, {predictions}); "
                f"received labels from {low} to {high}. Check the label encoding or the output size."
            )

