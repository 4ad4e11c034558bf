"""Trainer: the host side of inference and training, mixed into ``Model``.

Every computation goes through ``stateless_call`` (the stateless scope), jitted
once per input signature; the host only slices batches and gathers results.
This module imports nothing from ``loom.models``: it works on ``self``.
"""

import jax
import jax.numpy as jnp
import numpy as np

from loom.training import data_adapters


class Trainer:
    """Inference (and, with compile/fit, training) for models."""

    def _ensure_built(self, x) -> None:
        """Build a model whose weights do not exist yet by calling it on a sample."""
        if not self.built:
            sample = data_adapters.slice_rows(x, 0, 1)
            self(sample)

    def _variable_values(self):
        return [v.value for v in self.trainable_variables], [v.value for v in self.non_trainable_variables]

    def _predict_function(self):
        """A jitted ``(trainable, non_trainable, batch) -> outputs`` (built once per model)."""
        function = self.__dict__.get("_compiled_predict")
        if function is None:

            def predict_step(trainable, non_trainable, batch):
                outputs, _ = self.stateless_call(trainable, non_trainable, batch, training=False)
                return outputs

            function = self.__dict__["_compiled_predict"] = jax.jit(predict_step)
        return function

    def predict(self, x, batch_size: int | None = None, verbose="auto", steps=None, callbacks=None):
        """Outputs for ``x`` as NumPy arrays (a list or dict for several outputs).

        Args:
            x: an array, a list of arrays (one per input) or a dict keyed by input name.
            batch_size: samples per compiled call (32 by default, or the model's
                fixed batch size).
        """
        what = f"Model '{self.name}'.predict"
        x = data_adapters.convert_inputs(self, x, what)
        self._ensure_built(x)
        count = data_adapters.validate_inputs(self, x, what)
        batch_size = self._resolve_batch_size(batch_size)
        function = self._predict_function()
        trainable, non_trainable = self._variable_values()
        fixed = data_adapters.fixed_batch_size(self)
        pieces = []
        for start in range(0, count, batch_size):
            batch = data_adapters.slice_rows(x, start, start + batch_size)
            rows = min(batch_size, count - start)
            if fixed is not None and rows < fixed:
                # A fixed-batch model computes a zero-padded batch; the padding is cut off.
                batch = jax.tree_util.tree_map(lambda a: _pad_rows(a, fixed), batch)
            outputs = function(trainable, non_trainable, batch)
            pieces.append(jax.tree_util.tree_map(lambda o, rows=rows: o[:rows], outputs))
        return jax.tree_util.tree_map(lambda *parts: np.asarray(jnp.concatenate(parts, axis=0)), *pieces)

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
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"`batch_size` must be a positive int; received batch_size={batch_size!r}.")
        if fixed is not None and batch_size != fixed:
            raise ValueError(
                f"Model '{self.name}' was built for batches of exactly {fixed} samples "
                f"(Input(batch_shape=({fixed}, ...))); received batch_size={batch_size}. "
                f"Use batch_size={fixed} or build the model with Input(shape=...)."
            )
        return int(batch_size)


def _pad_rows(array, rows: int):
    missing = rows - array.shape[0]
    if missing <= 0:
        return array
    padding = [(0, missing)] + [(0, 0)] * (np.ndim(array) - 1)
    return np.pad(np.asarray(array), padding)
