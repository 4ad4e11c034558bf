"""Trainer: compile, fit, evaluate and the single-batch methods, mixed into ``Model``.

The host moves array data to the device once per ``fit`` and hands the epochs
to ``training/epoch.py``, which cuts them into compiled calls of the model's
steps (``training/step.py``; a model's own ``train_step`` runs there too). This
module imports nothing from ``loom.models``: it works on ``self``.
"""

import warnings

import jax
import numpy as np

from loom import callbacks as callbacks_module
from loom import optimizers
from loom.config import run_limits
from loom.distribution import placement
from loom.distribution.placement import host_value
from loom.optimizers.loss_scale_optimizer import loss_scale_optimizer_for
from loom.state.seed_generator import make_default_seed, raw_key
from loom.training import accepted_inputs, data_adapters
from loom.training.compile_config import CompileLoss
from loom.training.compiled_run import check_sparse_labels, compiled_run_for
from loom.training.epoch import evaluate_arrays, to_host, train_epoch
from loom.training.interrupt_guard import deferred_interrupt
from loom.training.predictor import Predictor
from loom.training.step_adapter import uses_builtin
from loom.training.step_methods import StepMethods
from loom.utils.data_packing import unpack_x_y_sample_weight
from loom.utils.py_dataset import PyDataset


class Trainer(Predictor, StepMethods):
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
            auto_scale_loss: under the model's "mixed_float16" dtype policy, wrap the
                optimizer in a ``LossScaleOptimizer`` (dynamic loss scaling), as Keras does.
        """
        if steps_per_execution != "auto" and (
            isinstance(steps_per_execution, bool) or not isinstance(steps_per_execution, int) or steps_per_execution < 1
        ):
            raise ValueError(
                f"`steps_per_execution` must be 'auto' or a positive int; received {steps_per_execution!r}."
            )
        self.optimizer = optimizers.get(optimizer)
        if auto_scale_loss:
            # Under a "mixed_float16" policy, dynamic loss scaling, as Keras wraps the optimizer.
            self.optimizer = loss_scale_optimizer_for(self.optimizer, self.dtype_policy)
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
            # ValueError, as Keras raises.
            raise ValueError(
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
            lambda a: jax.ShapeDtypeStruct((rows,) + tuple(np.shape(a)[1:]), _array_dtype(a)), x
        )
        trainable, non_trainable = self._variable_values()
        return jax.eval_shape(
            lambda t, n, s: self.stateless_call(t, n, s, training=False)[0], trainable, non_trainable, sample
        )

    def _compiled_run(self, x_sample, y: list, class_weight):
        return compiled_run_for(self, x_sample, y, class_weight)

    def _run_key(self):
        """``PRNGKey(seed)`` of this compiled run: per-step keys and epoch orders derive from it."""
        # Cached: building a key costs several dispatches, a noticeable share of a short epoch.
        cached = self._run_key_cache
        if cached is None or cached[0] != self._training_seed:
            cached = (self._training_seed, placement.put_replicated(raw_key(self._training_seed)))
            self._run_key_cache = cached
        return cached[1]

    # --- checkpointing (used by BackupAndRestore) ------------------------------------
    def _training_checkpoint(self) -> dict:
        """Where fit stands, beyond weights and optimizer: position, seed, metric state."""
        metrics = [] if self._training is None else [host_value(v.value) for v in self._training.binding.metrics]
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

    def _prepare_arrays_once(self, x, y, sample_weight, method: str, what: str):
        """``_prepare_arrays``, skipped for data shaped like data ``method`` accepted before
        (see accepted_inputs.py)."""
        given = (x, y, sample_weight)
        hit = accepted_inputs.lookup(self, method, given)
        if hit is not None:
            return (*hit[0], hit[1])
        x, y, sample_weight, count = self._prepare_arrays(x, y, sample_weight, what)
        accepted_inputs.remember(self, method, given, (x, y, sample_weight), count)
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
        data_adapters.require_data(x, what)
        _check_positive_int(epochs, "epochs", allow_zero=True)
        # keras.config.set_max_epochs / set_max_steps_per_epoch cap every fit, as in Keras.
        epochs = run_limits.capped_epochs(epochs)
        steps_per_epoch = run_limits.capped_steps(steps_per_epoch)
        verbose = 1 if verbose == "auto" else verbose
        if not data_adapters.is_array_data(x):
            if y is not None:
                raise ValueError(f"{what}: when x is an iterable of batches, y must be None (the batches carry it).")
            return self._fit_iterable(x, epochs, verbose, callbacks, validation_data, initial_epoch, steps_per_epoch,
                                      validation_steps, validation_freq, class_weight, shuffle)
        x, y, sample_weight, count = self._prepare_arrays_once(x, y, sample_weight, "fit", what)
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
        if placement.process_count() > 1:  # each process's rows, one global dataset (see placement)
            x, y, sample_weight = placement.global_rows((x, y, sample_weight), what)
            count, batch_size = count * placement.process_count(), batch_size * placement.process_count()
        placement.check_batch_size(batch_size, what)
        training = self._compiled_run(x, y, class_weight)
        check_sparse_labels(training, y, what)
        if validation_data is not None:
            validation = self._standardize_validation(validation_data, what)
        if validation is not None and validation[0] == "arrays":
            check_sparse_labels(training, validation[1][1], f"{what} (validation)")
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
        training = self._compiled_run(x, y, class_weight)
        resume = self.__dict__.pop("_resume_position", None)
        first_epoch, first_step = (resume if resume is not None else (initial_epoch, 0))
        logs = {}
        for epoch in range(first_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            start = first_step if epoch == first_epoch else 0
            logs = train_epoch(
                self, training, data, count, shuffle, full_batches, tail, batch_size, callback_list, epoch, start
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
        self._finalize_optimizer(epochs)
        callback_list.on_train_end(logs)
        return self.history

    def _finalize_optimizer(self, epochs: int) -> None:
        """As Keras at the end of fit: an optimizer with ``use_ema`` puts the averaged
        weights into the model."""
        if epochs > 0 and self.optimizer is not None:
            self.optimizer.finalize_variable_values(self.trainable_weights)

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
            logs = evaluate_arrays(self, training, payload, batch_size, steps_limit, hooks)
        hooks.on_test_end(logs)
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
        steps = run_limits.capped_steps(steps)
        data_adapters.require_data(x, what)
        if data_adapters.is_array_data(x):
            x, y, sample_weight, count = self._prepare_arrays_once(x, y, sample_weight, "evaluate", what)
            training = self._compiled_run(x, y, None)
            check_sparse_labels(training, y, what)
            batch_size = self._resolve_batch_size(batch_size)
            validation, steps_count = ("arrays", (x, y, sample_weight)), -(-count // batch_size)
        else:
            training, batch_size, validation, steps_count = None, None, ("iterable", x), steps
        callback_list = self._callback_list(callbacks, 0 if verbose == "auto" else verbose, 1, steps_count, add_history=False)
        logs = self._evaluate_arrays(training, validation, batch_size, steps, callback_list)
        return self._format_logs(logs, return_dict)

    # --- iterables ------------------------------------------------------------------
    def _convert_batch(self, item, what):
        """A batch from an iterable as ``(x, y, sample_weight)``: tuples (and lists) of one to
        three items are unpacked, anything else is ``x`` alone, as Keras reads them."""
        if isinstance(item, (list, tuple)) and len(item) > 3:
            raise ValueError(
                f"{what}: each batch from the data iterable must be x, (x,), (x, y) or (x, y, sample_weight); "
                f"received a {type(item).__name__} of length {len(item)}."
            )
        x, y, weights = unpack_x_y_sample_weight(item)
        return data_adapters.convert_inputs(self, x, what), y, weights

    def _device_batch(self, training, item, what):
        x, y, weights = item
        y = data_adapters.standardize_targets(y, training.output_names, what)
        weights = data_adapters.standardize_sample_weight(weights, training.output_names, what)
        count = data_adapters.validate_inputs(self, x, what)
        data_adapters.check_counts(count, y, weights, what)
        check_sparse_labels(training, y, what, on_device_too=False)
        return data_adapters.to_device((x, y, weights))

    def _fit_iterable(self, dataset, epochs, verbose, callbacks, validation_data, initial_epoch, steps_per_epoch,
                      validation_steps, validation_freq, class_weight, shuffle=False):
        what = f"Model '{self.name}'.fit"
        placement.refuse_several_processes(what, "an iterable of batches")
        source = iter(dataset) if data_adapters.is_one_shot(dataset) else None
        steps = steps_per_epoch or data_adapters.batch_count(dataset)
        callback_list = self._callback_list(callbacks, verbose, epochs, steps)
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
            if isinstance(dataset, PyDataset):
                # As Keras: a PyDataset's batches come in a new order each epoch when shuffling.
                source = dataset.epoch(shuffle, seed=self._training_seed * 1_000_003 + epoch)
            batches = data_adapters.PrefetchingIterator(
                source if source is not None else dataset, lambda item: self._convert_batch(item, what), steps_per_epoch
            )
            step, results = 0, None
            try:
                for item in batches:
                    if training is None:
                        self._ensure_built(item[0])
                        y_list = data_adapters.standardize_targets(item[1], self._output_names_for_data(item[0]), what)
                        training = self._compiled_run(item[0], y_list, class_weight)
                    callback_list.on_train_batch_begin(step)
                    batch = self._device_batch(training, item, what)
                    with deferred_interrupt():  # the call donates the state until it is written back
                        state, results = training.steps.train_batch(
                            training.binding.read(), batch, self._run_key(), step == 0
                        )
                        training.binding.write(state)
                    if callback_list.needs_batch_hooks_for("train") or callback_list.update_interval_seconds is not None:
                        logs = to_host(results)
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
            logs = to_host(results)
            if validation is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_arrays(training, validation, 32, validation_steps, callback_list)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            self._fit_position = (epoch + 1, 0)
            callback_list.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        self._finalize_optimizer(epochs)
        callback_list.on_train_end(logs)
        return self.history

    def _evaluate_iterable(self, training, dataset, steps_limit, hooks) -> dict:
        what = f"Model '{self.name}'.evaluate"
        placement.refuse_several_processes(what, "an iterable of batches")
        metrics, logs, step = None, None, 0
        batches = data_adapters.PrefetchingIterator(dataset, lambda item: self._convert_batch(item, what), steps_limit)
        try:
            for item in batches:
                if training is None:
                    self._ensure_built(item[0])
                    names = self._output_names_for_data(item[0])
                    training = self._compiled_run(item[0], data_adapters.standardize_targets(item[1], names, what), None)
                state = training.binding.read_for_test()
                if metrics is not None:
                    state = state._replace(metrics=metrics)
                hooks.on_test_batch_begin(step)
                metrics, results = training.steps.test_batch(
                    state, self._device_batch(training, item, what), metrics is None
                )
                logs = to_host(results)
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
        what = f"Model '{self.name}'.train_on_batch"
        x, y, sample_weight, _ = self._prepare_arrays_once(x, y, sample_weight, "train_on_batch", what)
        # Several processes: each passes its rows of one global batch (see placement).
        x, y, sample_weight = placement.global_rows((x, y, sample_weight), what)
        training = self._compiled_run(x, y, class_weight)
        check_sparse_labels(training, y, what)
        # NumPy batches go to the jitted step as they are: its C++ dispatch moves them
        # faster than a device_put per array.
        with deferred_interrupt():  # the call donates the state until it is written back
            state, results = training.steps.train_batch(
                training.binding.read(), (x, y, sample_weight), self._run_key(), True
            )
            training.binding.write(state)
        return self._format_logs(to_host(results), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict: bool = False):
        """Loss (and metrics) on one batch, without updating the model."""
        self._require_compiled("test_on_batch")
        what = f"Model '{self.name}'.test_on_batch"
        x, y, sample_weight, _ = self._prepare_arrays_once(x, y, sample_weight, "test_on_batch", what)
        # Several processes: each passes its rows of one global batch (see placement).
        x, y, sample_weight = placement.global_rows((x, y, sample_weight), what)
        training = self._compiled_run(x, y, None)
        check_sparse_labels(training, y, what)
        _, results = training.steps.test_batch(
            training.binding.read_for_test(), (x, y, sample_weight), True
        )
        return self._format_logs(to_host(results), return_dict)

    def _format_logs(self, logs: dict, return_dict: bool):
        """``logs`` itself, or its values in the order of ``metrics_names`` (then the rest by
        name), a single value alone, as Keras returns them."""
        if return_dict:
            return logs
        if len(logs) == 1:  # the usual loss alone: no order to find
            return next(iter(logs.values()))
        names = self.metrics_names
        values = [logs[name] for name in names if name in logs]
        values += [logs[name] for name in sorted(logs) if name not in names]
        return values[0] if len(values) == 1 else values

def _array_dtype(array):
    """The dtype ``array`` has on the device (float64 becomes float32 unless x64 is on), found
    without moving it there (which would compile a conversion)."""
    dtype = array.dtype if hasattr(array, "dtype") else np.asarray(array).dtype
    return jax.dtypes.canonicalize_dtype(dtype)


def _check_positive_int(value, name: str, allow_zero: bool = False) -> None:
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"`{name}` must be an int >= {low}; received {name}={value!r}.")


